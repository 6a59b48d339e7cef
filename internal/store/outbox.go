package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

// Outbox reads and stamps the outbox for the relay (see internal/events/relay).
type Outbox struct{ db *DB }

// Outbox returns the outbox.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

// Unpublished returns up to limit unpublished rows of region, oldest first (the outbox_unpublished index). It
// is a plain read: rows are not locked, so relays never wait for each other (JetStream dedupes what two of them
// publish).
func (o *Outbox) Unpublished(ctx context.Context, region string, limit int) ([]events.Record, error) {
	const op = "store.Outbox.Unpublished"
	rows, err := o.db.Pool.Query(ctx, `SELECT region, id, subject, aggregate_id, event_type, payload FROM outbox
		WHERE region = $1 AND published_at IS NULL ORDER BY created_at, id LIMIT $2`, region, limit)
	if err != nil {
		return nil, errs.E(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Record, error) {
		var e events.Record
		err := r.Scan(&e.Region, &e.ID, &e.Subject, &e.AggregateID, &e.Type, &e.Payload)
		return e, err
	})
	return out, wrap(op, err)
}

// MarkPublished stamps the records published. Rows another relay stamped first keep their time.
//
// Each region's stamps are one statement on its own, outside Transact: the statement's effect depends on
// nothing it reads but the rows it names, so running it at the session's level (READ COMMITTED on
// PostgreSQL) loses nothing, and it takes no serializable read locks on the outbox's index pages. In a
// SERIALIZABLE transaction those locks made every hold, release and booking that inserted an event into a
// read page depend on the relay, enough to turn them into pivots of PostgreSQL's dangerous structures and
// have them retried (see the README's notes on the hold path).
func (o *Outbox) MarkPublished(ctx context.Context, recs []events.Record) error {
	if len(recs) == 0 {
		return nil
	}
	byRegion := map[string][]string{}
	for _, r := range recs {
		byRegion[r.Region] = append(byRegion[r.Region], r.ID)
	}
	now := o.db.Now()
	for region, ids := range byRegion {
		if _, err := o.db.Pool.Exec(ctx, `UPDATE outbox SET published_at = $3
			WHERE region = $1 AND id = ANY($2) AND published_at IS NULL`, region, ids, now); err != nil {
			return errs.E("store.Outbox.MarkPublished", err)
		}
	}
	return nil
}
