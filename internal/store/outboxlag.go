package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/telemetry"
)

// Lag returns, for every region with unpublished outbox rows, how many there are and when the oldest was
// written (the outbox_unpublished index serves it).
func (o *Outbox) Lag(ctx context.Context) ([]telemetry.OutboxLag, error) {
	const op = "store.Outbox.Lag"
	rows, err := o.db.Pool.Query(ctx, `SELECT region, count(*), min(created_at) FROM outbox
		WHERE published_at IS NULL GROUP BY region`)
	if err != nil {
		return nil, errs.E(op, err)
	}
	lags, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (telemetry.OutboxLag, error) {
		var l telemetry.OutboxLag
		err := r.Scan(&l.Region, &l.Count, &l.Oldest)
		return l, err
	})
	return lags, wrap(op, err)
}
