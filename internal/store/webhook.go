package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// ApplyWebhook applies a verified Stripe event to our payment records once: a redelivered event (same ID) has
// no second effect. It reports whether the event was new.
func (db *DB) ApplyWebhook(ctx context.Context, ev payment.WebhookEvent, now time.Time) (bool, error) {
	const op = "store.ApplyWebhook"
	var fresh bool
	err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_events (provider, event_id, event_type, received_at)
			VALUES ('stripe', $1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING`, ev.ID, ev.Type, now)
		if err != nil {
			return errs.E(op, err)
		}
		if fresh = tag.RowsAffected() == 1; !fresh {
			return nil
		}
		return applyEvent(ctx, tx, ev, now)
	})
	return fresh, err
}

func applyEvent(ctx context.Context, tx pgx.Tx, ev payment.WebhookEvent, now time.Time) error {
	var err error
	switch ev.Type {
	case payment.EventPaymentSucceeded:
		_, err = tx.Exec(ctx, `UPDATE payments SET status = 'succeeded', provider_ref = $1, updated_at = $3
			WHERE provider = 'stripe' AND kind = 'charge' AND status = 'pending'
			  AND (provider_ref = $1 OR idempotency_key = $2)`, ev.PaymentIntentID, ev.IdempotencyKey, now)
	case payment.EventPaymentFailed:
		_, err = tx.Exec(ctx, `UPDATE payments SET status = 'failed', failure_reason = $3, updated_at = $4
			WHERE provider = 'stripe' AND kind = 'charge' AND status = 'pending'
			  AND (provider_ref = $1 OR idempotency_key = $2)`, ev.PaymentIntentID, ev.IdempotencyKey,
			ev.FailureMessage, now)
	case payment.EventChargeRefunded:
		_, err = tx.Exec(ctx, `UPDATE payments r SET status = 'succeeded', updated_at = $2
			FROM payments c WHERE r.region = c.region AND r.refund_of = c.id AND r.kind = 'refund'
			  AND r.status = 'pending' AND c.provider = 'stripe' AND c.provider_ref = $1`, ev.PaymentIntentID, now)
	}
	return wrap("store.applyEvent", err)
}
