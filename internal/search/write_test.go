package search

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/marqueehq/marquee/internal/catalog"
)

func TestUpsertMovieFreshness(t *testing.T) {
	ix := newTestIndex(t)
	m := movie("m-nosferatu", "Nosferatu", "2024-12-25", "R", "en", ss("Horror"), ss("Bill Skarsgård", "Lily-Rose Depp"),
		"A gothic tale of obsession between a haunted young woman and the vampire infatuated with her.")
	if err := ix.UpsertMovie(m); err != nil {
		t.Fatal(err)
	}
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: "nosferatu"})
	if diff := cmp.Diff([]string{"m-nosferatu"}, movieIDs(hits)); diff != "" {
		t.Errorf("new movie: mismatch (-want +got):\n%s", diff)
	}
	got, err := ix.Suggest("skars", nil, 5)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Suggestion{{KindPerson, "Bill Skarsgård", "bill skarsgard"}}, got); diff != "" {
		t.Errorf("new cast member: mismatch (-want +got):\n%s", diff)
	}

	m.Title, m.Cast = "Nosferatu the Vampyre", ss("Lily-Rose Depp")
	if err := ix.UpsertMovie(m); err != nil {
		t.Fatal(err)
	}
	hits, _, _ = mustSearchMovies(t, ix, MovieQuery{Query: "vampyre"})
	if diff := cmp.Diff([]string{"m-nosferatu"}, movieIDs(hits)); diff != "" {
		t.Errorf("new title: mismatch (-want +got):\n%s", diff)
	}
	if got, _ := ix.Suggest("skars", nil, 5); len(got) != 0 {
		t.Errorf("cast member dropped from their only movie is still suggested: %v", got)
	}
	if got, _ := ix.Suggest("keanu", nil, 5); len(got) != 1 {
		t.Errorf("unrelated cast member lost: %v", got)
	}
}

