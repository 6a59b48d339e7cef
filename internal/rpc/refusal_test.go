package rpc_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// refusal is what a client sees of a refused hold: code, message and the HoldRefused detail.
type refusal struct {
	Code    connect.Code
	Message string
	Detail  *marqueev1.HoldRefused
}

func refusalOf(t *testing.T, err error) refusal {
	t.Helper()
	ce := wantCode(t, err, connect.CodeOf(err))
	r := refusal{Code: ce.Code(), Message: ce.Message()}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			t.Fatalf("detail %s: %v", d.Type(), derr)
		}
		if h, ok := v.(*marqueev1.HoldRefused); ok {
			r.Detail = h
		}
	}
	return r
}

const heldEvents = `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.seats.held'`

// TestHoldAnnouncesTheSeats: a hold writes one SeatsHeld event in its transaction, naming its showtime, seats,
// hold and expiry.
func TestHoldAnnouncesTheSeats(t *testing.T) {
	e := newEnv(t)
	h := e.mustHold(t, e.mustRegister(t), "B3", "B4")
	var payload []byte
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT payload FROM outbox WHERE subject = 'marquee.us-east1.seats.held'
		AND aggregate_id = $1 AND created_at = $2`, e.fix.Showtime.ID, t0).Scan(&payload); err != nil {
		t.Fatalf("SeatsHeld outbox row: %v", err)
	}
	var got marqueev1.SeatsHeld
	if err := proto.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	want := &marqueev1.SeatsHeld{ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"B3", "B4"}, HoldId: h.Id,
		ExpiresAt: h.ExpiresAt, HeldAt: timestamppb.New(t0)}
	if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
		t.Errorf("SeatsHeld mismatch (-want +got):\n%s", diff)
	}
}

// TestHoldRefusalsExplainThemselves: seats taken, a lone seat left by the orphan-seat rule and the per-person
// limit are refused by HoldSeats, HoldBestAvailable and AddSeats with their codes, a message naming the seats
// in plain words and a HoldRefused detail to branch on; the refused caller holds nothing more afterwards and no
// SeatsHeld event is written.
func TestHoldRefusalsExplainThemselves(t *testing.T) {
	e := newEnv(t)
	p := simplePolicy
	p.OrphanSeatRule = true
	e.setPolicy(t, p)
	ctx := context.Background()
	alice, bob, carol := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	e.mustHold(t, alice, "C1", "C2")
	booking := e.mustBook(t, carol, e.mustHold(t, carol, "E1", "E2").Id, "refusal-book-1")
	e.mustHold(t, bob, "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")
	hold := func(u user, seats ...string) error {
		_, err := e.seats.HoldSeats(ctx, as(u, &marqueev1.HoldSeatsRequest{ShowtimeId: e.fix.Showtime.ID, SeatIds: seats}))
		return err
	}
	for _, tc := range []struct {
		name string
		who  user
		call func() error
		want refusal
	}{
		{"ErrSeatTaken", carol, func() error { return hold(carol, "C2", "C3") }, refusal{connect.CodeFailedPrecondition,
			"Seat C2 is already taken; choose another seat",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEATS_TAKEN, SeatIds: []string{"C2"}}}},
		{"ErrSeatsTaken", carol, func() error { return hold(carol, "C1", "C2") }, refusal{connect.CodeFailedPrecondition,
			"Seats C1 and C2 are already taken; choose other seats",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEATS_TAKEN, SeatIds: []string{"C1", "C2"}}}},
		{"ErrLoneSeat", carol, func() error { return hold(carol, "D2", "D3") }, refusal{connect.CodeFailedPrecondition,
			"Seat D1 would be left empty on its own; add it to your selection, or shift your seats by one so that no single seat is left",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_LONE_SEAT, SeatIds: []string{"D1"}}}},
		{"ErrLimit", bob, func() error { return hold(bob, "B1", "B2", "B3") }, refusal{connect.CodeResourceExhausted,
			"You can hold at most 10 seats for one show; you already hold 8, so you can add up to 2 more",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEAT_LIMIT, Limit: 10, Held: 8}}},
		{"ErrLimitBestAvailable", bob, func() error {
			_, err := e.seats.HoldBestAvailable(ctx, as(bob, &marqueev1.HoldBestAvailableRequest{ShowtimeId: e.fix.Showtime.ID, Count: 4}))
			return err
		}, refusal{connect.CodeResourceExhausted,
			"You can hold at most 10 seats for one show; you already hold 8, so you can add up to 2 more",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEAT_LIMIT, Limit: 10, Held: 8}}},
		{"ErrAddSeatsTaken", carol, func() error {
			_, err := e.addSeats(carol, &marqueev1.AddSeatsRequest{BookingId: booking.Id, SeatIds: []string{"C2"},
				PaymentToken: "tok_visa", IdempotencyKey: "refusal-add-1"})
			return err
		}, refusal{connect.CodeFailedPrecondition, "Seat C2 is already taken; choose another seat",
			&marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEATS_TAKEN, SeatIds: []string{"C2"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, events := e.activeHolds(t, tc.who), e.count(t, heldEvents)
			if diff := cmp.Diff(tc.want, refusalOf(t, tc.call()), protocmp.Transform()); diff != "" {
				t.Errorf("refusal mismatch (-want +got):\n%s", diff)
			}
			if after := e.activeHolds(t, tc.who); after != before {
				t.Errorf("the refused caller holds %d seats, had %d", after, before)
			}
			if n := e.count(t, heldEvents); n != events {
				t.Errorf("SeatsHeld events after the refusal = %d, want %d as before", n, events)
			}
		})
	}
}
