package edge

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/platform"
)

// cities calls ListCities through the edge and returns how the cache answered, failing on an error.
func cities(t *testing.T, c marqueev1connect.CatalogServiceClient, req *marqueev1.ListCitiesRequest) (string, *marqueev1.ListCitiesResponse) {
	t.Helper()
	res, err := c.ListCities(context.Background(), connect.NewRequest(req))
	if err != nil {
		t.Fatalf("ListCities: %v", err)
	}
	return res.Header().Get(CacheHeader), res.Msg
}

// TestCacheAnswersRepeatedBrowseCalls checks what the cache keeps: successful Connect unary answers of cached
// routes, per request bytes and encoding, for their TTL, until the catalog changes.
func TestCacheAnswersRepeatedBrowseCalls(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	us := startFake(t, "us-east1")
	e, base := startEdge(t, "us-east1", Config{Now: clock.Now}, map[string][]*fakeRegion{"us-east1": {us}})
	catalog := marqueev1connect.NewCatalogServiceClient(h2c, base)
	ctx := context.Background()
	step := func(name, wantCache string, call func() string, wantSeen []string) {
		t.Helper()
		if got := call(); got != wantCache {
			t.Errorf("%s: %s = %q, want %q", name, CacheHeader, got, wantCache)
		}
		if got := us.calls(); len(got) != len(wantSeen) {
			t.Errorf("%s: region saw %v, want %v", name, got, wantSeen)
		}
	}
	list := func() string { how, _ := cities(t, catalog, &marqueev1.ListCitiesRequest{}); return how }
	movies := func(city string, opts ...connect.ClientOption) func() string {
		return func() string {
			res, err := marqueev1connect.NewCatalogServiceClient(h2c, base, opts...).ListMovies(ctx,
				connect.NewRequest(&marqueev1.ListMoviesRequest{City: city}))
			if err != nil {
				t.Fatal(err)
			}
			return res.Header().Get(CacheHeader)
		}
	}
	one := []string{"call"}
	step("first", "miss", list, one)
	step("again", "hit", list, nil)
	step("other request", "miss", movies("paris"), one)
	step("same request", "hit", movies("paris"), nil)
	step("as JSON", "miss", movies("paris", connect.WithProtoJSON()), one)
	step("as GET", "miss", movies("paris", connect.WithHTTPGet()), one)
	step("as GET again", "hit", movies("paris", connect.WithHTTPGet()), nil)
	step("gRPC is not cached", "", movies("paris", connect.WithGRPC()), one)
	clock.Advance(31 * time.Second)
	step("expired", "miss", list, one)
	e.Cache().InvalidateCatalog()
	step("catalog changed", "miss", list, one)
	step("after the change", "hit", list, nil)
	step("errors are not cached", "miss", func() string {
		_, err := catalog.ListShowtimes(ctx, connect.NewRequest(&marqueev1.ListShowtimesRequest{}))
		return header[marqueev1.ListShowtimesResponse](nil, err).Get(CacheHeader)
	}, one)
	step("errors again", "miss", func() string {
		_, err := catalog.ListShowtimes(ctx, connect.NewRequest(&marqueev1.ListShowtimesRequest{}))
		return header[marqueev1.ListShowtimesResponse](nil, err).Get(CacheHeader)
	}, one)
}

// TestStaleAnswersWhileNoRegionAnswers serves expired (and invalidated) answers, marked stale, while every
// region is down, and nothing for calls it never cached.
func TestStaleAnswersWhileNoRegionAnswers(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	e, base := startEdge(t, "us-east1", Config{Now: clock.Now, HealthInterval: 50 * time.Millisecond},
		map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	catalog := marqueev1connect.NewCatalogServiceClient(h2c, base)
	_, fresh := cities(t, catalog, &marqueev1.ListCitiesRequest{})
	clock.Advance(time.Minute)
	e.Cache().InvalidateCatalog()
	us.stop()
	eu.stop()
	waitFor(t, 2*time.Second, "regions down", func() bool { return !e.RegionUp("us-east1") && !e.RegionUp("europe-west1") })
	how, stale := cities(t, catalog, &marqueev1.ListCitiesRequest{})
	if how != "stale" || !proto.Equal(fresh, stale) {
		t.Fatalf("while down: %s %q, answer %v, want the stale %v", CacheHeader, how, stale, fresh)
	}
	_, err := catalog.ListMovies(context.Background(), connect.NewRequest(&marqueev1.ListMoviesRequest{}))
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("uncached call while down: %v, want unavailable", err)
	}
	clock.Advance(10 * time.Minute)
	if _, err := catalog.ListCities(context.Background(), connect.NewRequest(&marqueev1.ListCitiesRequest{})); connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("answer older than StaleFor: %v, want unavailable", err)
	}
}

// TestStaleAnswerWhenRegionsDieBetweenChecks serves a stale answer to the first call after every region died,
// before any health check noticed: forwarding fails, and the cache answers instead of unavailable.
func TestStaleAnswerWhenRegionsDieBetweenChecks(t *testing.T) {
	clock := platform.NewManualClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	us, eu := startFake(t, "us-east1"), startFake(t, "europe-west1")
	e, base := startEdge(t, "us-east1", Config{Now: clock.Now, HealthInterval: time.Hour},
		map[string][]*fakeRegion{"us-east1": {us}, "europe-west1": {eu}})
	catalog := marqueev1connect.NewCatalogServiceClient(h2c, base)
	cities(t, catalog, &marqueev1.ListCitiesRequest{})
	clock.Advance(time.Minute)
	us.stop()
	eu.stop()
	if !e.RegionUp("us-east1") {
		t.Fatal("us-east1 marked down before any call")
	}
	if how, _ := cities(t, catalog, &marqueev1.ListCitiesRequest{}); how != "stale" {
		t.Fatalf("%s = %q, want stale", CacheHeader, how)
	}
}

// TestCatalogEventsInvalidateTheCache publishes a CatalogChanged event on NATS as the relay would: the
// subscription drops the cached answers.
func TestCatalogEventsInvalidateTheCache(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	us := startFake(t, "us-east1")
	e, base := startEdge(t, "us-east1", Config{}, map[string][]*fakeRegion{"us-east1": {us}})
	sub, pub := mustConnect(t, srv.URL()), mustConnect(t, srv.URL())
	if _, err := SubscribeCatalog(sub, e); err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	catalog := marqueev1connect.NewCatalogServiceClient(h2c, base)
	cities(t, catalog, &marqueev1.ListCitiesRequest{})
	if how, _ := cities(t, catalog, &marqueev1.ListCitiesRequest{}); how != "hit" {
		t.Fatalf("before the event: %q, want hit", how)
	}
	ev := events.CatalogChanged("europe-west1", "showtime", "euw1_01JD", false, time.Now())
	if err := pub.Publish(ev.Subject, ev.Payload); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "cache invalidated", func() bool {
		how, _ := cities(t, catalog, &marqueev1.ListCitiesRequest{})
		return how == "miss"
	})
}

func mustConnect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
