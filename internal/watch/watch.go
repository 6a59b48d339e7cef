// Package watch keeps long-lived watchers (server streams such as WatchSeatMap) up to date. When an event says
// that what a key names may have changed, a Feed loads the key's value once and hands that one value, with a
// version, to every watcher of the key: a hundred viewers of one showtime cost one load per change, not a
// hundred. A burst of changes while a load runs costs one more load, not one per change.
//
// The package knows no NATS and no database: Changes says when to look (events/hub implements it from the
// region's events), Load how.
package watch

import (
	"context"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// Key names what changes are about: a showtime of a region.
type Key struct{ Region, ID string }

// Changes says when something may have changed.
type Changes interface {
	// Listen calls changed whenever k may have changed, until stop is called; changed must not block. It also
	// calls it when changes may have been missed (NATS reconnected). An error means changes cannot be followed
	// now.
	Listen(k Key, changed func()) (stop func(), err error)
	// Done is closed once no more changes will come (the process is shutting down): watchers end then.
	Done() <-chan struct{}
}

// DefaultHeartbeat is how long a watcher goes without a message before the last one is sent again, so that
// proxies between the server and the client see traffic and keep the stream open.
const DefaultHeartbeat = 15 * time.Second

// Feed shares the value of each key among its watchers. Set Changes and Load before the first Watch; the
// other fields are optional.
type Feed[T any] struct {
	Changes Changes
	// Load reads the value of key. It runs in its own goroutine, once per change, whatever the watchers.
	Load func(ctx context.Context, key string) (T, error)
	// Same, when set, says whether a new value is the same as the last one; watchers are then not sent it.
	Same        func(a, b T) bool
	Heartbeat   time.Duration // default DefaultHeartbeat
	LoadTimeout time.Duration // default 10s

	mu     sync.Mutex
	topics map[string]*topic[T]
	loads  int64
}

// topic is a key with watchers: its latest value and the load that refreshes it. Fields are guarded by Feed.mu.
type topic[T any] struct {
	key      string
	stop     func()
	watchers map[chan struct{}]struct{} // each is signalled (without blocking) when snap changes
	loading  bool                       // a load runs
	dirty    bool                       // a change came while it ran: load again
	snap     snapshot[T]
}

// snapshot is a topic's latest value with its version (1 for the first), or the error that ended the topic.
type snapshot[T any] struct {
	value   T
	version uint64
	err     error
}

// Watch sends the current value of key at once, then a new one, with a greater version, after every change
// that Changes reports for on, until ctx is done or Changes is (then it returns nil). With nothing new for a
// Heartbeat, it sends the last value again with the same version. It returns the first error of Load (the
// watcher's first value included: a showtime that does not exist) or of send.
func (f *Feed[T]) Watch(ctx context.Context, key string, on Key, send func(v T, version uint64) error) error {
	const op = "watch.Watch"
	w := make(chan struct{}, 1)
	t, err := f.join(key, on, w)
	if err != nil {
		return errs.E(op, errs.Unavailable, "live updates are not available now; try again shortly", err)
	}
	defer f.leave(t, w)
	beat := time.NewTicker(f.heartbeat())
	defer beat.Stop()
	var last snapshot[T]
	for {
		select {
		case <-ctx.Done():
			return nil // the client went away
		case <-f.Changes.Done():
			return nil // the process is shutting down: the client watches again elsewhere
		case <-beat.C:
			if last.version == 0 {
				continue
			}
		case <-w:
			s := f.snapshot(t)
			if s.err != nil {
				return errs.E(op, s.err)
			}
			if s.version <= last.version {
				continue
			}
			last = s
		}
		if err := send(last.value, last.version); err != nil {
			return err
		}
		beat.Reset(f.heartbeat())
	}
}

// join adds watcher w to key's topic, starting the topic (listening to on, loading the value) if it is new.
// A topic that has a value signals w at once.
func (f *Feed[T]) join(key string, on Key, w chan struct{}) (*topic[T], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.topics[key]
	if t == nil {
		t = &topic[T]{key: key, watchers: map[chan struct{}]struct{}{}}
		stop, err := f.Changes.Listen(on, func() { f.changed(t) })
		if err != nil {
			return nil, err
		}
		t.stop = stop
		if f.topics == nil {
			f.topics = map[string]*topic[T]{}
		}
		f.topics[key] = t
		f.startLoad(t)
	}
	t.watchers[w] = struct{}{}
	if t.snap.version > 0 {
		signal(w)
	}
	return t, nil
}

// leave removes watcher w; the last watcher of a topic ends it.
func (f *Feed[T]) leave(t *topic[T], w chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(t.watchers, w)
	if len(t.watchers) == 0 {
		f.drop(t)
	}
}

// drop stops following t and forgets it, unless a newer topic of its key has replaced it. f.mu is held.
func (f *Feed[T]) drop(t *topic[T]) {
	if f.topics[t.key] == t {
		delete(f.topics, t.key)
		t.stop()
	}
}

// changed loads t's value again: now, or right after the load in progress (a burst costs one more load).
func (f *Feed[T]) changed(t *topic[T]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.loading {
		t.dirty = true
		return
	}
	f.startLoad(t)
}

// startLoad starts loading t. f.mu is held.
func (f *Feed[T]) startLoad(t *topic[T]) {
	t.loading, t.dirty = true, false
	f.loads++
	go f.load(t)
}

// load reads t's value, as many times as changes came in while it read, and publishes each new value to t's
// watchers. A failed load ends the topic: its watchers return the error, the next watcher starts afresh.
func (f *Feed[T]) load(t *topic[T]) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), f.loadTimeout())
		v, err := f.Load(ctx, t.key)
		cancel()
		f.mu.Lock()
		switch {
		case err != nil:
			t.snap.err = err
			f.drop(t)
			f.notify(t)
		case t.snap.version == 0 || f.Same == nil || !f.Same(t.snap.value, v):
			t.snap = snapshot[T]{value: v, version: t.snap.version + 1}
			f.notify(t)
		}
		again := t.dirty && err == nil
		if !again {
			t.loading = false
			f.mu.Unlock()
			return
		}
		t.dirty = false
		f.loads++
		f.mu.Unlock()
	}
}

// notify signals every watcher of t. f.mu is held.
func (f *Feed[T]) notify(t *topic[T]) {
	for w := range t.watchers {
		signal(w)
	}
}

func (f *Feed[T]) snapshot(t *topic[T]) snapshot[T] {
	f.mu.Lock()
	defer f.mu.Unlock()
	return t.snap
}

// signal wakes a watcher without blocking; a watcher already woken reads the latest snapshot anyway.
func signal(w chan struct{}) {
	select {
	case w <- struct{}{}:
	default:
	}
}

// Stats is what a Feed is doing.
type Stats struct {
	Topics, Watchers int   // keys watched now, and their watchers
	Loads            int64 // loads started since the Feed was made
}

// Stats returns the Feed's counts.
func (f *Feed[T]) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Stats{Topics: len(f.topics), Loads: f.loads}
	for _, t := range f.topics {
		s.Watchers += len(t.watchers)
	}
	return s
}

func (f *Feed[T]) heartbeat() time.Duration {
	if f.Heartbeat > 0 {
		return f.Heartbeat
	}
	return DefaultHeartbeat
}

func (f *Feed[T]) loadTimeout() time.Duration {
	if f.LoadTimeout > 0 {
		return f.LoadTimeout
	}
	return 10 * time.Second
}
