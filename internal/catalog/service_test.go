package catalog_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// listings is a catalog of showtimes in memory, in (start, ID) order. It stands in for the database only in
// tests of the paging rules; the store's queries are tested against PostgreSQL.
type listings struct {
	shows   []catalog.ShowtimeListing
	filters []catalog.ShowtimeFilter // every filter asked for
	from    time.Time                // ListMovies' from
}

// newListings returns n showtimes an hour apart from t0.
func newListings(n int) *listings {
	l := &listings{}
	for i := range n {
		l.shows = append(l.shows, catalog.ShowtimeListing{Showtime: catalog.Showtime{ID: fmt.Sprintf("st%02d", i),
			StartsAt: t0.Add(time.Duration(i) * time.Hour)}})
	}
	return l
}

func (l *listings) ListCities(context.Context) ([]catalog.City, error) { return nil, nil }

func (l *listings) ListMovies(_ context.Context, _ string, from time.Time) ([]catalog.Movie, error) {
	l.from = from
	return nil, nil
}

func (l *listings) ListTheatres(context.Context, string) ([]catalog.Theatre, error) { return nil, nil }

// ListShowtimes returns up to f.Limit showtimes after f.After.
func (l *listings) ListShowtimes(_ context.Context, f catalog.ShowtimeFilter) ([]catalog.ShowtimeListing, error) {
	l.filters = append(l.filters, f)
	var out []catalog.ShowtimeListing
	for _, s := range l.shows {
		if a := f.After; a != nil && (s.StartsAt.Before(a.StartsAt) || s.StartsAt.Equal(a.StartsAt) && s.ID <= a.ID) {
			continue
		}
		if len(out) < f.Limit {
			out = append(out, s)
		}
	}
	return out, nil
}

// walk lists every page of q and returns the IDs on each and the filters the store was asked for.
func walk(t *testing.T, shows int, q catalog.ShowtimeQuery) ([][]string, []catalog.ShowtimeFilter) {
	t.Helper()
	l := newListings(shows)
	svc := &catalog.Service{Store: l, Now: func() time.Time { return t0 }}
	var pages [][]string
	for range 10 {
		p, err := svc.ListShowtimes(context.Background(), q)
		if err != nil {
			t.Fatalf("ListShowtimes(%+v): %v", q, err)
		}
		var ids []string
		for _, s := range p.Showtimes {
			ids = append(ids, s.ID)
		}
		pages = append(pages, ids)
		if q.PageToken = p.NextPageToken; q.PageToken == "" {
			return pages, l.filters
		}
	}
	t.Fatal("more than 10 pages")
	return nil, nil
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("st%02d", i))
	}
	return out
}

func TestListShowtimesPaging(t *testing.T) {
	tests := []struct {
		name     string
		shows    int
		pageSize int
		want     [][]string
	}{
		{"OKDefaultPageSize", 45, 0, [][]string{ids(0, 20), ids(20, 40), ids(40, 45)}},
		{"OKPageSize", 5, 2, [][]string{ids(0, 2), ids(2, 4), ids(4, 5)}},
		{"OKExactPages", 4, 2, [][]string{ids(0, 2), ids(2, 4)}},
		{"OKOnePage", 3, 0, [][]string{ids(0, 3)}},
		{"OKMaxPageSize", 150, catalog.MaxPageSize, [][]string{ids(0, 100), ids(100, 150)}},
		{"OKNone", 0, 0, [][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, filters := walk(t, tt.shows, catalog.ShowtimeQuery{PageSize: tt.pageSize})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages mismatch (-want +got):\n%s", diff)
			}
			size := tt.pageSize
			if size == 0 {
				size = catalog.DefaultPageSize
			}
			for _, f := range filters {
				if f.Limit != size+1 || !f.From.Equal(t0) {
					t.Errorf("store asked for %d from %v, want a page and one more (%d) from now", f.Limit, f.From, size+1)
				}
			}
		})
	}
}

func TestListShowtimesFilter(t *testing.T) {
	q := catalog.ShowtimeQuery{CityID: "nyc", MovieID: "m1", TheatreID: "use1_t1", Day: "2026-06-02", PageSize: 5}
	_, filters := walk(t, 1, q)
	want := []catalog.ShowtimeFilter{{CityID: "nyc", MovieID: "m1", TheatreID: "use1_t1", Day: "2026-06-02",
		From: t0, Limit: 6}}
	if diff := cmp.Diff(want, filters); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestListShowtimesInvalid(t *testing.T) {
	token := func(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }
	tests := []struct {
		name string
		q    catalog.ShowtimeQuery
		want string
	}{
		{"ErrDayFormat", catalog.ShowtimeQuery{Day: "June 2"}, "day must be a date YYYY-MM-DD"},
		{"ErrImpossibleDay", catalog.ShowtimeQuery{Day: "2026-13-45"}, "day must be a date YYYY-MM-DD"},
		{"ErrNegativePageSize", catalog.ShowtimeQuery{PageSize: -1}, "page size must be 0 to 100"},
		{"ErrHugePageSize", catalog.ShowtimeQuery{PageSize: catalog.MaxPageSize + 1}, "page size must be 0 to 100"},
		{"ErrTokenNotBase64", catalog.ShowtimeQuery{PageToken: "not a token!"}, "invalid page token"},
		{"ErrTokenNoID", catalog.ShowtimeQuery{PageToken: token("1780315200000000000|")}, "invalid page token"},
		{"ErrTokenNoTime", catalog.ShowtimeQuery{PageToken: token("noon|st01")}, "invalid page token"},
		{"ErrTokenNoSeparator", catalog.ShowtimeQuery{PageToken: token("1780315200000000000")}, "invalid page token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newListings(3)
			svc := &catalog.Service{Store: l, Now: func() time.Time { return t0 }}
			_, err := svc.ListShowtimes(context.Background(), tt.q)
			if diff := cmp.Diff([]any{errs.Invalid, tt.want}, []any{errs.KindOf(err), errs.Message(err)}); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if len(l.filters) != 0 {
				t.Errorf("the store was asked %v for an invalid query", l.filters)
			}
		})
	}
}

func TestListMoviesFromNow(t *testing.T) {
	l := newListings(0)
	svc := &catalog.Service{Store: l, Now: func() time.Time { return t0 }}
	if _, err := svc.ListMovies(context.Background(), "nyc"); err != nil {
		t.Fatal(err)
	}
	if !l.from.Equal(t0) {
		t.Errorf("movies listed from %v, want now (%v)", l.from, t0)
	}
}
