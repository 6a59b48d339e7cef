package e2e

import (
	"context"
	"testing"
	"time"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/edge"
)

// seatWatch is a WatchSeatMap stream read in the background.
type seatWatch struct {
	msgs   chan *marqueev1.WatchSeatMapResponse
	header func() string // the region that serves it
}

// watchSeats opens WatchSeatMap of show through a and reads it until the test ends.
func watchSeats(t *testing.T, a *api, show string) *seatWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := a.seats.WatchSeatMap(ctx, as("", &marqueev1.WatchSeatMapRequest{ShowtimeId: show}))
	if err != nil {
		cancel()
		t.Fatalf("WatchSeatMap: %v", err)
	}
	w := &seatWatch{msgs: make(chan *marqueev1.WatchSeatMapResponse, 100),
		header: func() string { return s.ResponseHeader().Get(edge.RegionHeader) }}
	go func() {
		defer close(w.msgs)
		for s.Receive() {
			w.msgs <- s.Msg()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = s.Close()
	})
	return w
}

// until returns the first message within limit whose seats are in the statuses want gives them, and how long
// it took; it checks that versions grow.
func (w *seatWatch) until(t *testing.T, limit time.Duration, what string, want map[string]marqueev1.SeatStatus) (*marqueev1.WatchSeatMapResponse, time.Duration) {
	t.Helper()
	start, deadline := time.Now(), time.After(limit)
	var last uint32
	for {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				t.Fatalf("the watch ended before %s", what)
			}
			if m.Version < last {
				t.Fatalf("version went from %d down to %d", last, m.Version)
			}
			last = m.Version
			if hasStatuses(m, want) {
				return m, time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no seat map with %s within %v", what, limit)
		}
	}
}

func hasStatuses(m *marqueev1.WatchSeatMapResponse, want map[string]marqueev1.SeatStatus) bool {
	n := 0
	for _, s := range m.Seats {
		if st, ok := want[s.Id]; ok && s.Status != st {
			return false
		} else if ok {
			n++
		}
	}
	return n == len(want)
}

// testWatchSeatMap watches a London showtime through the edge (served by europe-west1) and, as if the edge had
// failed over, straight from us-east1's process, whose hub follows europe-west1's events across the NATS
// gateways. Another client's hold, then its release, reach both watchers as new seat maps.
func testWatchSeatMap(t *testing.T, w *world) {
	ctx := context.Background()
	show := londonShowtime(t, w.api)
	viaEdge, viaUS := watchSeats(t, w.api, show), watchSeats(t, w.region("us-east1"), show)
	first, _ := viaEdge.until(t, 5*time.Second, "the first map", nil)
	if first.Version != 1 || len(first.Seats) == 0 || first.Showtime.GetTheatreName() == "" || viaEdge.header() != "europe-west1" {
		t.Fatalf("first map through the edge: version %d, %d seats, showtime %v, served by %q", first.Version,
			len(first.Seats), first.Showtime, viaEdge.header())
	}
	viaUS.until(t, 5*time.Second, "the first map from us-east1", nil)
	u := register(t, w.api, "watcher-neighbour@example.com")
	best := must(w.api.seats.BestAvailable(ctx, as("", &marqueev1.BestAvailableRequest{ShowtimeId: show, Count: 2})))(t, "BestAvailable")
	seats := best.Msg.SeatIds
	hold := must(w.api.seats.HoldSeats(ctx, as(u.token, &marqueev1.HoldSeatsRequest{ShowtimeId: show, SeatIds: seats})))(t, "HoldSeats")
	heldBy := map[string]marqueev1.SeatStatus{}
	freed := map[string]marqueev1.SeatStatus{}
	for _, id := range seats {
		heldBy[id], freed[id] = marqueev1.SeatStatus_SEAT_STATUS_HELD, marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE
	}
	_, edgeTook := viaEdge.until(t, 5*time.Second, "the hold through the edge", heldBy)
	_, usTook := viaUS.until(t, 5*time.Second, "the hold on us-east1", heldBy)
	t.Logf("hold of %v seen %v later through the edge, %v later from us-east1", seats, edgeTook.Round(time.Millisecond),
		usTook.Round(time.Millisecond))
	must(w.api.seats.ReleaseHold(ctx, as(u.token, &marqueev1.ReleaseHoldRequest{HoldId: hold.Msg.Hold.Id})))(t, "ReleaseHold")
	viaEdge.until(t, 5*time.Second, "the release through the edge", freed)
	viaUS.until(t, 5*time.Second, "the release on us-east1", freed)
	if n := count(t, w.db.Pool, `SELECT count(*) FROM outbox WHERE region = 'europe-west1' AND aggregate_id = $1
		AND subject = 'marquee.europe-west1.seats.held' AND published_at IS NOT NULL`, show); n < 1 {
		t.Errorf("published SeatsHeld events of %s: %d, want the hold's", show, n)
	}
}
