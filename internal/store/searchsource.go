package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/search"
)

var _ search.Source = (*CatalogStore)(nil)

// AllMovies returns every movie.
func (s *CatalogStore) AllMovies(ctx context.Context) ([]catalog.Movie, error) {
	return s.ListMovies(ctx, "", time.Time{})
}

// AllTheatres returns every theatre with its city's name.
func (s *CatalogStore) AllTheatres(ctx context.Context) ([]search.TheatreDoc, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT t.id, t.region, t.chain_id, t.city_id, t.name, t.address, t.latitude,
		t.longitude, t.amenities, t.time_zone, t.currency, c.name FROM theatres t JOIN cities c ON c.id = t.city_id`)
	if err != nil {
		return nil, errs.E("store.AllTheatres", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (tc search.TheatreDoc, err error) {
		t := &tc.Theatre
		err = r.Scan(&t.ID, &t.Region, &t.ChainID, &t.CityID, &t.Name, &t.Address, &t.Latitude, &t.Longitude,
			&t.Amenities, &t.TimeZone, &t.Currency, &tc.CityName)
		return tc, err
	})
}

// TheatreDoc returns one theatre with its city's name.
func (s *CatalogStore) TheatreDoc(ctx context.Context, region, id string) (search.TheatreDoc, error) {
	t, err := s.Theatre(ctx, region, id)
	if err != nil {
		return search.TheatreDoc{}, err
	}
	tc := search.TheatreDoc{Theatre: t}
	err = s.db.Pool.QueryRow(ctx, `SELECT name FROM cities WHERE id = $1`, t.CityID).Scan(&tc.CityName)
	return tc, wrap("store.TheatreDoc", err)
}

// ShowtimesFrom returns the scheduled showtimes starting at or after from.
func (s *CatalogStore) ShowtimesFrom(ctx context.Context, from time.Time) ([]catalog.Showtime, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+showtimeColumns+` FROM showtimes WHERE starts_at >= $1 AND status = 'scheduled'`, from)
	if err != nil {
		return nil, errs.E("store.ShowtimesFrom", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Showtime, error) { return scanShowtime(r) })
}

// Showtime returns a showtime.
func (s *CatalogStore) Showtime(ctx context.Context, region, id string) (catalog.Showtime, error) {
	return getShowtime(ctx, s.db.Pool, region, id)
}
