package store

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

const opCancelBooking = "cancel_booking"

// cancelResult is what a cancellation returns, kept with its idempotency key.
type cancelResult struct {
	RefundMinor      int64 `json:"refund"`
	StoreCreditMinor int64 `json:"storeCredit"`
}

// CancelBooking cancels seats of a confirmed booking in one transaction: it reads the booking, its booked
// seats, its showtime and its chain's stored policy, lets rules plan the cancellation, and writes the plan:
// the seats are marked cancelled with their refunds and become available, the refunds are recorded (card
// refunds pending until the provider confirms; gift card and store credit at once) and BookingCancelled is
// written to the outbox. A retry with the same key returns the first result.
func (s *BookingStore) CancelBooking(ctx context.Context, c booking.CancelRequest, rules booking.CancelRules) (booking.Cancellation, error) {
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
		if out, err = s.cancel(ctx, tx, c, rules); err != nil {
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

func (s *BookingStore) cancel(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, rules booking.CancelRules) (booking.Cancellation, error) {
	f, err := cancelFacts(ctx, tx, c)
	if err != nil {
		return booking.Cancellation{}, err
	}
	plan, err := rules.Plan(c, f)
	if err != nil {
		return booking.Cancellation{}, err
	}
	b := f.Booking
	if err := releaseSeats(ctx, tx, b, plan, c.Now); err != nil {
		return booking.Cancellation{}, err
	}
	out := booking.Cancellation{RefundMinor: plan.RefundMinor, StoreCreditMinor: plan.StoreCreditMinor}
	if err := s.refund(ctx, tx, c, b, plan, &out); err != nil {
		return booking.Cancellation{}, err
	}
	ev := eventOf(b, plan.RefundMinor, c.Now)
	ev.SeatIDs, ev.Partial = plan.SeatIDs(), !plan.All
	if err := s.db.insertEvent(ctx, tx, c.Now, events.BookingCancelled(ev)); err != nil {
		return booking.Cancellation{}, err
	}
	out.Booking, err = getBooking(ctx, tx, b.Region, b.ID)
	return out, err
}

// QuoteCancellation plans cancellation c as CancelBooking would now, on the same facts read in one snapshot,
// and shares a refund to the original methods among the booking's charges as CancelBooking would. It runs in a
// read-only transaction: nothing is written, not even an idempotency key.
func (s *BookingStore) QuoteCancellation(ctx context.Context, c booking.CancelRequest, rules booking.CancelRules) (booking.CancelQuote, error) {
	const op = "store.QuoteCancellation"
	var q booking.CancelQuote
	err := s.db.Read(ctx, func(ctx context.Context, tx pgx.Tx) error {
		f, err := cancelFacts(ctx, tx, c)
		if err != nil {
			return err
		}
		if q.Plan, err = rules.Plan(c, f); err != nil {
			return err
		}
		q.Currency = f.Booking.Currency
		if q.Plan.RefundMinor == 0 || q.Plan.StoreCreditMinor > 0 {
			return nil // nothing to refund, or all of it as store credit (see refund)
		}
		charges, err := refundableCharges(ctx, tx, f.Booking)
		if err != nil {
			return err
		}
		paid, _ := chargesByID(charges)
		q.Parts, err = booking.SplitRefund(q.Plan.RefundMinor, paid)
		return err
	})
	if err != nil {
		return booking.CancelQuote{}, errs.E(op, err)
	}
	return q, nil
}

// cancelFacts reads what a cancellation is decided on: the booking, its seats still booked, when its show
// starts and its chain's stored policy.
func cancelFacts(ctx context.Context, tx pgx.Tx, c booking.CancelRequest) (booking.CancelFacts, error) {
	var f booking.CancelFacts
	var err error
	if f.Booking, err = getBooking(ctx, tx, c.Region, c.BookingID); err != nil {
		return f, err
	}
	si, err := showInfo(ctx, tx, f.Booking.Region, f.Booking.ShowtimeID)
	if err != nil {
		return f, err
	}
	f.StartsAt, f.ChainID = si.Showtime.StartsAt, si.ChainID
	if f.Policy, err = storedPolicy(ctx, tx, si.ChainID); err != nil {
		return f, err
	}
	if f.Booked, err = bookedSeats(ctx, tx, f.Booking); err != nil {
		return f, err
	}
	charges, err := refundableCharges(ctx, tx, f.Booking)
	f.Charges, _ = chargesByID(charges)
	return f, err
}

// bookedSeats returns b's seats still booked, by seat ID, with what each cost.
func bookedSeats(ctx context.Context, tx pgx.Tx, b booking.Booking) ([]booking.SeatLine, error) {
	const op = "store.bookedSeats"
	rows, err := tx.Query(ctx, `SELECT seat_id, price_minor, discount_minor, fee_minor FROM booking_seats
		WHERE region = $1 AND booking_id = $2 AND status = 'confirmed' ORDER BY seat_id`, b.Region, b.ID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	var booked []booking.SeatLine
	var l booking.SeatLine
	if _, err := pgx.ForEachRow(rows, []any{&l.SeatID, &l.PriceMinor, &l.DiscountMinor, &l.FeeMinor}, func() error {
		booked = append(booked, l)
		return nil
	}); err != nil {
		return nil, errs.E(op, err)
	}
	return booked, nil
}

// releaseSeats marks the plan's seats cancelled with their refunds, frees their inventory and updates the
// booking.
func releaseSeats(ctx context.Context, tx pgx.Tx, b booking.Booking, plan booking.CancelPlan, now time.Time) error {
	const op = "store.releaseSeats"
	for _, seat := range plan.Seats {
		// Only the seat's live row: an earlier purchase of it, cancelled, keeps its own refund.
		if _, err := tx.Exec(ctx, `UPDATE booking_seats SET status = 'cancelled', refund_minor = $4
			WHERE region = $1 AND booking_id = $2 AND seat_id = $3 AND status = 'confirmed'`, b.Region, b.ID,
			seat.SeatID, seat.RefundMinor); err != nil {
			return errs.E(op, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE showtime_seats SET status = 'available', booking_id = NULL
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND booking_id = $4`,
		b.Region, b.ShowtimeID, plan.SeatIDs(), b.ID); err != nil {
		return errs.E(op, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE hold_quotas SET booked = GREATEST(booked - $4, 0)
		WHERE region = $1 AND showtime_id = $2 AND user_id = $3`, b.Region, b.ShowtimeID, b.UserID, len(plan.Seats)); err != nil {
		return errs.E(op, err)
	}
	_, err := tx.Exec(ctx, `UPDATE bookings SET refund_minor = refund_minor + $3,
		status = CASE WHEN $4 THEN 'cancelled' ELSE status END,
		cancelled_at = CASE WHEN $4 THEN CAST($5 AS TIMESTAMPTZ) ELSE cancelled_at END
		WHERE region = $1 AND id = $2`, b.Region, b.ID, plan.RefundMinor, plan.All, now)
	return wrap(op, err)
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
