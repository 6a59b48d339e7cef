// Package booking turns holds into paid bookings, adds seats to them and cancels them under the chain's refund
// policy. Payment happens between two transactions (a saga): prepare (claim the idempotency key, price the hold,
// reserve the promotion, take gift card and store credit), charge the card with an idempotency key, then
// confirm (book the seats). A declined card or a hold lost meanwhile undoes what prepare took.
package booking

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/notify/ticket"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/regions"
)

// Status is where a booking is in its life.
type Status string

// Booking statuses. A booking with some seats cancelled stays Confirmed.
const (
	Confirmed Status = "confirmed"
	Cancelled Status = "cancelled"
)

// Method is a way of paying.
type Method string

// Payment methods, in the order a checkout uses them: gift card, store credit, then card for the rest.
const (
	Card        Method = "card"
	GiftCard    Method = "gift_card"
	StoreCredit Method = "store_credit"
)

// Tender is what one method paid (refunds are not subtracted).
type Tender struct {
	Method      Method
	AmountMinor int64
}

// Booking is a paid set of seats of one showtime.
type Booking struct {
	ID               string
	Region           string
	ConfirmationCode string
	UserID           string
	ShowtimeID       string
	HoldID           string
	Status           Status
	SeatIDs          []string // every seat ever booked, cancelled ones included
	CancelledSeatIDs []string
	Currency         string
	TotalMinor       int64 // what was charged: seats - discount + fees
	DiscountMinor    int64
	FeesMinor        int64
	RefundMinor      int64 // refunded so far
	PromoCode        string
	Tenders          []Tender
	CreatedAt        time.Time
	CancelledAt      time.Time // zero unless wholly cancelled
	// Show is the showtime with the names a booking page shows (movie, theatre, city, screen).
	Show catalog.ShowtimeListing
	// Ticket is the signed ticket of a confirmed booking returned to its owner (see Service.TicketKey).
	Ticket string
}

// LiveSeats are the seats still booked: SeatIDs without CancelledSeatIDs.
func (b Booking) LiveSeats() []string {
	var live []string
	for _, id := range b.SeatIDs {
		if !slices.Contains(b.CancelledSeatIDs, id) {
			live = append(live, id)
		}
	}
	return live
}

// Request is a checkout: CreateBooking, or AddSeats when BookingID is set.
type Request struct {
	UserID, HoldID, PaymentToken, Key string
	PromoCode, GiftCardCode           string
	UseStoreCredit                    bool
	BookingID                         string // AddSeats: the booking the hold's seats join
	// IdemHash, when set, identifies the request for idempotency instead of the fields above (AddSeats hashes
	// what the client sent, not the hold made for it).
	IdemHash []byte
}

// Operation names an idempotent operation.
func (r Request) Operation() string {
	if r.BookingID != "" {
		return "add_seats"
	}
	return "create_booking"
}

func (r Request) hash() []byte {
	if r.IdemHash != nil {
		return r.IdemHash
	}
	return hash(r.HoldID, r.PaymentToken, pricing.NormalizeCode(r.PromoCode), r.GiftCardCode,
		fmt.Sprint(r.UseStoreCredit), r.BookingID)
}

// Attempt is a prepared checkout: what was reserved and what the card must pay.
type Attempt struct {
	ID        string // the attempt, also the ID of its card payment
	Region    string
	Request   Request
	Provider  string
	Quote     pricing.Quote
	CardMinor int64    // what the card pays after gift card and store credit
	Done      *Booking // set when the key already produced a booking
	// ChargeRef is the provider's reference of the card charge when it is known before confirmation (a webhook
	// recorded it); the reconciler asks the provider by it.
	ChargeRef string
}

