package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/schema"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestTransactWriteSkew runs the classic write-skew: two doctors on call, each goes off call if the other is on.
// Under SERIALIZABLE with whole-transaction retries, whatever the interleaving, at least one stays on call, and
// every transaction that Transact reports as committed really is in the database.
func TestTransactWriteSkew(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	mustExec(t, db, `CREATE TABLE oncall (name TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL, went_off TEXT)`)
	for round := 0; round < 20; round++ {
		mustExec(t, db, `DELETE FROM oncall`)
		mustExec(t, db, `INSERT INTO oncall VALUES ('alice', true, NULL), ('bob', true, NULL)`)
		var wg sync.WaitGroup
		var mu sync.Mutex
		committed := map[string]bool{}
		start := make(chan struct{})
		for _, name := range []string{"alice", "bob"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, `SELECT count(*) FROM oncall WHERE on_call`).Scan(&n); err != nil {
						return err
					}
					if n < 2 {
						return errNotEnough
					}
					_, err := tx.Exec(ctx, `UPDATE oncall SET on_call = false, went_off = $1 WHERE name = $1`, name)
					return err
				})
				if err != nil && !errors.Is(err, errNotEnough) {
					t.Errorf("%s: %v", name, err)
				}
				mu.Lock()
				committed[name] = err == nil
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		var onCall int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM oncall WHERE on_call`).Scan(&onCall); err != nil {
			t.Fatal(err)
		}
		if onCall != 1 {
			t.Fatalf("round %d: %d doctors on call, want exactly 1 (committed: %v)", round, onCall, committed)
		}
		for name, ok := range committed {
			var wentOff bool
			if err := db.Pool.QueryRow(ctx, `SELECT NOT on_call FROM oncall WHERE name = $1`, name).Scan(&wentOff); err != nil {
				t.Fatal(err)
			}
			if ok != wentOff {
				t.Fatalf("round %d: %s: Transact reported committed=%v but database says off-call=%v", round, name, ok, wentOff)
			}
		}
	}
}

var errNotEnough = errors.New("not enough doctors on call")

func TestTransactNonRetryableErrorRollsBack(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	mustExec(t, db, `CREATE TABLE kv (k TEXT PRIMARY KEY)`)
	boom := errors.New("boom")
	err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO kv VALUES ('x')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transact error = %v, want boom", err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rows after failed transaction = %d, want 0", n)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := storetest.NewDB(t, nil)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

// TestMigrationsGoDownAndUp undoes every migration and applies them again: each Down section runs, and a new
// account gets the default home region.
func TestMigrationsGoDownAndUp(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t, nil)
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	t.Cleanup(func() { sqlDB.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	var users int
	mustQueryRow(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'`, &users)
	if users != 0 {
		t.Fatalf("users table still there after every Down")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	mustExec(t, db, `INSERT INTO users (id, email, password_hash, display_name, created_at)
		VALUES ('u1', 'a@example.com', 'x', 'A', now())`)
	var home string
	mustQueryRow(t, db, `SELECT home_region FROM users WHERE id = 'u1'`, &home)
	if home != "us-east1" {
		t.Fatalf("home_region = %q, want the default us-east1", home)
	}
}

