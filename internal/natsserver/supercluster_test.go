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
		_, err := west.CreateStream(ctx, jetstream.StreamConfig{Name: "S_" + c, Subjects: []string{"s." + c + ".>"},
			Storage: jetstream.FileStorage, Placement: &jetstream.Placement{Cluster: c}})
		if err != nil {
			t.Fatalf("stream in %s: %v", c, err)
		}
	}
	s, err := south.Stream(ctx, "S_east")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Cluster.Name; got != "east" {
		t.Fatalf("stream S_east placed in cluster %q, want east", got)
	}
	if _, err := south.Publish(ctx, "s.east.x", []byte("from south")); err != nil {
		t.Fatalf("publishing across gateways: %v", err)
	}
	msg := firstMessage(ctx, t, west, "S_east")
	if string(msg) != "from south" {
		t.Fatalf("consumed %q from S_east in west, want %q", msg, "from south")
	}

	sc.Servers["east"].Shutdown()
	if _, err := south.Publish(ctx, "s.west.y", []byte("east is down")); err != nil {
		t.Fatalf("publishing to west while east is down: %v", err)
	}
	if msg := firstMessage(ctx, t, south, "S_west"); string(msg) != "east is down" {
		t.Fatalf("consumed %q from S_west while east is down", msg)
	}
}

// firstMessage reads the first message of stream name with an ephemeral consumer.
func firstMessage(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) []byte {
	t.Helper()
	c, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return m.Data()
}
