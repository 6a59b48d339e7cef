package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/regions"
)

// TestCloseEndsOpenStreams: a region process with a seat map being watched shuts down at once, not after its
// server's grace period, and the stream ends cleanly; on the way, another client's hold reaches the watcher
// through the real wiring (outbox, relay, NATS, hub).
func TestCloseEndsOpenStreams(t *testing.T) {
	m := newDev(dataDir(t))
	m.Config.Seed = false
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = m.Close()
		}
	})
	r, _ := regions.ByName("us-east1")
	fix, err := seed.NewFixture(context.Background(), m.DB().Catalog(), m.DB().IDs, r, seed.Layout{Rows: 2, SeatsPerRow: 6},
		time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr()
	stream, err := marqueev1connect.NewSeatServiceClient(http.DefaultClient, base).WatchSeatMap(context.Background(),
		connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: fix.Showtime.ID}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	if !stream.Receive() || stream.Msg().Version != 1 || len(stream.Msg().Seats) != 12 {
		t.Fatalf("first message: %v %v", stream.Msg(), stream.Err())
	}
	c := &client{t: t, base: base}
	c.token = c.call("AccountService/Register", map[string]any{"email": "w@example.com", "password": "password-1", "displayName": "W"}, 200)["token"].(string)
	c.call("SeatService/HoldSeats", map[string]any{"showtimeId": fix.Showtime.ID, "seatIds": []string{"A3", "A4"}}, 200)
	if !stream.Receive() || stream.Msg().Version != 2 {
		t.Fatalf("after a hold: %v %v", stream.Msg(), stream.Err())
	}
	start := time.Now()
	err = m.Close()
	closed = true
	if took := time.Since(start); err != nil || took > 5*time.Second {
		t.Fatalf("Close with a stream open: %v after %v, want nil well within the 10s grace", err, took)
	}
	for stream.Receive() {
	}
	if err := stream.Err(); err != nil {
		t.Errorf("the stream ended with %v, want a clean end", err)
	}
}
