package rpc_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/catalog"
)

func (e *env) quoteCancel(u user, r *marqueev1.QuoteCancellationRequest) (*marqueev1.QuoteCancellationResponse, error) {
	res, err := e.bookings.QuoteCancellation(context.Background(), as(u, r))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

// eventsAndCredit counts what dbState leaves out but a cancellation writes: outbox rows and store credit.
func (e *env) eventsAndCredit(t *testing.T) [2]int {
	return [2]int{e.count(t, `SELECT count(*) FROM outbox`), e.count(t, `SELECT count(*) FROM store_credit_entries`)}
}

// refundsByMethod sums a booking's refund payments made since since by method, as the quote lists them.
func (e *env) refundsByMethod(t *testing.T, bookingID string, since int) map[marqueev1.TenderMethod]int64 {
	t.Helper()
	out := map[marqueev1.TenderMethod]int64{}
	for _, r := range e.refunds(t, bookingID)[since:] {
		out[map[string]marqueev1.TenderMethod{"card": tenderCard, "gift_card": tenderGiftCard,
			"store_credit": tenderStoreCredit}[r.Method]] += r.Amount
	}
	return out
}

func tendersByMethod(ts []*marqueev1.Tender) map[marqueev1.TenderMethod]int64 {
	out := map[marqueev1.TenderMethod]int64{}
	for _, t := range ts {
		out[t.Method] += t.Amount.AmountMinor
	}
	return out
}

// TestQuoteCancellationIsWhatCancelDoes quotes cancellations (whole and partial, to the original payment split
// over a gift card and a card, and to store credit with the chain's bonus, under a tiered policy with fees),
// checks that a quote changes nothing, then cancels with the same arguments and checks that the cancellation
// refunds exactly what was quoted, method by method and seat by seat.
func TestQuoteCancellationIsWhatCancelDoes(t *testing.T) {
	e := newEnv(t)
	e.setPolicy(t, catalog.ChainPolicy{RefundTiers: []catalog.RefundTier{{Before: 24 * time.Hour, Percent: 100},
		{Before: 2 * time.Hour, Percent: 75}}, StoreCreditBonusPercent: 10, FeePerSeatMinor: 150})
	alice := e.mustRegister(t)
	code := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 1000)
	split, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id,
		PaymentToken: "tok_visa", GiftCardCode: code, IdempotencyKey: "quote-book-1"})
	if err != nil {
		t.Fatal(err)
	}
	other := e.mustBook(t, alice, e.mustHold(t, alice, "B1", "B2", "B3").Id, "quote-book-2")
	e.clock.Advance(10 * time.Hour) // 14 hours before the show: the 75% tier. Paid 2700: gift card 1000, card 1700
	const kept = "75% refund: cancelled 2 hours or more before the show; booking fees are not refunded"
	for _, tc := range []struct {
		name    string
		booking *marqueev1.Booking
		seats   []string
		to      marqueev1.RefundMethod
		want    *marqueev1.QuoteCancellationResponse
	}{
		{"OKOneSeatToTheCardFirst", split, []string{"A1"}, marqueev1.RefundMethod_REFUND_METHOD_UNSPECIFIED,
			&marqueev1.QuoteCancellationResponse{Refund: usd(900), Refunds: []*marqueev1.Tender{{Method: tenderCard, Amount: usd(900)}},
				StoreCredit: usd(0), StoreCreditBonus: usd(0), Seats: []*marqueev1.SeatRefund{{SeatId: "A1", Refund: usd(900)}},
				Policy: kept, RefundPercent: 75}},
		{"OKTheRestToCardAndGiftCard", split, nil, marqueev1.RefundMethod_REFUND_METHOD_ORIGINAL,
			&marqueev1.QuoteCancellationResponse{Refund: usd(900), Refunds: []*marqueev1.Tender{{Method: tenderCard, Amount: usd(800)},
				{Method: tenderGiftCard, Amount: usd(100)}}, StoreCredit: usd(0), StoreCreditBonus: usd(0),
				Seats: []*marqueev1.SeatRefund{{SeatId: "A2", Refund: usd(900)}}, Policy: kept, RefundPercent: 75, CancelsBooking: true}},
		{"OKStoreCreditWithBonus", other, []string{"B1", "B2"}, marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT,
			&marqueev1.QuoteCancellationResponse{Refund: usd(1800), StoreCredit: usd(1980), StoreCreditBonus: usd(180),
				Seats:  []*marqueev1.SeatRefund{{SeatId: "B1", Refund: usd(900)}, {SeatId: "B2", Refund: usd(900)}},
				Policy: kept + "; as store credit, with a 10% bonus", RefundPercent: 75}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, counts, refunded := e.dbState(t), e.eventsAndCredit(t), len(e.refunds(t, tc.booking.Id))
			got, err := e.quoteCancel(alice, &marqueev1.QuoteCancellationRequest{BookingId: tc.booking.Id, SeatIds: tc.seats, RefundTo: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("quote mismatch (-want +got):\n%s", diff)
			}
			e.wantUnchanged(t, before)
			if after := e.eventsAndCredit(t); after != counts {
				t.Errorf("outbox rows and store credit entries %v after a quote, %v before", after, counts)
			}
			res := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: tc.booking.Id, SeatIds: tc.seats,
				RefundTo: tc.to, IdempotencyKey: "quote-then-" + tc.name})
			if diff := cmp.Diff([]*marqueev1.Money{got.Refund, got.StoreCredit}, []*marqueev1.Money{res.Refund, res.StoreCredit},
				protocmp.Transform()); diff != "" {
				t.Errorf("cancellation refunded other than quoted (-quote +cancel):\n%s", diff)
			}
			wantMethods := tendersByMethod(got.Refunds)
			if got.StoreCredit.AmountMinor > 0 {
				wantMethods = map[marqueev1.TenderMethod]int64{tenderStoreCredit: got.StoreCredit.AmountMinor}
			}
			if diff := cmp.Diff(wantMethods, e.refundsByMethod(t, tc.booking.Id, refunded)); diff != "" {
				t.Errorf("refund payments mismatch (-quote +database):\n%s", diff)
			}
			for _, s := range got.Seats {
				if n := e.count(t, `SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND seat_id = $2
					AND status = 'cancelled' AND refund_minor = $3`, tc.booking.Id, s.SeatId, s.Refund.AmountMinor); n != 1 {
					t.Errorf("seat %s not cancelled with the quoted refund %d", s.SeatId, s.Refund.AmountMinor)
				}
			}
		})
	}
}

