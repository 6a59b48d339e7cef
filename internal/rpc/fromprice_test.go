package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/search"
)

// bookRows books every seat of the given rows, two at a time, each row for a new person (a row of 10 is as
// many seats of one show as one person may have).
func (e *env) bookRows(t *testing.T, rows ...string) {
	t.Helper()
	for _, r := range rows {
		u := e.mustRegister(t)
		for n := 1; n <= 10; n += 2 {
			a, b := r+strconv.Itoa(n), r+strconv.Itoa(n+1)
			e.mustBook(t, u, e.mustHold(t, u, a, b).Id, "book-rows-"+a)
		}
	}
}

// searchClient serves SearchService over e's services with a search index built from e's database.
func (e *env) searchClient(t *testing.T) marqueev1connect.SearchServiceClient {
	t.Helper()
	index, err := search.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = index.Close() })
	keeper := &search.Keeper{Index: index, Source: e.db.Catalog(), Now: e.clock.Now}
	if err := keeper.Reindex(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	svcs := e.svcs
	svcs.Search, svcs.Reindexer = index, keeper
	srv := httptest.NewServer(rpc.NewMux(svcs, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return marqueev1connect.NewSearchServiceClient(srv.Client(), srv.URL)
}

// TestFromPrice: a showtime's from_price in ListShowtimes, in SearchMovies' next showtimes and on its seat map
// is the lowest price the seat map shows for an available seat, as holds and bookings fill the show past a
// demand rule's threshold and sell out its standard seats; a sold-out show has none.
func TestFromPrice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	searchSvc := e.searchClient(t)
	prices := func(what string) (list, found, onMap, lowest *marqueev1.Money) {
		t.Helper()
		ls, err := e.catalog.ListShowtimes(ctx, connect.NewRequest(&marqueev1.ListShowtimesRequest{TheatreId: e.fix.Theatre.ID}))
		if err != nil || len(ls.Msg.Showtimes) != 1 {
			t.Fatalf("%s: ListShowtimes %v %v", what, ls, err)
		}
		hits, err := searchSvc.SearchMovies(ctx, connect.NewRequest(&marqueev1.SearchMoviesRequest{Query: e.fix.Movie.Title}))
		if err != nil || len(hits.Msg.Hits) != 1 || len(hits.Msg.Hits[0].NextShowtimes) != 1 {
			t.Fatalf("%s: SearchMovies %v %v", what, hits, err)
		}
		m, err := e.seats.GetSeatMap(ctx, connect.NewRequest(&marqueev1.GetSeatMapRequest{ShowtimeId: e.fix.Showtime.ID}))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.Msg.Seats {
			if s.Status == marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE && (lowest == nil || s.Price.AmountMinor < lowest.AmountMinor) {
				lowest = s.Price
			}
		}
		return ls.Msg.Showtimes[0].FromPrice, hits.Msg.Hits[0].NextShowtimes[0].FromPrice, m.Msg.Showtime.FromPrice, lowest
	}
	want := func(what string, amount int64) {
		t.Helper()
		list, found, onMap, lowest := prices(what)
		for name, got := range map[string]*marqueev1.Money{"ListShowtimes": list, "SearchMovies": found, "GetSeatMap": onMap,
			"the seat map's cheapest available seat": lowest} {
			if amount == 0 && got != nil || amount != 0 && (got.GetAmountMinor() != amount || got.GetCurrencyCode() != "USD") {
				t.Errorf("%s: %s from %v, want %d USD", what, name, got, amount)
			}
		}
	}
	want("an empty show", 1200)
	op := e.mustOperator(t, e.fix.Chain.ID)
	e.mustUpsertRule(t, op, &marqueev1.PricingRule{ChainId: e.fix.Chain.ID, Name: "Busy", Priority: 1,
		Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND, OccupancyPercent: 10, Percent: 25})
	e.clock.Advance(3 * time.Second) // past the hold configuration's cache
	e.mustHold(t, e.mustRegister(t), "F1", "F2", "F3", "F4", "F5")
	want("a show 8% full", 1200)
	e.mustHold(t, e.mustRegister(t), "F6")
	want("a show 10% full: the demand rule", 1500)
	e.bookRows(t, "A", "B", "C")
	e.mustHold(t, e.mustRegister(t), "F7", "F8", "F9", "F10")
	want("standard seats gone: premium with the demand rule", 2250)
	e.bookRows(t, "D", "E")
	want("sold out", 0)
}