// Store keeps bookings. Each method is one transaction.
type Store interface {
	// PrepareBooking claims the key and, applying rules to what it reads in the same transaction, checks the
	// hold (and the booking seats are added to), prices it and reserves the promotion, gift card and store
	// credit; or it returns the booking the key already made.
	PrepareBooking(ctx context.Context, a Attempt, hash []byte, rules CheckoutRules) (Attempt, error)
	// ConfirmBooking books the hold's seats and records the payments; Precondition if the hold lost its seats.
	ConfirmBooking(ctx context.Context, a Attempt, chargeRef string, b Booking) (Booking, error)
	// FailAttempt undoes what PrepareBooking reserved and frees the key, if the attempt is still open.
	FailAttempt(ctx context.Context, a Attempt, reason string, now time.Time) error
	// OpenAttempts lists up to limit of region's open attempts (prepared, neither confirmed nor undone)
	// prepared before before, oldest first.
	OpenAttempts(ctx context.Context, region string, before time.Time, limit int) ([]Attempt, error)
	// OpenAttempt returns region's attempt id and true while it is open.
	OpenAttempt(ctx context.Context, region, id string) (Attempt, bool, error)
	// RefundAttempt undoes attempt id (if still open) whose card was charged through provider as chargeRef,
	// and records a pending refund of that charge, in one transaction; nil when there is nothing to refund: no
	// card charge through provider, or the attempt was confirmed or refunded already.
	RefundAttempt(ctx context.Context, region, id, provider, chargeRef, reason string, now time.Time) (*PendingRefund, error)
	// Quote prices userID's hold with an optional promotion code by rules, reserving nothing.
	Quote(ctx context.Context, region, holdID, userID, promoCode string, rules CheckoutRules) (pricing.Quote, error)
	GetBooking(ctx context.Context, region, id string) (Booking, error)
	ListBookings(ctx context.Context, userID string, limit int) ([]Booking, error)
	// CancelBooking cancels seats of a booking as rules plan it, on the booking, its seats, its showtime and
	// its chain's stored policy read in the same transaction, and records the refunds it owes.
	CancelBooking(ctx context.Context, c CancelRequest, rules CancelRules) (Cancellation, error)
	// QuoteCancellation plans c as CancelBooking would, on the same facts read in one snapshot, and shares a
	// refund to the original methods among the booking's charges as CancelBooking would; it writes nothing.
	QuoteCancellation(ctx context.Context, c CancelRequest, rules CancelRules) (CancelQuote, error)
	// PendingRefunds lists card refunds still pending that were recorded before before.
	PendingRefunds(ctx context.Context, before time.Time, limit int) ([]PendingRefund, error)
	// RecordRefund marks a card refund as made with the provider's reference.
	RecordRefund(ctx context.Context, region, paymentID, ref string, now time.Time) error
	// PendingHold returns, for an AddSeats key seen before, the hold it made and, once finished, the booking
	// and what was charged.
	PendingHold(ctx context.Context, userID, operation, key string, hash []byte) (string, *Booking, int64, error)
}

// Seats is what booking needs of inventory to add seats.
type Seats interface {
	// HoldWithPass holds seats, with the admission pass an on-sale of the showtime needs ("" when none).
	HoldWithPass(ctx context.Context, userID, showtimeID string, seatIDs []string, pass string) (inventory.Hold, error)
	NextTo(ctx context.Context, showtimeID string, anchors []string, count int) ([]string, error)
	Release(ctx context.Context, userID, holdID string) error
}

// Service books, adds seats and cancels.
type Service struct {
	Store    Store
	Provider payment.Provider
	Now      platform.Clock
	IDs      *platform.IDs
	// Policies resolves a chain's policy (its own, or the default).
	Policies catalog.Policies
	// Seats holds seats for AddSeats.
	Seats Seats
	// TicketKey signs the tickets (notify/ticket) of confirmed bookings returned to their owners, with the key
	// that signs them for emails; without one, bookings carry no ticket.
	TicketKey ed25519.PrivateKey
}

