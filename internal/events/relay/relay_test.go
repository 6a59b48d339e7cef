package relay_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/events/relay"
)

// relayAll runs each relay's RelayOnce until it finds nothing left and returns how many rows they published.
func relayAll(t testing.TB, rs ...*relay.Relay) int {
	t.Helper()
	ctx := context.Background()
	total := 0
	for _, r := range rs {
		for {
			n, err := r.RelayOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			total += n
		}
	}
	return total
}

func TestRelayDeliversEachEventOnce(t *testing.T) {
	e := newEnv(t)
	rows := append(insertRows(t, e.db, "use1", 30), insertRows(t, e.db, "euw1", 20)...)
	c := newCollector(e.db, "test")
	c.start(t, e.js)

	if n := relayAll(t, e.newRelay(t, "use1", 16), e.newRelay(t, "euw1", 16)); n != len(rows) {
		t.Fatalf("relayed %d rows, want %d", n, len(rows))
	}
	eventually(t, 10*time.Second, "every event", func() bool { return c.seen() == len(rows) })
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range rows {
		m := c.msgs[o.ID]
		if got := c.deliveries[o.ID]; got != 1 {
			t.Errorf("event %s delivered %d times, want 1", o.ID, got)
		}
		if m.Subject != o.Subject || !bytes.Equal(m.Data, o.payload()) || m.AggregateID != o.AggregateID ||
			m.Type != "marquee.v1.BookingConfirmed" || m.Header.Get(jetstream.MsgIDHeader) != o.ID {
			t.Errorf("event %s arrived as %+v", o.ID, m)
		}
	}
	checkEffectsOnce(t, e, c, rows)
}

