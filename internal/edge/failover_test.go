package edge

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// seatMapRegion calls GetSeatMap for a showtime through the edge and returns the region that served it.
func seatMapRegion(t *testing.T, seats marqueev1connect.SeatServiceClient, showtimeID string) string {
	t.Helper()
	res, err := seats.GetSeatMap(context.Background(), connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: showtimeID}))
	if err != nil {
		t.Fatalf("GetSeatMap(%s): %v", showtimeID, err)
	}
	if got := res.Msg.Seats[0].Id; got != res.Header().Get(RegionHeader) {
		t.Fatalf("answered by %s but %s says %s", got, RegionHeader, res.Header().Get(RegionHeader))
	}
	return res.Header().Get(RegionHeader)
}

// TestFailoverToNearestRegionAndBack closes a region's server: health checks mark it down within 2s, its calls
// go to the nearest healthy region, and once it serves again they come back to it.
func TestFailoverToNearestRegionAndBack(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	e, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	seats := marqueev1connect.NewSeatServiceClient(h2c, base)
	if got := seatMapRegion(t, seats, "euw1_a"); got != "europe-west1" {
		t.Fatalf("before: served by %s", got)
	}
	eu.stop()
	took := waitFor(t, 5*time.Second, "europe-west1 marked down", func() bool { return !e.RegionUp("europe-west1") })
	t.Logf("europe-west1 marked down %v after its server closed", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("marked down after %v, want within 2s", took)
	}
	if got := seatMapRegion(t, seats, "euw1_b"); got != "us-east1" {
		t.Fatalf("while down: served by %s, want us-east1", got)
	}
	wantSeen(t, map[*fakeRegion][]string{us: {"SeatService/GetSeatMap"}, eu: {"SeatService/GetSeatMap"}})
	eu.start(t, eu.addr)
	waitFor(t, 5*time.Second, "europe-west1 back up", func() bool { return e.RegionUp("europe-west1") })
	if got := seatMapRegion(t, seats, "euw1_c"); got != "europe-west1" {
		t.Fatalf("after: served by %s, want europe-west1 again", got)
	}
	wantSeen(t, map[*fakeRegion][]string{us: nil, eu: {"SeatService/GetSeatMap"}})
}

// TestSilentRegionIsMarkedDownWithin2s makes a region accept connections but answer nothing (a hung process): its
// health checks time out and it is marked down within 2s, then its calls go to the nearest region.
func TestSilentRegionIsMarkedDownWithin2s(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	e, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	eu.hang.Store(true)
	took := waitFor(t, 5*time.Second, "europe-west1 marked down", func() bool { return !e.RegionUp("europe-west1") })
	t.Logf("silent europe-west1 marked down after %v", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("marked down after %v, want within 2s", took)
	}
	if got := seatMapRegion(t, marqueev1connect.NewSeatServiceClient(h2c, base), "euw1_a"); got != "us-east1" {
		t.Fatalf("served by %s, want us-east1", got)
	}
	eu.hang.Store(false)
}

// TestRetryOnNextRegionWhenARegionDiesBetweenChecks closes a region's server while the edge still thinks it up:
// the call fails to connect, is sent once more to the next region, and the dead one is marked down at once.
func TestRetryOnNextRegionWhenARegionDiesBetweenChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []connect.ClientOption
	}{{"Connect", nil}, {"GRPC", []connect.ClientOption{connect.WithGRPC()}}} {
		t.Run(tc.name, func(t *testing.T) {
			us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
			e, base := startEdge(t, "us-east1", Config{HealthInterval: time.Hour}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
			seats := marqueev1connect.NewSeatServiceClient(h2c, base, tc.opts...)
			eu.stop()
			if !e.RegionUp("europe-west1") {
				t.Fatal("europe-west1 marked down before any call")
			}
			if got := seatMapRegion(t, seats, "euw1_a"); got != "us-east1" {
				t.Fatalf("served by %s, want us-east1", got)
			}
			if e.RegionUp("europe-west1") {
				t.Error("europe-west1 still up after a call failed to reach it")
			}
			wantSeen(t, map[*fakeRegion][]string{us: {"SeatService/GetSeatMap"}})
		})
	}
}

// TestUnavailableAtOnceWhenNoRegionAnswers takes every region away: calls fail with unavailable without
// waiting for any timeout, whether the edge has noticed (health checks) or not (between checks).
func TestUnavailableAtOnceWhenNoRegionAnswers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		opts     []connect.ClientOption
	}{
		{"MarkedDown", 50 * time.Millisecond, nil},
		{"MarkedDownGRPC", 50 * time.Millisecond, []connect.ClientOption{connect.WithGRPC()}},
		{"BetweenChecks", time.Hour, nil},
		{"BetweenChecksGRPCWeb", time.Hour, []connect.ClientOption{connect.WithGRPCWeb()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
			e, base := startEdge(t, "us-east1", Config{HealthInterval: tc.interval}, map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
			us.stop()
			eu.stop()
			if tc.interval < time.Second {
				waitFor(t, 2*time.Second, "regions marked down", func() bool { return !e.RegionUp("us-east1") && !e.RegionUp("europe-west1") })
			}
			seats := marqueev1connect.NewSeatServiceClient(h2c, base, tc.opts...)
			start := time.Now()
			_, err := seats.HoldSeats(context.Background(), connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: "euw1_a"}))
			if took := time.Since(start); connect.CodeOf(err) != connect.CodeUnavailable || took > 500*time.Millisecond {
				t.Fatalf("HoldSeats = %v after %v, want unavailable at once", err, took)
			}
		})
	}
}
