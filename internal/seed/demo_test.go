package seed_test

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// demoNow is a Thursday afternoon in Europe and morning in the US; Europe moves its clocks forward on Sunday
// 29 March 2026, inside the seeded week, and the US did on 8 March.
var demoNow = time.Date(2026, time.March, 26, 14, 0, 0, 0, time.UTC)

func TestLayoutSeats(t *testing.T) {
	l := seed.Layout{Rows: 5, SeatsPerRow: 6, AisleAfter: []int{2, 4}, PremiumRows: 1, WheelchairPairs: 2}
	seats := l.Seats()
	if len(seats) != 30 {
		t.Fatalf("len(Seats()) = %d, want 30", len(seats))
	}
	counts := map[catalog.SeatType]int{}
	for _, s := range seats {
		counts[s.Type]++
	}
	wantCounts := map[catalog.SeatType]int{catalog.SeatStandard: 20, catalog.SeatPremium: 6,
		catalog.SeatAccessible: 2, catalog.SeatCompanion: 2}
	if !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("seat types = %v, want %v", counts, wantCounts)
	}
	var rowB []catalog.Seat
	for _, s := range seats {
		if s.Row == "B" {
			rowB = append(rowB, s)
		}
	}
	a, c, std := catalog.SeatAccessible, catalog.SeatCompanion, catalog.SeatStandard
	wantTypes := []catalog.SeatType{a, c, std, std, c, a}
	wantX := []int{0, 1, 3, 4, 6, 7} // aisles after seats 2 and 4
	for i, s := range rowB {
		want := catalog.Seat{ID: "B" + string(rune('1'+i)), Row: "B", Number: i + 1, Type: wantTypes[i], X: wantX[i], Y: 1}
		if s != want {
			t.Errorf("row B seat %d = %+v, want %+v", i+1, s, want)
		}
	}
	for _, s := range seats {
		if want := s.Row == "D"; (s.Type == catalog.SeatPremium) != want {
			t.Errorf("seat %s: type %s, premium want %v", s.ID, s.Type, want)
		}
	}
}