func TestRelayOnlyItsRegion(t *testing.T) {
	e := newEnv(t)
	insertRows(t, e.db, "use1", 5)
	insertRows(t, e.db, "euw1", 3)
	r, err := relay.New(e.db.Outbox(), e.nc, relay.Options{Stream: relay.Stream{Region: "euw1"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := relayAll(t, r); n != 3 {
		t.Fatalf("relayed %d rows, want 3", n)
	}
	if got := streamMsgs(t, e.js); got != 3 {
		t.Fatalf("streams hold %d messages, want the 3 of euw1", got)
	}
	if n := count(t, e.db, `SELECT count(*) FROM outbox WHERE published_at IS NULL AND region = 'use1'`); n != 5 {
		t.Fatalf("%d use1 rows unpublished, want 5", n)
	}
}

// A relay that dies after publishing but before marking publishes the rows again: JetStream drops the copies.
func TestRepublishedRowsAreDeduplicated(t *testing.T) {
	e := newEnv(t)
	rows := insertRows(t, e.db, "use1", 40)
	c := newCollector(e.db, "test")
	c.start(t, e.js)
	relayAll(t, e.newRelay(t, "use1", 100))
	mustExec(t, e.db, `UPDATE outbox SET published_at = NULL`)

	r := e.newRelay(t, "use1", 100)
	if n := relayAll(t, r); n != len(rows) {
		t.Fatalf("relayed %d rows again, want %d", n, len(rows))
	}
	if got := r.Stats().Duplicates; got != int64(len(rows)) {
		t.Errorf("JetStream reported %d duplicates, want %d", got, len(rows))
	}
	if got := streamMsgs(t, e.js); got != uint64(len(rows)) {
		t.Errorf("stream holds %d messages, want %d", got, len(rows))
	}
	eventually(t, 10*time.Second, "every event", func() bool { return c.seen() == len(rows) })
	eventually(t, 10*time.Second, "every delivery acknowledged", func() bool { return drained(t, e.js, c.name) })
	checkEffectsOnce(t, e, c, rows)
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, n := range c.deliveries {
		if n != 1 {
			t.Errorf("event %s delivered %d times, want 1", id, n)
		}
	}
}

func TestConcurrentRelaysDeliverEachEventOnce(t *testing.T) {
	e := newEnv(t)
	rows := insertRows(t, e.db, "use1", 400)
	c := newCollector(e.db, "test")
	c.start(t, e.js)
	a, b := e.newRelay(t, "use1", 25), e.newRelay(t, "use1", 25)
	run(t, a.Run)
	run(t, b.Run)

	eventually(t, 20*time.Second, "every row published", func() bool {
		return count(t, e.db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`) == 0
	})
	eventually(t, 10*time.Second, "every event", func() bool { return c.seen() == len(rows) })
	sa, sb := a.Stats(), b.Stats()
	t.Logf("relay a: %+v, relay b: %+v", sa, sb)
	if got := sa.Published + sb.Published - sa.Duplicates - sb.Duplicates; got != int64(len(rows)) {
		t.Errorf("relays stored %d new messages, want %d", got, len(rows))
	}
	if got := streamMsgs(t, e.js); got != uint64(len(rows)) {
		t.Errorf("stream holds %d messages, want %d", got, len(rows))
	}
	checkEffectsOnce(t, e, c, rows)
}

func TestRelayKeepsRowsWhileNATSDown(t *testing.T) {
	e := newEnv(t)
	before := insertRows(t, e.db, "use1", 10)
	c := newCollector(e.db, "test")
	c.start(t, e.js)
	r := e.newRelay(t, "use1", 50)
	run(t, r.Run)
	eventually(t, 10*time.Second, "first events", func() bool { return c.seen() == len(before) })

	e.srv.Shutdown()
	during := insertRows(t, e.db, "use1", 200)
	failed := r.Stats().Failures
	eventually(t, 10*time.Second, "several failed rounds", func() bool { return r.Stats().Failures >= failed+3 })
	if n := count(t, e.db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`); n != len(during) {
		t.Fatalf("%d rows unpublished while NATS is down, want %d", n, len(during))
	}

	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	all := append(before, during...)
	eventually(t, 20*time.Second, "events after restart", func() bool { return c.seen() == len(all) })
	eventually(t, 5*time.Second, "every row published", func() bool {
		return count(t, e.db, `SELECT count(*) FROM outbox WHERE published_at IS NULL`) == 0
	})
	if got := streamMsgs(t, e.js); got != uint64(len(all)) {
		t.Errorf("stream holds %d messages, want %d", got, len(all))
	}
	checkEffectsOnce(t, e, c, all)
}

func TestRedeliveredEventHasNoSecondEffect(t *testing.T) {
	e := newEnv(t)
	rows := insertRows(t, e.db, "use1", 20)
	c := newCollector(e.db, "test")
	c.failFirst = true
	c.start(t, e.js)
	relayAll(t, e.newRelay(t, "use1", 100))

	eventually(t, 10*time.Second, "every event twice", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, o := range rows {
			if c.deliveries[o.ID] < 2 {
				return false
			}
		}
		return true
	})
	checkEffectsOnce(t, e, c, rows)
}

// TestOnce checks the test consumers' dedupe, which checkEffectsOnce relies on.
func TestOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var got []bool
	for range 2 {
		err := e.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
			first, err := once(ctx, e.db, tx, "c", "ev1")
			got = append(got, first)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got[0] != true || got[1] != false {
		t.Fatalf("Once = %v, want [true false]", got)
	}
	err := e.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		first, err := once(ctx, e.db, tx, "other", "ev1")
		if err == nil && !first {
			t.Error("Once for another consumer = false, want true")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRelay measures rows carried from the outbox to JetStream (published, acknowledged, marked) per
// second, 1000 rows per iteration.
func BenchmarkRelay(b *testing.B) {
	e := newEnv(b)
	r, err := relay.New(e.db.Outbox(), e.nc, relay.Options{Stream: relay.Stream{Region: "use1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		insertRows(b, e.db, "use1", 1000)
		b.StartTimer()
		start := time.Now()
		if n := relayAll(b, r); n != 1000 {
			b.Fatalf("relayed %d rows, want 1000", n)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(1000*b.N)/elapsed.Seconds(), "events/s")
}

func TestEnsureStreamFixesConfig(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := relay.Stream{Region: "use1"}
	cfg := st.Config()
	cfg.Duplicates = time.Minute
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx, e.js); err != nil {
		t.Fatal(err)
	}
	s, err := e.js.Stream(ctx, st.Name())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Duplicates; got != relay.DupWindow {
		t.Fatalf("duplicate window = %v, want %v", got, relay.DupWindow)
	}
}

// TestEnsureReplacesTheLegacyStream: a data directory from before streams were per region has one MARQUEE
// stream over every subject; a region's stream replaces it instead of failing on the overlap.
func TestEnsureReplacesTheLegacyStream(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, st := range streams {
		if err := e.js.DeleteStream(ctx, st.Name()); err != nil {
			t.Fatal(err)
		}
	}
	if err := relay.CreateStream(ctx, e.js, jetstream.StreamConfig{Name: relay.LegacyStream, Subjects: []string{"marquee.>"}}); err != nil {
		t.Fatal(err)
	}
	if err := streams[0].Ensure(ctx, e.js); err != nil {
		t.Fatalf("Ensure with the legacy stream present: %v", err)
	}
	if _, err := e.js.Stream(ctx, relay.LegacyStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("legacy stream after Ensure: %v, want not found", err)
	}
}
