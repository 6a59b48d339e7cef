package watch_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/watch"
)

// changes is a Changes whose test says when a key changed.
type changes struct {
	mu        sync.Mutex
	listeners map[watch.Key][]*func()
	done      chan struct{}
}

func newChanges() *changes {
	return &changes{listeners: map[watch.Key][]*func(){}, done: make(chan struct{})}
}

func (c *changes) Listen(k watch.Key, changed func()) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := &changed
	c.listeners[k] = append(c.listeners[k], l)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.listeners[k] {
			if x == l {
				c.listeners[k] = append(c.listeners[k][:i], c.listeners[k][i+1:]...)
			}
		}
	}, nil
}

func (c *changes) Done() <-chan struct{} { return c.done }

// change reports a change of k to its listeners.
func (c *changes) change(k watch.Key) {
	c.mu.Lock()
	ls := append([]*func(){}, c.listeners[k]...)
	c.mu.Unlock()
	for _, l := range ls {
		(*l)()
	}
}

func (c *changes) listening(k watch.Key) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.listeners[k])
}

// counter is a value that Load reads: how many times it was loaded, or a value set by the test.
type counter struct {
	n     atomic.Int64
	value atomic.Int64
	gate  chan struct{} // when set, each load waits for a receive from the test
}

func (c *counter) load(ctx context.Context, key string) (int64, error) {
	if c.gate != nil {
		<-c.gate
	}
	c.n.Add(1)
	return c.value.Load(), nil
}

type msg struct {
	v       int64
	version uint64
}

// watchInto runs f.Watch in a goroutine and returns its messages and its result.
func watchInto(ctx context.Context, f *watch.Feed[int64], key string, on watch.Key) (<-chan msg, <-chan error) {
	out, res := make(chan msg, 100), make(chan error, 1)
	go func() {
		res <- f.Watch(ctx, key, on, func(v int64, version uint64) error {
			out <- msg{v, version}
			return nil
		})
	}()
	return out, res
}

func next(t *testing.T, c <-chan msg) msg {
	t.Helper()
	select {
	case m := <-c:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return msg{}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var show = watch.Key{Region: "us-east1", ID: "use1_show"}

// TestFeedSharesOneLoadPerChange: many watchers of one key get the first value at once and every new value
// with a growing version, at one load per change whatever their number.
func TestFeedSharesOneLoadPerChange(t *testing.T) {
	ch, c := newChanges(), &counter{}
	f := &watch.Feed[int64]{Changes: ch, Load: c.load}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var streams []<-chan msg
	for range 100 {
		out, _ := watchInto(ctx, f, show.ID, show)
		streams = append(streams, out)
	}
	for _, s := range streams {
		if m := next(t, s); m != (msg{0, 1}) {
			t.Fatalf("first message %+v, want value 0 version 1", m)
		}
	}
	waitUntil(t, "100 watchers", func() bool { return f.Stats().Watchers == 100 })
	c.value.Store(7)
	ch.change(show)
	for _, s := range streams {
		if m := next(t, s); m != (msg{7, 2}) {
			t.Fatalf("after a change %+v, want value 7 version 2", m)
		}
	}
	if n := c.n.Load(); n != 2 {
		t.Errorf("loads = %d for 100 watchers and one change, want 2", n)
	}
	if s := f.Stats(); s.Topics != 1 || ch.listening(show) != 1 {
		t.Errorf("stats %+v, listeners %d; want one topic and one listener", s, ch.listening(show))
	}
}

// TestFeedCoalescesBursts: changes that come while a load runs cost one more load, whose value is the latest.
func TestFeedCoalescesBursts(t *testing.T) {
	ch, c := newChanges(), &counter{gate: make(chan struct{})}
	f := &watch.Feed[int64]{Changes: ch, Load: c.load}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _ := watchInto(ctx, f, show.ID, show)
	c.gate <- struct{}{}
	next(t, out)
	ch.change(show) // starts a load, held at the gate
	waitUntil(t, "the second load", func() bool { return f.Stats().Loads == 2 })
	for range 50 {
		ch.change(show)
	}
	c.value.Store(9)
	c.gate <- struct{}{} // the second load
	c.gate <- struct{}{} // the one load the burst asked for
	for {
		if m := next(t, out); m.v == 9 {
			break
		}
	}
	if loads := f.Stats().Loads; loads != 3 {
		t.Errorf("loads = %d after a burst of 50 changes during a load, want 3", loads)
	}
}

// TestFeedSkipsSameValues: with Same, a change that loads an equal value sends nothing.
func TestFeedSkipsSameValues(t *testing.T) {
	ch, c := newChanges(), &counter{}
	f := &watch.Feed[int64]{Changes: ch, Load: c.load, Same: func(a, b int64) bool { return a == b }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _ := watchInto(ctx, f, show.ID, show)
	next(t, out)
	ch.change(show)
	waitUntil(t, "the second load", func() bool { return c.n.Load() == 2 })
	c.value.Store(3)
	ch.change(show)
	if m := next(t, out); m != (msg{3, 2}) {
		t.Errorf("message %+v, want value 3 version 2 (the unchanged value skipped)", m)
	}
}

// TestFeedHeartbeat: with nothing new, the last value is sent again with the same version.
func TestFeedHeartbeat(t *testing.T) {
	f := &watch.Feed[int64]{Changes: newChanges(), Load: (&counter{}).load, Heartbeat: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _ := watchInto(ctx, f, show.ID, show)
	for range 3 {
		if m := next(t, out); m != (msg{0, 1}) {
			t.Fatalf("message %+v, want the first value again", m)
		}
	}
}

// TestFeedEnds: a watcher whose client goes away stops listening; Done ends every watcher with nil.
func TestFeedEnds(t *testing.T) {
	ch := newChanges()
	f := &watch.Feed[int64]{Changes: ch, Load: (&counter{}).load}
	ctx, cancel := context.WithCancel(context.Background())
	out, res := watchInto(ctx, f, show.ID, show)
	next(t, out)
	cancel()
	if err := <-res; err != nil {
		t.Errorf("Watch after the client went away = %v, want nil", err)
	}
	if s := f.Stats(); s.Topics != 0 || ch.listening(show) != 0 {
		t.Errorf("after the last watcher left: %+v, %d listeners; want none", s, ch.listening(show))
	}
	out, res = watchInto(context.Background(), f, show.ID, show)
	next(t, out)
	close(ch.done)
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("Watch at shutdown = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not end at shutdown")
	}
}

// TestFeedLoadError: a failed first load is the watcher's error, and the next watcher loads afresh.
func TestFeedLoadError(t *testing.T) {
	ch := newChanges()
	missing := errs.Errorf("test", errs.NotFound, "showtime not found")
	fail := atomic.Bool{}
	fail.Store(true)
	f := &watch.Feed[int64]{Changes: ch, Load: func(context.Context, string) (int64, error) {
		if fail.Load() {
			return 0, missing
		}
		return 1, nil
	}}
	_, res := watchInto(context.Background(), f, show.ID, show)
	if err := <-res; !errors.Is(err, missing) || !errs.Is(err, errs.NotFound) {
		t.Fatalf("Watch = %v, want the load's NotFound", err)
	}
	waitUntil(t, "the failed topic dropped", func() bool { return f.Stats().Topics == 0 && ch.listening(show) == 0 })
	fail.Store(false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _ := watchInto(ctx, f, show.ID, show)
	if m := next(t, out); m != (msg{1, 1}) {
		t.Errorf("after a failed topic, message %+v, want value 1 version 1", m)
	}
}
