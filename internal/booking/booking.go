// Package booking turns holds into paid bookings and cancels them under a refund policy. Payment happens
// between two transactions (a saga): prepare (claim the idempotency key, price the hold), charge the provider
// with an idempotency key, confirm (book the seats) or, if the seats were lost meanwhile, refund.
package booking

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
)

// Status is where a booking is in its life.
type Status string

// Booking statuses.
const (
	Confirmed Status = "confirmed"
	Cancelled Status = "cancelled"
)

// Booking is a paid set of seats of one showtime.
type Booking struct {
	ID               string
	Region           string
	ConfirmationCode string
	UserID           string
	ShowtimeID       string
	HoldID           string
	Status           Status
	SeatIDs          []string
	Currency         string
	TotalMinor       int64
	RefundMinor      int64 // set when cancelled
	CreatedAt        time.Time
	CancelledAt      time.Time // zero unless cancelled
}

// Attempt is a prepared booking attempt: what to charge, under which payment record.
type Attempt struct {
	Region      string
	UserID      string
	HoldID      string
	Key         string // the client's idempotency key
	PaymentID   string
	Provider    string
	AmountMinor int64
	Currency    string
	Done        *Booking // set when the key already produced a booking
}

// Cancellation is a committed cancellation and the refund it owes.
type Cancellation struct {
	Booking       Booking
	RefundPayment string // payment record of the refund, "" when nothing is refunded
	ChargeRef     string // provider reference of the original charge
	RefundDone    bool   // the refund already went through (a retried cancellation)
}

// Store keeps bookings. Each method is one transaction.
type Store interface {
	// PrepareBooking claims (userID, key) for hash and prices the hold, or returns the booking the key made.
	PrepareBooking(ctx context.Context, a Attempt, hash []byte, now time.Time) (Attempt, error)
	// ConfirmBooking books the hold's seats and records the charge; it fails with Precondition if the hold
	// lost its seats. If the key already produced a booking, that booking is returned.
	ConfirmBooking(ctx context.Context, a Attempt, chargeRef string, b Booking) (Booking, error)
	// FailAttempt records a failed charge and frees the idempotency key.
	FailAttempt(ctx context.Context, a Attempt, reason string, now time.Time) error
	GetBooking(ctx context.Context, region, id string) (Booking, error)
	ListBookings(ctx context.Context, userID string, limit int) ([]Booking, error)
	// CancelBooking cancels userID's booking, refunding refund(booking, showtime start), and frees its seats.
	CancelBooking(ctx context.Context, c CancelRequest) (Cancellation, error)
	// RecordRefund marks a refund payment as done with the provider's reference.
	RecordRefund(ctx context.Context, region, paymentID, ref string, now time.Time) error
}

// CancelRequest is what CancelBooking needs.
type CancelRequest struct {
	Region, BookingID, UserID, Key, RefundPaymentID string
	Now                                             time.Time
	// Refund computes the refund of b for a show starting at startsAt; an error refuses the cancellation.
	Refund func(b Booking, startsAt time.Time) (int64, error)
}

// Service books and cancels.
type Service struct {
	Store    Store
	Provider payment.Provider
	Policy   RefundPolicy
	Now      platform.Clock
	IDs      *platform.IDs
}

// Create pays for userID's hold and books its seats. The same key returns the first booking; the same key with
// a different hold or token is refused. A declined payment keeps the hold so the user can try another card.
func (s *Service) Create(ctx context.Context, userID, holdID, paymentToken, key string) (Booking, error) {
	const op = "booking.Create"
	r, ok := regions.OfID(holdID)
	if !ok {
		return Booking{}, errs.Errorf(op, errs.Precondition, "hold not found")
	}
	a := Attempt{Region: r.Name, UserID: userID, HoldID: holdID, Key: key, PaymentID: s.IDs.Regional(r.IDPrefix),
		Provider: s.Provider.Name()}
	a, err := s.Store.PrepareBooking(ctx, a, hash(holdID, paymentToken), s.Now())
	if err != nil {
		return Booking{}, errs.E(op, err)
	}
	if a.Done != nil {
		return *a.Done, nil
	}
	ref, err := s.Provider.Charge(ctx, payment.ChargeRequest{AmountMinor: a.AmountMinor, Currency: a.Currency,
		Token: paymentToken, IdempotencyKey: "mq_charge_" + a.PaymentID, Description: "Marquee hold " + holdID})
	if err != nil {
		if ferr := s.Store.FailAttempt(ctx, a, errs.Message(err), s.Now()); ferr != nil {
			return Booking{}, errs.E(op, ferr)
		}
		return Booking{}, errs.E(op, err)
	}
	b := Booking{ID: s.IDs.Regional(r.IDPrefix), Region: r.Name, ConfirmationCode: NewConfirmationCode(),
		UserID: userID, HoldID: holdID, Status: Confirmed, CreatedAt: s.Now()}
	b, err = s.Store.ConfirmBooking(ctx, a, ref, b)
	if errs.Is(err, errs.Precondition) {
		return Booking{}, s.refundLost(ctx, a, ref, err)
	}
	if err != nil {
		return Booking{}, errs.E(op, err)
	}
	return b, nil
}

