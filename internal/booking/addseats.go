package booking

import (
	"context"
	"fmt"
	"slices"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
)

// AddRequest adds seats to a booking: the given SeatIDs, or Count seats next to the booking's.
type AddRequest struct {
	Request
	SeatIDs []string
	Count   int
	// Pass is the admission pass the new seats' hold needs while the showtime has an on-sale; it is not part
	// of the request's idempotency hash (a retry may carry a newer pass).
	Pass string
}

func (r AddRequest) hash() []byte {
	seats := slices.Clone(r.SeatIDs)
	slices.Sort(seats)
	return hash(append([]string{r.BookingID, fmt.Sprint(r.Count), r.PaymentToken, pricing.NormalizeCode(r.PromoCode),
		r.GiftCardCode, fmt.Sprint(r.UseStoreCredit)}, seats...)...)
}

// AddSeats holds the requested seats (or the best ones next to the booking's), charges only them and adds them
// to the booking, keeping its ID and confirmation code. It returns the booking and what was charged. The same
// key returns the first result.
func (s *Service) AddSeats(ctx context.Context, r AddRequest) (Booking, int64, error) {
	const op = "booking.AddSeats"
	if (len(r.SeatIDs) == 0) == (r.Count == 0) {
		return Booking{}, 0, errs.Errorf(op, errs.Invalid, "give either seat_ids or count")
	}
	b, err := s.get(ctx, r.UserID, r.BookingID)
	if err != nil {
		return Booking{}, 0, errs.E(op, err)
	}
	r.IdemHash = r.hash()
	holdID, done, charged, err := s.Store.PendingHold(ctx, r.UserID, r.Operation(), r.Key, r.IdemHash)
	if err != nil {
		return Booking{}, 0, errs.E(op, err)
	}
	if done != nil {
		b, err := s.withTicket(*done)
		return b, charged, err
	}
	made := holdID == ""
	if made {
		// Checked before holding seats for it; the checkout checks again on committed state.
		if err := CheckTarget(b, r.UserID, b.ShowtimeID); err != nil {
			return Booking{}, 0, errs.E(op, err)
		}
		if holdID, err = s.holdFor(ctx, b, r); err != nil {
			return Booking{}, 0, errs.E(op, err)
		}
	}
	r.HoldID = holdID
	out, charged, err := s.checkout(ctx, r.Request)
	if err != nil && made && !errs.Is(err, errs.Other) && !errs.Is(err, errs.Unavailable) {
		// Nothing was bought: give the seats back at once. Not when the provider's answer was lost: the card
		// may have been charged, and the seats must wait for a retry or the reconciler to confirm them.
		_ = s.Seats.Release(ctx, r.UserID, holdID)
	}
	if err != nil {
		return Booking{}, 0, errs.E(op, err)
	}
	out, err = s.withTicket(out)
	return out, charged, err
}

// holdFor holds the seats to add: the ones asked for, or the best ones next to the booking's live seats.
func (s *Service) holdFor(ctx context.Context, b Booking, r AddRequest) (string, error) {
	seats := r.SeatIDs
	if len(seats) == 0 {
		var err error
		if seats, err = s.Seats.NextTo(ctx, b.ShowtimeID, b.LiveSeats(), r.Count); err != nil {
			return "", err
		}
	}
	h, err := s.Seats.HoldWithPass(ctx, r.UserID, b.ShowtimeID, seats, r.Pass)
	return h.ID, err
}
