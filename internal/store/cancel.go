package store

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

const opCancelBooking = "cancel_booking"

// cancelResult is what a cancellation returns, kept with its idempotency key.
type cancelResult struct {
	RefundMinor      int64 `json:"refund"`
	StoreCreditMinor int64 `json:"storeCredit"`
}

// CancelBooking cancels seats of a confirmed booking in one transaction: they are marked cancelled and become
// available, the refund is computed by the chain's policy and recorded (card refunds pending until the
// provider confirms; gift card and store credit at once) and BookingCancelled is written to the outbox. A
// retry with the same key returns the first result.
func (s *BookingStore) CancelBooking(ctx context.Context, c booking.CancelRequest, def catalog.ChainPolicy) (booking.Cancellation, error) {
	const op = "store.CancelBooking"
	var out booking.Cancellation
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		k, err := getIdemKey(ctx, tx, c.UserID, opCancelBooking, c.Key)
		if err != nil {
			return err
		}
		if k != nil {
			out, err = s.previousCancellation(ctx, tx, c, k)
			return err
		}
		if out, err = s.cancel(ctx, tx, c, def); err != nil {
			return err
		}
		result, _ := json.Marshal(cancelResult{RefundMinor: out.RefundMinor, StoreCreditMinor: out.StoreCreditMinor})
		_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, operation, key, request_hash, resource_id,
			payment_id, result, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.UserID, opCancelBooking, c.Key, c.Hash(), c.BookingID, c.AttemptID, result, c.Now)
		return wrap(op, err)
	})
	if err != nil {
		return booking.Cancellation{}, errs.E(op, err)
	}
	return out, nil
}

// seatLine is a booked seat with what it cost.
type seatLine struct {
	id                   string
	price, discount, fee int64
}

