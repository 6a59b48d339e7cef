package rpc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/inventory"
)

// holdOn holds seats of showtimeID for u.
func (e *env) holdOn(u user, showtimeID string, seats ...string) (*marqueev1.Hold, error) {
	res, err := e.seats.HoldSeats(context.Background(), as(u, &marqueev1.HoldSeatsRequest{
		ShowtimeId: showtimeID, SeatIds: seats}))
	if err != nil {
		return nil, err
	}
	return res.Msg.Hold, nil
}

// showtimes adds n showtimes to the fixture's screen, an hour apart.
func (e *env) showtimes(t *testing.T, n int) []string {
	t.Helper()
	ids := []string{e.fix.Showtime.ID}
	for i := 1; i < n; i++ {
		st, err := e.fix.AddShowtime(context.Background(), e.db.Catalog(), e.db.IDs, t0.Add(time.Duration(24+3*i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.ID)
	}
	return ids
}

// liveHeld counts the seats u holds now across every showtime, from the database.
func (e *env) liveHeld(t *testing.T, u user) int {
	return e.count(t, `SELECT count(*) FROM showtime_seats WHERE status = 'held' AND held_by = $1 AND held_until > $2`,
		u.id, e.clock.Now())
}

// TestPerShowLimitCountsBookedSeats: the 10-seat limit for one show counts the seats a person booked, so
// neither a new hold nor AddSeats takes them past it; a cancellation gives the room back. A refusal holds
// nothing.
func TestPerShowLimitCountsBookedSeats(t *testing.T) {
	e := newEnv(t)
	ana := e.mustRegister(t)
	b := e.mustBook(t, ana, e.mustHold(t, ana, "A1", "A2", "A3").Id, "hoard-book-01")
	_, err := e.addSeats(ana, &marqueev1.AddSeatsRequest{BookingId: b.Id, Count: 8, PaymentToken: "tok_visa",
		IdempotencyKey: "hoard-add-01"})
	wantCode(t, err, connect.CodeResourceExhausted)
	_, err = e.holdOn(ana, e.fix.Showtime.ID, "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8")
	if ce := wantCode(t, err, connect.CodeResourceExhausted); ce.Message() !=
		"You can have at most 10 seats for one show; you have booked 3 and hold 0, so you can add up to 7 more" {
		t.Errorf("message = %q", ce.Message())
	}
	if n := e.liveHeld(t, ana); n != 0 {
		t.Fatalf("refusals left %d seats held", n)
	}
	h := e.mustHold(t, ana, "B1", "B2", "B3", "B4", "B5", "B6", "B7")
	if _, err := e.seats.ReleaseHold(context.Background(), as(ana, &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bookings.CancelBooking(context.Background(), as(ana, &marqueev1.CancelBookingRequest{BookingId: b.Id,
		IdempotencyKey: "hoard-cancel-01", SeatIds: []string{"A3"}})); err != nil {
		t.Fatal(err)
	}
	e.mustHold(t, ana, "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8") // 2 booked + 8
	if n := e.count(t, `SELECT booked FROM hold_quotas WHERE user_id = $1 AND showtime_id = $2`, ana.id, e.fix.Showtime.ID); n != 2 {
		t.Errorf("hold_quotas.booked = %d, want 2", n)
	}
}

// TestPersonLimitsAcrossShowtimes: a person's live holds across the region's showtimes are capped in number
// and in seats; another person is not affected.
func TestPersonLimitsAcrossShowtimes(t *testing.T) {
	e := newEnv(t)
	sts := e.showtimes(t, inventory.DefaultMaxHolds+1)
	ana, ben := e.mustRegister(t), e.mustRegister(t)
	for _, st := range sts[:inventory.DefaultMaxHolds] {
		if _, err := e.holdOn(ana, st, "A1"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.holdOn(ana, sts[inventory.DefaultMaxHolds], "A1")
	wantCode(t, err, connect.CodeResourceExhausted)
	if n := e.liveHeld(t, ana); n != inventory.DefaultMaxHolds {
		t.Fatalf("ana holds %d seats, want %d", n, inventory.DefaultMaxHolds)
	}
	row := func(r string) []string {
		s := make([]string, 10)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d", r, i+1)
		}
		return s
	}
	if _, err := e.holdOn(ben, sts[0], row("C")...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.holdOn(ben, sts[1], row("C")...); err != nil {
		t.Fatal(err)
	}
	_, err = e.holdOn(ben, sts[2], "D1")
	if ce := wantCode(t, err, connect.CodeResourceExhausted); ce.Message() !=
		"You can hold at most 20 seats at once across all shows; you hold 20" {
		t.Errorf("message = %q", ce.Message())
	}
	e.clock.Advance(9 * time.Minute) // every hold has expired: the limits count live holds only
	if _, err := e.holdOn(ben, sts[2], "D1"); err != nil {
		t.Fatalf("after the holds expired: %v", err)
	}
}

// TestPersonLimitUnderConcurrentHolds: one person holding on many showtimes at once never ends with more
// than the limits allow in the database.
func TestPersonLimitUnderConcurrentHolds(t *testing.T) {
	e := newEnv(t)
	sts := e.showtimes(t, 8)
	ana := e.mustRegister(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for _, st := range sts {
		wg.Go(func() {
			if _, err := e.holdOn(ana, st, "A1", "A2", "A3", "A4"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if connect.CodeOf(err) != connect.CodeResourceExhausted {
				t.Errorf("hold on %s: %v", st, err)
			}
		})
	}
	wg.Wait()
	held := e.liveHeld(t, ana)
	if ok != inventory.DefaultMaxHeldSeats/4 || held != 4*ok {
		t.Fatalf("%d holds succeeded and %d seats are held; want %d holds of 4 seats", ok, held, inventory.DefaultMaxHeldSeats/4)
	}
}
