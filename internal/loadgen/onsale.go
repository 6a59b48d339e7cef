package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/inventory"
)

// SaleResults are the numbers of the on-sale phase: every client fetches the seat map, holds 1 to 4 available
// seats (side by side where it can) and books them, until the showtime is sold out. Like a person, a client
// buys at most inventory.DefaultMaxSeatsPerUser seats of the show, then only watches it sell out.
type SaleResults struct {
	Seats         int           // seats of the showtime
	SoldOut       bool          // the clients saw every seat booked
	SellOut       time.Duration // from the start until the last seat was booked, or until the phase stopped
	Bookings      int           // successful CreateBooking calls
	SeatsSold     int           // seats in those bookings, as the clients were told
	Conflicts     int           // HoldSeats answered failed_precondition: someone was faster
	BookingErrors int           // CreateBooking failed
	Errors        int           // GetSeatMap or HoldSeats failed otherwise
	FirstError    string        // the first unexpected error, if any
	Booking       Latency       // of every CreateBooking call
	Hold          Latency       // of every HoldSeats call
	SeatMap       Latency       // of every GetSeatMap call
	Stats         PhaseStats
}

// PerSecond returns bookings per second until the sell-out.
func (r SaleResults) PerSecond() float64 { return perSecond(r.Bookings, r.SellOut) }

// race tracks seats sold across clients and when the last one went.
type race struct {
	start  time.Time
	total  int64
	sold   atomic.Int64
	doneAt atomic.Int64 // nanoseconds after start; 0 until sold out
}

func (r *race) add(n int) {
	if r.sold.Add(int64(n)) >= r.total {
		r.doneAt.CompareAndSwap(0, int64(time.Since(r.start)))
	}
}

// saleClient is one client's tally in the on-sale phase.
type saleClient struct {
	id, token                        string
	bookings, seats                  int
	conflicts, bookingErrors, errors int
	soldOut                          bool
	firstErr                         error
	bookingLat, holdLat, mapLat      []time.Duration
	attempts                         int
}

// RunOnSale runs the on-sale phase until sold out or Options.OnSaleTimeout.
func (s *Stack) RunOnSale(ctx context.Context) (SaleResults, error) {
	phaseCtx, cancel := context.WithTimeout(ctx, s.opts.OnSaleTimeout)
	defer cancel()
	start := s.snapshot()
	r := &race{start: start.at, total: int64(s.opts.Seats())}
	clients := make([]saleClient, s.opts.Clients)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i].id, clients[i].token = fmt.Sprintf("%s:%d", s.runID, i), s.tokens[i]
		wg.Go(func() { clients[i].run(phaseCtx, s, r) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return SaleResults{}, err
	}
	res := mergeSale(clients)
	res.Seats, res.Stats = s.opts.Seats(), s.since(start)
	res.SellOut = res.Stats.Wall
	if d := r.doneAt.Load(); d > 0 {
		res.SellOut = time.Duration(d)
	}
	return res, nil
}

func mergeSale(clients []saleClient) SaleResults {
	res := SaleResults{SoldOut: len(clients) > 0}
	var booking, hold, seatMap [][]time.Duration
	for _, c := range clients {
		res.Bookings += c.bookings
		res.SeatsSold += c.seats
		res.Conflicts += c.conflicts
		res.BookingErrors += c.bookingErrors
		res.Errors += c.errors
		res.SoldOut = res.SoldOut && c.soldOut
		if c.firstErr != nil && res.FirstError == "" {
			res.FirstError = c.firstErr.Error()
		}
		booking, hold, seatMap = append(booking, c.bookingLat), append(hold, c.holdLat), append(seatMap, c.mapLat)
	}
	res.Booking, res.Hold, res.SeatMap = summarize(booking), summarize(hold), summarize(seatMap)
	return res
}

// run loops until the seat map shows every seat booked or ctx ends.
func (c *saleClient) run(ctx context.Context, s *Stack, r *race) {
	for ctx.Err() == nil {
		avail, booked, err := c.seatMap(ctx, s)
		switch {
		case err != nil:
			c.fail(ctx, &c.errors, err)
			sleepCtx(ctx, 10*time.Millisecond)
		case booked == s.opts.Seats():
			c.soldOut = true
			return
		case len(avail) == 0 || c.seats >= inventory.DefaultMaxSeatsPerUser:
			// the rest is held by others, who may yet release it, or this client has all it may buy
			sleepCtx(ctx, 5*time.Millisecond)
		default:
			c.tryBook(ctx, s, r, pickSeats(avail, min(1+rand.N(4), inventory.DefaultMaxSeatsPerUser-c.seats)))
		}
	}
}

