// Package notifytest holds test helpers for package notify: MemoryLog, an in-memory DeliveryLog for tests
// only, and TestDeliveryLog, the contract every DeliveryLog (the PostgreSQL one included) must meet.
package notifytest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify"
)

// MemoryLog is a notify.DeliveryLog in memory, FOR TESTS ONLY: it forgets everything when the process ends,
// which is exactly what a delivery log must not do. It is safe for concurrent use.
type MemoryLog struct {
	mu   sync.Mutex
	rows map[string]notify.Queued
}

var _ notify.DeliveryLog = (*MemoryLog)(nil)

// NewMemoryLog returns an empty log.
func NewMemoryLog() *MemoryLog { return &MemoryLog{rows: map[string]notify.Queued{}} }

// Create stores d with m, or reports an errs.Conflict error when d.ID exists.
func (l *MemoryLog) Create(_ context.Context, d notify.Delivery, m notify.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.rows[d.ID]; ok {
		return errs.Errorf("notifytest.Create", errs.Conflict, "delivery %s exists", d.ID)
	}
	l.rows[d.ID] = notify.Queued{Delivery: d, Message: m}
	return nil
}

// Claim returns the due deliveries, earliest first, and leases them until leaseUntil.
func (l *MemoryLog) Claim(_ context.Context, region string, now, leaseUntil time.Time, limit int) ([]notify.Queued, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var due []notify.Queued
	for _, q := range l.rows {
		d := q.Delivery
		if d.Region == region && (d.Status == notify.StatusPending || d.Status == notify.StatusFailed) &&
			!d.NextAttemptAt.After(now) {
			due = append(due, q)
		}
	}
	slices.SortFunc(due, func(a, b notify.Queued) int {
		if c := a.Delivery.NextAttemptAt.Compare(b.Delivery.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.Delivery.ID, b.Delivery.ID)
	})
	due = due[:min(limit, len(due))]
	for i := range due {
		due[i].Delivery.NextAttemptAt = leaseUntil
		l.rows[due[i].Delivery.ID] = due[i]
	}
	return due, nil
}

// Record stores the outcome of an attempt, or reports NotFound for an unknown delivery.
func (l *MemoryLog) Record(_ context.Context, d notify.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	q, ok := l.rows[d.ID]
	if !ok {
		return errs.Errorf("notifytest.Record", errs.NotFound, "no delivery %s", d.ID)
	}
	q.Delivery.Attempts, q.Delivery.Status = d.Attempts, d.Status
	q.Delivery.LastError, q.Delivery.NextAttemptAt = d.LastError, d.NextAttemptAt
	l.rows[d.ID] = q
	return nil
}

// Get returns the delivery with id as the log holds it.
func (l *MemoryLog) Get(id string) (notify.Delivery, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q, ok := l.rows[id]
	return q.Delivery, ok
}
