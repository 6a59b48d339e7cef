package store

import (
	"bytes"
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

// CancelBooking cancels a confirmed booking of c.UserID in one transaction: the booking and its seats are
// marked cancelled, the seats become available, a pending refund is recorded and BookingCancelled is written
// to the outbox. A retry with the same key returns the first result.
func (s *BookingStore) CancelBooking(ctx context.Context, c booking.CancelRequest) (booking.Cancellation, error) {
	const op = "store.CancelBooking"
	var out booking.Cancellation
	hash := []byte(c.BookingID)
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		k, err := getIdemKey(ctx, tx, c.UserID, opCancelBooking, c.Key)
		if err != nil {
			return err
		}
		if k != nil && !bytes.Equal(k.hash, hash) {
			return booking.KeyReusedError(op)
		}
		if k != nil {
			out, err = s.previousCancellation(ctx, tx, c, k)
			return err
		}
		out, err = s.cancel(ctx, tx, c)
		if err != nil {
			return err
		}
		var refundID *string
		if out.RefundPayment != "" {
			refundID = &out.RefundPayment
		}
		_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, operation, key, request_hash, resource_id,
			payment_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.UserID, opCancelBooking, c.Key, hash, c.BookingID, refundID, c.Now)
		return wrap(op, err)
	})
	if err != nil {
		return booking.Cancellation{}, errs.E(op, err)
	}
	return out, nil
}

func (s *BookingStore) cancel(ctx context.Context, tx pgx.Tx, c booking.CancelRequest) (booking.Cancellation, error) {
	const op = "store.cancel"
	b, err := getBooking(ctx, tx, c.Region, c.BookingID)
	if err != nil {
		return booking.Cancellation{}, err
	}
	if b.UserID != c.UserID {
		return booking.Cancellation{}, errs.Errorf(op, errs.NotFound, "booking not found")
	}
	if b.Status != booking.Confirmed {
		return booking.Cancellation{}, errs.Errorf(op, errs.Precondition, "the booking is already %s", b.Status)
	}
	st, err := getShowtime(ctx, tx, b.Region, b.ShowtimeID)
	if err != nil {
		return booking.Cancellation{}, err
	}
	refund, err := c.Refund(b, st.StartsAt)
	if err != nil {
		return booking.Cancellation{}, err
	}
	b.Status, b.RefundMinor, b.CancelledAt = booking.Cancelled, refund, c.Now
	stmts := []struct {
		sql  string
		args []any
	}{
		{`UPDATE bookings SET status = 'cancelled', refund_minor = $3, cancelled_at = $4
			WHERE region = $1 AND id = $2`, []any{b.Region, b.ID, refund, c.Now}},
		{`UPDATE booking_seats SET status = 'cancelled' WHERE region = $1 AND booking_id = $2`, []any{b.Region, b.ID}},
		{`UPDATE showtime_seats SET status = 'available', booking_id = NULL
			WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND booking_id = $4`,
			[]any{b.Region, b.ShowtimeID, b.SeatIDs, b.ID}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return booking.Cancellation{}, errs.E(op, err)
		}
	}
	out := booking.Cancellation{Booking: b}
	if refund > 0 {
		if out.ChargeRef, err = s.recordRefund(ctx, tx, b, c.RefundPaymentID, c.Now); err != nil {
			return booking.Cancellation{}, err
		}
		out.RefundPayment = c.RefundPaymentID
	}
	return out, s.db.insertEvent(ctx, tx, c.Now, events.BookingCancelled(eventOf(b, refund, c.Now)))
}

// recordRefund inserts a pending refund payment for b and returns the provider reference of b's charge.
func (s *BookingStore) recordRefund(ctx context.Context, tx pgx.Tx, b booking.Booking, paymentID string, now time.Time) (string, error) {
	const op = "store.recordRefund"
	var chargeRef, provider string
	if err := tx.QueryRow(ctx, `SELECT provider_ref, provider FROM payments
		WHERE booking_id = $1 AND kind = 'charge' AND status = 'succeeded'`, b.ID).Scan(&chargeRef, &provider); err != nil {
		return "", errs.E(op, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO payments (region, id, user_id, booking_id, kind, provider, idempotency_key,
		status, currency, amount_minor, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'refund', $5, $6, 'pending', $7, $8, $9, $9)`,
		b.Region, paymentID, b.UserID, b.ID, provider, "mq_refund_"+paymentID, b.Currency, b.RefundMinor, now)
	return chargeRef, wrap(op, err)
}

// previousCancellation rebuilds the result of a cancellation already made under the same key.
func (s *BookingStore) previousCancellation(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, k *idemKey) (booking.Cancellation, error) {
	b, err := getBooking(ctx, tx, c.Region, c.BookingID)
	if err != nil {
		return booking.Cancellation{}, err
	}
	out := booking.Cancellation{Booking: b}
	if k.paymentID == nil {
		return out, nil
	}
	out.RefundPayment = *k.paymentID
	var status string
	if err := tx.QueryRow(ctx, `SELECT p.status, c.provider_ref FROM payments p
		JOIN payments c ON c.booking_id = p.booking_id AND c.kind = 'charge' AND c.status = 'succeeded'
		WHERE p.region = $1 AND p.id = $2`, c.Region, out.RefundPayment).Scan(&status, &out.ChargeRef); err != nil {
		return booking.Cancellation{}, errs.E("store.previousCancellation", err)
	}
	out.RefundDone = status == "succeeded"
	return out, nil
}

// RecordRefund marks a pending refund as succeeded.
func (s *BookingStore) RecordRefund(ctx context.Context, region, paymentID, ref string, now time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE payments SET status = 'succeeded', provider_ref = $3, updated_at = $4
			WHERE region = $1 AND id = $2 AND status = 'pending'`, region, paymentID, ref, now)
		return wrap("store.RecordRefund", err)
	})
}
