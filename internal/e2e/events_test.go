package e2e

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/regions"
)

// consumersReady reports whether every stream has its consumers: each region's its standby and notify
// consumers and its own process's search consumer, the global stream one search consumer per process. A
// process serves before they exist (they are created in the background, across gateways); until they do, its
// index misses changes (it catches up once they exist).
func (w *world) consumersReady(t *testing.T) bool {
	t.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(w.nats.Servers[regions.Primary().NATSCluster].URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range relay.Streams(true) {
		want := map[string]int{"search": 1, "standby": 1, "notify": 1}
		if st.Region == events.GlobalRegion {
			want = map[string]int{"search": len(w.mains)}
		}
		stream, err := js.Stream(ctx, st.Name())
		if err != nil {
			return false
		}
		got := map[string]int{}
		names := stream.ConsumerNames(ctx)
		for name := range names.Name() {
			kind, _, _ := strings.Cut(name, "-")
			got[kind]++
		}
		if names.Err() != nil || !maps.Equal(got, want) {
			return false
		}
	}
	return true
}

// checkCancellationPath checks each step the cancellation of bookingID took to become the offer to entryID:
// its outbox row (europe-west1's) was published to europe-west1's stream, which lives in europe-west1's NATS
// cluster; the stream's standby consumer has acknowledged it; and the open offer was recorded after the
// cancellation.
func checkCancellationPath(t *testing.T, w *world, bookingID, entryID string) {
	t.Helper()
	ctx := context.Background()
	subject := events.Subject("europe-west1", events.BookingCancelledKind)
	var outboxID string
	var cancelledAt time.Time
	waitFor(t, 5*time.Second, "the cancellation's outbox row published", func() bool {
		err := w.db.Pool.QueryRow(ctx, `SELECT id, created_at FROM outbox WHERE region = 'europe-west1'
			AND aggregate_id = $1 AND subject = $2 AND published_at IS NOT NULL`, bookingID, subject).Scan(&outboxID, &cancelledAt)
		return err == nil
	})
	nc, err := nats.Connect(w.nats.Servers["europe-west1"].URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, relay.Stream{Region: "europe-west1"}.Name())
	if err != nil {
		t.Fatal(err)
	}
	if c := stream.CachedInfo().Cluster; c == nil || c.Name != "europe-west1" {
		t.Errorf("europe-west1's stream is in cluster %v, want europe-west1", c)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		t.Fatalf("no %s in europe-west1's stream: %v", subject, err)
	}
	if got := msg.Header.Get(jetstream.MsgIDHeader); got != outboxID {
		t.Fatalf("last %s in the stream has %s %q, want the outbox row's %q", subject, jetstream.MsgIDHeader, got, outboxID)
	}
	waitFor(t, 5*time.Second, "europe-west1's standby consumer past the cancellation", func() bool {
		c, err := stream.Consumer(ctx, "standby")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= msg.Sequence
	})
	if n := count(t, w.db.Pool, `SELECT count(*) FROM standby_offers WHERE region = 'europe-west1' AND entry_id = $1
		AND status = 'open' AND created_at >= $2`, entryID, cancelledAt); n != 1 {
		t.Fatalf("open offers to the entry made after the cancellation: %d, want 1", n)
	}
}
