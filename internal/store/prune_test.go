package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
)

func TestPrune(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	old, recent := now.Add(-40*24*time.Hour), now.Add(-time.Hour)
	mustExec(t, db, `INSERT INTO users (id, email, password_hash, display_name, created_at) VALUES ('u1', 'u1@example.com', 'x', 'U', now())`)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO processed_events VALUES ('c', 'old', $1), ('c', 'new', $2)`, []any{old, recent}},
		{`INSERT INTO webhook_events VALUES ('stripe', 'old', 't', $1), ('stripe', 'new', 't', $2)`, []any{old, recent}},
		{`INSERT INTO idempotency_keys (user_id, operation, key, request_hash, resource_id, created_at) VALUES
			('u1', 'op', 'old-done', '\x00', 'b1', $1), ('u1', 'op', 'old-pending', '\x00', NULL, $1), ('u1', 'op', 'new', '\x00', 'b2', $2)`, []any{old, recent}},
		{`INSERT INTO outbox (region, id, subject, aggregate_id, event_type, payload, created_at, published_at) VALUES
			('r', 'sent-old', 's', 'a', 't', '\x00', $1, $1), ('r', 'unsent-old', 's', 'a', 't', '\x00', $1, NULL), ('r', 'sent-new', 's', 'a', 't', '\x00', $2, $2)`, []any{old, recent}},
	} {
		if _, err := db.Pool.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.Prune(ctx, now, store.DefaultRetention)
	if err != nil || n != 4 {
		t.Fatalf("Prune = %d, %v; want 4 rows", n, err)
	}
	for table, want := range map[string]int{"processed_events": 1, "webhook_events": 1, "idempotency_keys": 2, "outbox": 2} {
		var got int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&got); err != nil || got != want {
			t.Fatalf("%s rows after Prune = %d (%v), want %d", table, got, err, want)
		}
	}
}
