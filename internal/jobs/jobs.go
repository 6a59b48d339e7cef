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
	"math/rand/v2"
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

// Runner runs jobs until it is stopped.
type Runner struct {
	Log *slog.Logger // default discards

	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	names  []string
}

// Start runs each job in its own goroutine, the periodic ones at once and then every Every. It may be called
// more than once; Stop stops every job started.
func (r *Runner) Start(jobs ...Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		r.ctx, r.cancel = context.WithCancel(context.Background())
	}
	for _, j := range jobs {
		r.names = append(r.names, j.Name)
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.loop(r.ctx, j) }()
	}
}

// Names lists the jobs started, in order.
func (r *Runner) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.names...)
}

// Stop cancels every job and waits for each to return.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
}

// loop runs j until ctx ends: after a success it waits j.Every, after a failure a backoff that doubles up to
// MaxBackoff.
func (r *Runner) loop(ctx context.Context, j Job) {
	failures := 0
	for ctx.Err() == nil {
		err := j.Run(ctx)
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
		if !sleep(ctx, wait) {
			return
		}
	}
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

// sleep waits d or until ctx ends, reporting whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
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