// TestQuoteCancellationRefusals: what CancelBooking refuses, a quote refuses with the same code, changing
// nothing.
func TestQuoteCancellationRefusals(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "C1", "C2").Id, "quote-refusal-1")
	gone := e.mustBook(t, alice, e.mustHold(t, alice, "D1").Id, "quote-refusal-2")
	e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: gone.Id, IdempotencyKey: "quote-refusal-cancel"})
	for name, tc := range map[string]struct {
		who  user
		req  *marqueev1.QuoteCancellationRequest
		want connect.Code
	}{
		"ErrSomeoneElses":     {bob, &marqueev1.QuoteCancellationRequest{BookingId: b.Id}, connect.CodeNotFound},
		"ErrUnknown":          {alice, &marqueev1.QuoteCancellationRequest{BookingId: "use1_01KT1GW6G04QMPWGYPR8KADH95"}, connect.CodeNotFound},
		"ErrSeatNotInBooking": {alice, &marqueev1.QuoteCancellationRequest{BookingId: b.Id, SeatIds: []string{"F9"}}, connect.CodeInvalidArgument},
		"ErrBadSeatID":        {alice, &marqueev1.QuoteCancellationRequest{BookingId: b.Id, SeatIds: []string{"c1"}}, connect.CodeInvalidArgument},
		"ErrAlreadyCancelled": {alice, &marqueev1.QuoteCancellationRequest{BookingId: gone.Id}, connect.CodeFailedPrecondition},
	} {
		t.Run(name, func(t *testing.T) {
			before := e.dbState(t)
			_, err := e.quoteCancel(tc.who, tc.req)
			wantCode(t, err, tc.want)
			e.wantUnchanged(t, before)
		})
	}
	t.Run("ErrShowStarted", func(t *testing.T) {
		e.clock.Advance(25 * time.Hour)
		_, err := e.quoteCancel(alice, &marqueev1.QuoteCancellationRequest{BookingId: b.Id})
		if ce := wantCode(t, err, connect.CodeFailedPrecondition); ce.Message() != "the show has started; the booking can no longer be cancelled" {
			t.Errorf("message %q", ce.Message())
		}
	})
}