// Create pays for the hold of r and books its seats (or adds them to r.BookingID). The same key returns the
// first booking; the same key with a different request is refused. A declined payment keeps the hold.
func (s *Service) Create(ctx context.Context, r Request) (Booking, error) {
	b, _, err := s.checkout(ctx, r)
	if err != nil {
		return Booking{}, err
	}
	return s.withTicket(b)
}

// withTicket signs the ticket of b, a booking about to be returned to its owner, when it is confirmed: its live
// seats for its showtime, issued now.
func (s *Service) withTicket(b Booking) (Booking, error) {
	live := b.LiveSeats()
	if s.TicketKey == nil || b.Status != Confirmed || len(live) == 0 {
		return b, nil
	}
	t, err := ticket.Sign(s.TicketKey, ticket.Ticket{BookingID: b.ID, ConfirmationCode: b.ConfirmationCode,
		ShowtimeID: b.ShowtimeID, TheatreName: b.Show.TheatreName, MovieTitle: b.Show.MovieTitle,
		StartsAt: b.Show.StartsAt, SeatIDs: live, IssuedAt: s.Now()})
	if err != nil {
		return Booking{}, errs.E("booking.withTicket", err)
	}
	b.Ticket = t
	return b, nil
}

// checkout runs the saga and returns the booking and what this checkout charged.
func (s *Service) checkout(ctx context.Context, r Request) (Booking, int64, error) {
	const op = "booking.Create"
	reg, ok := regions.OfID(r.HoldID)
	if !ok {
		return Booking{}, 0, inventory.HoldNotFound(op)
	}
	a := Attempt{ID: s.IDs.Regional(reg.IDPrefix), Region: reg.Name, Request: r, Provider: s.Provider.Name()}
	a, err := s.Store.PrepareBooking(ctx, a, r.hash(), s.checkoutRules())
	if err != nil {
		return Booking{}, 0, errs.E(op, err)
	}
	if a.Done != nil {
		return *a.Done, a.Quote.TotalMinor, nil
	}
	ref, err := s.charge(ctx, a)
	if errs.Is(err, errs.Unavailable) {
		// The provider may or may not have charged the card. Keep the attempt (and what it reserved) so that a
		// retry with the same key charges under the same provider idempotency key: the provider then returns
		// the first result instead of charging twice.
		return Booking{}, 0, errs.E(op, errs.Unavailable, "payment provider unavailable; retry with the same idempotency key", err)
	}
	if err != nil {
		if ferr := s.Store.FailAttempt(ctx, a, errs.Message(err), s.Now()); ferr != nil {
			return Booking{}, 0, errs.E(op, ferr)
		}
		return Booking{}, 0, errs.E(op, err)
	}
	b, err := s.confirm(ctx, a, ref)
	if errs.Is(err, errs.Precondition) {
		return Booking{}, 0, s.undo(ctx, a, ref, err)
	}
	if err != nil {
		return Booking{}, 0, errs.E(op, err)
	}
	return b, a.Quote.TotalMinor, nil
}

// confirm books the seats of prepared attempt a, whose card (if any) was charged as chargeRef: the one way an
// attempt becomes a booking, for a checkout and for the reconciler alike. Precondition if its hold lost its
// seats, or the attempt was undone meanwhile.
func (s *Service) confirm(ctx context.Context, a Attempt, chargeRef string) (Booking, error) {
	reg, _ := regions.ByName(a.Region)
	b := Booking{ID: s.IDs.Regional(reg.IDPrefix), Region: a.Region, ConfirmationCode: NewConfirmationCode(),
		UserID: a.Request.UserID, HoldID: a.Request.HoldID, Status: Confirmed, CreatedAt: s.Now()}
	return s.Store.ConfirmBooking(ctx, a, chargeRef, b)
}

// checkoutRules are the rules of a checkout starting now.
func (s *Service) checkoutRules() CheckoutRules {
	return CheckoutRules{Now: s.Now(), Policies: s.Policies}
}

