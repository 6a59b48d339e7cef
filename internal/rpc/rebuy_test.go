package rpc_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/pricing"
)

// TestAddSeatsRedeemsPromotionAgain adds seats to a booking with the code the booking itself redeemed (once an
// internal error: a duplicate promotion_redemptions key): the promotion applies to the added seats by its
// rules, and is redeemed a second time. A code whose per-person limit the booking used up is refused with the
// one refusal every unusable code gets, and changes nothing.
func TestAddSeatsRedeemsPromotionAgain(t *testing.T) {
	e := newEnv(t)
	chain := e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	e.mustUpsertPromotion(t, op, percentPromo(chain, "AGAIN", 10))
	once := percentPromo(chain, "ONCE", 10)
	once.PerUserLimit = 1
	e.mustUpsertPromotion(t, op, once)
	t.Run("OK", func(t *testing.T) {
		b, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id,
			PaymentToken: "tok_visa", PromoCode: "AGAIN", IdempotencyKey: "again-book"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"A3"},
			PaymentToken: "tok_visa", PromoCode: "AGAIN", IdempotencyKey: "again-add"})
		if err != nil {
			t.Fatalf("AddSeats with the booking's own code: %v", err)
		}
		if got := res.Charged.GetAmountMinor(); got != 1080 {
			t.Errorf("charged %d for A3, want 1080 (1200 less 10%%)", got)
		}
		if got := res.Booking.Discount.GetAmountMinor(); got != 360 {
			t.Errorf("booking discount = %d, want 360 (240 + 120)", got)
		}
		if count, rows := e.redemptions(t, "AGAIN"); count != 2 || rows != 2 {
			t.Errorf("redemptions = %d with %d rows, want 2 and 2", count, rows)
		}
		if n := e.count(t, `SELECT count(*) FROM promotion_redemptions WHERE booking_id = $1`, b.Id); n != 2 {
			t.Errorf("redemptions of the booking = %d, want 2", n)
		}
	})
	t.Run("ErrPerPersonLimit", func(t *testing.T) {
		b, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "B1").Id,
			PaymentToken: "tok_visa", PromoCode: "ONCE", IdempotencyKey: "once-book"})
		if err != nil {
			t.Fatal(err)
		}
		charges, _ := e.sandbox.Counts()
		_, err = e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"B2"},
			PaymentToken: "tok_visa", PromoCode: "ONCE", IdempotencyKey: "once-add"})
		if ce := wantCode(t, err, connect.CodeFailedPrecondition); ce.Message() != pricing.CodeRefused {
			t.Errorf("message = %q, want %q", ce.Message(), pricing.CodeRefused)
		}
		if count, rows := e.redemptions(t, "ONCE"); count != 1 || rows != 1 {
			t.Errorf("redemptions = %d with %d rows, want 1 and 1", count, rows)
		}
		if now, _ := e.sandbox.Counts(); now != charges {
			t.Errorf("charges went from %d to %d", charges, now)
		}
		if st := e.seatStatus(t)["B2"]; st != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
			t.Errorf("B2 = %v, want available", st)
		}
	})
}

// TestAddSeatsBuysBackCancelledSeat cancels one seat of a booking and adds it back (once an internal error: a
// duplicate booking_seats key): the booking has the seat again, the earlier cancelled purchase keeps its
// refund, and cancelling the seat again refunds the second purchase.
func TestAddSeatsBuysBackCancelledSeat(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "C1", "C2").Id, "rebuy-book")
	e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, SeatIds: []string{"C2"}, IdempotencyKey: "rebuy-cancel-1"})
	res, err := e.addSeats(alice, &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"C2"},
		PaymentToken: "tok_visa", IdempotencyKey: "rebuy-add"})
	if err != nil {
		t.Fatalf("AddSeats of the seat the booking cancelled: %v", err)
	}
	if got := res.Booking; !slices.Equal(got.SeatIds, []string{"C1", "C2"}) || len(got.CancelledSeatIds) != 0 {
		t.Errorf("booking seats %v, cancelled %v; want [C1 C2] and none", got.SeatIds, got.CancelledSeatIds)
	}
	if st := e.seatStatus(t)["C2"]; st != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
		t.Errorf("C2 = %v, want booked", st)
	}
	rows := func() (confirmed, cancelled, refunded int) {
		q := `SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND seat_id = 'C2' AND status = $2`
		return e.count(t, q, b.Id, "confirmed"), e.count(t, q, b.Id, "cancelled"),
			e.count(t, q+` AND refund_minor > 0`, b.Id, "cancelled")
	}
	if c, x, r := rows(); c != 1 || x != 1 || r != 1 {
		t.Errorf("C2 rows: %d confirmed, %d cancelled (%d refunded); want 1, 1 (1)", c, x, r)
	}
	again := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, SeatIds: []string{"C2"},
		IdempotencyKey: "rebuy-cancel-2"})
	if got := again.Booking; !slices.Equal(got.CancelledSeatIds, []string{"C2"}) || got.Refund.GetAmountMinor() != 2*res.Charged.GetAmountMinor() {
		t.Errorf("after cancelling C2 again: cancelled %v, refunded %d; want [C2] and %d", got.CancelledSeatIds,
			got.Refund.GetAmountMinor(), 2*res.Charged.GetAmountMinor())
	}
	if c, x, r := rows(); c != 0 || x != 2 || r != 2 {
		t.Errorf("C2 rows: %d confirmed, %d cancelled (%d refunded); want 0, 2 (2)", c, x, r)
	}
}
