package rpc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

func (e *env) addSeats(u user, r *marqueev1.AddSeatsRequest) (*marqueev1.AddSeatsResponse, error) {
	res, err := e.bookings.AddSeats(context.Background(), as(u, r))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

// activeHolds counts u's holds that still hold seats.
func (e *env) activeHolds(t *testing.T, u user) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM showtime_seats WHERE status = 'held' AND held_by = $1`, u.id)
}

func TestAddSeatsBySeatIDs(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "A1", "A2").Id, "add-book-01")
	e.clock.Advance(time.Minute)
	req := &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"A3"}, PaymentToken: "tok_visa",
		IdempotencyKey: "add-seats-01"}
	res, err := e.addSeats(alice, req)
	if err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(b).(*marqueev1.Booking)
	want.SeatIds = []string{"A1", "A2", "A3"}
	want.Total.AmountMinor = 3600
	want.Tenders = []*marqueev1.Tender{{Method: tenderCard, Amount: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 3600}}}
	if diff := cmp.Diff(want, res.Booking, protocmp.Transform()); diff != "" {
		t.Errorf("booking mismatch (-want +got):\n%s", diff)
	}
	if res.Charged.AmountMinor != 1200 {
		t.Errorf("charged = %d, want 1200", res.Charged.AmountMinor)
	}
	if charges, _ := e.sandbox.Counts(); charges != 2 {
		t.Errorf("sandbox charges = %d, want 2", charges)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1 AND kind = 'charge' AND status = 'succeeded'
		AND amount_minor = 1200`, b.Id); n != 1 {
		t.Errorf("charges of 1200 = %d, want 1", n)
	}
	if st := e.seatStatus(t)["A3"]; st != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
		t.Errorf("A3 = %v, want booked", st)
	}
	e.checkModified(t, b.Id, []string{"A3"}, 1200)
	t.Run("OKRetrySameKey", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		again, err := e.addSeats(alice, req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res, again, protocmp.Transform()); diff != "" {
			t.Errorf("retry mismatch (-want +got):\n%s", diff)
		}
		if charges, _ := e.sandbox.Counts(); charges != 2 {
			t.Errorf("sandbox charges = %d, want 2", charges)
		}
		if n := e.count(t, `SELECT count(*) FROM outbox WHERE event_type = 'marquee.v1.BookingModified'`); n != 1 {
			t.Errorf("BookingModified rows = %d, want 1", n)
		}
	})
	t.Run("ErrKeyReusedForOtherSeats", func(t *testing.T) {
		_, err := e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"A4"},
			PaymentToken: "tok_visa", IdempotencyKey: "add-seats-01"})
		wantCode(t, err, connect.CodeFailedPrecondition)
		if st := e.seatStatus(t)["A4"]; st != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			t.Errorf("A4 = %v, want available", st)
		}
	})
}

