package e2e

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/seed"
)

// BenchmarkRegionDeathToFailover measures the time from a region's death to the first of its calls served by
// another region through the edge (a client calling BestAvailable of one of its showtimes in a loop), one
// death per op. The edge checks health every second (its default). An op also brings the region back, so its
// ns/op is replaced by the mean time from death to failover (max-ms is the worst); an op lasts a second or
// more, so `-bench .` runs few.
//
//   - fake/killed: fake regions in this process; europe-west1's server closes with its connections, as a
//     killed process's do. The call in flight fails to connect and the edge sends it to the next region.
//   - fake/hung: europe-west1 accepts connections and answers nothing, health checks included; the client
//     gives each call 100ms. Calls go elsewhere once a health check times out (interval + timeout).
//   - real/kill-9: `marquee region` processes under devstack (PostgreSQL, NATS); europe-west1's is killed
//     with SIGKILL, and started again between ops.
//
// go test -run '^$' -bench RegionDeathToFailover -benchtime 5x ./internal/e2e/
func BenchmarkRegionDeathToFailover(b *testing.B) {
	b.Run("fake/killed", func(b *testing.B) { benchFake(b, false) })
	b.Run("fake/hung", func(b *testing.B) { benchFake(b, true) })
	b.Run("real/kill-9", benchReal)
}

// benchFake runs the fake regions and the edge, and kills (or hangs) europe-west1 once per op.
func benchFake(b *testing.B, hang bool) {
	us, eu := startFake(b, "us-east1"), startFake(b, "europe-west1")
	e, err := edge.New(edge.Config{Self: "us-east1", Regions: map[string][]string{
		"us-east1": {us.url()}, "europe-west1": {eu.url()}}})
	if err != nil {
		b.Fatal(err)
	}
	srv, addr := serveOn(b, "127.0.0.1:0", e)
	b.Cleanup(func() { _ = srv.Close(); _ = e.Close() })
	seats := marqueev1connect.NewSeatServiceClient(http.DefaultClient, "http://"+addr)
	var took []time.Duration
	for range b.N {
		eu.revive(b)
		waitFor(b, 10*time.Second, "europe-west1 up again", func() bool {
			return e.RegionUp("europe-west1") && servedByFake(seats, "euw1_bench", 0) == "europe-west1"
		})
		died := time.Now()
		if hang {
			eu.hang.Store(true)
		} else {
			eu.kill()
		}
		for servedByFake(seats, "euw1_bench", 100*time.Millisecond) != "us-east1" {
		}
		took = append(took, time.Since(died))
	}
	reportFailovers(b, took)
}

// reportFailovers reports the mean of took as ns/op and the worst as max-ms.
func reportFailovers(b *testing.B, took []time.Duration) {
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(took)), "ns/op")
	b.ReportMetric(float64(slices.Max(took).Microseconds())/1000, "max-ms")
}

// benchReal runs the binary's region processes and the edge, and kills europe-west1's once per op.
func benchReal(b *testing.B) {
	s := startStack(b)
	show := s.fixture(b, "europe-west1", seed.Layout{Rows: 4, SeatsPerRow: 8}).Showtime.ID
	ctx := context.Background()
	region := func() string {
		res, err := s.api.seats.BestAvailable(ctx, as("", &marqueev1.BestAvailableRequest{ShowtimeId: show, Count: 2}))
		if err != nil {
			return ""
		}
		return servedBy(res)
	}
	var took []time.Duration
	for i := range b.N {
		if i > 0 {
			if err := s.ds.StartRegion("europe-west1"); err != nil {
				b.Fatal(err)
			}
			if err := s.ds.WaitHealthy(ctx, "europe-west1"); err != nil {
				b.Fatal(err)
			}
		}
		waitFor(b, 10*time.Second, "europe-west1 serving its calls", func() bool { return region() == "europe-west1" })
		eu := s.ds.Regions()["europe-west1"]
		died := time.Now()
		if err := syscall.Kill(eu.PID, syscall.SIGKILL); err != nil {
			b.Fatal(err)
		}
		for region() != "us-east1" {
		}
		took = append(took, time.Since(died))
		waitFor(b, 5*time.Second, "the killed process reaped", eu.Exited)
	}
	reportFailovers(b, took)
}

// fakeRegion is a Connect server of the generated SeatService whose answers name its region, with gRPC health;
// it can be killed (its server and connections closed at once) and revived on the same address, or hung.
type fakeRegion struct {
	name, addr string
	srv        *http.Server
	hang       atomic.Bool
	handler    http.Handler
}

func startFake(tb testing.TB, name string) *fakeRegion {
	tb.Helper()
	f := &fakeRegion{name: name}
	mux := http.NewServeMux()
	mux.Handle(marqueev1connect.NewSeatServiceHandler(fakeSeats{name: name}))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker()))
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.hang.Load() {
			<-r.Context().Done()
			return
		}
		mux.ServeHTTP(w, r)
	})
	f.srv, f.addr = serveOn(tb, "127.0.0.1:0", f.handler)
	tb.Cleanup(f.kill)
	return f
}

func (f *fakeRegion) url() string { return "http://" + f.addr }

// kill closes the server and every connection at once.
func (f *fakeRegion) kill() {
	if f.srv != nil {
		_ = f.srv.Close()
		f.srv = nil
	}
}

// revive serves again on the same address, answering.
func (f *fakeRegion) revive(tb testing.TB) {
	tb.Helper()
	f.hang.Store(false)
	if f.srv == nil {
		f.srv, _ = serveOn(tb, f.addr, f.handler)
	}
}

// serveOn serves h on addr with HTTP/1.1 and h2c, as rpc.Listen does.
func serveOn(tb testing.TB, addr string, h http.Handler) (*http.Server, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s := &http.Server{Handler: h, Protocols: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return s, ln.Addr().String()
}

type fakeSeats struct {
	marqueev1connect.UnimplementedSeatServiceHandler
	name string
}

func (s fakeSeats) BestAvailable(context.Context, *connect.Request[marqueev1.BestAvailableRequest]) (*connect.Response[marqueev1.BestAvailableResponse], error) {
	return connect.NewResponse(&marqueev1.BestAvailableResponse{SeatIds: []string{s.name}}), nil
}

// servedByFake calls BestAvailable through the edge (within timeout, when set) and returns the region that
// answered, "" on an error.
func servedByFake(seats marqueev1connect.SeatServiceClient, show string, timeout time.Duration) string {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := seats.BestAvailable(ctx, connect.NewRequest(&marqueev1.BestAvailableRequest{ShowtimeId: show, Count: 1}))
	if err != nil || !slices.Equal(res.Msg.SeatIds, []string{servedBy(res)}) {
		return ""
	}
	return servedBy(res)
}
