package edge

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// realRegion is the real region handler (rpc.NewMux over the domain services on PostgreSQL) served on
// loopback, counting the API calls it sees.
type realRegion struct {
	name  string
	url   string
	calls atomic.Int64
}

// stack is two real regions sharing one database, as one Marquee process serves every region today, each with
// a fixture showtime homed in it.
type stack struct {
	db     *store.DB
	us, eu *realRegion
	usShow string
	euShow string
}

// startRegions migrates a fresh database, loads a fixture per region, builds the search index, and serves the
// real API once per region.
func startRegions(t testing.TB) *stack {
	t.Helper()
	ctx := context.Background()
	s := &stack{db: storetest.NewDB(t, platform.SystemClock)}
	layout := seed.Layout{Rows: 6, SeatsPerRow: 10, AisleAfter: []int{5}, PremiumRows: 2}
	for _, p := range []struct {
		region string
		show   *string
	}{{"us-east1", &s.usShow}, {"europe-west1", &s.euShow}} {
		r, _ := regions.ByName(p.region)
		f, err := seed.NewFixture(ctx, s.db.Catalog(), s.db.IDs, r, layout, time.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		*p.show = f.Showtime.ID
	}
	cfg := app.DefaultConfig()
	cfg.BcryptCost = 4
	svcs := app.Services(s.db, payment.NewSandbox(), platform.SystemClock, []byte("0123456789abcdef0123456789abcdef"), cfg)
	index, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = index.Close() })
	keeper := &search.Keeper{Index: index, Source: s.db.Catalog(), Now: platform.SystemClock}
	if err := keeper.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	svcs.Search, svcs.Reindexer = index, keeper
	mux := rpc.NewMux(svcs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.us, s.eu = serveRegion(t, "us-east1", mux), serveRegion(t, "europe-west1", mux)
	return s
}

func serveRegion(t testing.TB, name string, h http.Handler) *realRegion {
	r := &realRegion{name: name}
	srv, addr := serve(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/marquee.") {
			r.calls.Add(1)
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(func() { _ = srv.Close() })
	r.url = "http://" + addr
	return r
}

// edgeFor runs an edge (own region us-east1) in front of the stack's regions.
func (s *stack) edgeFor(t testing.TB) string {
	t.Helper()
	e, err := New(Config{Self: "us-east1", Regions: map[string][]string{"us-east1": {s.us.url}, "europe-west1": {s.eu.url}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, addr := serve(t, "127.0.0.1:0", e)
	t.Cleanup(func() {
		_ = srv.Close()
		_ = e.Close()
	})
	return "http://" + addr
}

// seen returns how many API calls each region served since the last look.
func (s *stack) seen() [2]int64 { return [2]int64{s.us.calls.Swap(0), s.eu.calls.Swap(0)} }

// TestBookingThroughTheEdgeOnRealRegions signs up, holds and books seats of a showtime homed in Europe, reads
// the caller's bookings and rebuilds the search index (a server stream) through the edge, against the real
// region handlers on PostgreSQL, checking which region served each call.
func TestBookingThroughTheEdgeOnRealRegions(t *testing.T) {
	s := startRegions(t)
	base := s.edgeFor(t)
	ctx := context.Background()
	accounts := marqueev1connect.NewAccountServiceClient(h2c, base)
	reg, err := accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{Email: "ana@example.com",
		Password: "s3cret-pass", DisplayName: "Ana"}))
	if err != nil || reg.Header().Get(RegionHeader) != "us-east1" {
		t.Fatalf("Register: %v, served by %q", err, reg.Header().Get(RegionHeader))
	}
	wantServed(t, s, [2]int64{1, 0}, "Register (global)")
	bearer := func(req connect.AnyRequest) { req.Header().Set("Authorization", "Bearer "+reg.Msg.Token) }

	seats := marqueev1connect.NewSeatServiceClient(h2c, base, connect.WithGRPC())
	sm, err := seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: s.euShow}))
	if err != nil {
		t.Fatalf("GetSeatMap over gRPC: %v", err)
	}
	if len(sm.Msg.Seats) != 60 || sm.Header().Get(RegionHeader) != "europe-west1" {
		t.Fatalf("GetSeatMap: %d seats from %q", len(sm.Msg.Seats), sm.Header().Get(RegionHeader))
	}
	hreq := connect.NewRequest(&marqueev1.HoldSeatsRequest{ShowtimeId: s.euShow, SeatIds: []string{"C4", "C5"}})
	bearer(hreq)
	hold, err := seats.HoldSeats(ctx, hreq)
	if err != nil {
		t.Fatalf("HoldSeats: %v", err)
	}
	bookings := marqueev1connect.NewBookingServiceClient(h2c, base, connect.WithProtoJSON())
	breq := connect.NewRequest(&marqueev1.CreateBookingRequest{HoldId: hold.Msg.Hold.Id, PaymentToken: "tok_visa",
		IdempotencyKey: "edge-test-1"})
	bearer(breq)
	booked, err := bookings.CreateBooking(ctx, breq)
	if err != nil || booked.Header().Get(RegionHeader) != "europe-west1" {
		t.Fatalf("CreateBooking: %v", err)
	}
	wantServed(t, s, [2]int64{0, 3}, "seat map, hold and booking of a European showtime")
	lreq := connect.NewRequest(&marqueev1.ListMyBookingsRequest{})
	bearer(lreq)
	mine, err := bookings.ListMyBookings(ctx, lreq)
	if err != nil || len(mine.Msg.Bookings) != 1 || mine.Msg.Bookings[0].Id != booked.Msg.Booking.Id {
		t.Fatalf("ListMyBookings: %v %v", err, mine)
	}
	wantServed(t, s, [2]int64{1, 0}, "ListMyBookings (home region us-east1: registered with no location on a process serving every region, so the primary)")
	reindexAsAdmin(t, s, base, reg.Msg.Token)
}

