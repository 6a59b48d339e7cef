package jobs_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// process is one process of the test: a runner and its lease keeper, recording which regions' jobs run.
type process struct {
	runner   *jobs.Runner
	regional *jobs.Regional

	mu      sync.Mutex
	running map[string]int // region -> jobs of it running now
}

const lease = 400 * time.Millisecond

func startProcess(t *testing.T, db *store.DB, id string, home ...string) *process {
	t.Helper()
	return startWith(t, db.Leases(), id, home...)
}

func startWith(t *testing.T, leases jobs.LeaseStore, id string, home ...string) *process {
	t.Helper()
	p := &process{runner: &jobs.Runner{}, running: map[string]int{}}
	p.regional = &jobs.Regional{Runner: p.runner, Leases: leases, Process: id, Home: home, All: regions.All(),
		Lease: lease, Jobs: func(region string) []jobs.Job {
			return []jobs.Job{{Name: "work", Run: func(ctx context.Context) error {
				p.add(region, 1)
				defer p.add(region, -1)
				<-ctx.Done()
				return nil
			}}}
		}}
	p.runner.Start(p.regional.Job())
	t.Cleanup(p.crash)
	return p
}

func (p *process) add(region string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[region] += n
}

// runs reports whether the process runs region's jobs.
func (p *process) runs(region string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running[region] > 0
}

// crash stops the process without giving up its leases, as kill -9 would.
func (p *process) crash() { p.runner.Stop() }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRegionalLeases: two processes of europe-west1 run its jobs once between them; when both die, us-east1
// (the only other live region, so the nearest) adopts them after a lease; when europe-west1 is back it takes
// them back. A clean stop hands the lease over at once.
func TestRegionalLeases(t *testing.T) {
	db := storetest.NewDB(t, nil)
	eu1, eu2 := startProcess(t, db, "eu-1", "europe-west1"), startProcess(t, db, "eu-2", "europe-west1")
	us := startProcess(t, db, "us-1", "us-east1")
	waitFor(t, "one europe-west1 process to run its jobs", func() bool { return eu1.runs("europe-west1") || eu2.runs("europe-west1") })
	waitFor(t, "us-east1 to run its jobs", func() bool { return us.runs("us-east1") })
	if eu1.runs("europe-west1") && eu2.runs("europe-west1") {
		t.Fatal("both europe-west1 processes run its jobs")
	}
	if us.runs("europe-west1") {
		t.Fatal("us-east1 adopted europe-west1 while it was alive")
	}

	eu1.crash()
	eu2.crash()
	died := time.Now()
	waitFor(t, "us-east1 to adopt europe-west1", func() bool { return us.runs("europe-west1") })
	// The lease lapses a lease after its last renewal, which came up to a third of a lease before the crash.
	if d := time.Since(died); d < lease*2/3 {
		t.Fatalf("adopted %v after the crash, before the lease of %v (last renewed at most %v before) lapsed",
			d, lease, lease/3)
	}

	back := startProcess(t, db, "eu-3", "europe-west1")
	waitFor(t, "europe-west1 to take its jobs back", func() bool { return back.runs("europe-west1") && !us.runs("europe-west1") })
	if got := us.regional.Held(); !slices.Equal(got, []string{"us-east1"}) {
		t.Fatalf("us-east1 holds %v after the hand-back, want [us-east1]", got)
	}

	t.Run("CleanStopHandsOverAtOnce", func(t *testing.T) {
		other := startProcess(t, db, "eu-4", "europe-west1")
		back.runner.Stop()
		if err := back.regional.ReleaseAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		stopped := time.Now()
		waitFor(t, "the other europe-west1 process to take over", func() bool { return other.runs("europe-west1") })
		if d := time.Since(stopped); d >= lease {
			t.Errorf("took over %v after a clean stop, want less than a lease (%v)", d, lease)
		}
	})
}

// cutOff is the real lease store behind a switch that makes every call fail, as when the database is
// unreachable from one process.
type cutOff struct {
	jobs.LeaseStore
	off atomic.Bool
}

var errCutOff = errors.New("database unreachable")

func (c *cutOff) Heartbeat(ctx context.Context, region, process string, now, forget time.Time) error {
	if c.off.Load() {
		return errCutOff
	}
	return c.LeaseStore.Heartbeat(ctx, region, process, now, forget)
}

// TestRegionalStopsJobsItCannotRenew: a process that cannot reach the database stops its region's jobs within
// about a lease, so they do not run twice once another process takes the lapsed lease.
func TestRegionalStopsJobsItCannotRenew(t *testing.T) {
	db := storetest.NewDB(t, nil)
	leases := &cutOff{LeaseStore: db.Leases()}
	p := startWith(t, leases, "asia-1", "asia-south1")
	waitFor(t, "the process to run its region's jobs", func() bool { return p.runs("asia-south1") })
	leases.off.Store(true)
	cut := time.Now()
	waitFor(t, "the jobs to stop", func() bool { return !p.runs("asia-south1") })
	if d := time.Since(cut); d > 3*lease {
		t.Errorf("jobs stopped %v after the database was cut off, want within about a lease (%v)", d, lease)
	}
	other := startProcess(t, db, "asia-2", "asia-south1")
	waitFor(t, "another process to take the lapsed lease", func() bool { return other.runs("asia-south1") })
}

// clock is a settable time for the lease keepers of TestStartingTogetherAdoptsNothing.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// TestStartingTogetherAdoptsNothing runs the lease rounds of processes by hand on one clock: a process that
// starts half a lease before another region's does not adopt that region meanwhile (it may be starting too), and
// a region with no process at all is adopted by the nearest live region once that process has been up a lease.
func TestStartingTogetherAdoptsNothing(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	c := &clock{now: time.Now()}
	keeper := func(id string, home string) (*jobs.Regional, func()) {
		r := &jobs.Runner{}
		t.Cleanup(r.Stop)
		g := &jobs.Regional{Runner: r, Leases: db.Leases(), Process: id, Home: []string{home}, All: regions.All(),
			Lease: lease, Now: c.Now, Jobs: func(string) []jobs.Job { return nil }}
		round := g.Job().Run
		return g, func() {
			t.Helper()
			if err := round(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	us, usRound := keeper("us-1", "us-east1")
	usRound()
	c.add(lease / 2)
	usRound()
	if got := us.Held(); !slices.Equal(got, []string{"us-east1"}) {
		t.Fatalf("us-east1 holds %v half a lease after it started, before europe-west1's process, want only its own", got)
	}
	eu, euRound := keeper("eu-1", "europe-west1")
	euRound()
	c.add(lease * 3 / 4)
	usRound()
	euRound()
	if got, want := [][]string{us.Held(), eu.Held()}, [][]string{{"us-east1"}, {"europe-west1"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("us-east1 and europe-west1 hold %v three quarters of a lease after europe-west1 started, want each its own (asia-south1 goes to europe-west1, its nearest, once that has been up a lease)", got)
	}
	c.add(lease / 2)
	usRound()
	euRound()
	if got := eu.Held(); !slices.Equal(got, []string{"asia-south1", "europe-west1"}) {
		t.Fatalf("europe-west1 holds %v once up a lease, want asia-south1 (no process, nearest live region) too", got)
	}
}
