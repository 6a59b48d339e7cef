package rpc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

func TestGetSeatMap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: e.fix.Showtime.ID}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Msg.Seats) != 60 {
		t.Fatalf("seats = %d, want 60", len(res.Msg.Seats))
	}
	byType := map[marqueev1.SeatType]int{}
	for _, s := range res.Msg.Seats {
		byType[s.Type]++
		if s.Status != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			t.Fatalf("seat %s status %v, want available", s.Id, s.Status)
		}
		want := int64(1200)
		if s.Type == marqueev1.SeatType_SEAT_TYPE_PREMIUM {
			want = 1800
		}
		if s.Price.AmountMinor != want || s.Price.CurrencyCode != "USD" {
			t.Fatalf("seat %s (%v) price %v, want %d USD", s.Id, s.Type, s.Price, want)
		}
	}
	if byType[marqueev1.SeatType_SEAT_TYPE_PREMIUM] != 20 || byType[marqueev1.SeatType_SEAT_TYPE_ACCESSIBLE] != 1 ||
		byType[marqueev1.SeatType_SEAT_TYPE_COMPANION] != 1 {
		t.Fatalf("seat types = %v", byType)
	}
	for name, id := range map[string]string{"ErrUnknownShowtime": "use1_01KT1GW6G04QMPWGYPR8KADH95", "ErrNoRegion": "bogus"} {
		t.Run(name, func(t *testing.T) {
			_, err := e.seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: id}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := e.seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{}))
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}

func TestHoldSeats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	h := e.mustHold(t, alice, "C3", "C4")
	if !h.ExpiresAt.AsTime().Equal(t0.Add(8*time.Minute)) || strings.Join(h.SeatIds, ",") != "C3,C4" {
		t.Fatalf("hold = %v, want C3,C4 until %v", h, t0.Add(8*time.Minute))
	}
	if st := e.seatStatus(t); st["C3"] != marqueev1.SeatStatus_SEAT_STATUS_HELD || st["C5"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("statuses after hold: C3=%v C5=%v", st["C3"], st["C5"])
	}
	hold := func(u user, seats ...string) error {
		_, err := e.seats.HoldSeats(ctx, as(u, &marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: seats}))
		return err
	}
	t.Run("ErrSeatTakenChangesNothing", func(t *testing.T) {
		ce := wantCode(t, hold(bob, "C4", "C5"), connect.CodeFailedPrecondition)
		if !strings.Contains(ce.Message(), "C4") || strings.Contains(ce.Message(), "C5") {
			t.Fatalf("message %q should name C4 only", ce.Message())
		}
		if st := e.seatStatus(t); st["C5"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			t.Fatalf("C5 = %v after a failed hold, want available", st["C5"])
		}
	})
	t.Run("ErrUnknownSeat", func(t *testing.T) {
		ce := wantCode(t, hold(bob, "Z99"), connect.CodeInvalidArgument)
		if !strings.Contains(ce.Message(), "Z99") {
			t.Fatalf("message %q should name Z99", ce.Message())
		}
	})
	t.Run("ErrLimit", func(t *testing.T) {
		if err := hold(bob, "A1", "A2", "A3", "A4", "A5", "A6"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, hold(bob, "B1", "B2", "B3", "B4", "B5"), connect.CodeResourceExhausted)
		if err := hold(bob, "B1", "B2", "B3", "B4"); err != nil {
			t.Fatalf("holding up to the limit: %v", err)
		}
	})
	for name, req := range map[string]*marqueev1.HoldSeatsRequest{
		"ErrNoSeats":      {ShowtimeId: e.fix.Showtime.ID},
		"ErrDuplicate":    {ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"D1", "D1"}},
		"ErrBadSeatID":    {ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"d1; drop table"}},
		"ErrTooMany":      {ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "E1"}},
		"ErrNoShowtimeID": {SeatIds: []string{"D1"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.seats.HoldSeats(ctx, as(bob, req))
			wantCode(t, err, connect.CodeInvalidArgument)
		})
	}
	t.Run("ErrUnknownShowtime", func(t *testing.T) {
		_, err := e.seats.HoldSeats(ctx, as(bob, &marqueev1.HoldSeatsRequest{ShowtimeId: "use1_01KT1GW6G04QMPWGYPR8KADH95", SeatIds: []string{"D1"}}))
		wantCode(t, err, connect.CodeNotFound)
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		_, err := e.seats.HoldSeats(ctx, connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"D1"}}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
	if n := e.count(t, `SELECT count(*) FROM showtime_seats WHERE status = 'held'`); n != 12 {
		t.Fatalf("held seats = %d, want 12 (2 + 6 + 4)", n)
	}
}

func TestExpiredHoldShowsAvailable(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	e.mustHold(t, alice, "F1", "F2")
	e.clock.Advance(8*time.Minute + time.Second)
	if st := e.seatStatus(t); st["F1"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("F1 after expiry = %v, want available", st["F1"])
	}
	e.mustHold(t, bob, "F2", "F3")
	if st := e.seatStatus(t); st["F2"] != marqueev1.SeatStatus_SEAT_STATUS_HELD || st["F1"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("after bob's hold: F1=%v F2=%v", st["F1"], st["F2"])
	}
}

