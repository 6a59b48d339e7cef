// Package jobs runs Marquee's background work. Each domain package declares its work as named Jobs (hold expiry
// in inventory, lines in standby, deliveries and reminders in notify, ...); one Runner per process runs them,
// logs each failure once with the job's name, backs off after failures and stops them all on shutdown. The
// Runner is the one place that decides which jobs a process runs.
package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Job is one piece of background work.
type Job struct {
	// Name identifies the job in logs, "<package>.<what>", for example "inventory.expire-holds".
	Name string
	// Every is the wait between the end of one run and the start of the next. Zero makes Run a loop of its own
	// (a consumer, a relay) that returns when ctx ends; the runner restarts it if it returns early.
	Every time.Duration
	// Run does the work once (or, with Every zero, until ctx ends). An error is logged and the job tried again
	// after a backoff.
	Run func(ctx context.Context) error
}

// MaxBackoff is the longest wait after consecutive failures of a job.
const MaxBackoff = 30 * time.Second

// RunTimeout bounds one run of a periodic job: a run stuck on a database or server that stopped answering
// (a half-open connection, a hung peer) fails and is tried again, instead of stopping the job for good.
const RunTimeout = time.Minute

// Runner runs jobs until it is stopped.
type Runner struct {
	Log *slog.Logger // default discards

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	names  []string
	groups map[string]*group
}

// group is a set of jobs started and stopped together (one region's).
type group struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	names  []string
}

// Start runs each job in its own goroutine, the periodic ones at once and then every Every. It may be called
// more than once; Stop stops every job started.
func (r *Runner) Start(jobs ...Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	for _, j := range jobs {
		r.names = append(r.names, j.Name)
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.loop(r.ctx, j) }()
	}
}

func (r *Runner) init() {
	if r.cancel == nil {
		r.ctx, r.cancel = context.WithCancel(context.Background())
		r.groups = map[string]*group{}
	}
}

// StartGroup runs jobs as the group key (a region's jobs), each named "<key>/<name>"; a group already running
// is left as it is. StopGroup stops them; Stop stops them too.
func (r *Runner) StartGroup(key string, jobs []Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.init()
	if _, ok := r.groups[key]; ok {
		return
	}
	ctx, cancel := context.WithCancel(r.ctx)
	g := &group{cancel: cancel}
	r.groups[key] = g
	for _, j := range jobs {
		j.Name = key + "/" + j.Name
		g.names = append(g.names, j.Name)
		g.wg.Add(1)
		go func() { defer g.wg.Done(); r.loop(ctx, j) }()
	}
}

// StopGroup stops the jobs of group key and waits for them to return; an unknown group is ignored.
func (r *Runner) StopGroup(key string) {
	r.mu.Lock()
	g := r.groups[key]
	delete(r.groups, key)
	r.mu.Unlock()
	if g != nil {
		g.cancel()
		g.wg.Wait()
	}
}

// Groups lists the groups running, sorted.
func (r *Runner) Groups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.groups))
}

// Names lists the jobs running: those started with Start, in order, then each group's, by group.
func (r *Runner) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.names...)
	for _, k := range slices.Sorted(maps.Keys(r.groups)) {
		out = append(out, r.groups[k].names...)
	}
	return out
}

// Stop cancels every job, grouped ones included, and waits for each to return.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	groups := r.groups
	r.groups = map[string]*group{}
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	for _, g := range groups {
		g.wg.Wait()
	}
	r.wg.Wait()
}

// loop runs j until ctx ends: after a success it waits j.Every, after a failure a backoff that doubles up to
// MaxBackoff.
func (r *Runner) loop(ctx context.Context, j Job) {
	failures := 0
	for ctx.Err() == nil {
		err := runOnce(ctx, j)
		if ctx.Err() != nil {
			return
		}
		if err == nil && j.Every == 0 {
			err = errors.New("returned before shutdown")
		}
		wait := j.Every
		if err != nil {
			failures++
			wait = backoff(j.Every, failures)
			r.log().Warn("job failed", "job", j.Name, "err", err, "failures", failures, "retry_in", wait.Round(time.Millisecond))
		} else {
			failures = 0
		}
		if !Sleep(ctx, wait) {
			return
		}
	}
}

// runOnce runs j once, a periodic job within RunTimeout.
func runOnce(ctx context.Context, j Job) error {
	if j.Every == 0 {
		return j.Run(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	return j.Run(ctx)
}

// backoff is the wait after n consecutive failures: every (at least 100ms) doubled n-1 times, at most
// MaxBackoff, with jitter so processes that failed together do not retry together.
func backoff(every time.Duration, n int) time.Duration {
	d := max(every, 100*time.Millisecond)
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return r.Log
}

// Sleep waits d or until ctx ends, reporting whether ctx is still live: the wait of a loop that must stop
// at shutdown.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
