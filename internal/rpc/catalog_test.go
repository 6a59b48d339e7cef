package rpc_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

func TestListCatalog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cities, err := e.catalog.ListCities(ctx, connect.NewRequest(&marqueev1.ListCitiesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cities.Msg.Cities) != 1 || cities.Msg.Cities[0].Id != e.fix.City.ID || cities.Msg.Cities[0].Region != "us-east1" {
		t.Fatalf("ListCities = %v", cities.Msg.Cities)
	}
	theatres, err := e.catalog.ListTheatres(ctx, connect.NewRequest(&marqueev1.ListTheatresRequest{City: e.fix.City.ID}))
	if err != nil {
		t.Fatal(err)
	}
	if len(theatres.Msg.Theatres) != 1 || theatres.Msg.Theatres[0].Id != e.fix.Theatre.ID || theatres.Msg.Theatres[0].Latitude != 40.7 {
		t.Fatalf("ListTheatres = %v", theatres.Msg.Theatres)
	}
	movies, err := e.catalog.ListMovies(ctx, connect.NewRequest(&marqueev1.ListMoviesRequest{City: e.fix.City.ID}))
	if err != nil {
		t.Fatal(err)
	}
	if len(movies.Msg.Movies) != 1 || movies.Msg.Movies[0].Title != "The Fixture" {
		t.Fatalf("ListMovies = %v", movies.Msg.Movies)
	}
	t.Run("UnknownCityIsEmpty", func(t *testing.T) {
		th, err := e.catalog.ListTheatres(ctx, connect.NewRequest(&marqueev1.ListTheatresRequest{City: "atlantis"}))
		if err != nil || len(th.Msg.Theatres) != 0 {
			t.Fatalf("ListTheatres(atlantis) = %v, %v", th, err)
		}
		mv, err := e.catalog.ListMovies(ctx, connect.NewRequest(&marqueev1.ListMoviesRequest{City: "atlantis"}))
		if err != nil || len(mv.Msg.Movies) != 0 {
			t.Fatalf("ListMovies(atlantis) = %v, %v", mv, err)
		}
	})
}

func TestListShowtimesPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	want := []string{e.fix.Showtime.ID}
	for i := 1; i <= 4; i++ { // the fixture's show is at 12:00 UTC on June 2; add four more, three hours apart
		st, err := e.fix.AddShowtime(ctx, e.db.Catalog(), e.db.IDs, e.fix.Showtime.StartsAt.Add(time.Duration(i)*3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, st.ID)
	}
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		res, err := e.catalog.ListShowtimes(ctx, connect.NewRequest(&marqueev1.ListShowtimesRequest{
			City: e.fix.City.ID, PageSize: 2, PageToken: token}))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Msg.Showtimes {
			got = append(got, s.Id)
			if s.MovieTitle != "The Fixture" || s.TheatreName != "Fixture Plaza" || s.ScreenName != "Screen 1" || s.Region != "us-east1" {
				t.Fatalf("showtime = %v", s)
			}
		}
		if token = res.Msg.NextPageToken; token == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("showtimes mismatch (-want +got):\n%s", diff)
	}
}

func TestListShowtimesFilters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// 22:30 on June 2 in New York is 02:30 UTC on June 3: the day is the theatre's, not UTC's.
	late, err := e.fix.AddShowtime(ctx, e.db.Catalog(), e.db.IDs, time.Date(2026, 6, 3, 2, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		req  *marqueev1.ListShowtimesRequest
		want []string
	}{
		"Day":            {&marqueev1.ListShowtimesRequest{Day: "2026-06-02"}, []string{e.fix.Showtime.ID, late.ID}},
		"OtherDay":       {&marqueev1.ListShowtimesRequest{Day: "2026-06-03"}, nil},
		"Movie":          {&marqueev1.ListShowtimesRequest{MovieId: e.fix.Movie.ID}, []string{e.fix.Showtime.ID, late.ID}},
		"UnknownMovie":   {&marqueev1.ListShowtimesRequest{MovieId: "nope"}, nil},
		"Theatre":        {&marqueev1.ListShowtimesRequest{TheatreId: e.fix.Theatre.ID}, []string{e.fix.Showtime.ID, late.ID}},
		"UnknownTheatre": {&marqueev1.ListShowtimesRequest{TheatreId: "use1_nope"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := e.catalog.ListShowtimes(ctx, connect.NewRequest(tc.req))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range res.Msg.Showtimes {
				got = append(got, s.Id)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("PastShowtimesHidden", func(t *testing.T) {
		e.clock.Advance(25 * time.Hour)
		res, err := e.catalog.ListShowtimes(ctx, connect.NewRequest(&marqueev1.ListShowtimesRequest{}))
		if err != nil || len(res.Msg.Showtimes) != 1 || res.Msg.Showtimes[0].Id != late.ID {
			t.Fatalf("ListShowtimes after the first show started = %v, %v", res, err)
		}
	})
	for name, req := range map[string]*marqueev1.ListShowtimesRequest{
		"ErrBadDayFormat":  {Day: "June 2"},
		"ErrImpossibleDay": {Day: "2026-13-45"},
		"ErrHugePage":      {PageSize: 1000},
		"ErrNegativePage":  {PageSize: -1},
		"ErrBadPageToken":  {PageToken: "not-a-token"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.catalog.ListShowtimes(ctx, connect.NewRequest(req))
			wantCode(t, err, connect.CodeInvalidArgument)
		})
	}
}