func (s *BookingStore) cancel(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, def catalog.ChainPolicy) (booking.Cancellation, error) {
	const op = "store.cancel"
	b, err := getBooking(ctx, tx, c.Region, c.BookingID)
	if errs.Is(err, errs.NotFound) || (err == nil && b.UserID != c.UserID) {
		return booking.Cancellation{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	if err != nil {
		return booking.Cancellation{}, err
	}
	if b.Status != booking.Confirmed {
		return booking.Cancellation{}, errs.Errorf(op, errs.Precondition, "the booking is already %s", b.Status)
	}
	si, err := showInfo(ctx, tx, b.Region, b.ShowtimeID)
	if err != nil {
		return booking.Cancellation{}, err
	}
	left := si.Showtime.StartsAt.Sub(c.Now)
	if left <= 0 && !c.Full {
		return booking.Cancellation{}, errs.Errorf(op, errs.Precondition, "the show has started; the booking can no longer be cancelled")
	}
	policy, err := chainPolicy(ctx, tx, si.ChainID, def)
	if err != nil {
		return booking.Cancellation{}, err
	}
	if c.Full {
		policy.RefundTiers, policy.RefundFees, left = []catalog.RefundTier{{Before: 0, Percent: 100}}, true, max(left, 0)
	}
	lines, all, err := seatsToCancel(ctx, tx, b, c.SeatIDs)
	if err != nil {
		return booking.Cancellation{}, err
	}
	pct := policy.RefundPercent(left)
	var refund int64
	for _, l := range lines {
		refund += booking.RefundOf(l.price, l.discount, l.fee, pct, policy.RefundFees)
	}
	if err := releaseSeats(ctx, tx, b, lines, pct, policy.RefundFees, all, c.Now); err != nil {
		return booking.Cancellation{}, err
	}
	out := booking.Cancellation{RefundMinor: refund}
	if err := s.refund(ctx, tx, c, b, refund, policy.StoreCreditBonusPercent, &out); err != nil {
		return booking.Cancellation{}, err
	}
	ev := eventOf(b, refund, c.Now)
	ev.SeatIDs, ev.Partial = idsOf(lines), !all
	if err := s.db.insertEvent(ctx, tx, c.Now, events.BookingCancelled(ev)); err != nil {
		return booking.Cancellation{}, err
	}
	out.Booking, err = getBooking(ctx, tx, b.Region, b.ID)
	return out, err
}

// seatsToCancel returns the booked seats to cancel (all when ids is empty) and whether that is every one left.
func seatsToCancel(ctx context.Context, tx pgx.Tx, b booking.Booking, ids []string) ([]seatLine, bool, error) {
	const op = "store.seatsToCancel"
	rows, err := tx.Query(ctx, `SELECT seat_id, price_minor, discount_minor, fee_minor FROM booking_seats
		WHERE region = $1 AND booking_id = $2 AND status = 'confirmed' ORDER BY seat_id`, b.Region, b.ID)
	if err != nil {
		return nil, false, errs.E(op, err)
	}
	var booked []seatLine
	var l seatLine
	if _, err := pgx.ForEachRow(rows, []any{&l.id, &l.price, &l.discount, &l.fee}, func() error {
		booked = append(booked, l)
		return nil
	}); err != nil {
		return nil, false, errs.E(op, err)
	}
	if len(ids) == 0 {
		return booked, true, nil
	}
	var pick []seatLine
	for _, id := range ids {
		i := slices.IndexFunc(booked, func(l seatLine) bool { return l.id == id })
		if i < 0 {
			if slices.Contains(b.SeatIDs, id) {
				return nil, false, errs.Errorf(op, errs.Precondition, "seat %s is already cancelled", id)
			}
			return nil, false, errs.Errorf(op, errs.Invalid, "seat %s is not part of this booking", id)
		}
		pick = append(pick, booked[i])
	}
	return pick, len(pick) == len(booked), nil
}

// releaseSeats marks the seats cancelled with their refunds, frees their inventory and updates the booking.
func releaseSeats(ctx context.Context, tx pgx.Tx, b booking.Booking, lines []seatLine, pct int, refundFees, all bool, now time.Time) error {
	const op = "store.releaseSeats"
	var total int64
	for _, l := range lines {
		r := booking.RefundOf(l.price, l.discount, l.fee, pct, refundFees)
		total += r
		if _, err := tx.Exec(ctx, `UPDATE booking_seats SET status = 'cancelled', refund_minor = $4
			WHERE region = $1 AND booking_id = $2 AND seat_id = $3`, b.Region, b.ID, l.id, r); err != nil {
			return errs.E(op, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE showtime_seats SET status = 'available', booking_id = NULL
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND booking_id = $4`,
		b.Region, b.ShowtimeID, idsOf(lines), b.ID); err != nil {
		return errs.E(op, err)
	}
	_, err := tx.Exec(ctx, `UPDATE bookings SET refund_minor = refund_minor + $3,
		status = CASE WHEN $4 THEN 'cancelled' ELSE status END,
		cancelled_at = CASE WHEN $4 THEN CAST($5 AS TIMESTAMPTZ) ELSE cancelled_at END
		WHERE region = $1 AND id = $2`, b.Region, b.ID, total, all, now)
	return wrap(op, err)
}

func idsOf(lines []seatLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.id
	}
	return out
}

// previousCancellation rebuilds the result of a cancellation made under the same key, with any card refund
// that is still pending so the caller can try it again.
func (s *BookingStore) previousCancellation(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, k *idemKey) (booking.Cancellation, error) {
	if !bytes.Equal(k.hash, c.Hash()) {
		return booking.Cancellation{}, errs.KeyReused("store.previousCancellation")
	}
	b, err := getBooking(ctx, tx, c.Region, c.BookingID)
	if err != nil {
		return booking.Cancellation{}, err
	}
	var r cancelResult
	if err := json.Unmarshal(k.result, &r); err != nil {
		return booking.Cancellation{}, errs.E("store.previousCancellation", err)
	}
	out := booking.Cancellation{Booking: b, RefundMinor: r.RefundMinor, StoreCreditMinor: r.StoreCreditMinor}
	out.CardRefunds, err = pendingCardRefunds(ctx, tx, c.Region, *k.paymentID)
	return out, err
}
