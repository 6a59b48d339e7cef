package search

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSearchMoviesText(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name, query string
		want        []string // the first hits, in order
	}{
		{"ExactTitle", "Inception", []string{"m-inception"}},
		{"ExactTitleFirst", "The Matrix", []string{"m-matrix", "m-reloaded"}},
		{"ExactTitleBeforeFuzzy", "Alien", []string{"m-alien", "m-aliens"}},
		{"ExactTitleBeforeLonger", "dune", []string{"m-dune", "m-dune2"}},
		{"TypoDeletion", "Gravty", []string{"m-gravity"}},
		{"TypoSubstitution", "Titanik", []string{"m-titanic"}},
		{"TypoLongWord", "Interstelar", []string{"m-interstellar"}},
		{"Transposition", "Incpetion", []string{"m-inception"}},
		{"TranspositionShortWord", "Wokna", []string{"m-wonka"}},
		{"TranspositionFourLetters", "Dnue", []string{"m-dune", "m-dune2"}},
		{"NoFuzzBelowFourLetters", "Upp", nil},
		{"ShortExact", "Up", []string{"m-up"}},
		{"AccentFolded", "amelie", []string{"m-amelie"}},
		{"AccentAndCaseFolded", "AMÉLIE", []string{"m-amelie"}},
		{"AccentInCast", "francois cluzet", []string{"m-intouchables"}},
		{"TitleAboveCastAboveSynopsis", "stone", []string{"m-stone", "m-lalaland", "m-poorthings", "m-haine"}},
		{"StopWordsOptional", "the jeune fille", []string{"m-portrait"}},
		{"NoMatch", "xyzzy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: tt.query})
			got := movieIDs(hits)
			if len(got) > len(tt.want) {
				got = got[:len(tt.want)]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchMoviesPerson(t *testing.T) {
	ix := newTestIndex(t)
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: "Keanu Reeves"})
	if diff := cmp.Diff([]string{"m-matrix", "m-reloaded", "m-wick"}, sorted(movieIDs(hits))); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestSearchMoviesFilters(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name string
		q    MovieQuery
		want []string // in result order: newest release first without text
	}{
		{"Genre", MovieQuery{Genres: []string{"sci-fi"}}, []string{"m-dune2", "m-poorthings", "m-dune",
			"m-interstellar", "m-gravity", "m-inception", "m-reloaded", "m-matrix", "m-aliens", "m-alien"}},
		{"CityName", MovieQuery{City: "paris", Now: testNow},
			[]string{"m-dune2", "m-oppenheimer", "m-intouchables", "m-inception", "m-amelie"}},
		{"CityID", MovieQuery{City: "c-lon", Now: testNow},
			[]string{"m-dune2", "m-barbie", "m-oppenheimer", "m-inception", "m-matrix"}},
		{"DayIsLocal", MovieQuery{City: "Paris", Day: "2025-06-01", Now: testNow},
			[]string{"m-dune2", "m-intouchables", "m-inception"}},
		{"DayAfterMidnight", MovieQuery{City: "Paris", Day: "2025-06-02", Now: testNow},
			[]string{"m-oppenheimer", "m-inception", "m-amelie"}},
		{"PastShowtimesIgnored", MovieQuery{Day: "2025-05-30", Now: testNow}, nil},
		{"DayWithoutNow", MovieQuery{Day: "2025-05-30"}, []string{"m-titanic"}},
		{"FormatIgnoresCancelled", MovieQuery{Formats: []string{"imax"}, Now: testNow},
			[]string{"m-dune2", "m-oppenheimer", "m-inception"}},
		{"FormatAndCitySameShowtime", MovieQuery{Formats: []string{"IMAX"}, City: "London", Now: testNow},
			[]string{"m-dune2", "m-oppenheimer"}},
		{"LanguageOfMovieOrShowtime", MovieQuery{Languages: []string{"FR"}, Now: testNow},
			[]string{"m-portrait", "m-intouchables", "m-inception", "m-amelie", "m-haine"}},
		{"LanguagePerShowtime", MovieQuery{Languages: []string{"fr"}, City: "Paris", Now: testNow},
			[]string{"m-intouchables", "m-inception", "m-amelie"}},
		{"GenreAndCity", MovieQuery{Genres: []string{"Drama"}, City: "New York", Now: testNow},
			[]string{"m-oppenheimer", "m-parasite"}},
		{"TextAndFormat", MovieQuery{Query: "dune", Formats: []string{"4DX"}, Now: testNow}, []string{"m-dune2"}},
		{"NothingNear", MovieQuery{Near: &Point{Latitude: 30, Longitude: -40}, RadiusKm: 500}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, _, _ := mustSearchMovies(t, ix, tt.q)
			if diff := cmp.Diff(tt.want, movieIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchMoviesFacets(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name string
		q    MovieQuery
		want Facets
	}{
		{"City", MovieQuery{City: "New York", Now: testNow}, Facets{
			Genres:    map[string]int{"Comedy": 2, "Drama": 2, "Fantasy": 1, "History": 1, "Sci-Fi": 2, "Thriller": 2},
			Languages: map[string]int{"en": 4, "ko": 1},
			Formats:   map[string]int{"2D": 3, "IMAX": 2},
			Ratings:   map[string]int{"PG-13": 2, "R": 3},
		}},
		{"Text", MovieQuery{Query: "matrix", Now: testNow}, Facets{
			Genres:    map[string]int{"Action": 2, "Sci-Fi": 2},
			Languages: map[string]int{"en": 2},
			Formats:   map[string]int{"2D": 1},
			Ratings:   map[string]int{"R": 2},
		}},
		{"NoMatch", MovieQuery{Query: "xyzzy"}, Facets{
			Genres: map[string]int{}, Languages: map[string]int{}, Formats: map[string]int{}, Ratings: map[string]int{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, _ := mustSearchMovies(t, ix, tt.q)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// nextIDs returns, per hit, the IDs of its next showtimes.
func nextIDs(hits []MovieHit) map[string][]string {
	out := map[string][]string{}
	for _, h := range hits {
		for _, s := range h.NextShowtimes {
			out[h.Movie.ID] = append(out[h.Movie.ID], s.ShowtimeID)
		}
	}
	return out
}

func TestSearchMoviesNear(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name     string
		radiusKm float64
		want     map[string][]string // movie -> next showtimes, nearest theatre first
	}{
		{"Within3Km", 3, map[string][]string{
			"m-oppenheimer": {"s-opp-rex"},
			"m-inception":   {"s-inc-rex"},
			"m-amelie":      {"s-ame-odeon", "s-ame-rex"}, // Odéon (0.9 km) before the Rex (1.4 km), though later
		}},
		{"Within10Km", 10, map[string][]string{
			"m-dune2":       {"s-dune2-villette", "s-dune2-4dx"},
			"m-oppenheimer": {"s-opp-rex"},
			"m-inception":   {"s-inc-rex", "s-inc-villette"},
			"m-amelie":      {"s-ame-odeon", "s-ame-rex"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Near: &chatelet, RadiusKm: tt.radiusKm, Now: testNow})
			if diff := cmp.Diff(tt.want, nextIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchMoviesShowtimeRef(t *testing.T) {
	ix := newTestIndex(t)
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: "amelie", Near: &chatelet, RadiusKm: 3, Now: testNow})
	if len(hits) != 1 {
		t.Fatalf("got %d hits, want 1", len(hits))
	}
	got := hits[0].NextShowtimes[1]
	got.DistanceKm = float64(int(got.DistanceKm*100)) / 100
	want := ShowtimeRef{
		ShowtimeID: "s-ame-rex", Region: "r1", TheatreID: "t-rex", TheatreName: "Le Grand Rex", CityName: "Paris",
		ScreenID: "t-rex-1", StartsAt: time.Date(2025, 6, 1, 22, 30, 0, 0, time.UTC),
		EndsAt: time.Date(2025, 6, 2, 0, 30, 0, 0, time.UTC), LocalDay: "2025-06-02", Format: "2D",
		Language: "fr", DistanceKm: 1.36,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestSearchMoviesNowPlayingNear(t *testing.T) {
	ix := newTestIndex(t)
	tests := []struct {
		name string
		days int
		want []string
	}{
		{"Week", 7, []string{"m-poorthings", "m-barbie", "m-parasite", "m-inception"}},
		{"TwoWeeks", 14, []string{"m-poorthings", "m-barbie", "m-oppenheimer", "m-parasite", "m-inception"}},
		{"Today", 1, []string{"m-barbie", "m-inception"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := MovieQuery{Near: &timesSquare, RadiusKm: 10, Now: testNow, NowPlayingDays: tt.days}
			hits, _, _ := mustSearchMovies(t, ix, q)
			if diff := cmp.Diff(tt.want, movieIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSearchMoviesPaging(t *testing.T) {
	ix := newTestIndex(t)
	q := MovieQuery{City: "Paris", Now: testNow, PageSize: 2}
	var pages [][]string
	for {
		hits, facets, next := mustSearchMovies(t, ix, q)
		pages = append(pages, movieIDs(hits))
		if facets.Ratings["R"] != 3 {
			t.Errorf("page %d: facets %v, want counts over all pages", len(pages), facets.Ratings)
		}
		if next == "" {
			break
		}
		q.PageToken = next
	}
	want := [][]string{{"m-dune2", "m-oppenheimer"}, {"m-intouchables", "m-inception"}, {"m-amelie"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
