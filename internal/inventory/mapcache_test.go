package inventory

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/watch"
)

// fakeChanges is a watch.Changes whose changes the test reports.
type fakeChanges struct {
	mu        sync.Mutex
	listeners map[watch.Key][]func()
	done      chan struct{}
}

func (f *fakeChanges) Listen(k watch.Key, changed func()) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listeners == nil {
		f.listeners = map[watch.Key][]func(){}
	}
	f.listeners[k] = append(f.listeners[k], changed)
	return func() {}, nil
}

func (f *fakeChanges) Done() <-chan struct{} { return f.done }

func (f *fakeChanges) report(k watch.Key) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.listeners[k] {
		l()
	}
}

const cachedShow = "euw1_01JD0000000000000000000000"

// testCache returns a cache over a loader that counts its reads and gives each the version after next.
func testCache(clock *platform.ManualClock) (*mapCache, *fakeChanges, *atomic.Int64, *atomic.Uint64) {
	ch := &fakeChanges{done: make(chan struct{})}
	var loads atomic.Int64
	var next atomic.Uint64
	next.Store(100)
	c := &mapCache{changes: ch, now: clock.Now, load: func(ctx context.Context, id string) (SeatMap, error) {
		loads.Add(1)
		if id != cachedShow {
			return SeatMap{}, errors.New("no such showtime")
		}
		return SeatMap{Version: next.Add(1)}, nil
	}}
	return c, ch, &loads, &next
}

func TestMapCacheReadsOncePerChange(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	c, ch, loads, _ := testCache(clock)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if _, err := c.get(ctx, cachedShow, 0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("100 readers of an unchanged map: %d reads, want 1", n)
	}
	first, _ := c.get(ctx, cachedShow, 0)
	ch.report(watch.Key{Region: "europe-west1", ID: cachedShow})
	m, err := c.get(ctx, cachedShow, 0)
	if err != nil || loads.Load() != 2 || m.Version <= first.Version {
		t.Fatalf("after a change: version %d (was %d), %d reads, err %v; want a newer map from a second read",
			m.Version, first.Version, loads.Load(), err)
	}
	c.changed(cachedShow) // this process's own hold
	if m2, _ := c.get(ctx, cachedShow, 0); loads.Load() != 3 || m2.Version <= m.Version {
		t.Fatalf("after an own change: %d reads, want 3", loads.Load())
	}
	clock.Advance(mapMaxAge)
	if _, err := c.get(ctx, cachedShow, 0); err != nil || loads.Load() != 4 {
		t.Fatalf("a map older than mapMaxAge: %d reads, want 4 (err %v)", loads.Load(), err)
	}
}

func TestMapCacheNeverServesOlderThanSeen(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	c, _, loads, next := testCache(clock)
	ctx := context.Background()
	m, _ := c.get(ctx, cachedShow, 0)
	// A reader who saw a newer map elsewhere gets the map read again.
	got, err := c.get(ctx, cachedShow, m.Version+50)
	if err != nil || loads.Load() != 2 {
		t.Fatalf("min_version above the cached map: %d reads (want 2), err %v", loads.Load(), err)
	}
	// A read that comes back older than the cached map (another clock) does not replace it.
	next.Store(10)
	c.changed(cachedShow)
	again, _ := c.get(ctx, cachedShow, 0)
	if again.Version < got.Version {
		t.Fatalf("served version %d after %d", again.Version, got.Version)
	}
}

func TestMapCacheErrorsAreNotKept(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	c, _, loads, _ := testCache(clock)
	missing := "euw1_01JD9999999999999999999999"
	for range 2 {
		if _, err := c.get(context.Background(), missing, 0); err == nil {
			t.Fatal("a showtime that cannot be read: no error")
		}
	}
	if n, _ := c.stats(); n != 0 || loads.Load() != 2 {
		t.Fatalf("after two failed reads: %d showtimes kept (want 0), %d reads (want 2)", n, loads.Load())
	}
	if _, err := c.get(context.Background(), "nope", 0); err == nil {
		t.Fatal("an ID of no region: no error")
	}
}

func TestMapCacheRecentServesAStaleMapAndRefreshes(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	c, _, loads, _ := testCache(clock)
	ctx := context.Background()
	first, _ := c.recent(ctx, cachedShow)
	c.changed(cachedShow)
	m, err := c.recent(ctx, cachedShow)
	if err != nil || m.Version != first.Version {
		t.Fatalf("recent after a change: version %d, want the cached %d (err %v)", m.Version, first.Version, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for loads.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("recent after a change started no read in the background")
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(mapStaleFor)
	c.changed(cachedShow)
	m, _ = c.recent(ctx, cachedShow)
	if m.Version <= first.Version {
		t.Fatalf("recent past mapStaleFor with a change: version %d, want newer than %d", m.Version, first.Version)
	}
}