// charge takes the card's share; nothing is charged when gift card and store credit cover the total.
func (s *Service) charge(ctx context.Context, a Attempt) (string, error) {
	if a.CardMinor == 0 {
		return "", nil
	}
	return s.Provider.Charge(ctx, payment.ChargeRequest{AmountMinor: a.CardMinor, Currency: a.Quote.Currency,
		Token: a.Request.PaymentToken, IdempotencyKey: chargeKey(a.ID), Description: "Marquee hold " + a.Request.HoldID})
}

// undo refunds a charge whose hold lost its seats before confirmation, and releases what prepare reserved.
func (s *Service) undo(ctx context.Context, a Attempt, chargeRef string, cause error) error {
	const op = "booking.Create"
	if err := s.refundAttempt(ctx, a.Region, a.ID, a.Provider, chargeRef, "hold lost before confirmation"); err != nil {
		return errs.E(op, err)
	}
	msg := errs.Message(cause) + "; nothing was charged"
	if chargeRef != "" {
		msg = errs.Message(cause) + "; the payment is refunded"
	}
	return errs.E(op, errs.Precondition, msg, cause)
}

// refundAttempt settles attempt id, charged through provider as chargeRef, as never to be a booking: what it
// reserved is released and the charge refunded (RetryRefunds retries a refund the provider fails now), unless
// the attempt was confirmed or refunded already.
func (s *Service) refundAttempt(ctx context.Context, region, id, provider, chargeRef, reason string) error {
	pr, err := s.Store.RefundAttempt(ctx, region, id, provider, chargeRef, reason, s.Now())
	if err != nil || pr == nil {
		return err
	}
	_ = s.refund(ctx, pr.Region, pr.Currency, pr.CardRefund) // left pending for RetryRefunds if it fails
	return nil
}

// Quote prices userID's hold with an optional promotion code: exactly what Create would charge now.
func (s *Service) Quote(ctx context.Context, userID, holdID, promoCode string) (pricing.Quote, error) {
	const op = "booking.Quote"
	reg, ok := regions.OfID(holdID)
	if !ok {
		return pricing.Quote{}, inventory.HoldNotFound(op)
	}
	q, err := s.Store.Quote(ctx, reg.Name, holdID, userID, promoCode, s.checkoutRules())
	if err != nil {
		return pricing.Quote{}, errs.E(op, err)
	}
	return q, nil
}

// Get returns userID's booking with its ticket; other users' bookings are NotFound.
func (s *Service) Get(ctx context.Context, userID, bookingID string) (Booking, error) {
	b, err := s.get(ctx, userID, bookingID)
	if err != nil {
		return Booking{}, err
	}
	return s.withTicket(b)
}

// get returns userID's booking; other users' bookings are NotFound.
func (s *Service) get(ctx context.Context, userID, bookingID string) (Booking, error) {
	const op = "booking.Get"
	r, ok := regions.OfID(bookingID)
	if !ok {
		return Booking{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	b, err := s.Store.GetBooking(ctx, r.Name, bookingID)
	if err == nil {
		err = checkOwner(b, userID)
	}
	if err != nil {
		return Booking{}, errs.E(op, err)
	}
	return b, nil
}

// checkOwner checks that b is userID's; someone else's booking is NotFound, as a missing one is, so that
// bookings of others are not revealed.
func checkOwner(b Booking, userID string) error {
	if b.UserID != userID {
		return errs.Errorf("booking.checkOwner", errs.NotFound, "booking not found")
	}
	return nil
}

// List returns userID's most recent bookings, newest first.
func (s *Service) List(ctx context.Context, userID string) ([]Booking, error) {
	bs, err := s.Store.ListBookings(ctx, userID, 100)
	if err != nil {
		return nil, errs.E("booking.List", err)
	}
	for i := range bs {
		if bs[i], err = s.withTicket(bs[i]); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

func hash(parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}
