package admin

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// CatalogStore is what catalog management needs.
type CatalogStore interface {
	UpsertMovie(ctx context.Context, m catalog.Movie, now time.Time) error
	Movie(ctx context.Context, id string) (catalog.Movie, error)
	Theatre(ctx context.Context, region, id string) (catalog.Theatre, error)
	CityRegion(ctx context.Context, cityID string) (string, error)
	UpsertTheatre(ctx context.Context, t catalog.Theatre, now time.Time) error
	CreateScreen(ctx context.Context, sc catalog.Screen, now time.Time) error
	RenameScreen(ctx context.Context, region, theatreID, screenID, name string) error
	ScreenTheatre(ctx context.Context, region, screenID string) (catalog.Theatre, error)
	TheatreOfShowtime(ctx context.Context, region, showtimeID string) (catalog.Theatre, error)
	ScheduleShowtime(ctx context.Context, st catalog.Showtime, now time.Time) error
	CancelShowtime(ctx context.Context, region, id string, now time.Time) ([][2]string, error)
}

// Catalog manages movies (platform admins) and theatres, screens and showtimes (operators of their chain).
type Catalog struct {
	*Service
	Store    CatalogStore
	Bookings *booking.Service
}

// UpsertMovie creates (no ID) or replaces a movie.
func (c *Catalog) UpsertMovie(ctx context.Context, callerID string, m catalog.Movie) (catalog.Movie, error) {
	const op = "admin.UpsertMovie"
	if err := c.RequireAdmin(ctx, callerID); err != nil {
		return m, err
	}
	if m.ID == "" {
		m.ID = c.IDs.New()
	}
	if err := catalog.ValidateMovie(m); err != nil {
		return m, errs.E(op, err)
	}
	if err := c.Store.UpsertMovie(ctx, m, c.Now()); err != nil {
		return m, errs.E(op, err)
	}
	return m, nil
}

// UpsertTheatre creates (no ID) or replaces a theatre of the caller's chain, homed in its city's region.
func (c *Catalog) UpsertTheatre(ctx context.Context, callerID string, t catalog.Theatre) (catalog.Theatre, error) {
	const op = "admin.UpsertTheatre"
	if err := c.authorize(ctx, callerID, t.ChainID); err != nil {
		return t, err
	}
	region, err := c.Store.CityRegion(ctx, t.CityID)
	if err != nil {
		return t, errs.E(op, err)
	}
	r, _ := regions.ByName(region)
	if t.ID == "" {
		t.ID = c.IDs.Regional(r.IDPrefix)
	} else if old, err := c.Store.Theatre(ctx, region, t.ID); errs.Is(err, errs.NotFound) || (err == nil && old.ChainID != t.ChainID) {
		return t, errs.Errorf(op, errs.NotFound, "theatre not found in this chain and city's region")
	} else if err != nil {
		return t, errs.E(op, err)
	}
	t.Region = region
	if err := catalog.ValidateTheatre(t); err != nil {
		return t, errs.E(op, err)
	}
	if err := c.Store.UpsertTheatre(ctx, t, c.Now()); err != nil {
		return t, errs.E(op, err)
	}
	return t, nil
}

// theatreFor loads a theatre by ID and checks the caller operates its chain.
func (c *Catalog) theatreFor(ctx context.Context, callerID, theatreID string) (catalog.Theatre, error) {
	p, err := c.operator(ctx, callerID)
	if err != nil {
		return catalog.Theatre{}, err
	}
	r, ok := regions.OfID(theatreID)
	if !ok {
		return catalog.Theatre{}, errs.Errorf("admin.theatreFor", errs.NotFound, "theatre not found")
	}
	t, err := c.Store.Theatre(ctx, r.Name, theatreID)
	if err != nil {
		return t, err
	}
	return t, p.MayRun(t.ChainID)
}

