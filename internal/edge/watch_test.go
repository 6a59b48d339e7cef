package edge

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// receive waits up to limit for the stream's next message.
func receive(t *testing.T, s *connect.ServerStreamForClient[marqueev1.WatchSeatMapResponse], limit time.Duration) *marqueev1.WatchSeatMapResponse {
	t.Helper()
	got := make(chan bool, 1)
	go func() { got <- s.Receive() }()
	select {
	case ok := <-got:
		if !ok {
			t.Fatalf("the stream ended: %v", s.Err())
		}
		return s.Msg()
	case <-time.After(limit):
		t.Fatalf("no message within %v: the edge held it back", limit)
		return nil
	}
}

// TestLongStreamFramesPassAtOnce: each message of a long-lived server stream (WatchSeatMap) reaches the client
// through the edge as soon as the region sends it, while the region's handler is still waiting for the next,
// in every streaming protocol, and idle gaps longer than the edge's health interval do not cut it.
func TestLongStreamFramesPassAtOnce(t *testing.T) {
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	_, base := startEdge(t, "us-east1", Config{HealthInterval: 100 * time.Millisecond},
		map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	for _, tc := range []struct {
		name   string
		client *http.Client
		opts   []connect.ClientOption
	}{
		{"ConnectHTTP1", http.DefaultClient, nil},
		{"ConnectJSON", h2c, []connect.ClientOption{connect.WithProtoJSON()}},
		{"GRPC", h2c, []connect.ClientOption{connect.WithGRPC()}},
		{"GRPCWeb", http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seats := marqueev1connect.NewSeatServiceClient(tc.client, base, tc.opts...)
			show, feed := "euw1_"+tc.name, eu.watch("euw1_"+tc.name)
			// The first message comes at once, with the response's headers, as WatchSeatMap's does.
			go func() { feed <- &marqueev1.WatchSeatMapResponse{ShowtimeId: show, Version: 1} }()
			stream, err := seats.WatchSeatMap(context.Background(), connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: show}))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			for v := uint32(1); v <= 4; v++ {
				if v > 1 {
					time.Sleep(300 * time.Millisecond) // idle, as a watched seat map mostly is
					feed <- &marqueev1.WatchSeatMapResponse{ShowtimeId: show, Version: v}
				}
				if m := receive(t, stream, 2*time.Second); m.Version != v {
					t.Fatalf("message version %d, want %d", m.Version, v)
				}
			}
			if r := stream.ResponseHeader().Get(RegionHeader); r != "europe-west1" {
				t.Errorf("%s = %q, want the showtime's region", RegionHeader, r)
			}
		})
	}
}

// TestMainCloseEndsStreams: the edge's shutdown ends the streams it forwards instead of waiting its grace
// period for them.
func TestMainCloseEndsStreams(t *testing.T) {
	us := startFake(t, "us-east1")
	m := &Main{Addr: "127.0.0.1:0", Config: Config{Self: "us-east1", Regions: map[string][]string{"us-east1": {us.url()}}}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() { us.watch("use1_show") <- &marqueev1.WatchSeatMapResponse{Version: 1} }()
	stream, err := marqueev1connect.NewSeatServiceClient(h2c, "http://"+m.ListenAddr()).WatchSeatMap(context.Background(),
		connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: "use1_show"}))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	receive(t, stream, 2*time.Second)
	start := time.Now()
	if err := m.Close(); err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("Close with a stream open: %v after %v, want nil at once", err, time.Since(start))
	}
	ended := make(chan bool, 1)
	go func() { ended <- !stream.Receive() }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the client's stream did not end when the edge shut down")
	}
}
