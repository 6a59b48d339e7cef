// Package store implements the domain stores on PostgreSQL and CockroachDB with pgx. Every read-write
// transaction goes through Transact, at SERIALIZABLE, retried whole on serialization failures.
package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/schema"
)

// DB is the database: a pgx pool plus the clock and ID source the stores use.
type DB struct {
	Pool *pgxpool.Pool
	Now  platform.Clock
	IDs  *platform.IDs
	// MaxAttempts bounds how often Transact runs a transaction that keeps failing to serialize.
	MaxAttempts int
	// OnRetry, when set, is told of every transaction Transact runs again (for metrics): the function that
	// called Transact (such as "store.(*InventoryStore).CreateHold") and the error it failed with.
	OnRetry func(tx string, err error)
	// holdConfig caches, per showtime, what pricing a hold needs that rarely changes (see HoldInputs).
	holdConfig *configCache
}

// Open connects to url. maxConns of 0 keeps pgx's default.
func Open(ctx context.Context, url string, maxConns int32, now platform.Clock) (*DB, error) {
	return OpenTraced(ctx, url, maxConns, now, nil)
}

// OpenTraced is Open with tracer, when not nil, told of every statement (for tracing).
func OpenTraced(ctx context.Context, url string, maxConns int32, now platform.Clock, tracer pgx.QueryTracer) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", err)
	}
	if tracer != nil {
		cfg.ConnConfig.Tracer = tracer
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A server that accepts connections but does not answer (restarting, hung, behind a stuck proxy)
		// fails a connect here instead of whatever bound the caller has.
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", err)
	}
	if now == nil {
		now = platform.SystemClock
	}
	return &DB{Pool: pool, Now: now, IDs: platform.NewIDs(now), MaxAttempts: 100, holdConfig: newConfigCache(2 * time.Second)}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// Migrate applies every pending migration in schema/.
func (db *DB) Migrate(ctx context.Context) error {
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, schema.FS)
	if err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	return nil
}

// Transact runs fn in a SERIALIZABLE transaction and commits it. When the transaction (including its COMMIT)
// fails with a serialization failure or deadlock, the whole transaction is run again after a jittered
// exponential backoff, as CockroachDB requires; fn must therefore have no effect outside the database.
// It returns nil only when COMMIT succeeded.
func (db *DB) Transact(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return db.retrying(ctx, func() error {
		return pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
			return fn(ctx, tx)
		})
	})
}

// retrying runs once until it succeeds, fails with an error that is not a lost race, or has run MaxAttempts
// times, waiting a jittered, doubling backoff (1ms up to 64ms) between runs. It is called by Transact and
// Pipelined only: OnRetry is told the name of their caller.
func (db *DB) retrying(ctx context.Context, once func() error) error {
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := once()
		if err == nil || !retryable(err) || attempt >= db.MaxAttempts {
			return err
		}
		if db.OnRetry != nil {
			db.OnRetry(caller(), err)
		}
		wait := backoff/2 + rand.N(backoff)
		backoff = min(backoff*2, 64*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Pipelined is a SERIALIZABLE transaction whose BEGIN travels with its first statements and whose COMMIT
// travels with its last, so that a short transaction costs two round trips instead of four: first queues the
// opening statements (after BEGIN); then reads their results (and may query on c once it has closed br) and
// returns the closing statements to send with COMMIT (nil for none). It is retried whole as Transact is, and returns nil only
// when COMMIT succeeded. A connection left inside a transaction (an error, a cancelled context) is rolled
// back, or closed by the pool.
func (db *DB) Pipelined(ctx context.Context, first func(b *pgx.Batch),
	then func(ctx context.Context, br pgx.BatchResults, c Querier) (*pgx.Batch, error)) error {
	return db.retrying(ctx, func() error { return db.pipelinedOnce(ctx, first, then) })
}

// errRolledBack is a Pipelined transaction whose COMMIT rolled back, because a statement had failed.
var errRolledBack = errors.New("store.Pipelined: the transaction was rolled back")

// Querier is what a transaction's statements run on: a pgx.Tx, or the connection of a Pipelined one.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (db *DB) pipelinedOnce(ctx context.Context, first func(b *pgx.Batch),
	then func(ctx context.Context, br pgx.BatchResults, c Querier) (*pgx.Batch, error)) (err error) {
	c, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release() // the pool closes a connection still in a transaction
	conn := c.Conn()
	committed := false
	defer func() {
		if !committed && conn.PgConn().TxStatus() != 'I' && !conn.IsClosed() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
	}()
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL SERIALIZABLE")
	first(b)
	br := conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil { // BEGIN
		br.Close()
		return err
	}
	last, err := then(ctx, br, conn)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if last == nil {
		last = &pgx.Batch{}
	}
	n := last.Len()
	last.Queue("COMMIT")
	br = conn.SendBatch(ctx, last)
	for i := 0; i < n && err == nil; i++ {
		_, err = br.Exec()
	}
	if err == nil {
		// COMMIT: a serialization failure at commit shows here. A transaction that an earlier error had
		// aborted answers COMMIT with ROLLBACK and no error: that is a failure too.
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err == nil && tag.String() != "COMMIT" {
			err = errRolledBack
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	committed = err == nil
	return err
}

// caller names the function that called Transact or Pipelined, shortened to its package's last element. It
// is called from retrying, inside their closure: frames are caller, retrying, Transact/Pipelined, theirs.
func caller() string {
	pc, _, _, ok := runtime.Caller(3)
	if !ok {
		return "unknown"
	}
	name := runtime.FuncForPC(pc).Name()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// Read runs fn in a read-only transaction: every read sees one snapshot, and any write is refused. It is for
// answers that must agree with what a write would decide (a quote), without the write.
func (db *DB) Read(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return fn(ctx, tx) })
}

// retryable reports whether err means the transaction lost a race and may succeed if run again:
// SQLSTATE 40001 (serialization_failure, CockroachDB's restart error) or 40P01 (deadlock_detected).
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "40001" || pgErr.Code == "40P01"
}

// isUniqueViolation reports whether err is SQLSTATE 23505 on the named constraint (any when name is "").
func isUniqueViolation(err error, name string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (name == "" || pgErr.ConstraintName == name)
}

// notFound turns pgx.ErrNoRows into a NotFound error with a client-safe message.
func notFound(op string, err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.E(op, errs.NotFound, what+" not found")
	}
	return errs.E(op, err)
}

// wrap returns nil for a nil err, else err wrapped with op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return errs.E(op, err)
}

// isCheckViolation reports whether err is SQLSTATE 23514 on the named constraint.
func isCheckViolation(err error, name string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && pgErr.ConstraintName == name
}

// Prepare readies a database for serving: it applies the migrations and records the regions of regions/.
func (db *DB) Prepare(ctx context.Context) error {
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	return db.Catalog().EnsureRegions(ctx)
}
