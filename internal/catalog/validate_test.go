package catalog_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/catalog"
)

func TestValidateMovie(t *testing.T) {
	ok := catalog.Movie{Title: "Dune: Part Two", RuntimeMinutes: 166, Language: "en"}
	with := func(f func(*catalog.Movie)) catalog.Movie { m := ok; f(&m); return m }
	tests := []struct {
		name string
		m    catalog.Movie
		want string
	}{
		{"OK", ok, ""},
		{"OKShortest", with(func(m *catalog.Movie) { m.RuntimeMinutes = 1 }), ""},
		{"OKLongest", with(func(m *catalog.Movie) { m.RuntimeMinutes = 600 }), ""},
		{"ErrNoTitle", with(func(m *catalog.Movie) { m.Title = "  " }), "a movie needs a title"},
		{"ErrNoRuntime", with(func(m *catalog.Movie) { m.RuntimeMinutes = 0 }), "runtime must be 1 to 600 minutes"},
		{"ErrTooLong", with(func(m *catalog.Movie) { m.RuntimeMinutes = 601 }), "runtime must be 1 to 600 minutes"},
		{"ErrNoLanguage", with(func(m *catalog.Movie) { m.Language = "" }), "a movie needs its original language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, messageOf(catalog.ValidateMovie(tt.m))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateTheatre(t *testing.T) {
	ok := catalog.Theatre{Name: "Marquee Downtown", Address: "1 Main St", Latitude: 40.7, Longitude: -74,
		TimeZone: "America/New_York"}
	with := func(f func(*catalog.Theatre)) catalog.Theatre { th := ok; f(&th); return th }
	const noPlace = "a theatre needs a name and an address"
	tests := []struct {
		name string
		t    catalog.Theatre
		want string
	}{
		{"OK", ok, ""},
		{"OKPoles", with(func(t *catalog.Theatre) { t.Latitude, t.Longitude = -90, 180 }), ""},
		{"ErrNoName", with(func(t *catalog.Theatre) { t.Name = " " }), noPlace},
		{"ErrNoAddress", with(func(t *catalog.Theatre) { t.Address = "" }), noPlace},
		{"ErrLatitude", with(func(t *catalog.Theatre) { t.Latitude = 90.5 }), "latitude or longitude out of range"},
		{"ErrLongitude", with(func(t *catalog.Theatre) { t.Longitude = -180.1 }), "latitude or longitude out of range"},
		{"ErrUnknownZone", with(func(t *catalog.Theatre) { t.TimeZone = "Mars/Olympus" }), `unknown time zone "Mars/Olympus"`},
		{"ErrNoZone", with(func(t *catalog.Theatre) { t.TimeZone = "" }), `unknown time zone ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, messageOf(catalog.ValidateTheatre(tt.t))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// row returns the seats of row r (at distance y from the screen), all of type st, numbered from 1 and placed
// at columns xs (a skipped column is an aisle).
func row(r string, y int, st catalog.SeatType, xs ...int) []catalog.Seat {
	var out []catalog.Seat
	for i, x := range xs {
		out = append(out, catalog.Seat{ID: catalog.SeatID(r, i+1), Row: r, Number: i + 1, Type: st, X: x, Y: y})
	}
	return out
}

func TestValidateLayout(t *testing.T) {
	wheelchair := []catalog.Seat{{ID: "A1", Row: "A", Number: 1, Type: catalog.SeatAccessible, X: 1},
		{ID: "A2", Row: "A", Number: 2, Type: catalog.SeatCompanion, X: 2}}
	lone := []catalog.Seat{{ID: "A1", Row: "A", Number: 1, Type: catalog.SeatCompanion, X: 1},
		{ID: "A2", Row: "A", Number: 2, Type: catalog.SeatStandard, X: 2}}
	apart := []catalog.Seat{{ID: "A1", Row: "A", Number: 1, Type: catalog.SeatAccessible, X: 1},
		{ID: "A2", Row: "A", Number: 2, Type: catalog.SeatCompanion, X: 3}}
	tests := []struct {
		name  string
		seats []catalog.Seat
		want  string
	}{
		{"OK", append(row("A", 0, catalog.SeatStandard, 1, 2, 3), row("B", 1, catalog.SeatPremium, 1, 2, 3)...), ""},
		{"OKAisle", row("A", 0, catalog.SeatStandard, 1, 2, 5, 6), ""},
		{"OKCompanion", wheelchair, ""},
		{"OKLargest", row("A", 0, catalog.SeatStandard, seq(1000)...), ""},
		{"ErrNoSeats", nil, "a screen has 1 to 1000 seats"},
		{"ErrTooMany", row("A", 0, catalog.SeatStandard, seq(1001)...), "a screen has 1 to 1000 seats"},
		{"ErrDuplicate", append(row("A", 0, catalog.SeatStandard, 1, 2), row("A", 1, catalog.SeatStandard, 1)...),
			"seat A1 appears twice"},
		{"ErrNotIncreasing", row("A", 0, catalog.SeatStandard, 1, 3, 2), "row A: seat A3 must be right of the seat before it"},
		{"ErrSameColumn", row("A", 0, catalog.SeatStandard, 1, 1), "row A: seat A2 must be right of the seat before it"},
		{"ErrNoType", row("A", 0, "", 1), "seat A1 has no valid type"},
		{"ErrUnknownType", row("A", 0, "sofa", 1), "seat A1 has no valid type"},
		{"ErrLoneCompanion", lone, "companion seat A1 must be beside a wheelchair space"},
		{"ErrCompanionAcrossGap", apart, "companion seat A2 must be beside a wheelchair space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, messageOf(catalog.ValidateLayout(tt.seats))); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// seq returns 1..n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestSeatTypeValid(t *testing.T) {
	got := map[catalog.SeatType]bool{}
	for _, st := range []catalog.SeatType{catalog.SeatStandard, catalog.SeatPremium, catalog.SeatAccessible,
		catalog.SeatCompanion, "", "Standard", "sofa"} {
		got[st] = st.Valid()
	}
	want := map[catalog.SeatType]bool{catalog.SeatStandard: true, catalog.SeatPremium: true, catalog.SeatAccessible: true,
		catalog.SeatCompanion: true, "": false, "Standard": false, "sofa": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestPriceOf(t *testing.T) {
	st := catalog.Showtime{BasePriceMinor: 1200, PremiumPriceMinor: 1800}
	got := map[catalog.SeatType]int64{}
	for _, typ := range []catalog.SeatType{catalog.SeatStandard, catalog.SeatPremium, catalog.SeatAccessible, catalog.SeatCompanion} {
		got[typ] = st.PriceOf(typ)
	}
	want := map[catalog.SeatType]int64{catalog.SeatStandard: 1200, catalog.SeatPremium: 1800, catalog.SeatAccessible: 1200,
		catalog.SeatCompanion: 1200}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestSeatID(t *testing.T) {
	if got := catalog.SeatID("F", 12); got != "F12" {
		t.Errorf("SeatID(F, 12) = %q, want F12", got)
	}
}