// refundLost returns the money of a charge whose hold lost its seats before the booking could be confirmed.
func (s *Service) refundLost(ctx context.Context, a Attempt, chargeRef string, cause error) error {
	const op = "booking.Create"
	if _, err := s.Provider.Refund(ctx, payment.RefundRequest{ChargeRef: chargeRef, AmountMinor: a.AmountMinor,
		Currency: a.Currency, IdempotencyKey: "mq_refund_" + a.PaymentID}); err != nil {
		return errs.E(op, err)
	}
	if err := s.Store.FailAttempt(ctx, a, "hold lost before confirmation; refunded", s.Now()); err != nil {
		return errs.E(op, err)
	}
	return errs.E(op, errs.Precondition, errs.Message(cause)+"; the payment was refunded", cause)
}

// Get returns userID's booking; other users' bookings are NotFound.
func (s *Service) Get(ctx context.Context, userID, bookingID string) (Booking, error) {
	const op = "booking.Get"
	r, ok := regions.OfID(bookingID)
	if !ok {
		return Booking{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	b, err := s.Store.GetBooking(ctx, r.Name, bookingID)
	if err != nil {
		return Booking{}, errs.E(op, err)
	}
	if b.UserID != userID {
		return Booking{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	return b, nil
}

// List returns userID's most recent bookings, newest first.
func (s *Service) List(ctx context.Context, userID string) ([]Booking, error) {
	bs, err := s.Store.ListBookings(ctx, userID, 100)
	if err != nil {
		return nil, errs.E("booking.List", err)
	}
	return bs, nil
}

// Cancel cancels userID's booking, frees its seats and refunds by the policy. The same key returns the first
// result and refunds once.
func (s *Service) Cancel(ctx context.Context, userID, bookingID, key string) (Booking, error) {
	const op = "booking.Cancel"
	r, ok := regions.OfID(bookingID)
	if !ok {
		return Booking{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	now := s.Now()
	c, err := s.Store.CancelBooking(ctx, CancelRequest{Region: r.Name, BookingID: bookingID, UserID: userID,
		Key: key, RefundPaymentID: s.IDs.Regional(r.IDPrefix), Now: now,
		Refund: func(b Booking, startsAt time.Time) (int64, error) { return s.Policy.Refund(b, startsAt, now) }})
	if err != nil {
		return Booking{}, errs.E(op, err)
	}
	if c.RefundPayment != "" && !c.RefundDone {
		// The cancellation stands even if the provider is down; the refund record stays pending for a retry.
		ref, err := s.Provider.Refund(ctx, payment.RefundRequest{ChargeRef: c.ChargeRef,
			AmountMinor: c.Booking.RefundMinor, Currency: c.Booking.Currency, IdempotencyKey: "mq_refund_" + c.RefundPayment})
		if err == nil {
			err = s.Store.RecordRefund(ctx, c.Booking.Region, c.RefundPayment, ref, s.Now())
		}
		if err != nil {
			return Booking{}, errs.E(op, err)
		}
	}
	return c.Booking, nil
}

func hash(parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// KeyReusedError is the error for an idempotency key reused with a different request.
func KeyReusedError(op string) error {
	return errs.Errorf(op, errs.Precondition, "this idempotency key was already used for a different request")
}
