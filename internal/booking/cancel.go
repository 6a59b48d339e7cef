package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/regions"
)

// CancelRequest cancels a booking, or some of its seats.
type CancelRequest struct {
	Region, BookingID, UserID, Key string
	SeatIDs                        []string // empty: every seat still booked
	ToStoreCredit                  bool     // refund as store credit (plus the chain's bonus) instead of the original methods
	AttemptID                      string   // ID for this cancellation's refund records
	Now                            time.Time
	// Full refunds everything, fees included, whatever the policy and the time: the cinema cancelled the show.
	Full bool
}

// Hash identifies the request for idempotency.
func (c CancelRequest) Hash() []byte {
	seats := slices.Clone(c.SeatIDs)
	slices.Sort(seats)
	return hash(append([]string{c.BookingID, fmt.Sprint(c.ToStoreCredit), fmt.Sprint(c.Full)}, seats...)...)
}

// CardRefund is a refund the provider still has to make.
type CardRefund struct {
	PaymentID, ChargeRef string
	AmountMinor          int64
}

// Cancellation is a committed cancellation.
type Cancellation struct {
	Booking          Booking
	RefundMinor      int64        // refunded by this cancellation, before any store credit bonus
	StoreCreditMinor int64        // store credit granted, bonus included
	CardRefunds      []CardRefund // card refunds not yet made
}

// Cancel cancels userID's booking, or the given seats of it, frees the seats and refunds by the chain's policy,
// to the original methods or as store credit. The same key returns the first result and refunds once.
func (s *Service) Cancel(ctx context.Context, c CancelRequest) (Cancellation, error) {
	const op = "booking.Cancel"
	r, ok := regions.OfID(c.BookingID)
	if !ok {
		return Cancellation{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	c.Region, c.AttemptID, c.Now = r.Name, s.IDs.Regional(r.IDPrefix), s.Now()
	out, err := s.Store.CancelBooking(ctx, c, CancelRules{Policies: s.Policies})
	if err != nil {
		return Cancellation{}, errs.E(op, err)
	}
	// The cancellation stands even if the provider fails now: the refund stays pending, and RetryRefunds (or a
	// retry with the same key) makes it later under the same provider idempotency key.
	for _, cr := range out.CardRefunds {
		_ = s.refund(ctx, out.Booking.Region, out.Booking.Currency, cr)
	}
	out.CardRefunds = nil
	out.Booking, err = s.withTicket(out.Booking) // what is left of a partly cancelled booking
	return out, err
}

// CancelQuote is what a cancellation would do now: its plan and, for a refund to the original payment, what
// each of the booking's charges would give back, card first.
type CancelQuote struct {
	Plan     CancelPlan
	Parts    []RefundPart
	Currency string
}

// QuoteCancel says what Cancel with the same request would refund now: the same rule (CancelRules.Plan) on the
// same facts, read in one snapshot, with the refund shared among the charges as Cancel would share it. It
// writes nothing and needs no idempotency key; the refusals are Cancel's.
func (s *Service) QuoteCancel(ctx context.Context, c CancelRequest) (CancelQuote, error) {
	const op = "booking.QuoteCancel"
	r, ok := regions.OfID(c.BookingID)
	if !ok {
		return CancelQuote{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	c.Region, c.Now = r.Name, s.Now()
	q, err := s.Store.QuoteCancellation(ctx, c, CancelRules{Policies: s.Policies})
	if err != nil {
		return CancelQuote{}, errs.E(op, err)
	}
	return q, nil
}

// refund makes one card refund at the provider and records it.
func (s *Service) refund(ctx context.Context, region, currency string, cr CardRefund) error {
	ref, err := s.Provider.Refund(ctx, payment.RefundRequest{ChargeRef: cr.ChargeRef, AmountMinor: cr.AmountMinor,
		Currency: currency, IdempotencyKey: "mq_refund_" + cr.PaymentID})
	if err != nil {
		return err
	}
	return s.Store.RecordRefund(ctx, region, cr.PaymentID, ref, s.Now())
}

// PendingRefund is a card refund recorded but not yet confirmed by the provider.
type PendingRefund struct {
	CardRefund
	Region, Currency string
}

// RetryRefunds makes the card refunds still pending that were recorded before olderThan ago, and returns how
// many went through. Each uses its original idempotency key, so a refund the provider did make is not repeated.
func (s *Service) RetryRefunds(ctx context.Context, olderThan time.Duration) (int, error) {
	pending, err := s.Store.PendingRefunds(ctx, s.Now().Add(-olderThan), 100)
	if err != nil {
		return 0, errs.E("booking.RetryRefunds", err)
	}
	n := 0
	for _, p := range pending {
		if s.refund(ctx, p.Region, p.Currency, p.CardRefund) == nil {
			n++
		}
	}
	return n, nil
}
