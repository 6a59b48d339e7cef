// Package catalog holds the browseable catalog: cities, chains, theatres, screens and their seats, movies and
// showtimes, and the read rules for listing them.
package catalog

import (
	"context"
	"time"
)

// City is a market; it belongs to one region.
type City struct {
	ID        string
	Region    string
	Name      string
	Country   string // ISO 3166-1 alpha-2
	Latitude  float64
	Longitude float64
	TimeZone  string // IANA name
}

// Chain is a cinema operator owning theatres.
type Chain struct {
	ID   string
	Name string
}

// Theatre is a cinema building, homed in its city's region.
type Theatre struct {
	ID        string // regional ID, for example "use1_01JD..."
	Region    string
	ChainID   string
	CityID    string
	Name      string
	Address   string
	Latitude  float64
	Longitude float64
	Amenities []string
	TimeZone  string
	Currency  string // ISO 4217
}

// SeatType says what kind of seat it is.
type SeatType string

// Seat types.
const (
	SeatStandard   SeatType = "standard"
	SeatPremium    SeatType = "premium"
	SeatAccessible SeatType = "accessible" // a wheelchair space
	SeatCompanion  SeatType = "companion"  // beside a wheelchair space
)

// Valid reports whether t is a known seat type.
func (t SeatType) Valid() bool {
	switch t {
	case SeatStandard, SeatPremium, SeatAccessible, SeatCompanion:
		return true
	}
	return false
}

// Seat is one seat of a screen. Its ID ("F12") is unique within the screen.
type Seat struct {
	ID     string
	Row    string
	Number int
	Type   SeatType
	X, Y   int // column from the left (aisles leave gaps), row from the screen
}

// Screen is an auditorium of a theatre with its seats.
type Screen struct {
	ID        string
	Region    string
	TheatreID string
	Name      string
	Seats     []Seat
}

// Movie is a title in the catalog (global, not homed in a region).
type Movie struct {
	ID             string
	Title          string
	RuntimeMinutes int
	Genres         []string
	Rating         string
	Language       string
	Synopsis       string
	Cast           []string
	ReleaseDate    time.Time
}

// ShowtimeStatus is whether a showtime will run.
type ShowtimeStatus string

// Showtime statuses.
const (
	ShowtimeScheduled ShowtimeStatus = "scheduled"
	ShowtimeCancelled ShowtimeStatus = "cancelled"
)

// Showtime is one screening of a movie on a screen. Prices are in minor units of Currency.
type Showtime struct {
	ID                string
	Region            string
	MovieID           string
	TheatreID         string
	ScreenID          string
	StartsAt, EndsAt  time.Time
	Format            string
	Language          string
	Currency          string
	BasePriceMinor    int64
	PremiumPriceMinor int64
	Status            ShowtimeStatus
}

// PriceOf returns the price of a seat of type t at this showtime: premium seats cost the premium price,
// all others the base price.
func (s Showtime) PriceOf(t SeatType) int64 {
	if t == SeatPremium {
		return s.PremiumPriceMinor
	}
	return s.BasePriceMinor
}

// ShowtimeListing is a showtime with the names a listing shows.
type ShowtimeListing struct {
	Showtime
	MovieTitle  string
	TheatreName string
	CityID      string
	ScreenName  string
	// FromPrice is the lowest price a seat of the showtime sells for now; nil when no seat is available, or
	// when the listing was not priced.
	FromPrice *Price
}

// Price is an amount in minor units of a currency.
type Price struct {
	Currency    string
	AmountMinor int64
}

// FromPrices tells the lowest price a seat of each showtime sells for now, under its chain's pricing, for
// the showtimes that have a seat available (others are left out). inventory.Service implements it.
type FromPrices interface {
	FromPrices(ctx context.Context, showtimeIDs []string) (map[string]Price, error)
}

// PriceListings sets the FromPrice of each listing from prices, in one call for them all.
func PriceListings(ctx context.Context, prices FromPrices, ls []ShowtimeListing) error {
	if prices == nil || len(ls) == 0 {
		return nil
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	byID, err := prices.FromPrices(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ls {
		if p, ok := byID[ls[i].ID]; ok {
			ls[i].FromPrice = &p
		}
	}
	return nil
}

// ShowtimeFilter selects showtimes. Zero fields do not filter.
type ShowtimeFilter struct {
	CityID    string
	MovieID   string
	TheatreID string
	Day       string    // "YYYY-MM-DD" in each theatre's time zone
	From      time.Time // only showtimes starting at or after this instant
	After     *Cursor   // keyset pagination: only showtimes after this one
	Limit     int
}

// Cursor is a position in the showtime order (start time, then ID).
type Cursor struct {
	StartsAt time.Time
	ID       string
}

// Store reads the catalog.
type Store interface {
	ListCities(ctx context.Context) ([]City, error)
	ListMovies(ctx context.Context, cityID string, from time.Time) ([]Movie, error)
	ListTheatres(ctx context.Context, cityID string) ([]Theatre, error)
	ListShowtimes(ctx context.Context, f ShowtimeFilter) ([]ShowtimeListing, error)
}
