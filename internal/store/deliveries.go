package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify"
)

// DeliveryStore is the notification delivery log on the database.
type DeliveryStore struct{ db *DB }

var _ notify.DeliveryLog = (*DeliveryStore)(nil)

// Deliveries returns the delivery log.
func (db *DB) Deliveries() *DeliveryStore { return &DeliveryStore{db: db} }

// Create stores a delivery with its message; an existing ID is a Conflict.
func (s *DeliveryStore) Create(ctx context.Context, d notify.Delivery, m notify.Message) error {
	const op = "store.CreateDelivery"
	msg, err := json.Marshal(m)
	if err != nil {
		return errs.E(op, err)
	}
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO deliveries (id, channel, recipient, kind, attempts, status, last_error,
			next_attempt_at, message, created_at, region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			d.ID, d.Channel, d.To, d.Kind, d.Attempts, string(d.Status), d.LastError, d.NextAttemptAt, msg, s.db.Now(),
			d.Region)
		if isUniqueViolation(err, "deliveries_pkey") {
			return errs.E(op, errs.Conflict, "delivery exists", err)
		}
		return wrap(op, err)
	})
}

// Claim leases up to limit of region's due deliveries until leaseUntil, earliest first.
func (s *DeliveryStore) Claim(ctx context.Context, region string, now, leaseUntil time.Time, limit int) ([]notify.Queued, error) {
	const op = "store.ClaimDeliveries"
	var out []notify.Queued
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT id, next_attempt_at AS due_at FROM deliveries
				WHERE region = $4 AND status IN ('pending', 'failed') AND next_attempt_at <= $1
				ORDER BY next_attempt_at, id LIMIT $3)
			UPDATE deliveries d SET next_attempt_at = $2 FROM due WHERE d.id = due.id
			RETURNING d.id, d.channel, d.recipient, d.kind, d.attempts, d.status, d.last_error, d.next_attempt_at,
				d.message, due.due_at, d.region`, now, leaseUntil, limit, region)
		if err != nil {
			return errs.E(op, err)
		}
		qs, err := pgx.CollectRows(rows, scanQueued)
		if err != nil {
			return errs.E(op, err)
		}
		slices.SortFunc(qs, func(a, b queuedRow) int {
			if c := a.due.Compare(b.due); c != 0 {
				return c
			}
			return strings.Compare(a.Delivery.ID, b.Delivery.ID)
		})
		out = out[:0]
		for _, q := range qs {
			out = append(out, q.Queued)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queuedRow is a claimed delivery with when it was due, for ordering (RETURNING keeps no order).
type queuedRow struct {
	notify.Queued
	due time.Time
}

func scanQueued(r pgx.CollectableRow) (queuedRow, error) {
	var q queuedRow
	var msg []byte
	d := &q.Delivery
	if err := r.Scan(&d.ID, &d.Channel, &d.To, &d.Kind, &d.Attempts, &d.Status, &d.LastError, &d.NextAttemptAt,
		&msg, &q.due, &d.Region); err != nil {
		return q, err
	}
	return q, json.Unmarshal(msg, &q.Message)
}

// Record stores the outcome of an attempt.
func (s *DeliveryStore) Record(ctx context.Context, d notify.Delivery) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE deliveries SET attempts = $2, status = $3, last_error = $4, next_attempt_at = $5
			WHERE id = $1`, d.ID, d.Attempts, string(d.Status), d.LastError, d.NextAttemptAt)
		return wrap("store.RecordDelivery", err)
	})
}

// DeadDeliveries lists deliveries that gave up, newest first, for an operator to inspect.
func (s *DeliveryStore) DeadDeliveries(ctx context.Context, limit int) ([]notify.Delivery, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, channel, recipient, kind, attempts, status, last_error, next_attempt_at
		FROM deliveries WHERE status = 'dead' ORDER BY created_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, errs.E("store.DeadDeliveries", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (d notify.Delivery, err error) {
		err = r.Scan(&d.ID, &d.Channel, &d.To, &d.Kind, &d.Attempts, &d.Status, &d.LastError, &d.NextAttemptAt)
		return d, err
	})
}

// RetryDelivery puts a dead delivery back in the queue with a fresh count of attempts.
func (s *DeliveryStore) RetryDelivery(ctx context.Context, id string, now time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2
			WHERE id = $1 AND status = 'dead'`, id, now)
		if err != nil {
			return errs.E("store.RetryDelivery", err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf("store.RetryDelivery", errs.NotFound, "no dead delivery with this ID")
		}
		return nil
	})
}
