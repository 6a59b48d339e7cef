package edge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// fakeRegion is a real Connect server (HTTP/1.1 and h2c on loopback) built from the generated handlers,
// answering a few RPCs with its region's name and recording every call it sees.
type fakeRegion struct {
	name    string
	addr    string
	handler http.Handler
	server  *http.Server

	hang atomic.Bool // answer nothing, health checks included, until the caller gives up
	// watches feed WatchSeatMap by showtime (see watch): each message is sent as it comes.
	watches map[string]chan *marqueev1.WatchSeatMapResponse

	mu   sync.Mutex
	seen []string // procedures called, health checks left out
}

// startFake starts a fake region server on a free loopback port; it is closed when t ends.
func startFake(t testing.TB, name string) *fakeRegion {
	t.Helper()
	f := &fakeRegion{name: name, watches: map[string]chan *marqueev1.WatchSeatMapResponse{}}
	mux := http.NewServeMux()
	mux.Handle(marqueev1connect.NewSeatServiceHandler(fakeSeats{f: f}))
	mux.Handle(marqueev1connect.NewCatalogServiceHandler(fakeCatalog{f: f}))
	mux.Handle(marqueev1connect.NewBookingServiceHandler(fakeBookings{f: f}))
	mux.Handle(marqueev1connect.NewSearchServiceHandler(fakeSearch{f: f}))
	mux.Handle(marqueev1connect.NewAccountServiceHandler(marqueev1connect.UnimplementedAccountServiceHandler{}))
	mux.Handle(marqueev1connect.NewAdminServiceHandler(fakeAdmin{f: f}))
	mux.Handle(marqueev1connect.NewComplianceServiceHandler(marqueev1connect.UnimplementedComplianceServiceHandler{}))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker()))
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.hang.Load() {
			<-r.Context().Done()
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/grpc.health.") {
			f.mu.Lock()
			f.seen = append(f.seen, strings.TrimPrefix(r.URL.Path, "/marquee.v1."))
			f.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	})
	f.start(t, "127.0.0.1:0")
	t.Cleanup(f.stop)
	return f
}

// start serves on addr (the same address again after stop).
func (f *fakeRegion) start(t testing.TB, addr string) {
	t.Helper()
	f.server, f.addr = serve(t, addr, f.handler)
}

// stop closes the server and its connections at once, as a region dying would.
func (f *fakeRegion) stop() {
	if f.server != nil {
		_ = f.server.Close()
		f.server = nil
	}
}

// serve serves h on addr with HTTP/1.1 and h2c, as rpc.Listen does, until the returned server is closed. (Tests
// close servers abruptly: a graceful shutdown waits a second for HTTP/2 clients to go.)
func serve(t testing.TB, addr string, h http.Handler) (*http.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s := &http.Server{Handler: h, Protocols: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return s, ln.Addr().String()
}

func (f *fakeRegion) url() string { return "http://" + f.addr }

// calls returns and forgets the procedures seen so far.
func (f *fakeRegion) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.seen
	f.seen = nil
	return s
}

// fakeSeats serves the seat calls the edge tests route; the waiting room ones answer unimplemented.
type fakeSeats struct {
	marqueev1connect.UnimplementedSeatServiceHandler
	f *fakeRegion
}

// watch returns the channel that feeds WatchSeatMap streams of a showtime.
func (f *fakeRegion) watch(showtimeID string) chan *marqueev1.WatchSeatMapResponse {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watches[showtimeID] == nil {
		f.watches[showtimeID] = make(chan *marqueev1.WatchSeatMapResponse)
	}
	return f.watches[showtimeID]
}

