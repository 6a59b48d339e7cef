package telemetry

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRetriesByTransactionAndReason checks that a retry is counted under its transaction and the reason read
// from PostgreSQL's error, and that Count and ByTransaction read those counts back.
func TestRetriesByTransactionAndReason(t *testing.T) {
	r := NewRetries(prometheus.NewRegistry())
	ww := &pgconn.PgError{Code: "40001", Message: "could not serialize access due to concurrent update"}
	rw := &pgconn.PgError{Code: "40001", Message: "could not serialize access due to read/write dependencies among transactions"}
	dl := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	r.Observe("store.A", ww)
	r.Observe("store.A", rw)
	r.Observe("store.A", rw)
	r.Observe("store.B", dl)
	r.Observe("store.B", errors.New("not postgres"))
	if got := r.Count("store.A"); got != 3 {
		t.Errorf("Count(store.A) = %d, want 3", got)
	}
	if got := r.Count("store.C"); got != 0 {
		t.Errorf("Count(store.C) = %d, want 0", got)
	}
	want := map[string]int{"store.A write_conflict": 1, "store.A rw_dependency": 2, "store.B deadlock": 1, "store.B other": 1}
	got := r.ByTransaction()
	if len(got) != len(want) {
		t.Fatalf("ByTransaction() = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("ByTransaction()[%q] = %d, want %d", k, got[k], n)
		}
	}
}
