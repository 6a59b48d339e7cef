package search

import (
	"math"
	"strings"
	"testing"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

func TestBadInput(t *testing.T) {
	ix := newTestIndex(t)
	movies := func(q MovieQuery) func() error {
		return func() error { _, _, _, err := ix.SearchMovies(q); return err }
	}
	theatres := func(q TheatreQuery) func() error {
		return func() error { _, _, err := ix.SearchTheatres(q); return err }
	}
	suggest := func(prefix string, near *Point, limit int) func() error {
		return func() error { _, err := ix.Suggest(prefix, near, limit); return err }
	}
	theatreToken := encodeToken(theatreTokens, 20)
	valid := encodeToken(movieTokens, 20)
	tampered := []byte(valid)
	tampered[3] ^= 1
	tests := []struct {
		name string
		call func() error
	}{
		{"ErrRadiusZero", movies(MovieQuery{Near: &chatelet})},
		{"ErrRadiusNegative", movies(MovieQuery{Near: &chatelet, RadiusKm: -1})},
		{"ErrRadiusTooLarge", movies(MovieQuery{Near: &chatelet, RadiusKm: 500.1})},
		{"ErrRadiusNaN", movies(MovieQuery{Near: &chatelet, RadiusKm: math.NaN()})},
		{"ErrLatitude", movies(MovieQuery{Near: &Point{Latitude: 90.5}, RadiusKm: 5})},
		{"ErrLongitude", movies(MovieQuery{Near: &Point{Longitude: -180.1}, RadiusKm: 5})},
		{"ErrLatitudeNaN", movies(MovieQuery{Near: &Point{Latitude: math.NaN()}, RadiusKm: 5})},
		{"ErrPageSizeTooLarge", movies(MovieQuery{PageSize: 101})},
		{"ErrPageSizeNegative", movies(MovieQuery{PageSize: -1})},
		{"ErrTokenNotBase64", movies(MovieQuery{PageToken: "%%%"})},
		{"ErrTokenTampered", movies(MovieQuery{PageToken: string(tampered)})},
		{"ErrTokenTruncated", movies(MovieQuery{PageToken: valid[:len(valid)-2]})},
		{"ErrTokenOfTheatres", movies(MovieQuery{PageToken: theatreToken})},
		{"ErrTokenTooDeep", movies(MovieQuery{PageToken: encodeToken(movieTokens, MaxOffset+1)})},
		{"ErrQueryTooLong", movies(MovieQuery{Query: strings.Repeat("é", 201)})},
		{"ErrDay", movies(MovieQuery{Day: "2025-6-1"})},
		{"ErrNowPlayingWithoutNow", movies(MovieQuery{NowPlayingDays: 7})},
		{"ErrNowPlayingTooLong", movies(MovieQuery{Now: testNow, NowPlayingDays: 32})},
		{"ErrTheatreRadius", theatres(TheatreQuery{Near: chatelet})},
		{"ErrTheatreLatitude", theatres(TheatreQuery{Near: Point{Latitude: -91}, RadiusKm: 5})},
		{"ErrTheatrePageSize", theatres(TheatreQuery{Near: chatelet, RadiusKm: 5, PageSize: 1000})},
		{"ErrTheatreToken", theatres(TheatreQuery{Near: chatelet, RadiusKm: 5, PageToken: valid})},
		{"ErrTheatreQueryTooLong", theatres(TheatreQuery{Query: strings.Repeat("a", 201), Near: chatelet, RadiusKm: 5})},
		{"ErrSuggestLimit", suggest("in", nil, 101)},
		{"ErrSuggestNegativeLimit", suggest("in", nil, -1)},
		{"ErrSuggestNear", suggest("in", &Point{Longitude: 181}, 5)},
		{"ErrSuggestTooLong", suggest(strings.Repeat("a", 201), nil, 5)},
		{"ErrMovieWithoutID", func() error { return ix.UpsertMovie(catalog.Movie{Title: "Untitled"}) }},
		{"ErrShowtimeWithoutID", func() error { return ix.UpsertShowtime(catalog.Showtime{MovieID: "m-up"}) }},
		{"ErrTheatreTimeZone", func() error {
			th := fixtureTheatres()[0].Theatre
			th.TimeZone = "Nowhere/Special"
			return ix.UpsertTheatre(th, "Paris")
		}},
		{"ErrTheatreNoTimeZone", func() error {
			th := fixtureTheatres()[0].Theatre
			th.TimeZone = ""
			return ix.UpsertTheatre(th, "Paris")
		}},
		{"ErrTheatreLocation", func() error {
			th := fixtureTheatres()[0].Theatre
			th.Latitude = 100
			return ix.UpsertTheatre(th, "Paris")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if k := errs.KindOf(err); k != errs.Invalid {
				t.Errorf("got %v (kind %v), want kind %v", err, k, errs.Invalid)
			}
			if errs.Message(err) == "" {
				t.Errorf("error %v has no client-safe message", err)
			}
		})
	}
}

func TestGoodEdgeInput(t *testing.T) {
	ix := newTestIndex(t)
	q := MovieQuery{Query: strings.Repeat("é", 200), Near: &Point{Latitude: 90, Longitude: -180}, RadiusKm: 500,
		PageSize: 100, PageToken: encodeToken(movieTokens, MaxOffset)}
	if _, _, _, err := ix.SearchMovies(q); err != nil {
		t.Errorf("limits themselves refused: %v", err)
	}
}
