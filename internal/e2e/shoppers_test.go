package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/inventory"
)

// call is one call a shopper made through the edge.
type call struct {
	proc       string
	start, end time.Time
	region     string // that served it; "" when it failed
	err        error
}

// shopper is a client that holds and books seats of some showtimes through the edge until stopped, cancelling
// every third booking while its gate allows, and records every call. A write that fails for want of a region
// (unavailable, or internal while a region dies) is retried with the same idempotency key, as a client should.
type shopper struct {
	api   *api
	u     user
	shows []string
	rng   *rand.Rand
	gate  *cancelGate
	// think is how long the shopper pauses between purchases (none when zero): a person's pace, so that a
	// long test does not run into the per-person seat limits in its first seconds.
	think time.Duration

	mu        sync.Mutex
	calls     []call
	confirmed []string            // bookings the shopper was told are confirmed
	kept      map[string][]string // by showtime, the confirmed bookings it has not asked to cancel, oldest first
	cancelled []string            // of those, the ones it was told are cancelled
	// unanswered are writes the shopper gave up retrying during a fault, to be tried again (settle).
	unanswered []func() bool
}

// run shops until stop is set, finishing the booking in progress.
func (s *shopper) run(stop *atomic.Bool) {
	for i := 0; !stop.Load(); i++ {
		s.shop(i)
		if s.think > 0 {
			time.Sleep(s.think)
		}
	}
}

// settle tries again, with their own idempotency keys, the writes the shopper gave up on while a fault lasted,
// until each gets an answer, as a client coming back would; it reports whether all did within limit.
func (s *shopper) settle(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	s.mu.Lock()
	pending := s.unanswered
	s.unanswered = nil
	s.mu.Unlock()
	for _, retry := range pending {
		for !retry() {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return true
}

// shop holds the best two seats of a random showtime, books them and, every third time, cancels the booking.
// Where the shopper has booked as many seats as one person may have for one show, it cancels its oldest
// booking of that show instead, as a person changing seats would, so that a long run keeps buying.
func (s *shopper) shop(i int) {
	ctx := context.Background()
	show := s.shows[s.rng.IntN(len(s.shows))]
	s.mu.Lock()
	kept := s.kept[show]
	s.mu.Unlock()
	if 2*(len(kept)+1) > inventory.DefaultMaxSeatsPerUser {
		s.cancel(show, kept[0], fmt.Sprintf("cancel-%s-%d", s.u.id, i))
		return
	}
	best, err := timed(s, "BestAvailable", func() (*connect.Response[marqueev1.BestAvailableResponse], error) {
		return s.api.seats.BestAvailable(ctx, as("", &marqueev1.BestAvailableRequest{ShowtimeId: show, Count: 2}))
	})
	if err != nil || len(best.Msg.SeatIds) == 0 {
		return
	}
	hold, err := timed(s, "HoldSeats", func() (*connect.Response[marqueev1.HoldSeatsResponse], error) {
		return s.api.seats.HoldSeats(ctx, as(s.u.token, &marqueev1.HoldSeatsRequest{ShowtimeId: show, SeatIds: best.Msg.SeatIds}))
	})
	if err != nil {
		return // taken meanwhile, or no region answered
	}
	key := fmt.Sprintf("book-%s-%d", s.u.id, i)
	book := func() (*connect.Response[marqueev1.CreateBookingResponse], error) {
		return s.api.bookings.CreateBooking(ctx, as(s.u.token, &marqueev1.CreateBookingRequest{HoldId: hold.Msg.Hold.Id,
			PaymentToken: "tok_visa", IdempotencyKey: key}))
	}
	confirmed := func(id string) {
		s.mu.Lock()
		s.confirmed = append(s.confirmed, id)
		if s.kept == nil {
			s.kept = map[string][]string{}
		}
		s.kept[show] = append(s.kept[show], id)
		s.mu.Unlock()
	}
	b, err := retried(s, "CreateBooking", book)
	if err != nil {
		s.later(err, func() bool {
			b, err := timed(s, "CreateBooking", book)
			if err == nil {
				confirmed(b.Msg.Booking.Id)
			}
			return !retryable(err)
		})
		return
	}
	confirmed(b.Msg.Booking.Id)
	if i%3 == 2 {
		s.cancel(show, b.Msg.Booking.Id, "cancel-"+key)
	}
}

// cancel cancels the shopper's booking id of show, under key, while the gate allows.
func (s *shopper) cancel(show, id, key string) {
	if !s.gate.enter() {
		return
	}
	defer s.gate.leave()
	cancel := func() (*connect.Response[marqueev1.CancelBookingResponse], error) {
		return s.api.bookings.CancelBooking(context.Background(), as(s.u.token,
			&marqueev1.CancelBookingRequest{BookingId: id, IdempotencyKey: key}))
	}
	s.mu.Lock()
	if k, ok := s.kept[show]; ok {
		s.kept[show] = slices.DeleteFunc(k, func(b string) bool { return b == id })
	}
	s.mu.Unlock()
	cancelled := func() {
		s.mu.Lock()
		s.cancelled = append(s.cancelled, id)
		s.mu.Unlock()
	}
	_, err := retried(s, "CancelBooking", cancel)
	if err == nil {
		cancelled()
		return
	}
	s.later(err, func() bool {
		_, err := timed(s, "CancelBooking", cancel)
		if err == nil {
			cancelled()
		}
		return !retryable(err)
	})
}

// later keeps retry for settle when err says the write may still have an answer to come.
func (s *shopper) later(err error, retry func() bool) {
	if !retryable(err) {
		return
	}
	s.mu.Lock()
	s.unanswered = append(s.unanswered, retry)
	s.mu.Unlock()
}

// cancelGate lets shoppers cancel until it is closed. Closing it waits for the cancellations under way.
type cancelGate struct {
	mu     sync.RWMutex
	closed bool
}

// enter reports whether a cancellation may start; if so, leave must follow when it is done.
func (g *cancelGate) enter() bool {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return false
	}
	return true
}

func (g *cancelGate) leave() { g.mu.RUnlock() }

// close stops new cancellations and returns once those under way have finished.
func (g *cancelGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// timed makes one call and records it.
func timed[T any](s *shopper, proc string, f func() (*connect.Response[T], error)) (*connect.Response[T], error) {
	c := call{proc: proc, start: time.Now()}
	res, err := f()
	c.end, c.err = time.Now(), err
	if err == nil {
		c.region = servedBy(res)
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	return res, err
}

// retried makes a write until it gets an answer that is not about a region being away, for up to 15 s.
func retried[T any](s *shopper, proc string, f func() (*connect.Response[T], error)) (*connect.Response[T], error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := timed(s, proc, f)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(50 * time.Millisecond) // a client's pause before retrying
	}
}

// retryable reports whether a write's error says to try again with the same key: no region answered, the
// region died while serving it, or the first attempt is still being processed.
func retryable(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeInternal, connect.CodeUnknown, connect.CodeDeadlineExceeded, connect.CodeAborted:
		return true
	case connect.CodeFailedPrecondition:
		return strings.Contains(err.Error(), "still being processed")
	}
	return false
}

// record returns copies of what the shopper did.
func (s *shopper) record() (calls []call, confirmed, cancelled []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...), append([]string(nil), s.confirmed...), append([]string(nil), s.cancelled...)
}
