package edge

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// BenchmarkUnary compares a unary call (BestAvailable: routed by showtime ID, never cached, reads the seat map
// from PostgreSQL) made straight to the real region handler and through the edge, in the same run.
func BenchmarkUnary(b *testing.B) {
	s := startRegions(b)
	edgeURL := s.edgeFor(b)
	req := &marqueev1.BestAvailableRequest{ShowtimeId: s.usShow, Count: 2}
	for _, target := range []struct{ name, url string }{{"region", s.us.url}, {"edge", edgeURL}} {
		b.Run(target.name, func(b *testing.B) {
			seats := marqueev1connect.NewSeatServiceClient(h2c, target.url)
			for b.Loop() {
				if _, err := seats.BestAvailable(context.Background(), connect.NewRequest(req)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnaryOverhead isolates what the edge adds to a call: the region is a fake that answers at once.
func BenchmarkUnaryOverhead(b *testing.B) {
	us := startFake(b, "us-east1")
	_, edgeURL := startEdge(b, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}})
	req := &marqueev1.HoldSeatsRequest{ShowtimeId: "use1_01JDSHOW", SeatIds: []string{"A1", "A2"}}
	for _, target := range []struct{ name, url string }{{"region", us.url()}, {"edge", edgeURL}} {
		b.Run(target.name, func(b *testing.B) {
			seats := marqueev1connect.NewSeatServiceClient(h2c, target.url)
			for b.Loop() {
				if _, err := seats.HoldSeats(context.Background(), connect.NewRequest(req)); err != nil {
					b.Fatal(err)
				}
			}
			us.calls()
		})
	}
}

// BenchmarkCatalogReads compares catalog reads per second (ListShowtimes, concurrent clients) served by the
// real region from PostgreSQL and by the edge from its cache.
func BenchmarkCatalogReads(b *testing.B) {
	s := startRegions(b)
	edgeURL := s.edgeFor(b)
	req := &marqueev1.ListShowtimesRequest{PageSize: 20}
	for _, target := range []struct{ name, url string }{{"region", s.us.url}, {"edge-cached", edgeURL}} {
		b.Run(target.name, func(b *testing.B) {
			catalog := marqueev1connect.NewCatalogServiceClient(h2c, target.url)
			if _, err := catalog.ListShowtimes(context.Background(), connect.NewRequest(req)); err != nil {
				b.Fatal(err) // warms the cache
			}
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := catalog.ListShowtimes(context.Background(), connect.NewRequest(req)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
		})
	}
}
