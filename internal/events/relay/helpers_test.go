package relay_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is a fresh database with an effects table for test consumers, and a running embedded NATS.
type env struct {
	db  *store.DB
	srv *natsserver.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{db: storetest.NewDB(t, nil)}
	mustExec(t, e.db, `CREATE TABLE effects (event_id TEXT PRIMARY KEY, n INT NOT NULL)`)
	// The server logs to stderr, which go test shows only when a test fails: a JetStream API error names its
	// cause only in the server's log (CI once saw "error creating store for stream" with no reason).
	srv, err := natsserver.Start(natsserver.Options{StoreDir: t.TempDir(), Logging: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e.srv = srv
	if e.nc, err = relay.Connect(srv.URL(), t.Name(), nats.ReconnectWait(20*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.nc.Close)
	if e.js, err = jetstream.New(e.nc); err != nil {
		t.Fatal(err)
	}
	for _, st := range streams {
		if err := st.Ensure(context.Background(), e.js); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// streams are the two test regions' event streams.
var streams = []relay.Stream{{Region: "use1"}, {Region: "euw1"}}

// newRelay returns a relay of region's rows with short waits, for tests.
func (e *env) newRelay(t testing.TB, region string, batch int) *relay.Relay {
	t.Helper()
	r, err := relay.New(e.db.Outbox(), e.nc, relay.Options{Stream: relay.Stream{Region: region}, BatchSize: batch,
		Idle:       5 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs fn in a goroutine until the test ends.
func run(t testing.TB, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// outboxRow is a row the tests insert, with a payload derived from its id.
type outboxRow struct{ Region, ID, Subject, AggregateID string }

func (o outboxRow) payload() []byte { return []byte("payload of " + o.ID) }

// insertRows writes n unpublished outbox rows of region, oldest first, as a booking transaction would.
func insertRows(t testing.TB, db *store.DB, region string, n int) []outboxRow {
	t.Helper()
	at := time.Now().UTC().Truncate(time.Microsecond)
	rows := make([]outboxRow, n)
	data := make([][]any, n)
	for i := range rows {
		o := outboxRow{Region: region, ID: db.IDs.New(), Subject: events.Subject(region, events.BookingConfirmedKind),
			AggregateID: fmt.Sprintf("%s_bk%d", region, i)}
		rows[i] = o
		data[i] = []any{o.Region, o.ID, o.Subject, o.AggregateID, "marquee.v1.BookingConfirmed", o.payload(),
			at.Add(time.Duration(i) * time.Microsecond)}
	}
	_, err := db.Pool.CopyFrom(context.Background(), pgx.Identifier{"outbox"},
		[]string{"region", "id", "subject", "aggregate_id", "event_type", "payload", "created_at"},
		pgx.CopyFromRows(data))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// collector is a test consumer: it records every delivery and applies each event's effect (a row in effects)
// in the same transaction as its processed_events record (see once). failFirst makes the first delivery of every event fail after its effect committed, as if
// the process died before acknowledging.
type collector struct {
	db        *store.DB
	name      string
	failFirst bool

	mu         sync.Mutex
	deliveries map[string]int
	msgs       map[string]relay.Msg
}

func newCollector(db *store.DB, name string) *collector {
	return &collector{db: db, name: name, deliveries: map[string]int{}, msgs: map[string]relay.Msg{}}
}

func (c *collector) handle(ctx context.Context, m relay.Msg) error {
	c.mu.Lock()
	c.deliveries[m.ID]++
	c.msgs[m.ID] = m
	c.mu.Unlock()
	err := c.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		first, err := once(ctx, c.db, tx, c.name, m.ID)
		if err != nil || !first {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO effects (event_id, n) VALUES ($1, 1)
			ON CONFLICT (event_id) DO UPDATE SET n = effects.n + 1`, m.ID)
		return err
	})
	if err == nil && c.failFirst && m.Delivered == 1 {
		return fmt.Errorf("lost the ack of %s", m.ID)
	}
	return err
}

// once records, inside tx, that consumer processed eventID, and reports whether this is the first time: a
// consumer whose effect lives in the database commits the record with the effect, so a redelivered event has
// no second effect.
func once(ctx context.Context, db *store.DB, tx pgx.Tx, consumer, eventID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer, event_id) DO NOTHING`, consumer, eventID, db.Now())
	return tag.RowsAffected() == 1, err
}

// start runs the collector as a durable consumer of every test stream until the test ends.
func (c *collector) start(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	for _, st := range streams {
		cons := &relay.Consumer{Stream: st, Durable: c.name, Handle: c.handle,
			BackOff: []time.Duration{10 * time.Millisecond}, AckWait: 5 * time.Second}
		run(t, func(ctx context.Context) error { return cons.Run(ctx, js) })
	}
}

// seen returns how many distinct events were delivered.
func (c *collector) seen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.deliveries)
}

// eventually fails the test unless cond holds within timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func count(t testing.TB, db *store.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustExec(t testing.TB, db *store.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// streamMsgs returns how many messages the test streams hold.
func streamMsgs(t testing.TB, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n uint64
	for _, st := range streams {
		s, err := js.Stream(ctx, st.Name())
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += info.State.Msgs
	}
	return n
}

// drained reports whether the durable consumers have nothing left to deliver and nothing awaiting an
// acknowledgement, so no further delivery (a wrong second one included) can come.
func drained(t testing.TB, js jetstream.JetStream, durable string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, st := range streams {
		c, err := js.Consumer(ctx, st.Name(), durable)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return false
		}
	}
	return true
}

// checkEffectsOnce checks the database's final state: every row published, and every event applied exactly
// once by the collector (one effect, one processed_events row).
func checkEffectsOnce(t testing.TB, e *env, c *collector, rows []outboxRow) {
	t.Helper()
	if n := count(t, e.db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`); n != 0 {
		t.Errorf("%d outbox rows unpublished, want 0", n)
	}
	if n := count(t, e.db, `SELECT count(*) FROM effects`); n != len(rows) {
		t.Errorf("%d events applied, want %d", n, len(rows))
	}
	if n := count(t, e.db, `SELECT count(*) FROM effects WHERE n <> 1`); n != 0 {
		t.Errorf("%d events applied more than once", n)
	}
	if n := count(t, e.db, `SELECT count(*) FROM processed_events WHERE consumer = $1`, c.name); n != len(rows) {
		t.Errorf("%d processed_events rows, want %d", n, len(rows))
	}
}
