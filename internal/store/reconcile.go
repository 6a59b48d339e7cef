package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
)

// openAttemptSQL reads open checkout attempts: an idempotency key with an attempt and its saved quote but no
// result yet (the partial index idempotency_keys_open holds exactly those), with the card payment's provider
// and reference when there is one.
const openAttemptSQL = `SELECT k.user_id, k.operation, k.key, k.payment_id, coalesce(k.hold_id, ''), k.result,
		coalesce(c.provider, ''), coalesce(c.provider_ref, '')
	FROM idempotency_keys k LEFT JOIN payments c ON c.region = $1 AND c.id = k.payment_id AND c.method = 'card'
	WHERE k.resource_id IS NULL AND k.payment_id IS NOT NULL AND k.result IS NOT NULL`

// scanAttempt reads a row of openAttemptSQL and says whether the attempt is complete enough to be confirmed:
// an AddSeats attempt prepared before the booking it adds to was saved with it is not (it can still be undone).
func scanAttempt(region string, row pgx.Row) (booking.Attempt, bool, error) {
	a := booking.Attempt{Region: region}
	r := &a.Request
	var op string
	var result []byte
	if err := row.Scan(&r.UserID, &op, &r.Key, &a.ID, &r.HoldID, &result, &a.Provider, &a.ChargeRef); err != nil {
		return a, false, err
	}
	if err := decodeAttempt(result, &a); err != nil {
		return a, false, err
	}
	return a, op == a.Request.Operation(), nil
}

// OpenAttempts lists up to limit of region's open checkout attempts prepared before before, oldest first.
func (s *BookingStore) OpenAttempts(ctx context.Context, region string, before time.Time, limit int) ([]booking.Attempt, error) {
	const op = "store.OpenAttempts"
	prefix := prefixOf(region) + "_"
	rows, err := s.db.Pool.Query(ctx, openAttemptSQL+` AND left(k.payment_id, $2) = $3 AND k.created_at < $4
		ORDER BY k.created_at LIMIT $5`, region, len(prefix), prefix, before, limit)
	if err != nil {
		return nil, errs.E(op, err)
	}
	var out []booking.Attempt
	defer rows.Close()
	for rows.Next() {
		a, complete, err := scanAttempt(region, rows)
		if err != nil {
			return nil, errs.E(op, err)
		}
		if complete {
			out = append(out, a)
		}
	}
	return out, wrap(op, rows.Err())
}

// OpenAttempt returns region's checkout attempt id if it is still open, and whether it is. An open attempt
// too old to say which booking it adds seats to is Precondition.
func (s *BookingStore) OpenAttempt(ctx context.Context, region, id string) (booking.Attempt, bool, error) {
	const op = "store.OpenAttempt"
	a, complete, err := scanAttempt(region, s.db.Pool.QueryRow(ctx, openAttemptSQL+` AND k.payment_id = $2`, region, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return booking.Attempt{}, false, nil
	case err != nil:
		return booking.Attempt{}, false, errs.E(op, err)
	case !complete:
		return booking.Attempt{}, false, errs.Errorf(op, errs.Precondition, "attempt %s does not say which booking it adds to", id)
	}
	return a, true, nil
}

func openAttempt(ctx context.Context, db q, region, id string) (*booking.Attempt, error) {
	a, _, err := scanAttempt(region, db.QueryRow(ctx, openAttemptSQL+` AND k.payment_id = $2`, region, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.E("store.openAttempt", err)
	}
	return &a, nil
}

// RefundAttempt settles a checkout attempt whose card was charged through provider (chargeRef) but which
// will never be a booking, in one transaction: if the attempt is still open it releases what the attempt holds
// (as FailAttempt does), and it records a pending refund of the whole card charge, which it returns for the
// caller to make (and booking.RetryRefunds to retry). No refund is recorded, and nil returned, when the attempt
// has no card charge through provider, was confirmed (a charge of a booking is never refunded here) or was
// refunded already.
func (s *BookingStore) RefundAttempt(ctx context.Context, region, id, provider, chargeRef, reason string,
	now time.Time) (*booking.PendingRefund, error) {
	const op = "store.RefundAttempt"
	var out *booking.PendingRefund
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		a, err := openAttempt(ctx, tx, region, id)
		if err != nil {
			return err
		}
		if a != nil {
			if err := s.release(ctx, tx, *a, reason, now); err != nil {
				return err
			}
		}
		var userID, currency string
		var amount int64
		var bookingID *string
		err = tx.QueryRow(ctx, `SELECT user_id, currency, amount_minor, booking_id FROM payments
			WHERE region = $1 AND id = $2 AND kind = 'charge' AND method = 'card' AND provider = $3`,
			region, id, provider).Scan(&userID, &currency, &amount, &bookingID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && bookingID != nil) {
			return nil
		}
		if err != nil {
			return errs.E(op, err)
		}
		var refunds int
		// A refund of a charge of no booking is the attempt's own (attempt_id is indexed; refund_of is not).
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM payments WHERE region = $1 AND attempt_id = $2
			AND refund_of = $2 AND kind = 'refund'`, region, id).Scan(&refunds); err != nil || refunds > 0 {
			return wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'succeeded', provider_ref = $3, updated_at = $4
			WHERE region = $1 AND id = $2`, region, id, chargeRef, now); err != nil {
			return errs.E(op, err)
		}
		rid := s.db.IDs.Regional(prefixOf(region))
		if _, err := tx.Exec(ctx, `INSERT INTO payments (region, id, user_id, kind, provider, idempotency_key, status,
			currency, amount_minor, method, attempt_id, refund_of, created_at, updated_at)
			VALUES ($1, $2, $3, 'refund', $4, $5, 'pending', $6, $7, 'card', $8, $8, $9, $9)`,
			region, rid, userID, provider, "mq_refund_"+rid, currency, amount, id, now); err != nil {
			return errs.E(op, err)
		}
		out = &booking.PendingRefund{CardRefund: booking.CardRefund{PaymentID: rid, ChargeRef: chargeRef, AmountMinor: amount},
			Region: region, Currency: currency}
		return nil
	})
	if err != nil {
		return nil, errs.E(op, err)
	}
	return out, nil
}