// UpsertScreen creates a screen with a validated seat layout (no screen ID), or renames one.
func (c *Catalog) UpsertScreen(ctx context.Context, callerID, theatreID, screenID, name string, seats []catalog.Seat) (string, error) {
	const op = "admin.UpsertScreen"
	t, err := c.theatreFor(ctx, callerID, theatreID)
	if err != nil {
		return "", errs.E(op, err)
	}
	if screenID != "" {
		if len(seats) > 0 {
			return "", errs.Errorf(op, errs.Invalid, "a screen's layout cannot change; create a new screen")
		}
		return screenID, c.Store.RenameScreen(ctx, t.Region, t.ID, screenID, name)
	}
	if err := catalog.ValidateLayout(seats); err != nil {
		return "", errs.E(op, err)
	}
	r, _ := regions.ByName(t.Region)
	sc := catalog.Screen{ID: c.IDs.Regional(r.IDPrefix), Region: t.Region, TheatreID: t.ID, Name: name, Seats: seats}
	if err := c.Store.CreateScreen(ctx, sc, c.Now()); err != nil {
		return "", errs.E(op, err)
	}
	return sc.ID, nil
}

// ScheduleShowtime schedules a movie on a screen of the caller's chain; it ends after trailers and the
// movie, and may not overlap another show on the screen, cleaning included.
func (c *Catalog) ScheduleShowtime(ctx context.Context, callerID string, st catalog.Showtime) (catalog.Showtime, error) {
	const op = "admin.ScheduleShowtime"
	p, err := c.operator(ctx, callerID)
	if err != nil {
		return st, err
	}
	r, ok := regions.OfID(st.ScreenID)
	if !ok {
		return st, errs.Errorf(op, errs.NotFound, "screen not found")
	}
	t, err := c.Store.ScreenTheatre(ctx, r.Name, st.ScreenID)
	if err != nil {
		return st, errs.E(op, err)
	}
	if err := p.MayRun(t.ChainID); err != nil {
		return st, err
	}
	m, err := c.Store.Movie(ctx, st.MovieID)
	if err != nil {
		return st, errs.E(op, err)
	}
	if err := CheckShowtime(st, t, c.Now()); err != nil {
		return st, errs.E(op, err)
	}
	st.ID, st.Region, st.TheatreID, st.Status = c.IDs.Regional(r.IDPrefix), r.Name, t.ID, catalog.ShowtimeScheduled
	st.EndsAt = st.StartsAt.Add(catalog.Trailers + time.Duration(m.RuntimeMinutes)*time.Minute)
	if err := c.Store.ScheduleShowtime(ctx, st, c.Now()); err != nil {
		return st, errs.E(op, err)
	}
	return st, nil
}

// CheckShowtime checks a showtime an operator schedules at theatre t at now: it must start after now, be
// priced in t's currency, and cost at least 0, premium seats at least the base price (Invalid otherwise).
func CheckShowtime(st catalog.Showtime, t catalog.Theatre, now time.Time) error {
	const op = "admin.CheckShowtime"
	switch {
	case !st.StartsAt.After(now):
		return errs.Errorf(op, errs.Invalid, "a showtime must start in the future")
	case st.Currency != t.Currency:
		return errs.Errorf(op, errs.Invalid, "prices must be in the theatre's currency, %s", t.Currency)
	case st.BasePriceMinor < 0 || st.PremiumPriceMinor < st.BasePriceMinor:
		return errs.Errorf(op, errs.Invalid, "prices must be positive, premium at least base")
	}
	return nil
}

// CancelShowtime cancels a showtime of the caller's chain: every booking is cancelled and refunded in full
// (each sends its cancellation notice) and the standby line is closed. It returns how many bookings it
// cancelled. Retrying after a failure cancels the rest.
func (c *Catalog) CancelShowtime(ctx context.Context, callerID, showtimeID string) (int, error) {
	const op = "admin.CancelShowtime"
	p, err := c.operator(ctx, callerID)
	if err != nil {
		return 0, err
	}
	r, ok := regions.OfID(showtimeID)
	if !ok {
		return 0, errs.Errorf(op, errs.NotFound, "showtime not found")
	}
	m, err := c.Store.TheatreOfShowtime(ctx, r.Name, showtimeID)
	if err != nil {
		return 0, errs.E(op, err)
	}
	if err := p.MayRun(m.ChainID); err != nil {
		return 0, err
	}
	bookings, err := c.Store.CancelShowtime(ctx, r.Name, showtimeID, c.Now())
	if err != nil {
		return 0, errs.E(op, err)
	}
	for _, b := range bookings {
		if _, err := c.Bookings.Cancel(ctx, booking.CancelRequest{BookingID: b[0], UserID: b[1],
			Key: "showtime-cancelled:" + showtimeID, Full: true}); err != nil {
			return 0, errs.E(op, err)
		}
	}
	return len(bookings), nil
}
