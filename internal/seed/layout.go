// Package seed builds catalog data: seat layouts, a one-showtime fixture for tests and benchmarks, and the
// demo catalog `marquee dev` loads on first start.
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

// Layout describes a rectangular auditorium. Rows are lettered from the screen ("A" is nearest).
type Layout struct {
	Rows        int
	SeatsPerRow int
	AisleAfter  []int // seat numbers followed by an aisle (a gap of one column)
	PremiumRows int   // the last rows before the back row that are premium (counted from the back, skipping it)
	// WheelchairPairs puts this many wheelchair spaces, each with a companion seat beside it, at the ends of row B
	// (or row A when there is one row).
	WheelchairPairs int
}

// RowLabel returns the label of row i (0-based): A..Z, then AA, AB, ...
func RowLabel(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return RowLabel(i/26-1) + string(rune('A'+i%26))
}

// Seats returns the seats of l.
func (l Layout) Seats() []catalog.Seat {
	seats := make([]catalog.Seat, 0, l.Rows*l.SeatsPerRow)
	for r := 0; r < l.Rows; r++ {
		x := 0
		for n := 1; n <= l.SeatsPerRow; n++ {
			row := RowLabel(r)
			seats = append(seats, catalog.Seat{ID: fmt.Sprintf("%s%d", row, n), Row: row, Number: n,
				Type: l.typeOf(r, n), X: x, Y: r})
			x++
			for _, a := range l.AisleAfter {
				if a == n {
					x++
				}
			}
		}
	}
	return seats
}

func (l Layout) typeOf(row, n int) catalog.SeatType {
	wheelRow := 1
	if l.Rows == 1 {
		wheelRow = 0
	}
	if row == wheelRow && l.WheelchairPairs > 0 {
		// Pairs alternate between the left and right ends: space at the edge, companion inside it.
		for p := 0; p < l.WheelchairPairs; p++ {
			edge := p / 2 * 2
			space, companion := 1+edge, 2+edge
			if p%2 == 1 {
				space, companion = l.SeatsPerRow-edge, l.SeatsPerRow-1-edge
			}
			switch n {
			case space:
				return catalog.SeatAccessible
			case companion:
				return catalog.SeatCompanion
			}
		}
	}
	if l.PremiumRows > 0 && row < l.Rows-1 && row >= l.Rows-1-l.PremiumRows {
		return catalog.SeatPremium
	}
	return catalog.SeatStandard
}

// Fixture is a minimal catalog around one showtime.
type Fixture struct {
	City     catalog.City
	Chain    catalog.Chain
	Theatre  catalog.Theatre
	Screen   catalog.Screen
	Movie    catalog.Movie
	Showtime catalog.Showtime
}

// NewFixture creates a city, chain, theatre, screen of layout l, movie and one showtime starting at startsAt in
// region r, with base price 1200 and premium price 1800 in the region's currency.
func NewFixture(ctx context.Context, cat *store.CatalogStore, ids *platform.IDs, r regions.Region, l Layout,
	startsAt time.Time) (Fixture, error) {
	if err := cat.EnsureRegions(ctx); err != nil {
		return Fixture{}, err
	}
	f := Fixture{
		City: catalog.City{ID: "city-" + ids.New(), Region: r.Name, Name: "Fixture City", Country: "US",
			Latitude: 40.7, Longitude: -74, TimeZone: "America/New_York"},
		Chain: catalog.Chain{ID: "chain-" + ids.New(), Name: "Fixture Cinemas"},
		Movie: catalog.Movie{ID: ids.New(), Title: "The Fixture", RuntimeMinutes: 110, Genres: []string{"drama"},
			Rating: "PG", Language: "en", Synopsis: "A test screening.", Cast: []string{"Ada Lovelace"},
			ReleaseDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	f.Theatre = catalog.Theatre{ID: ids.Regional(r.IDPrefix), Region: r.Name, ChainID: f.Chain.ID, CityID: f.City.ID,
		Name: "Fixture Plaza", Address: "1 Test St", Latitude: 40.7, Longitude: -74, Amenities: []string{},
		TimeZone: f.City.TimeZone, Currency: r.Currency}
	f.Screen = catalog.Screen{ID: ids.Regional(r.IDPrefix), Region: r.Name, TheatreID: f.Theatre.ID, Name: "Screen 1",
		Seats: l.Seats()}
	f.Showtime = catalog.Showtime{ID: ids.Regional(r.IDPrefix), Region: r.Name, MovieID: f.Movie.ID,
		TheatreID: f.Theatre.ID, ScreenID: f.Screen.ID, StartsAt: startsAt, EndsAt: startsAt.Add(2 * time.Hour),
		Format: "2D", Language: "en", Currency: r.Currency, BasePriceMinor: 1200, PremiumPriceMinor: 1800,
		Status: catalog.ShowtimeScheduled}
	steps := []func() error{
		func() error { return cat.InsertCity(ctx, f.City) },
		func() error { return cat.InsertChain(ctx, f.Chain) },
		func() error { return cat.InsertMovie(ctx, f.Movie) },
		func() error { return cat.InsertTheatre(ctx, f.Theatre) },
		func() error { return cat.InsertScreen(ctx, f.Screen) },
		func() error { return cat.InsertShowtime(ctx, f.Showtime) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Fixture{}, err
		}
	}
	return f, nil
}

// AddShowtime schedules another showtime of f's movie on f's screen starting at startsAt.
func (f Fixture) AddShowtime(ctx context.Context, cat *store.CatalogStore, ids *platform.IDs, startsAt time.Time) (catalog.Showtime, error) {
	st := f.Showtime
	st.ID = ids.Regional(platform.PrefixOf(f.Showtime.ID))
	st.StartsAt, st.EndsAt = startsAt, startsAt.Add(2*time.Hour)
	return st, cat.InsertShowtime(ctx, st)
}