func TestShowtimeChanges(t *testing.T) {
	nowPlaying := MovieQuery{Near: &timesSquare, RadiusKm: 10, Now: testNow, NowPlayingDays: 7}
	cancelled := show("s-poor-metro", "m-poorthings", "t-metrograph", "2025-06-02 21:00", "2D", "en")
	cancelled.Status = catalog.ShowtimeCancelled
	tests := []struct {
		name   string
		change func(ix *Index) error
		want   []string
	}{
		{"Delete", func(ix *Index) error { return ix.DeleteShowtime("s-para-metro") },
			[]string{"m-poorthings", "m-barbie", "m-inception"}},
		{"DeleteUnknown", func(ix *Index) error { return ix.DeleteShowtime("s-nope") },
			[]string{"m-poorthings", "m-barbie", "m-parasite", "m-inception"}},
		{"Cancel", func(ix *Index) error { return ix.UpsertShowtime(cancelled) },
			[]string{"m-barbie", "m-parasite", "m-inception"}},
		{"Add", func(ix *Index) error {
			return ix.UpsertShowtime(show("s-new", "m-up", "t-angelika", "2025-06-04 11:00", "2D", "en"))
		}, []string{"m-poorthings", "m-barbie", "m-parasite", "m-inception", "m-up"}},
		{"Move", func(ix *Index) error {
			return ix.UpsertShowtime(show("s-barbie-ang", "m-barbie", "t-bfi", "2025-06-01 17:00", "2D", "en"))
		}, []string{"m-poorthings", "m-parasite", "m-inception"}},
		{"Prune", func(ix *Index) error { return ix.PruneBefore(testNow.AddDate(0, 0, 2)) },
			[]string{"m-parasite"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := newTestIndex(t)
			if err := tt.change(ix); err != nil {
				t.Fatal(err)
			}
			hits, _, _ := mustSearchMovies(t, ix, nowPlaying)
			if diff := cmp.Diff(tt.want, movieIDs(hits)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowtimeBeforeTheatre(t *testing.T) {
	ix := newTestIndex(t)
	// 23:30 UTC on 4 June is 5 June in Tokyo; the day is fixed once the theatre arrives.
	s := show("s-tokyo", "m-spirited", "t-tokyo", "2025-06-04 19:30", "2D", "ja")
	if err := ix.UpsertShowtime(s); err != nil {
		t.Fatal(err)
	}
	q := MovieQuery{Day: "2025-06-05", Now: testNow}
	if hits, _, _ := mustSearchMovies(t, ix, q); len(hits) != 0 {
		t.Errorf("showtime at an unknown theatre matched: %v", movieIDs(hits))
	}
	tokyo := theatre("t-tokyo", "Tokyo", "Toho Cinemas Shinjuku", "Kabukicho", "Asia/Tokyo", 35.6950, 139.7020)
	if err := ix.UpsertTheatre(tokyo.Theatre, tokyo.CityName); err != nil {
		t.Fatal(err)
	}
	hits, _, _ := mustSearchMovies(t, ix, q)
	if diff := cmp.Diff([]string{"m-spirited"}, movieIDs(hits)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestBuild(t *testing.T) {
	ix, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	movies, theatres, shows := generate(genConfig{movies: 6000, theatres: 300, cities: 10, showsPerTheatre: 20, seed: 7})
	var calls [][2]int
	if err := ix.Build(movies, theatres, shows, func(done, total int) { calls = append(calls, [2]int{done, total}) }); err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{5000, 12300}, {10000, 12300}, {12300, 12300}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("progress: mismatch (-want +got):\n%s", diff)
	}

	bad := fixtureTheatres()
	bad[0].Theatre.TimeZone = "Mars/Olympus_Mons"
	if err := ix.Build(fixtureMovies(), bad, fixtureShowtimes(), nil); err == nil {
		t.Fatal("Build with an unknown time zone succeeded")
	}
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: movies[42].Title, PageSize: 1})
	if diff := cmp.Diff([]string{movies[42].ID}, movieIDs(hits)); diff != "" {
		t.Errorf("contents after a failed Build: mismatch (-want +got):\n%s", diff)
	}
}

func TestCompaction(t *testing.T) {
	ix := newTestIndex(t)
	ix.compactAfter = 4
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() { // searches keep working while indexes are swapped
			defer wg.Done()
			for range 50 {
				if _, _, _, err := ix.SearchMovies(MovieQuery{Query: "inception"}); err != nil {
					t.Error(err)
				}
				if _, err := ix.Suggest("kea", &chatelet, 3); err != nil {
					t.Error(err)
				}
			}
		}()
		for i := range 20 {
			m := movie(fmt.Sprintf("m-new-%d-%d", g, i), fmt.Sprintf("Sequel %d %d", g, i), "2025-01-01", "PG",
				"en", ss("Drama"), ss(fmt.Sprintf("Actor %d", i)), "More of the same.")
			if err := ix.UpsertMovie(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	ix.wg.Wait()
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: "sequel", PageSize: 100})
	if len(hits) != 40 {
		t.Errorf("got %d sequels after compaction, want 40", len(hits))
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for i, ti := range ix.st.text {
		if i != theatreText && ti.compactions == 0 {
			t.Errorf("text index %d was never compacted", i)
		}
		if ti.writes >= ix.compactAfter {
			t.Errorf("text index %d: %d writes left uncompacted", i, ti.writes)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	ix := newTestIndex(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("s-c-%d-%d", w, i)
				if err := ix.UpsertShowtime(show(id, "m-up", "t-rex", "2025-06-04 11:00", "2D", "")); err != nil {
					t.Error(err)
				}
				if _, _, _, err := ix.SearchMovies(MovieQuery{Near: &chatelet, RadiusKm: 5, Now: testNow}); err != nil {
					t.Error(err)
				}
				if err := ix.DeleteShowtime(id); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	hits, _, _ := mustSearchMovies(t, ix, MovieQuery{Query: "up", City: "Paris", Now: testNow})
	if len(hits) != 0 {
		t.Errorf("deleted showtimes still match: %v", movieIDs(hits))
	}
}
