package natsserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/natsserver"
)

func connectJS(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestSuperclusterPlacesStreamsAndSurvivesARegion places a stream in each cluster from a client of another,
// publishes and consumes across the gateways, then stops one cluster: the others go on publishing and
// consuming their own streams.
func TestSuperclusterPlacesStreamsAndSurvivesARegion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sc, err := natsserver.StartSupercluster(t.TempDir(), "west", "east", "south")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	urls := sc.URLs()
	west, south := connectJS(t, urls["west"]), connectJS(t, urls["south"])
	for _, c := range sc.Clusters {
		retry(ctx, t, "stream in "+c, func(ctx context.Context) error {
			_, err := west.CreateStream(ctx, jetstream.StreamConfig{Name: "S_" + c, Subjects: []string{"s." + c + ".>"},
				Storage: jetstream.FileStorage, Placement: &jetstream.Placement{Cluster: c}})
			return err
		})
	}
	var s jetstream.Stream
	retry(ctx, t, "S_east from south", func(ctx context.Context) (err error) {
		s, err = south.Stream(ctx, "S_east")
		return err
	})
	if got := s.CachedInfo().Cluster.Name; got != "east" {
		t.Fatalf("stream S_east placed in cluster %q, want east", got)
	}
	retry(ctx, t, "publishing across gateways", func(ctx context.Context) error {
		_, err := south.Publish(ctx, "s.east.x", []byte("from south"))
		return err
	})
	msg := firstMessage(ctx, t, west, "S_east")
	if string(msg) != "from south" {
		t.Fatalf("consumed %q from S_east in west, want %q", msg, "from south")
	}

	sc.Servers["east"].Shutdown()
	retry(ctx, t, "publishing to west while east is down", func(ctx context.Context) error {
		_, err := south.Publish(ctx, "s.west.y", []byte("east is down"))
		return err
	})
	if msg := firstMessage(ctx, t, south, "S_west"); string(msg) != "east is down" {
		t.Fatalf("consumed %q from S_west while east is down", msg)
	}
}

// firstMessage reads the first message of stream name with an ephemeral consumer.
func firstMessage(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) []byte {
	t.Helper()
	var data []byte
	retry(ctx, t, "reading "+name, func(ctx context.Context) error {
		c, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{})
		if err != nil {
			return err
		}
		m, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err == nil {
			data = m.Data()
		}
		return err
	})
	return data
}

// retry runs op (each try bounded to 5 s) until it succeeds or ctx ends. Interest crosses gateways
// asynchronously, so a JetStream request right after a change may find no responder for a moment; the relay
// and consumers retry the same way.
func retry(ctx context.Context, t *testing.T, what string, op func(context.Context) error) {
	t.Helper()
	for {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := op(tctx)
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSuperclusterOfOneRegionIsAPlainServer starts a "supercluster" of one cluster, as `marquee dev --regions
// NAME` does: it is ready at once, reports no cluster to clients, and takes streams and messages.
func TestSuperclusterOfOneRegionIsAPlainServer(t *testing.T) {
	sc, err := natsserver.StartSupercluster(t.TempDir(), "eu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Close)
	nc, err := nats.Connect(sc.URLs()["eu"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if name := nc.ConnectedClusterName(); name != "" {
		t.Fatalf("cluster name %q, want none", name)
	}
	js := connectJS(t, sc.URLs()["eu"])
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ONE", Subjects: []string{"one.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "one.x", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	info, err := js.Stream(ctx, "ONE")
	if err != nil {
		t.Fatal(err)
	}
	if info.CachedInfo().State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.CachedInfo().State.Msgs)
	}
}
