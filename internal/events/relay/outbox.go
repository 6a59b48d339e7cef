package relay

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/store"
)

// row is an outbox row waiting to be published.
type row struct {
	Region, ID, Subject, AggregateID, Type string
	Payload                                []byte
}

// pendingSQL reads the oldest unpublished rows of one region (the outbox_unpublished index), pendingAllSQL those
// of every region.
const (
	pendingSQL = `SELECT region, id, subject, aggregate_id, event_type, payload FROM outbox
		WHERE region = $1 AND published_at IS NULL ORDER BY created_at, id LIMIT $2`
	pendingAllSQL = `SELECT region, id, subject, aggregate_id, event_type, payload FROM outbox
		WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1`
)

// pending returns up to limit unpublished rows of region ("" for all regions), oldest first. It is a plain read:
// rows are not locked, so relays never wait for each other (JetStream dedupes what two of them publish).
func pending(ctx context.Context, db *store.DB, region string, limit int) ([]row, error) {
	var rows pgx.Rows
	var err error
	if region == "" {
		rows, err = db.Pool.Query(ctx, pendingAllSQL, limit)
	} else {
		rows, err = db.Pool.Query(ctx, pendingSQL, region, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("relay.pending: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var o row
		err := r.Scan(&o.Region, &o.ID, &o.Subject, &o.AggregateID, &o.Type, &o.Payload)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("relay.pending: %w", err)
	}
	return out, nil
}

// markPublished stamps the rows published in one transaction. Rows another relay stamped first keep their time.
func markPublished(ctx context.Context, db *store.DB, rows []row) error {
	if len(rows) == 0 {
		return nil
	}
	byRegion := map[string][]string{}
	for _, r := range rows {
		byRegion[r.Region] = append(byRegion[r.Region], r.ID)
	}
	err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := db.Now()
		for region, ids := range byRegion {
			if _, err := tx.Exec(ctx, `UPDATE outbox SET published_at = $3
				WHERE region = $1 AND id = ANY($2) AND published_at IS NULL`, region, ids, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("relay.markPublished: %w", err)
	}
	return nil
}
