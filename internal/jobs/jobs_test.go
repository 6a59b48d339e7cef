package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// records is a slog handler that keeps every record.
type records struct {
	mu  sync.Mutex
	got []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, r)
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// jobNames returns the "job" attribute of each record.
func (h *records) jobNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.got {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "job" {
				out = append(out, a.Value.String())
			}
			return true
		})
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunnerRunsPeriodicJobs(t *testing.T) {
	var a, b atomic.Int64
	r := &Runner{}
	r.Start(Job{Name: "a", Every: time.Millisecond, Run: func(context.Context) error { a.Add(1); return nil }},
		Job{Name: "b", Every: time.Millisecond, Run: func(context.Context) error { b.Add(1); return nil }})
	eventually(t, "both jobs to run three times", func() bool { return a.Load() >= 3 && b.Load() >= 3 })
	r.Stop()
	if got := r.Names(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Names = %v, want [a b]", got)
	}
}

func TestRunnerLogsEachFailureOnceWithItsName(t *testing.T) {
	h := &records{}
	var runs atomic.Int64
	r := &Runner{Log: slog.New(h)}
	r.Start(Job{Name: "store.prune", Every: time.Millisecond, Run: func(context.Context) error {
		if runs.Add(1) <= 2 {
			return errors.New("database down")
		}
		return nil
	}})
	eventually(t, "a run after two failures", func() bool { return runs.Load() >= 3 })
	r.Stop()
	got := h.jobNames()
	if len(got) != 2 || got[0] != "store.prune" || got[1] != "store.prune" {
		t.Fatalf("logged jobs = %v, want two failures of store.prune", got)
	}
}

func TestRunnerRestartsALoopThatReturnsEarly(t *testing.T) {
	h := &records{}
	var starts atomic.Int64
	r := &Runner{Log: slog.New(h)}
	r.Start(Job{Name: "events.relay", Run: func(ctx context.Context) error {
		if starts.Add(1) == 1 {
			return nil // returned before shutdown: a fault, restarted
		}
		<-ctx.Done()
		return nil
	}})
	eventually(t, "the loop to be restarted", func() bool { return starts.Load() == 2 })
	r.Stop()
	if got := h.jobNames(); len(got) != 1 {
		t.Fatalf("logged %v, want the early return once", got)
	}
}

func TestStopWaitsForRunningJobs(t *testing.T) {
	var running, finished atomic.Bool
	r := &Runner{}
	r.Start(Job{Name: "slow", Run: func(ctx context.Context) error {
		running.Store(true)
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // finishing its work after the cancel
		finished.Store(true)
		return nil
	}})
	eventually(t, "the job to start", running.Load)
	r.Stop()
	if !finished.Load() {
		t.Fatal("Stop returned before the job finished")
	}
}

func TestBackoff(t *testing.T) {
	for name, tt := range map[string]struct {
		every    time.Duration
		failures int
		lo, hi   time.Duration
	}{
		"OKFirst":        {time.Second, 1, 500 * time.Millisecond, time.Second},
		"OKDoubles":      {time.Second, 3, 2 * time.Second, 4 * time.Second},
		"OKAtLeast100ms": {0, 1, 50 * time.Millisecond, 100 * time.Millisecond},
		"OKCapped":       {time.Second, 40, MaxBackoff / 2, MaxBackoff},
	} {
		t.Run(name, func(t *testing.T) {
			for range 20 {
				if d := backoff(tt.every, tt.failures); d < tt.lo || d > tt.hi {
					t.Fatalf("backoff(%v, %d) = %v, want in [%v, %v]", tt.every, tt.failures, d, tt.lo, tt.hi)
				}
			}
		})
	}
}