func TestHoldAfterShowStarts(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(24 * time.Hour)
	u := e.mustRegister(t)
	_, err := e.seats.HoldSeats(context.Background(), as(u, &marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"A1"}}))
	wantCode(t, err, connect.CodeFailedPrecondition)
}

func TestReleaseHold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	h := e.mustHold(t, alice, "B1", "B2")
	release := func(u user, id string) error {
		_, err := e.seats.ReleaseHold(ctx, as(u, &marqueev1.ReleaseHoldRequest{HoldId: id}))
		return err
	}
	t.Run("ErrNotHolder", func(t *testing.T) {
		wantCode(t, release(bob, h.Id), connect.CodeNotFound)
		if st := e.seatStatus(t); st["B1"] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
			t.Fatalf("B1 = %v after a foreign release, want held", st["B1"])
		}
	})
	if err := release(alice, h.Id); err != nil {
		t.Fatal(err)
	}
	if st := e.seatStatus(t); st["B1"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE || st["B2"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("after release: B1=%v B2=%v", st["B1"], st["B2"])
	}
	t.Run("ErrTwice", func(t *testing.T) { wantCode(t, release(alice, h.Id), connect.CodeFailedPrecondition) })
	t.Run("ErrUnknown", func(t *testing.T) {
		wantCode(t, release(alice, "use1_01KT1GW6G04QMPWGYPR8KADH95"), connect.CodeNotFound)
	})
	t.Run("ErrEmpty", func(t *testing.T) { wantCode(t, release(alice, ""), connect.CodeInvalidArgument) })
	t.Run("BookedHoldCannotBeReleased", func(t *testing.T) {
		h2 := e.mustHold(t, alice, "B3")
		e.mustBook(t, alice, h2.Id, "release-test-1")
		wantCode(t, release(alice, h2.Id), connect.CodeFailedPrecondition)
		if st := e.seatStatus(t); st["B3"] != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
			t.Fatalf("B3 = %v, want booked", st["B3"])
		}
	})
}

// TestLimitCountsOnlyLiveHolds checks that released and expired holds stop counting against the per-person
// limit for a show, and that booked seats keep counting (a booking cannot be grown past the limit hold by hold).
func TestLimitCountsOnlyLiveHolds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustRegister(t)
	hold := func(seats ...string) error {
		_, err := e.seats.HoldSeats(ctx, as(u, &marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: seats}))
		return err
	}
	h := e.mustHold(t, u, "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")
	wantCode(t, hold("B3", "B4", "B5"), connect.CodeResourceExhausted)
	if _, err := e.seats.ReleaseHold(ctx, as(u, &marqueev1.ReleaseHoldRequest{HoldId: h.Id})); err != nil {
		t.Fatal(err)
	}
	b := e.mustHold(t, u, "C1", "C2", "C3", "C4", "C5", "C6")
	e.mustBook(t, u, b.Id, "limit-book-1")
	e.mustHold(t, u, "D1", "D2", "D3") // 6 booked + 3 held
	wantCode(t, hold("E1", "E2"), connect.CodeResourceExhausted)
	e.clock.Advance(9 * time.Minute) // the D hold expires; the 6 booked seats still count
	if err := hold("E1", "E2", "E3", "E4"); err != nil {
		t.Fatalf("after the D hold expired, 4 more seats beside 6 booked: %v", err)
	}
	wantCode(t, hold("F1"), connect.CodeResourceExhausted)
}

// TestHoldRefusesSeatsBeingChanged: a seat whose row another transaction is changing right now (here, a
// transaction that locked it and has not committed) is answered as taken at once, not waited for, and the
// refused hold leaves nothing behind; once that transaction ends, the seat can be held.
func TestHoldRefusesSeatsBeingChanged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM showtime_seats WHERE region = $1 AND showtime_id = $2 AND seat_id = 'C1'
		FOR UPDATE`, e.fix.Showtime.Region, e.fix.Showtime.ID); err != nil {
		t.Fatal(err)
	}
	u := e.mustRegister(t)
	start := time.Now()
	_, err = e.seats.HoldSeats(ctx, as(u, &marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"C1", "C2"}}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("holding a seat being changed: %v, want failed_precondition (taken)", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the refusal took %v: it waited for the other transaction", took)
	}
	if n := e.count(t, `SELECT count(*) FROM holds WHERE user_id = $1`, u.id); n != 0 {
		t.Errorf("%d holds stored for the refused hold", n)
	}
	if n := e.count(t, `SELECT count(*) FROM showtime_seats WHERE showtime_id = $1 AND status <> 'available'`, e.fix.Showtime.ID); n != 0 {
		t.Errorf("%d seats not available after the refused hold", n)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	e.mustHold(t, u, "C1", "C2")
}
