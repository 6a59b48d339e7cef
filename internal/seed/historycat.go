package seed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/regions"
)

// hCatalog is the part of the demo catalog a history is made for, in a fixed order (by name, not by the
// demo's random IDs) so a seed always makes the same history.
type hCatalog struct {
	theatres []*hTheatre
	movies   []hMovie
	chains   []string // chain IDs, sorted
}

type hTheatre struct {
	region    regions.Region
	id, name  string
	chainID   string
	currency  string
	country   string
	loc       *time.Location
	imax      bool
	screens   []*hScreen
	chainSlot int // index in hCatalog.chains
}

type hScreen struct {
	theatre  *hTheatre
	id, name string
	seats    []hSeat
	rows     [][]int // indices into seats, each row by x
}

type hSeat struct {
	id, typ  string
	x        int
	bookable bool // a seat a party is sold as a block: standard or premium
}

type hMovie struct {
	id       string
	runtime  time.Duration
	language string
	weight   float64 // popularity
}

// readCatalog reads the theatres, screens, seats, movies and chains of the demo catalog in the given regions.
func readCatalog(ctx context.Context, pool *pgxpool.Pool, names []string) (*hCatalog, error) {
	if len(names) == 0 {
		for _, r := range regions.All() {
			names = append(names, r.Name)
		}
	}
	cat := &hCatalog{}
	if err := cat.readTheatres(ctx, pool, names); err != nil {
		return nil, err
	}
	if len(cat.theatres) == 0 {
		return nil, fmt.Errorf("no theatres in regions %v: load the demo catalog first", names)
	}
	if err := cat.readScreens(ctx, pool, names); err != nil {
		return nil, err
	}
	return cat, cat.readMovies(ctx, pool)
}

func (c *hCatalog) readTheatres(ctx context.Context, pool *pgxpool.Pool, names []string) error {
	rows, err := pool.Query(ctx, `SELECT t.region, t.id, t.name, t.chain_id, t.currency, t.time_zone, ci.country,
			'imax' = ANY(t.amenities)
		FROM theatres t JOIN cities ci ON ci.id = t.city_id WHERE t.region = ANY($1) ORDER BY t.name, t.id`, names)
	if err != nil {
		return fmt.Errorf("read theatres: %w", err)
	}
	var region, tz string
	var t hTheatre
	_, err = pgx.ForEachRow(rows, []any{&region, &t.id, &t.name, &t.chainID, &t.currency, &tz, &t.country, &t.imax},
		func() error {
			th := t
			th.region, _ = regions.ByName(region)
			var err error
			if th.loc, err = time.LoadLocation(tz); err != nil {
				return fmt.Errorf("theatre %s: %w", th.name, err)
			}
			if !slices.Contains(c.chains, th.chainID) {
				c.chains = append(c.chains, th.chainID)
			}
			c.theatres = append(c.theatres, &th)
			return nil
		})
	if err != nil {
		return fmt.Errorf("read theatres: %w", err)
	}
	slices.Sort(c.chains)
	for _, th := range c.theatres {
		th.chainSlot = slices.Index(c.chains, th.chainID)
	}
	return nil
}

func (c *hCatalog) readScreens(ctx context.Context, pool *pgxpool.Pool, names []string) error {
	byID := map[string]*hTheatre{}
	for _, t := range c.theatres {
		byID[t.region.Name+"/"+t.id] = t
	}
	screens := map[string]*hScreen{}
	rows, err := pool.Query(ctx, `SELECT region, id, theatre_id, name FROM screens WHERE region = ANY($1)
		ORDER BY name, id`, names)
	if err != nil {
		return fmt.Errorf("read screens: %w", err)
	}
	var region, theatre string
	var s hScreen
	if _, err = pgx.ForEachRow(rows, []any{&region, &s.id, &theatre, &s.name}, func() error {
		sc := s
		if sc.theatre = byID[region+"/"+theatre]; sc.theatre != nil {
			sc.theatre.screens = append(sc.theatre.screens, &sc)
			screens[region+"/"+sc.id] = &sc
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read screens: %w", err)
	}
	return readSeats(ctx, pool, names, screens)
}

// readSeats fills in the seats of screens, row by row from the screen, each row by x.
func readSeats(ctx context.Context, pool *pgxpool.Pool, names []string, screens map[string]*hScreen) error {
	rows, err := pool.Query(ctx, `SELECT region, screen_id, id, seat_type, x, y FROM seats WHERE region = ANY($1)
		ORDER BY region, screen_id, y, x`, names)
	if err != nil {
		return fmt.Errorf("read seats: %w", err)
	}
	var region, screen string
	var seat hSeat
	var y int
	lastY := map[*hScreen]int{}
	_, err = pgx.ForEachRow(rows, []any{&region, &screen, &seat.id, &seat.typ, &seat.x, &y}, func() error {
		sc := screens[region+"/"+screen]
		if sc == nil {
			return nil
		}
		if last, ok := lastY[sc]; !ok || last != y {
			sc.rows = append(sc.rows, nil)
			lastY[sc] = y
		}
		seat.bookable = seat.typ == string(catalog.SeatStandard) || seat.typ == string(catalog.SeatPremium)
		sc.rows[len(sc.rows)-1] = append(sc.rows[len(sc.rows)-1], len(sc.seats))
		sc.seats = append(sc.seats, seat)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read seats: %w", err)
	}
	return nil
}

func (c *hCatalog) readMovies(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `SELECT id, runtime_minutes, language FROM movies ORDER BY title, id`)
	if err != nil {
		return fmt.Errorf("read movies: %w", err)
	}
	var m hMovie
	var minutes int
	if _, err = pgx.ForEachRow(rows, []any{&m.id, &minutes, &m.language}, func() error {
		m.runtime = time.Duration(minutes) * time.Minute
		c.movies = append(c.movies, m)
		return nil
	}); err != nil {
		return fmt.Errorf("read movies: %w", err)
	}
	if len(c.movies) == 0 {
		return fmt.Errorf("no movies: load the demo catalog first")
	}
	return nil
}
