package rpc_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

func TestCreateBooking(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.mustRegister(t)
	// Row D is premium in a 6-row layout with 2 premium rows before the back row (rows D and E).
	h := e.mustHold(t, alice, "A1", "D1")
	b := e.mustBook(t, alice, h.Id, "book-key-0001")
	if b.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED || b.Total.AmountMinor != 1200+1800 ||
		b.Total.CurrencyCode != "USD" || strings.Join(b.SeatIds, ",") != "A1,D1" || len(b.ConfirmationCode) != 9 {
		t.Fatalf("booking = %v", b)
	}
	if st := e.seatStatus(t); st["A1"] != marqueev1.SeatStatus_SEAT_STATUS_BOOKED || st["D1"] != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
		t.Fatalf("after booking: A1=%v D1=%v", st["A1"], st["D1"])
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.booking.confirmed' AND aggregate_id = $1`, b.Id); n != 1 {
		t.Fatalf("BookingConfirmed outbox rows = %d, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1 AND kind = 'charge' AND status = 'succeeded' AND amount_minor = 3000`, b.Id); n != 1 {
		t.Fatalf("succeeded charges = %d, want 1", n)
	}
	t.Run("RetryReturnsFirstBooking", func(t *testing.T) {
		again := e.mustBook(t, alice, h.Id, "book-key-0001")
		if !proto.Equal(again, b) {
			t.Fatalf("retry = %v, want %v", again, b)
		}
		if charges, _ := e.sandbox.Counts(); charges != 1 {
			t.Fatalf("sandbox charges = %d, want 1", charges)
		}
	})
	t.Run("ErrKeyReusedForOtherRequest", func(t *testing.T) {
		h2 := e.mustHold(t, alice, "A2")
		_, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h2.Id, PaymentToken: "tok_visa", IdempotencyKey: "book-key-0001"}))
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	t.Run("ErrHoldAlreadyBooked", func(t *testing.T) {
		_, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_visa", IdempotencyKey: "book-key-0002"}))
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	if n := e.count(t, `SELECT count(*) FROM bookings`); n != 1 {
		t.Fatalf("bookings = %d, want 1", n)
	}
}

func TestCreateBookingDeclined(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.mustRegister(t)
	h := e.mustHold(t, alice, "B5", "B6")
	_, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_chargeDeclined", IdempotencyKey: "declined-0001"}))
	ce := wantCode(t, err, connect.CodeFailedPrecondition)
	if !strings.Contains(ce.Message(), "declined") {
		t.Fatalf("message = %q", ce.Message())
	}
	if st := e.seatStatus(t); st["B5"] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Fatalf("B5 = %v after a decline, want still held", st["B5"])
	}
	if n := e.count(t, `SELECT count(*) FROM bookings`); n != 0 {
		t.Fatalf("bookings after decline = %d", n)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE status = 'failed'`); n != 1 {
		t.Fatalf("failed payments = %d, want 1", n)
	}
	b := e.mustBook(t, alice, h.Id, "declined-0002")
	if b.Total.AmountMinor != 2400 {
		t.Fatalf("total = %d", b.Total.AmountMinor)
	}
}

func TestCreateBookingBadHolds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	book := func(u user, holdID, token, key string) error {
		_, err := e.bookings.CreateBooking(ctx, as(u, &marqueev1.CreateBookingRequest{HoldId: holdID, PaymentToken: token, IdempotencyKey: key}))
		return err
	}
	h := e.mustHold(t, alice, "C1")
	t.Run("ErrForeignHold", func(t *testing.T) {
		wantCode(t, book(bob, h.Id, "tok_visa", "foreign-0001"), connect.CodeNotFound)
	})
	t.Run("ErrUnknownHold", func(t *testing.T) {
		wantCode(t, book(alice, "use1_01KT1GW6G04QMPWGYPR8KADH95", "tok_visa", "unknown-0001"), connect.CodeNotFound)
	})
	t.Run("ErrUnknownPaymentToken", func(t *testing.T) {
		wantCode(t, book(alice, h.Id, "tok_nonsense", "token-0001"), connect.CodeInvalidArgument)
	})
	for name, req := range map[string]*marqueev1.CreateBookingRequest{
		"ErrCardNumber": {HoldId: h.Id, PaymentToken: "4242 4242 4242 4242", IdempotencyKey: "card-00001"},
		"ErrShortKey":   {HoldId: h.Id, PaymentToken: "tok_visa", IdempotencyKey: "k"},
		"ErrNoKey":      {HoldId: h.Id, PaymentToken: "tok_visa"},
		"ErrNoHold":     {PaymentToken: "tok_visa", IdempotencyKey: "nohold-0001"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.bookings.CreateBooking(ctx, as(alice, req))
			wantCode(t, err, connect.CodeInvalidArgument)
		})
	}
	t.Run("ErrNoTokenForTheRest", func(t *testing.T) {
		ce := wantCode(t, book(alice, h.Id, "", "notoken-0001"), connect.CodeFailedPrecondition)
		if !strings.Contains(ce.Message(), "payment token") {
			t.Fatalf("message = %q", ce.Message())
		}
	})
	t.Run("ErrExpiredHold", func(t *testing.T) {
		e.clock.Advance(9 * time.Minute)
		wantCode(t, book(alice, h.Id, "tok_visa", "expired-0001"), connect.CodeFailedPrecondition)
	})
	if n := e.count(t, `SELECT count(*) FROM bookings`); n != 0 {
		t.Fatalf("bookings = %d, want 0", n)
	}
	if charges, _ := e.sandbox.Counts(); charges != 0 {
		t.Fatalf("charges = %d, want 0", charges)
	}
}

func TestGetAndListBookings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	b1 := e.mustBook(t, alice, e.mustHold(t, alice, "A1").Id, "list-key-0001")
	e.clock.Advance(time.Minute)
	b2 := e.mustBook(t, alice, e.mustHold(t, alice, "A2").Id, "list-key-0002")
	e.mustBook(t, bob, e.mustHold(t, bob, "A3").Id, "list-key-0003")
	got, err := e.bookings.GetBooking(ctx, as(alice, &marqueev1.GetBookingRequest{BookingId: b1.Id}))
	if err != nil || !proto.Equal(got.Msg.Booking, b1) {
		t.Fatalf("GetBooking = %v, %v; want %v", got, err, b1)
	}
	list, err := e.bookings.ListMyBookings(ctx, as(alice, &marqueev1.ListMyBookingsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Msg.Bookings) != 2 || list.Msg.Bookings[0].Id != b2.Id || list.Msg.Bookings[1].Id != b1.Id {
		t.Fatalf("ListMyBookings = %v, want [b2 b1]", list.Msg.Bookings)
	}
	for name, id := range map[string]string{"ErrOtherUsers": b1.Id, "ErrUnknown": "use1_01KT1GW6G04QMPWGYPR8KADH95", "ErrNoRegion": "x"} {
		t.Run(name, func(t *testing.T) {
			_, err := e.bookings.GetBooking(ctx, as(bob, &marqueev1.GetBookingRequest{BookingId: id}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

func TestCancelBooking(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "E1", "E2").Id, "cancel-book-01")
	cancel := func(u user, id, key string) (*marqueev1.CancelBookingResponse, error) {
		res, err := e.bookings.CancelBooking(ctx, as(u, &marqueev1.CancelBookingRequest{BookingId: id, IdempotencyKey: key}))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}
	t.Run("ErrForeign", func(t *testing.T) {
		_, err := cancel(bob, b.Id, "cancel-bob-01")
		wantCode(t, err, connect.CodeNotFound)
	})
	res, err := cancel(alice, b.Id, "cancel-key-01")
	if err != nil {
		t.Fatal(err)
	}
	if res.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED || res.Refund.AmountMinor != 3600 {
		t.Fatalf("cancel = %v, want cancelled with a full refund of 3600", res)
	}
	if st := e.seatStatus(t); st["E1"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE || st["E2"] != marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE {
		t.Fatalf("after cancel: E1=%v E2=%v", st["E1"], st["E2"])
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.booking.cancelled' AND aggregate_id = $1`, b.Id); n != 1 {
		t.Fatalf("BookingCancelled outbox rows = %d, want 1", n)
	}
	t.Run("RetryReturnsFirstResultAndRefundsOnce", func(t *testing.T) {
		again, err := cancel(alice, b.Id, "cancel-key-01")
		if err != nil || !proto.Equal(again, res) {
			t.Fatalf("retry = %v, %v; want %v", again, err, res)
		}
		if _, refunds := e.sandbox.Counts(); refunds != 1 {
			t.Fatalf("refunds = %d, want 1", refunds)
		}
		if n := e.count(t, `SELECT count(*) FROM payments WHERE kind = 'refund' AND status = 'succeeded' AND amount_minor = 3600`); n != 1 {
			t.Fatalf("refund payments = %d, want 1", n)
		}
	})
	t.Run("ErrAlreadyCancelled", func(t *testing.T) {
		_, err := cancel(alice, b.Id, "cancel-key-02")
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	t.Run("ErrKeyReused", func(t *testing.T) {
		other := e.mustBook(t, alice, e.mustHold(t, alice, "E3").Id, "cancel-book-02")
		_, err := cancel(alice, other.Id, "cancel-key-01")
		wantCode(t, err, connect.CodeFailedPrecondition)
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		_, err := cancel(alice, "", "cancel-key-03")
		wantCode(t, err, connect.CodeInvalidArgument)
		_, err = cancel(alice, b.Id, "")
		wantCode(t, err, connect.CodeInvalidArgument)
	})
	t.Run("SeatsCanBeHeldAgain", func(t *testing.T) { e.mustHold(t, bob, "E1", "E2") })
}

func TestCancelRefundPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	late := e.mustBook(t, alice, e.mustHold(t, alice, "A1").Id, "policy-book-1")
	tooLate := e.mustBook(t, alice, e.mustHold(t, alice, "A2").Id, "policy-book-2")
	e.clock.Advance(22*time.Hour + time.Minute) // 1h59m before the show: inside the no-refund window
	res, err := e.bookings.CancelBooking(context.Background(), as(alice, &marqueev1.CancelBookingRequest{BookingId: late.Id, IdempotencyKey: "policy-cancel-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Msg.Refund.AmountMinor != 0 || res.Msg.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED {
		t.Fatalf("late cancel = %v, want cancelled without refund", res.Msg)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE kind = 'refund'`); n != 0 {
		t.Fatalf("refund payments = %d, want 0", n)
	}
	e.clock.Advance(2 * time.Hour) // the show has started
	_, err = e.bookings.CancelBooking(context.Background(), as(alice, &marqueev1.CancelBookingRequest{BookingId: tooLate.Id, IdempotencyKey: "policy-cancel-2"}))
	wantCode(t, err, connect.CodeFailedPrecondition)
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE status = 'confirmed'`); n != 1 {
		t.Fatalf("confirmed bookings = %d, want 1 (the refused cancellation changes nothing)", n)
	}
}

func TestQuoteSeatTypes(t *testing.T) {
	e := newEnv(t)
	u := e.mustRegister(t)
	h := e.mustHold(t, u, "A1", "D1")
	res, err := marqueev1connect.NewPricingServiceClient(http.DefaultClient, e.url).Quote(context.Background(),
		as(u, &marqueev1.QuoteRequest{HoldId: h.Id}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]marqueev1.SeatType{}
	for _, l := range res.Msg.Quote.LineItems {
		got[l.SeatId] = l.SeatType
	}
	if got["A1"] != marqueev1.SeatType_SEAT_TYPE_STANDARD || got["D1"] != marqueev1.SeatType_SEAT_TYPE_PREMIUM {
		t.Fatalf("line item seat types = %v", got)
	}
}
