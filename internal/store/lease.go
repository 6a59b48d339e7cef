package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
)

// Leases keeps the job leases of regions and the presence of their processes.
type Leases struct{ db *DB }

var _ jobs.LeaseStore = (*Leases)(nil)

// Leases returns the lease store.
func (db *DB) Leases() *Leases { return &Leases{db: db} }

// Heartbeat records that process of region is alive at now, and forgets processes not seen since forget.
func (l *Leases) Heartbeat(ctx context.Context, region, process string, now, forget time.Time) error {
	const op = "store.Leases.Heartbeat"
	return l.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO region_processes (region, process_id, seen_at) VALUES ($1, $2, $3)
			ON CONFLICT (region, process_id) DO UPDATE SET seen_at = excluded.seen_at`, region, process, now); err != nil {
			return errs.E(op, err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM region_processes WHERE seen_at < $1`, forget)
		return wrap(op, err)
	})
}

// Live returns the regions with a process seen at or after since.
func (l *Leases) Live(ctx context.Context, since time.Time) (map[string]bool, error) {
	rows, err := l.db.Pool.Query(ctx, `SELECT DISTINCT region FROM region_processes WHERE seen_at >= $1`, since)
	if err != nil {
		return nil, errs.E("store.Leases.Live", err)
	}
	live := map[string]bool{}
	var r string
	_, err = pgx.ForEachRow(rows, []any{&r}, func() error { live[r] = true; return nil })
	return live, wrap("store.Leases.Live", err)
}

// Acquire takes or renews region's lease for holder until expires, if holder has it or it lapsed by now, and
// reports whether holder has it.
func (l *Leases) Acquire(ctx context.Context, region, holder string, now, expires time.Time) (bool, error) {
	var got bool
	err := l.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO job_leases (region, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (region) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4`, region, holder, expires, now)
		got = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, errs.E("store.Leases.Acquire", err)
	}
	return got, nil
}

// Release gives up holder's lease of region at once, so another process may take it.
func (l *Leases) Release(ctx context.Context, region, holder string) error {
	return l.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM job_leases WHERE region = $1 AND holder = $2`, region, holder)
		return wrap("store.Leases.Release", err)
	})
}
