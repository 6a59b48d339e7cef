// Package hub follows the events of regions on NATS for a process's live watchers (internal/watch): one core
// NATS subscription per region's subjects, "marquee.<region>.>", shared by every watcher in the process, whose
// events it fans out by the showtime they are about. Core NATS interest crosses the supercluster's gateways, so
// a process serving another region's showtime (a failover) gets that region's events wherever they were
// published. Events are news, not records: a message lost while NATS was away is made up for by telling every
// watcher to look again once NATS is back.
package hub

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/watch"
)

// Hub fans a process's region subscriptions out to its watchers. It is safe for concurrent use.
type Hub struct {
	nc   *nats.Conn
	log  *slog.Logger
	done chan struct{}

	mu        sync.Mutex
	closed    bool
	subs      map[string]*nats.Subscription // by region
	listeners map[watch.Key]map[*listener]struct{}
}

type listener struct{ changed func() }

var _ watch.Changes = (*Hub)(nil)

// ErrClosed is Listen's error once the hub is closed.
var ErrClosed = errors.New("hub: closed")

// New returns a hub on nc. It takes over nc's reconnect handler (calling the one set before it first), to tell
// every watcher to look again when NATS comes back.
func New(nc *nats.Conn, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Hub{nc: nc, log: log, done: make(chan struct{}), subs: map[string]*nats.Subscription{},
		listeners: map[watch.Key]map[*listener]struct{}{}}
	prev := nc.Opts.ReconnectedCB
	nc.SetReconnectHandler(func(c *nats.Conn) {
		if prev != nil {
			prev(c)
		}
		h.all()
	})
	return h
}

// Listen calls changed whenever an event of k's region names k's showtime, and after NATS reconnects, until
// stop is called. The region's subscription is made by its first listener and kept until Close.
func (h *Hub) Listen(k watch.Key, changed func()) (stop func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if err := h.subscribe(k.Region); err != nil {
		return nil, err
	}
	l := &listener{changed: changed}
	if h.listeners[k] == nil {
		h.listeners[k] = map[*listener]struct{}{}
	}
	h.listeners[k][l] = struct{}{}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.listeners[k], l)
		if len(h.listeners[k]) == 0 {
			delete(h.listeners, k)
		}
	}, nil
}

// subscribe makes region's subscription unless it exists, and waits (briefly) until the server has it, so
// that a load made after Listen returns misses no event. h.mu is held.
func (h *Hub) subscribe(region string) error {
	if h.subs[region] != nil {
		return nil
	}
	sub, err := h.nc.Subscribe(events.RegionSubjects(region), h.dispatch)
	if err != nil {
		return err
	}
	h.subs[region] = sub
	if err := h.nc.FlushTimeout(2 * time.Second); err != nil {
		// NATS is away: the subscription is made when it comes back, and the reconnect tells every watcher.
		h.log.Warn("hub: NATS did not confirm the subscription", "region", region, "err", err)
	}
	return nil
}

// dispatch tells the listeners of the showtime an event is about.
func (h *Hub) dispatch(m *nats.Msg) {
	region, kind, ok := events.Parse(m.Subject)
	if !ok {
		return
	}
	id, ok := events.ShowtimeOf(kind, m.Data)
	if !ok {
		return
	}
	h.tell(&watch.Key{Region: region, ID: id})
}

// all tells every listener: events may have been missed.
func (h *Hub) all() { h.tell(nil) }

// tell calls the listeners of k, or of every key when k is nil, outside the lock.
func (h *Hub) tell(k *watch.Key) {
	h.mu.Lock()
	var calls []func()
	add := func(ls map[*listener]struct{}) {
		for l := range ls {
			calls = append(calls, l.changed)
		}
	}
	if k != nil {
		add(h.listeners[*k])
	} else {
		for _, ls := range h.listeners {
			add(ls)
		}
	}
	h.mu.Unlock()
	for _, c := range calls {
		c()
	}
}

// Done is closed by Close.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Listening returns how many listeners the hub has, and how many region subscriptions.
func (h *Hub) Listening() (listeners, subscriptions int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ls := range h.listeners {
		listeners += len(ls)
	}
	return listeners, len(h.subs)
}

// Close ends the subscriptions and closes Done, so that every watcher ends (a process shutting down closes the
// hub before its HTTP server, whose shutdown would otherwise wait for the streams). Closing a nil or closed hub
// does nothing.
func (h *Hub) Close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for _, s := range h.subs {
		_ = s.Unsubscribe()
	}
	h.subs, h.listeners = nil, nil
}
