package hub_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/hub"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/watch"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func publish(t *testing.T, nc *nats.Conn, e events.Event) {
	t.Helper()
	if err := nc.Publish(e.Subject, e.Payload); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestHubFansOutByShowtime: listeners hear the events of their showtime only, through one subscription per
// region; every listener hears when NATS comes back; Close ends it all.
func TestHubFansOutByShowtime(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := relay.Connect(srv.URL(), "hub-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	pub, err := nats.Connect(srv.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	h := hub.New(nc, nil)
	a, b := watch.Key{Region: "us-east1", ID: "use1_a"}, watch.Key{Region: "us-east1", ID: "use1_b"}
	c := watch.Key{Region: "europe-west1", ID: "euw1_c"}
	var heard [4]atomic.Int64
	for i, k := range []watch.Key{a, a, b, c} {
		if _, err := h.Listen(k, func() { heard[i].Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	if l, s := h.Listening(); l != 4 || s != 2 {
		t.Fatalf("listening %d with %d subscriptions, want 4 listeners and one subscription per region", l, s)
	}
	publish(t, pub, events.SeatsHeld("us-east1", a.ID, "use1_h", []string{"A1"}, time.Now(), time.Now()))
	publish(t, pub, events.CatalogChanged("us-east1", "theatre", "use1_t", false, time.Now()))
	publish(t, pub, events.SeatsReleased("europe-west1", c.ID, "euw1_h", []string{"A1"}, "released", time.Now()))
	waitFor(t, "a's and c's listeners", func() bool {
		return heard[0].Load() == 1 && heard[1].Load() == 1 && heard[3].Load() == 1
	})
	if n := heard[2].Load(); n != 0 {
		t.Errorf("b's listener heard %d events of other showtimes", n)
	}
	srv.Shutdown()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every listener told to look again after NATS came back", func() bool {
		return heard[0].Load() == 2 && heard[1].Load() == 2 && heard[2].Load() == 1 && heard[3].Load() == 2
	})
	waitFor(t, "the publisher back", pub.IsConnected)
	// The hub's subscriptions are sent again as its connection comes back; a round trip on that connection
	// makes sure the server has them before the event is published (else the server has no one to send it to).
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	publish(t, pub, events.BookingCancelled(events.Booking{Region: "us-east1", ID: "use1_bk", ShowtimeID: b.ID}))
	waitFor(t, "b's listener after the reconnect", func() bool { return heard[2].Load() == 2 })
	h.Close()
	select {
	case <-h.Done():
	default:
		t.Fatal("Done not closed by Close")
	}
	if _, err := h.Listen(a, func() {}); !errors.Is(err, hub.ErrClosed) {
		t.Fatalf("Listen after Close = %v, want ErrClosed", err)
	}
}

// TestHubStopListening: a stopped listener hears nothing more.
func TestHubStopListening(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := relay.Connect(srv.URL(), "hub-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h := hub.New(nc, nil)
	t.Cleanup(h.Close)
	k := watch.Key{Region: "us-east1", ID: "use1_a"}
	var gone, kept atomic.Int64
	stop, err := h.Listen(k, func() { gone.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Listen(k, func() { kept.Add(1) }); err != nil {
		t.Fatal(err)
	}
	stop()
	publish(t, nc, events.SeatsHeld("us-east1", k.ID, "use1_h", nil, time.Now(), time.Now()))
	waitFor(t, "the kept listener", func() bool { return kept.Load() == 1 })
	if n := gone.Load(); n != 0 {
		t.Errorf("a stopped listener heard %d events", n)
	}
	if l, _ := h.Listening(); l != 1 {
		t.Errorf("listeners = %d, want 1", l)
	}
}