// checkModified checks the one BookingModified outbox row of a booking: its subject, time, seats and amount.
func (e *env) checkModified(t *testing.T, bookingID string, seats []string, charged int64) {
	t.Helper()
	var subject string
	var at time.Time
	var payload []byte
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT subject, created_at, payload FROM outbox
		WHERE aggregate_id = $1 AND event_type = 'marquee.v1.BookingModified'`, bookingID).Scan(&subject, &at, &payload); err != nil {
		t.Fatalf("BookingModified outbox row: %v", err)
	}
	var ev marqueev1.BookingModified
	if err := proto.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	type modified struct {
		Subject    string
		At, EvAt   time.Time
		Seats      []string
		Charged    int64
		BookingID  string
		ShowtimeID string
	}
	want := modified{"marquee.us-east1.booking.modified", e.clock.Now(), e.clock.Now(), seats, charged, bookingID, e.fix.Showtime.ID}
	got := modified{subject, at.UTC(), ev.ModifiedAt.AsTime(), ev.AddedSeatIds, ev.Charged.GetAmountMinor(), ev.BookingId, ev.ShowtimeId}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BookingModified mismatch (-want +got):\n%s", diff)
	}
}

func TestAddSeatsByCount(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	for _, tc := range []struct {
		name          string
		booked, taken []string
		count         int32
		want          []string
	}{
		// C2 is next to C3; C5 is next to C4 but C6 is across the aisle, so two seats together fit only on the left.
		{"OKTwoOnTheLeft", []string{"C3", "C4"}, nil, 2, []string{"C1", "C2", "C3", "C4"}},
		{"OKOneOnTheRightWhenTheLeftIsTaken", []string{"F3", "F4"}, []string{"F1", "F2"}, 1, []string{"F3", "F4", "F5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.taken != nil {
				e.mustHold(t, bob, tc.taken...)
			}
			b := e.mustBook(t, alice, e.mustHold(t, alice, tc.booked...).Id, "count-book-"+tc.name)
			res, err := e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, Count: tc.count,
				PaymentToken: "tok_visa", IdempotencyKey: "count-add-" + tc.name})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Booking.SeatIds); diff != "" {
				t.Errorf("seats mismatch (-want +got):\n%s", diff)
			}
			if res.Charged.AmountMinor != 1200*int64(tc.count) {
				t.Errorf("charged = %d, want %d", res.Charged.AmountMinor, 1200*tc.count)
			}
		})
	}
}

func TestAddSeatsErrors(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "F1", "F2").Id, "adderr-book-01")
	gone := e.mustBook(t, alice, e.mustHold(t, alice, "A1").Id, "adderr-book-02")
	e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: gone.Id, IdempotencyKey: "adderr-cancel-01"})
	e.mustHold(t, bob, "F9")
	charges, _ := e.sandbox.Counts()
	for _, tc := range []struct {
		name string
		u    user
		req  *marqueev1.AddSeatsRequest
		want connect.Code
	}{
		{"ErrOtherUsersBooking", bob, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"F5"}}, connect.CodeNotFound},
		{"ErrSeatsAndCount", alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"F5"}, Count: 1}, connect.CodeInvalidArgument},
		{"ErrNeitherSeatsNorCount", alice, &marqueev1.AddSeatsRequest{BookingId: b.Id}, connect.CodeInvalidArgument},
		{"ErrSeatTaken", alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"F8", "F9"}}, connect.CodeFailedPrecondition},
		{"ErrDeclined", alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"F7"}, PaymentToken: "tok_chargeDeclined"}, connect.CodeFailedPrecondition},
		{"ErrNoToken", alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"F7"}, PaymentToken: "-"}, connect.CodeFailedPrecondition},
		{"ErrCancelledBooking", alice, &marqueev1.AddSeatsRequest{BookingId: gone.Id, SeatIds: []string{"A1"}}, connect.CodeFailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.IdempotencyKey = "adderr-" + tc.name
			switch tc.req.PaymentToken {
			case "":
				tc.req.PaymentToken = "tok_visa"
			case "-":
				tc.req.PaymentToken = ""
			}
			_, err := e.addSeats(tc.u, tc.req)
			wantCode(t, err, tc.want)
			if got, _ := e.sandbox.Counts(); got != charges {
				t.Errorf("sandbox charges = %d, want %d", got, charges)
			}
			if n := e.activeHolds(t, alice); n != 0 {
				t.Errorf("alice still holds %d seats, want 0: a failed AddSeats releases what it held", n)
			}
			st := e.seatStatus(t)
			for _, id := range []string{"F5", "F7", "F8", "A1"} {
				if st[id] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
					t.Errorf("%s = %v, want available", id, st[id])
				}
			}
			got, err := e.bookings.GetBooking(context.Background(), as(alice, &marqueev1.GetBookingRequest{BookingId: b.Id}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(b, got.Msg.Booking, protocmp.Transform()); diff != "" {
				t.Errorf("booking changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAddSeatsRace races AddSeats against another user's HoldSeats for the same seat, round after round: the
// seat goes to exactly one of them, as the database records it.
func TestAddSeatsRace(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "A1").Id, "race-book-01")
	won := 0
	for round := range 20 {
		seat := fmt.Sprintf("%c%d", "CF"[round/10], round%10+1) // standard rows: every seat costs 1200
		bob := e.mustRegister(t)
		var addErr, holdErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			_, addErr = e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{seat},
				PaymentToken: "tok_visa", IdempotencyKey: fmt.Sprintf("race-add-%02d", round)})
		})
		wg.Go(func() {
			_, holdErr = e.seats.HoldSeats(context.Background(), as(bob, &marqueev1.HoldSeatsRequest{
				ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{seat}}))
		})
		wg.Wait()
		var status, bookingID, heldBy string
		if err := e.db.Pool.QueryRow(context.Background(), `SELECT status, coalesce(booking_id, ''), coalesce(held_by, '')
			FROM showtime_seats WHERE showtime_id = $1 AND seat_id = $2`, e.fix.Showtime.ID, seat).Scan(&status, &bookingID, &heldBy); err != nil {
			t.Fatal(err)
		}
		sold := e.count(t, `SELECT count(*) FROM booking_seats WHERE showtime_id = $1 AND seat_id = $2 AND status = 'confirmed'`,
			e.fix.Showtime.ID, seat)
		aliceWon := addErr == nil && status == "booked" && bookingID == b.Id && sold == 1
		bobWon := holdErr == nil && status == "held" && heldBy == bob.id && sold == 0
		if aliceWon == bobWon || (addErr == nil) == (holdErr == nil) {
			t.Fatalf("round %d (%s): AddSeats err %v, HoldSeats err %v; seat %s booking %q held by %q (bob %s), sold %d; want exactly one winner",
				round, seat, addErr, holdErr, status, bookingID, heldBy, bob.id, sold)
		}
		if aliceWon {
			won++
		}
	}
	t.Logf("AddSeats won %d of 20 rounds", won)
	got, err := e.bookings.GetBooking(context.Background(), as(alice, &marqueev1.GetBookingRequest{BookingId: b.Id}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Msg.Booking.SeatIds) != 1+won || got.Msg.Booking.Total.AmountMinor != 1200*int64(1+won) {
		t.Errorf("booking = %v, want %d seats after %d wins", got.Msg.Booking, 1+won, won)
	}
	if n := e.activeHolds(t, alice); n != 0 {
		t.Errorf("alice still holds %d seats, want 0", n)
	}
	e.checkFullyPaid(t)
}