func (s fakeSeats) WatchSeatMap(ctx context.Context, req *connect.Request[marqueev1.WatchSeatMapRequest], stream *connect.ServerStream[marqueev1.WatchSeatMapResponse]) error {
	for {
		select {
		case m, ok := <-s.f.watch(req.Msg.ShowtimeId):
			if !ok {
				return nil
			}
			if err := stream.Send(m); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func (s fakeSeats) GetSeatMap(_ context.Context, req *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	return connect.NewResponse(&marqueev1.GetSeatMapResponse{ShowtimeId: req.Msg.ShowtimeId,
		Seats: []*marqueev1.Seat{{Id: s.f.name}}}), nil
}

func (fakeSeats) HoldSeats(context.Context, *connect.Request[marqueev1.HoldSeatsRequest]) (*connect.Response[marqueev1.HoldSeatsResponse], error) {
	return connect.NewResponse(&marqueev1.HoldSeatsResponse{}), nil
}

func (fakeSeats) ReleaseHold(context.Context, *connect.Request[marqueev1.ReleaseHoldRequest]) (*connect.Response[marqueev1.ReleaseHoldResponse], error) {
	return connect.NewResponse(&marqueev1.ReleaseHoldResponse{}), nil
}

func (fakeSeats) BestAvailable(context.Context, *connect.Request[marqueev1.BestAvailableRequest]) (*connect.Response[marqueev1.BestAvailableResponse], error) {
	return connect.NewResponse(&marqueev1.BestAvailableResponse{SeatIds: []string{"A1"}}), nil
}

func (fakeSeats) HoldBestAvailable(context.Context, *connect.Request[marqueev1.HoldBestAvailableRequest]) (*connect.Response[marqueev1.HoldBestAvailableResponse], error) {
	return connect.NewResponse(&marqueev1.HoldBestAvailableResponse{}), nil
}

type fakeCatalog struct {
	marqueev1connect.UnimplementedCatalogServiceHandler
	f *fakeRegion
}

func (c fakeCatalog) ListCities(context.Context, *connect.Request[marqueev1.ListCitiesRequest]) (*connect.Response[marqueev1.ListCitiesResponse], error) {
	return connect.NewResponse(&marqueev1.ListCitiesResponse{Cities: []*marqueev1.City{{Id: "c1", Region: c.f.name}}}), nil
}

func (c fakeCatalog) ListMovies(_ context.Context, req *connect.Request[marqueev1.ListMoviesRequest]) (*connect.Response[marqueev1.ListMoviesResponse], error) {
	return connect.NewResponse(&marqueev1.ListMoviesResponse{Movies: []*marqueev1.Movie{{Id: req.Msg.City, Title: c.f.name}}}), nil
}

type fakeBookings struct {
	marqueev1connect.UnimplementedBookingServiceHandler
	f *fakeRegion
}

func (fakeBookings) ListMyBookings(context.Context, *connect.Request[marqueev1.ListMyBookingsRequest]) (*connect.Response[marqueev1.ListMyBookingsResponse], error) {
	return connect.NewResponse(&marqueev1.ListMyBookingsResponse{}), nil
}

type fakeSearch struct {
	marqueev1connect.UnimplementedSearchServiceHandler
	f *fakeRegion
}

func (fakeSearch) SearchTheatres(context.Context, *connect.Request[marqueev1.SearchTheatresRequest]) (*connect.Response[marqueev1.SearchTheatresResponse], error) {
	return connect.NewResponse(&marqueev1.SearchTheatresResponse{}), nil
}

type fakeAdmin struct {
	marqueev1connect.UnimplementedAdminServiceHandler
	f *fakeRegion
}

// ReindexSearch streams three progress messages.
func (fakeAdmin) ReindexSearch(_ context.Context, _ *connect.Request[marqueev1.ReindexSearchRequest], s *connect.ServerStream[marqueev1.ReindexSearchResponse]) error {
	for i := int32(1); i <= 3; i++ {
		if err := s.Send(&marqueev1.ReindexSearchResponse{Done: i, Total: 3, Finished: i == 3}); err != nil {
			return err
		}
	}
	return nil
}

// startEdge runs an edge on loopback in front of the regions (name -> servers), own region self.
func startEdge(t testing.TB, self string, cfg Config, regionsByName map[string][]*fakeRegion) (*Edge, string) {
	t.Helper()
	cfg.Self, cfg.Regions = self, map[string][]string{}
	for name, fs := range regionsByName {
		for _, f := range fs {
			cfg.Regions[name] = append(cfg.Regions[name], f.url())
		}
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, addr := serve(t, "127.0.0.1:0", e)
	t.Cleanup(func() {
		_ = s.Close()
		_ = e.Close()
	})
	return e, "http://" + addr
}

// h2c is an HTTP client speaking HTTP/2 without TLS, as gRPC clients need.
var h2c = &http.Client{Transport: newTransport()}

// token is an unsigned-looking JWT whose payload carries claims (the edge never verifies it).
func token(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc(b) + "." + enc([]byte("signature"))
}

// waitFor polls cond every 10ms until it holds, failing after limit; it returns how long it took.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// wantSeen fails unless each fake region saw exactly the calls listed for it (and forgets them).
func wantSeen(t *testing.T, want map[*fakeRegion][]string) {
	t.Helper()
	for f, w := range want {
		if got := f.calls(); !slices.Equal(got, w) {
			t.Errorf("%s saw %v, want %v", f.name, got, w)
		}
	}
}