func TestRowLabel(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 25: "Z", 26: "AA", 27: "AB", 51: "AZ", 52: "BA"} {
		if got := seed.RowLabel(i); got != want {
			t.Errorf("RowLabel(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestDemo(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t, nil)
	cat := db.Catalog()
	began := time.Now()
	sum, err := seed.Demo(ctx, cat, db.IDs, demoNow)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Demo took %v: %+v, %d inventory rows", time.Since(began).Round(time.Millisecond), sum,
		count(t, db, "SELECT count(*) FROM showtime_seats"))

	t.Run("Counts", func(t *testing.T) { checkCounts(t, db, sum) })
	t.Run("Theatres", func(t *testing.T) { checkTheatres(t, cat) })
	t.Run("Screens", func(t *testing.T) { checkScreens(t, db) })
	t.Run("ShowtimesEveryDay", func(t *testing.T) { checkShowtimeDays(t, cat) })
	t.Run("ShowtimeRules", func(t *testing.T) { checkShowtimeRules(t, db) })
	t.Run("Deterministic", func(t *testing.T) { checkDeterministic(t, db, sum) })
	t.Run("AlreadySeeded", func(t *testing.T) {
		before := tableCounts(t, db)
		again, err := seed.Demo(ctx, cat, db.IDs, demoNow)
		if err != nil {
			t.Fatal(err)
		}
		if want := (seed.Summary{AlreadySeeded: true}); again != want {
			t.Errorf("second Demo = %+v, want %+v", again, want)
		}
		if after := tableCounts(t, db); !reflect.DeepEqual(before, after) {
			t.Errorf("row counts changed: before %v, after %v", before, after)
		}
	})
}

// checkDeterministic seeds a second database and checks it has the same catalog as db apart from IDs.
func checkDeterministic(t *testing.T, db *store.DB, sum seed.Summary) {
	ctx := context.Background()
	other := storetest.NewDB(t, nil)
	otherSum, err := seed.Demo(ctx, other.Catalog(), other.IDs, demoNow)
	if err != nil {
		t.Fatal(err)
	}
	if sum != otherSum {
		t.Errorf("summaries differ: %+v and %+v", sum, otherSum)
	}
	var theatres [2][]catalog.Theatre
	for i, d := range []*store.DB{db, other} {
		if theatres[i], err = d.Catalog().ListTheatres(ctx, ""); err != nil {
			t.Fatal(err)
		}
		for j := range theatres[i] {
			theatres[i][j].ID = ""
		}
	}
	if !reflect.DeepEqual(theatres[0], theatres[1]) {
		t.Errorf("theatres differ:\n%+v\n%+v", theatres[0], theatres[1])
	}
}

func checkCounts(t *testing.T, db *store.DB, sum seed.Summary) {
	got := tableCounts(t, db)
	want := seed.Summary{Regions: got["regions"], Cities: got["cities"], Chains: got["chains"],
		Theatres: got["theatres"], Screens: got["screens"], Seats: got["seats"], Movies: got["movies"],
		Showtimes: got["showtimes"]}
	if sum != want {
		t.Errorf("Summary = %+v, database has %+v", sum, want)
	}
	fixed := map[string]int{"regions": 3, "cities": 8, "chains": 3, "theatres": 26, "movies": 32}
	for table, n := range fixed {
		if got[table] != n {
			t.Errorf("%s: %d rows, want %d", table, got[table], n)
		}
	}
	if n := got["showtime_seats"]; n > 360_000 {
		t.Errorf("%d inventory rows, want at most 360000", n)
	}
	movies, err := db.Catalog().ListMovies(context.Background(), "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(movies) != 32 {
		t.Errorf("ListMovies: %d movies, want 32", len(movies))
	}
}

func checkTheatres(t *testing.T, cat *store.CatalogStore) {
	ctx := context.Background()
	cities, err := cat.ListCities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cities) != 8 {
		t.Fatalf("ListCities: %d cities, want 8", len(cities))
	}
	perRegion := map[string]int{}
	for _, c := range cities {
		theatres, err := cat.ListTheatres(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(theatres) < 3 || len(theatres) > 4 {
			t.Errorf("city %s: %d theatres, want 3-4", c.ID, len(theatres))
		}
		r, _ := regions.ByName(c.Region)
		for _, th := range theatres {
			perRegion[th.Region]++
			if th.Region != c.Region || th.TimeZone != c.TimeZone || th.Currency != r.Currency {
				t.Errorf("theatre %q: region %s, zone %s, currency %s; want %s, %s, %s", th.Name, th.Region,
					th.TimeZone, th.Currency, c.Region, c.TimeZone, r.Currency)
			}
			if km := distanceKm(c.Latitude, c.Longitude, th.Latitude, th.Longitude); km > 6 {
				t.Errorf("theatre %q is %.1f km from the centre of %s", th.Name, km, c.Name)
			}
		}
	}
	for _, r := range regions.All() {
		if perRegion[r.Name] == 0 {
			t.Errorf("region %s has no theatres", r.Name)
		}
	}
}

func checkScreens(t *testing.T, db *store.DB) {
	rows, err := db.Pool.Query(context.Background(), `SELECT screen_id, count(*),
			count(*) FILTER (WHERE seat_type = 'premium'), count(*) FILTER (WHERE seat_type = 'accessible'),
			count(*) FILTER (WHERE seat_type = 'companion')
		FROM seats GROUP BY region, screen_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var id string
	var total, premium, accessible, companion int
	for rows.Next() {
		if err := rows.Scan(&id, &total, &premium, &accessible, &companion); err != nil {
			t.Fatal(err)
		}
		if total < 100 || total > 300 || premium == 0 || accessible == 0 || companion != accessible {
			t.Errorf("screen %s: %d seats, %d premium, %d accessible, %d companion", id, total, premium,
				accessible, companion)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM (SELECT theatre_id FROM screens GROUP BY region, theatre_id
		HAVING count(*) NOT BETWEEN 2 AND 4) x`); n != 0 {
		t.Errorf("%d theatres without 2-4 screens", n)
	}
	if n := count(t, db, `SELECT count(*) FROM screens sc WHERE NOT EXISTS
		(SELECT 1 FROM seats s WHERE s.region = sc.region AND s.screen_id = sc.id)`); n != 0 {
		t.Errorf("%d screens without seats", n)
	}
}

// checkShowtimeDays checks that every city has showtimes on each of the 7 local days from demoNow's, all at a
// slot time (12:00, 15:20, 18:40, 22:00, staggered 0-30 minutes by screen) in the theatre's time zone.
func checkShowtimeDays(t *testing.T, cat *store.CatalogStore) {
	ctx := context.Background()
	cities, err := cat.ListCities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cities {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		today := demoNow.In(loc)
		for day := range 7 {
			date := time.Date(today.Year(), today.Month(), today.Day()+day, 0, 0, 0, 0, loc).Format(time.DateOnly)
			ls, err := cat.ListShowtimes(ctx, catalog.ShowtimeFilter{CityID: c.ID, Day: date, From: demoNow,
				Limit: 10_000})
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				t.Errorf("%s: no showtimes on %s", c.ID, date)
			}
			for _, l := range ls {
				local := l.StartsAt.In(loc)
				if local.Format(time.DateOnly) != date || !isSlot(local) {
					t.Errorf("%s: showtime %s listed for %s starts at %s local", c.ID, l.ID, date, local)
				}
			}
		}
	}
}

