package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
)

// Retention says how long bookkeeping rows are kept.
type Retention struct {
	ProcessedEvents time.Duration // consumer dedup records; must outlast any redelivery (JetStream keeps 7 days)
	WebhookEvents   time.Duration // Stripe retries for 3 days
	IdempotencyKeys time.Duration // finished keys; clients retry within minutes
	Outbox          time.Duration // published rows
}

// DefaultRetention keeps each kind of row comfortably longer than anything that may refer to it.
var DefaultRetention = Retention{ProcessedEvents: 8 * 24 * time.Hour, WebhookEvents: 30 * 24 * time.Hour,
	IdempotencyKeys: 30 * 24 * time.Hour, Outbox: 8 * 24 * time.Hour}

// Prune deletes bookkeeping rows older than their retention at now and returns how many it deleted. Unfinished
// idempotency keys (an attempt still pending) and unpublished outbox rows are never deleted; denied access
// tokens and refresh tokens go once expired.
func (db *DB) Prune(ctx context.Context, now time.Time, r Retention) (int64, error) {
	stmts := []struct {
		sql    string
		cutoff time.Time
	}{
		{`DELETE FROM processed_events WHERE processed_at < $1`, now.Add(-r.ProcessedEvents)},
		{`DELETE FROM webhook_events WHERE received_at < $1`, now.Add(-r.WebhookEvents)},
		{`DELETE FROM idempotency_keys WHERE created_at < $1 AND resource_id IS NOT NULL`, now.Add(-r.IdempotencyKeys)},
		{`DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1`, now.Add(-r.Outbox)},
		// A denied access token past its expiry is refused for being expired; a refresh token past its
		// expiry renews nothing, and a reuse of it is refused as unknown.
		{`DELETE FROM revoked_tokens WHERE expires_at < $1`, now},
		{`DELETE FROM refresh_tokens WHERE expires_at < $1`, now},
	}
	var n int64
	for _, st := range stmts {
		err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, st.sql, st.cutoff)
			n += tag.RowsAffected()
			return err
		})
		if err != nil {
			return n, errs.E("store.Prune", err)
		}
	}
	return n, nil
}

// PruneJob prunes bookkeeping rows every interval with DefaultRetention.
func (db *DB) PruneJob(every time.Duration) jobs.Job {
	return jobs.Job{Name: "store.prune", Every: every, Run: func(ctx context.Context) error {
		_, err := db.Prune(ctx, db.Now(), DefaultRetention)
		return err
	}}
}