// seatMap fetches the on-sale showtime's seats and returns the available ones and the number booked.
func (c *saleClient) seatMap(ctx context.Context, s *Stack) ([]*marqueev1.Seat, int, error) {
	t0 := time.Now()
	res, err := s.seatSvc.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: s.Sale.ID}))
	c.mapLat = append(c.mapLat, time.Since(t0))
	if err != nil {
		return nil, 0, fmt.Errorf("GetSeatMap: %w", err)
	}
	var avail []*marqueev1.Seat
	booked := 0
	for _, seat := range res.Msg.Seats {
		switch seat.Status {
		case marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE:
			avail = append(avail, seat)
		case marqueev1.SeatStatus_SEAT_STATUS_BOOKED:
			booked++
		}
	}
	return avail, booked, nil
}

// pickSeats picks up to n available seats side by side in one row around a random one. avail is in seat map
// order (row by row, left to right).
func pickSeats(avail []*marqueev1.Seat, n int) []string {
	lo := rand.N(len(avail))
	hi := lo + 1
	for hi-lo < n && hi < len(avail) && adjacent(avail[hi-1], avail[hi]) {
		hi++
	}
	for hi-lo < n && lo > 0 && adjacent(avail[lo-1], avail[lo]) {
		lo--
	}
	ids := make([]string, 0, hi-lo)
	for _, seat := range avail[lo:hi] {
		ids = append(ids, seat.Id)
	}
	return ids
}

func adjacent(a, b *marqueev1.Seat) bool { return a.Row == b.Row && b.Number == a.Number+1 }

// tryBook holds seatIDs and books the hold; a taken seat just sends the client back to the seat map.
func (c *saleClient) tryBook(ctx context.Context, s *Stack, r *race, seatIDs []string) {
	req := &marqueev1.HoldSeatsRequest{ShowtimeId: s.Sale.ID, SeatIds: seatIDs}
	t0 := time.Now()
	hold, err := s.seatSvc.HoldSeats(ctx, authed(c.token, req))
	c.holdLat = append(c.holdLat, time.Since(t0))
	switch {
	case connect.CodeOf(err) == connect.CodeFailedPrecondition:
		c.conflicts++
		return
	case err != nil:
		c.fail(ctx, &c.errors, fmt.Errorf("HoldSeats: %w", err))
		return
	}
	holdID := hold.Msg.GetHold().GetId()
	if err := c.book(ctx, s, holdID); err != nil {
		c.fail(ctx, &c.bookingErrors, err)
		// Give the seats back so the sale can finish; an expired or booked hold makes this fail harmlessly.
		_, _ = s.seatSvc.ReleaseHold(ctx, authed(c.token, &marqueev1.ReleaseHoldRequest{HoldId: holdID}))
		return
	}
	c.bookings++
	c.seats += len(seatIDs)
	r.add(len(seatIDs))
}

// book pays for a hold with the sandbox's always-good card and a fresh idempotency key.
func (c *saleClient) book(ctx context.Context, s *Stack, holdID string) error {
	c.attempts++
	req := &marqueev1.CreateBookingRequest{HoldId: holdID, PaymentToken: "tok_visa",
		IdempotencyKey: fmt.Sprintf("loadgen:%s:%d", c.id, c.attempts)}
	t0 := time.Now()
	_, err := s.bookings.CreateBooking(ctx, authed(c.token, req))
	c.bookingLat = append(c.bookingLat, time.Since(t0))
	if err != nil {
		return fmt.Errorf("CreateBooking: %w", err)
	}
	return nil
}

// fail counts err in *counter, unless the phase has ended, and keeps the first error.
func (c *saleClient) fail(ctx context.Context, counter *int, err error) {
	if ctx.Err() != nil {
		return
	}
	*counter++
	c.firstErr = cmpOr(c.firstErr, err)
}