func isSlot(local time.Time) bool {
	m := local.Hour()*60 + local.Minute()
	for _, slot := range []int{12 * 60, 15*60 + 20, 18*60 + 40, 22 * 60} {
		if d := m - slot; d >= 0 && d <= 30 && d%10 == 0 {
			return true
		}
	}
	return false
}

func checkShowtimeRules(t *testing.T, db *store.DB) {
	checks := []struct {
		name, query string
		args        []any
	}{
		{"start before now", `SELECT count(*) FROM showtimes WHERE starts_at < $1`, []any{demoNow}},
		{"start after the seeded week", `SELECT count(*) FROM showtimes WHERE starts_at >= $1`,
			[]any{demoNow.AddDate(0, 0, 8)}},
		{"wrong end, language or price", `SELECT count(*) FROM (SELECT s.*, m.runtime_minutes, m.language AS movie_language,
				CASE s.currency WHEN 'INR' THEN 20 ELSE 1 END AS k
			FROM showtimes s JOIN movies m ON m.id = s.movie_id) s
			WHERE s.ends_at <> s.starts_at + (s.runtime_minutes + 20) * interval '1 minute'
			OR s.language <> s.movie_language OR s.base_price_minor NOT BETWEEN 1000 * k AND 1500 * k
			OR s.premium_price_minor - s.base_price_minor NOT BETWEEN 400 * k AND 600 * k OR s.status <> 'scheduled'`, nil},
		{"wrong currency or format", `SELECT count(*) FROM showtimes s
			JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
			WHERE s.currency <> t.currency OR s.format NOT IN ('2D', '3D', 'IMAX')
			OR (s.format = 'IMAX' AND NOT 'imax' = ANY (t.amenities))`, nil},
		{"overlapping on a screen", `SELECT count(*) FROM (SELECT starts_at,
				lag(ends_at) OVER (PARTITION BY region, screen_id ORDER BY starts_at) AS prev_end
			FROM showtimes) x WHERE starts_at < prev_end`, nil},
	}
	for _, c := range checks {
		if n := count(t, db, c.query, c.args...); n != 0 {
			t.Errorf("%d showtimes with %s", n, c.name)
		}
	}
	for _, format := range []string{"2D", "3D", "IMAX"} {
		if n := count(t, db, `SELECT count(*) FROM showtimes WHERE format = $1`, format); n == 0 {
			t.Errorf("no %s showtimes", format)
		}
	}
}

func tableCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, table := range []string{"regions", "cities", "chains", "theatres", "screens", "seats", "movies",
		"showtimes", "showtime_seats"} {
		got[table] = count(t, db, "SELECT count(*) FROM "+table)
	}
	return got
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// distanceKm is the equirectangular approximation of the distance between two nearby points.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthRadiusKm = 6371
	rad := math.Pi / 180
	x := (lon2 - lon1) * rad * math.Cos((lat1+lat2)/2*rad)
	y := (lat2 - lat1) * rad
	return earthRadiusKm * math.Hypot(x, y)
}