func mustQueryRow(t *testing.T, db *store.DB, sql string, dest ...any) {
	t.Helper()
	if err := db.Pool.QueryRow(context.Background(), sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustExec(t *testing.T, db *store.DB, sql string) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestPipelinedWriteSkew is TestTransactWriteSkew through Pipelined: whatever the interleaving, one doctor
// stays on call, and what Pipelined reports committed is what the database holds.
func TestPipelinedWriteSkew(t *testing.T) {
	db := storetest.NewDB(t, nil)
	var mu sync.Mutex
	var retried []string
	db.OnRetry = func(tx string, err error) { mu.Lock(); retried = append(retried, tx); mu.Unlock() }
	t.Cleanup(func() {
		// Each retry is told the function that called Pipelined: this test's goroutine.
		for _, tx := range retried {
			if !strings.HasPrefix(tx, "store_test.TestPipelinedWriteSkew") {
				t.Errorf("a retry was counted under %q, want the caller of Pipelined", tx)
			}
		}
		t.Logf("%d retries", len(retried))
	})
	ctx := context.Background()
	mustExec(t, db, `CREATE TABLE oncall (name TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL)`)
	for round := 0; round < 20; round++ {
		mustExec(t, db, `DELETE FROM oncall`)
		mustExec(t, db, `INSERT INTO oncall VALUES ('alice', true), ('bob', true)`)
		var wg sync.WaitGroup
		committed := make([]bool, 2)
		start := make(chan struct{})
		for i, name := range []string{"alice", "bob"} {
			wg.Go(func() {
				<-start
				err := db.Pipelined(ctx, func(b *pgx.Batch) {
					b.Queue(`SELECT count(*) FROM oncall WHERE on_call`)
				}, func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error) {
					var n int
					if err := br.QueryRow().Scan(&n); err != nil {
						return nil, err
					}
					if n < 2 {
						return nil, errNotEnough
					}
					b := &pgx.Batch{}
					b.Queue(`UPDATE oncall SET on_call = false WHERE name = $1`, name)
					return b, nil
				})
				if err != nil && !errors.Is(err, errNotEnough) {
					t.Errorf("%s: %v", name, err)
				}
				committed[i] = err == nil
			})
		}
		close(start)
		wg.Wait()
		var alice, bob bool
		if err := db.Pool.QueryRow(ctx, `SELECT bool_or(on_call) FILTER (WHERE name = 'alice'),
			bool_or(on_call) FILTER (WHERE name = 'bob') FROM oncall`).Scan(&alice, &bob); err != nil {
			t.Fatal(err)
		}
		if alice == bob || committed[0] == alice || committed[1] == bob {
			t.Fatalf("round %d: on call alice=%v bob=%v, committed %v; want exactly one off call, the committed one",
				round, alice, bob, committed)
		}
	}
}

// TestPipelinedFailuresRollBack: a failed closing statement, an error from then, and a server error that then
// ignored all leave nothing committed and report an error; the pool's connections stay usable.
func TestPipelinedFailuresRollBack(t *testing.T) {
	db := storetest.NewDB(t, nil)
	ctx := context.Background()
	mustExec(t, db, `CREATE TABLE kv (k TEXT PRIMARY KEY)`)
	boom := errors.New("boom")
	cases := map[string]struct {
		first func(b *pgx.Batch)
		then  func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error)
	}{
		"a closing statement fails": {
			first: func(b *pgx.Batch) { b.Queue(`INSERT INTO kv VALUES ('a')`) },
			then: func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error) {
				b := &pgx.Batch{}
				b.Queue(`INSERT INTO kv VALUES ('b')`)
				b.Queue(`INSERT INTO kv VALUES ('b')`) // duplicate key
				return b, nil
			},
		},
		"then fails": {
			first: func(b *pgx.Batch) { b.Queue(`INSERT INTO kv VALUES ('c')`) },
			then: func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error) {
				return nil, boom
			},
		},
		"then ignores a server error": {
			first: func(b *pgx.Batch) {
				b.Queue(`INSERT INTO kv VALUES ('d')`)
				b.Queue(`SELECT 1/0`)
			},
			then: func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error) {
				return nil, nil
			},
		},
	}
	for name, tc := range cases {
		if err := db.Pipelined(ctx, tc.first, tc.then); err == nil {
			t.Errorf("%s: Pipelined reported success", name)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rows after failed pipelined transactions = %d, want 0", n)
	}
	err := db.Pipelined(ctx, func(b *pgx.Batch) { b.Queue(`INSERT INTO kv VALUES ('e')`) },
		func(ctx context.Context, br pgx.BatchResults, c store.Querier) (*pgx.Batch, error) { return nil, nil })
	if err != nil {
		t.Fatalf("a good pipelined transaction after the failures: %v", err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows after a good pipelined transaction = %d (%v), want 1", n, err)
	}
}