// TestHomeRegionThroughTheEdge registers near London through the edge, whose own region (us-east1) serves the
// registration, and checks that the caller's own calls then go to their home region, europe-west1.
func TestHomeRegionThroughTheEdge(t *testing.T) {
	s := startRegions(t)
	base := s.edgeFor(t)
	ctx := context.Background()
	reg, err := marqueev1connect.NewAccountServiceClient(h2c, base).Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
		Email: "lena@example.com", Password: "s3cret-pass", DisplayName: "Lena",
		Near: &marqueev1.GeoPoint{Latitude: 51.51, Longitude: -0.13}}))
	if err != nil {
		t.Fatalf("Register near London: %v", err)
	}
	if home := reg.Msg.User.HomeRegion; home != "europe-west1" {
		t.Fatalf("Register near London: home region %q, want europe-west1", home)
	}
	wantServed(t, s, [2]int64{1, 0}, "Register (global)")
	req := connect.NewRequest(&marqueev1.ListMyBookingsRequest{})
	req.Header().Set("Authorization", "Bearer "+reg.Msg.Token)
	res, err := marqueev1connect.NewBookingServiceClient(h2c, base).ListMyBookings(ctx, req)
	if err != nil {
		t.Fatalf("ListMyBookings: %v", err)
	}
	if by := res.Header().Get(RegionHeader); by != "europe-west1" {
		t.Fatalf("ListMyBookings served by %q, want europe-west1", by)
	}
	wantServed(t, s, [2]int64{0, 1}, "ListMyBookings (home region europe-west1, from the token)")
}

// reindexAsAdmin makes the user an admin and streams ReindexSearch's progress through the edge.
func reindexAsAdmin(t *testing.T, s *stack, base, token string) {
	t.Helper()
	if _, err := s.db.Pool.Exec(context.Background(), `UPDATE users SET role = 'admin' WHERE email = 'ana@example.com'`); err != nil {
		t.Fatal(err)
	}
	req := connect.NewRequest(&marqueev1.ReindexSearchRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	stream, err := marqueev1connect.NewAdminServiceClient(h2c, base).ReindexSearch(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var last *marqueev1.ReindexSearchResponse
	for stream.Receive() {
		last = stream.Msg()
	}
	if err := stream.Err(); err != nil || last == nil || !last.Finished {
		t.Fatalf("ReindexSearch stream: %v, last %v", err, last)
	}
	wantServed(t, s, [2]int64{1, 0}, "ReindexSearch (global)")
}

func wantServed(t *testing.T, s *stack, want [2]int64, what string) {
	t.Helper()
	if got := s.seen(); got != want {
		t.Errorf("%s: us-east1 and europe-west1 served %v calls, want %v", what, got, want)
	}
}
