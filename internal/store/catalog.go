package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/regions"
)

// CatalogStore reads and writes the catalog.
type CatalogStore struct{ db *DB }

var _ catalog.Store = (*CatalogStore)(nil)

// Catalog returns the catalog store.
func (db *DB) Catalog() *CatalogStore { return &CatalogStore{db: db} }

// ListCities returns every city, by name.
func (s *CatalogStore) ListCities(ctx context.Context) ([]catalog.City, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, region, name, country, latitude, longitude, time_zone
		FROM cities ORDER BY name`)
	if err != nil {
		return nil, errs.E("store.ListCities", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (c catalog.City, err error) {
		err = r.Scan(&c.ID, &c.Region, &c.Name, &c.Country, &c.Latitude, &c.Longitude, &c.TimeZone)
		return c, err
	})
}

// ListMovies returns movies by title; with a city, only those with a scheduled showtime there from `from` on.
func (s *CatalogStore) ListMovies(ctx context.Context, cityID string, from time.Time) ([]catalog.Movie, error) {
	q := `SELECT m.id, m.title, m.runtime_minutes, m.genres, m.rating, m.language, m.synopsis, m.cast_members,
		m.release_date FROM movies m`
	args := []any{}
	if cityID != "" {
		q += ` WHERE m.id IN (SELECT s.movie_id FROM showtimes s JOIN theatres t
			ON t.region = s.region AND t.id = s.theatre_id
			WHERE t.city_id = $1 AND s.starts_at >= $2 AND s.status = 'scheduled')`
		args = append(args, cityID, from)
	}
	rows, err := s.db.Pool.Query(ctx, q+` ORDER BY m.title, m.id`, args...)
	if err != nil {
		return nil, errs.E("store.ListMovies", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (m catalog.Movie, err error) {
		err = r.Scan(&m.ID, &m.Title, &m.RuntimeMinutes, &m.Genres, &m.Rating, &m.Language, &m.Synopsis,
			&m.Cast, &m.ReleaseDate)
		return m, err
	})
}

// ListTheatres returns theatres by name, only a city's when cityID is set.
func (s *CatalogStore) ListTheatres(ctx context.Context, cityID string) ([]catalog.Theatre, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, region, chain_id, city_id, name, address, latitude, longitude,
		amenities, time_zone, currency FROM theatres WHERE ($1 = '' OR city_id = $1) ORDER BY name, id`, cityID)
	if err != nil {
		return nil, errs.E("store.ListTheatres", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (t catalog.Theatre, err error) {
		err = r.Scan(&t.ID, &t.Region, &t.ChainID, &t.CityID, &t.Name, &t.Address, &t.Latitude, &t.Longitude,
			&t.Amenities, &t.TimeZone, &t.Currency)
		return t, err
	})
}

// ListShowtimes returns scheduled showtimes matching f in (start, ID) order.
func (s *CatalogStore) ListShowtimes(ctx context.Context, f catalog.ShowtimeFilter) ([]catalog.ShowtimeListing, error) {
	after := catalog.Cursor{}
	if f.After != nil {
		after = *f.After
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT s.region, s.id, s.movie_id, s.theatre_id, s.screen_id, s.starts_at,
			s.ends_at, s.format, s.language, s.currency, s.base_price_minor, s.premium_price_minor, s.status,
			m.title, t.name, t.city_id, sc.name
		FROM showtimes s
		JOIN movies m ON m.id = s.movie_id
		JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		JOIN screens sc ON sc.region = s.region AND sc.id = s.screen_id
		WHERE s.status = 'scheduled' AND s.starts_at >= $1
		  AND ($2 = '' OR t.city_id = $2) AND ($3 = '' OR s.movie_id = $3) AND ($4 = '' OR s.theatre_id = $4)
		  AND ($5 = '' OR CAST(s.starts_at AT TIME ZONE t.time_zone AS DATE) = CAST(NULLIF($5, '') AS DATE))
		  AND ($6 = '' OR (s.starts_at, s.id) > ($7, $6))
		ORDER BY s.starts_at, s.id LIMIT $8`,
		f.From, f.CityID, f.MovieID, f.TheatreID, f.Day, after.ID, after.StartsAt, f.Limit)
	if err != nil {
		return nil, errs.E("store.ListShowtimes", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (l catalog.ShowtimeListing, err error) {
		st := &l.Showtime
		err = r.Scan(&st.Region, &st.ID, &st.MovieID, &st.TheatreID, &st.ScreenID, &st.StartsAt, &st.EndsAt,
			&st.Format, &st.Language, &st.Currency, &st.BasePriceMinor, &st.PremiumPriceMinor, &st.Status,
			&l.MovieTitle, &l.TheatreName, &l.CityID, &l.ScreenName)
		return l, err
	})
}

// EnsureRegions inserts every region in regions/ that the database lacks.
func (s *CatalogStore) EnsureRegions(ctx context.Context) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		for _, r := range regions.All() {
			if _, err := tx.Exec(ctx, `INSERT INTO regions (name, id_prefix, display_name) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO NOTHING`, r.Name, r.IDPrefix, r.DisplayName); err != nil {
				return errs.E("store.EnsureRegions", err)
			}
		}
		return nil
	})
}

// InsertCity adds a city.
func (s *CatalogStore) InsertCity(ctx context.Context, c catalog.City) error {
	return s.exec(ctx, "store.InsertCity", `INSERT INTO cities (id, region, name, country, latitude, longitude,
		time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.Region, c.Name, c.Country, c.Latitude, c.Longitude, c.TimeZone)
}

// InsertChain adds a chain.
func (s *CatalogStore) InsertChain(ctx context.Context, c catalog.Chain) error {
	return s.exec(ctx, "store.InsertChain", `INSERT INTO chains (id, name) VALUES ($1, $2)`, c.ID, c.Name)
}

// InsertMovie adds a movie.
func (s *CatalogStore) InsertMovie(ctx context.Context, m catalog.Movie) error {
	return s.exec(ctx, "store.InsertMovie", `INSERT INTO movies (id, title, runtime_minutes, genres, rating,
		language, synopsis, cast_members, release_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		m.ID, m.Title, m.RuntimeMinutes, m.Genres, m.Rating, m.Language, m.Synopsis, m.Cast, m.ReleaseDate)
}

// InsertTheatre adds a theatre.
func (s *CatalogStore) InsertTheatre(ctx context.Context, t catalog.Theatre) error {
	return s.exec(ctx, "store.InsertTheatre", `INSERT INTO theatres (region, id, chain_id, city_id, name, address,
		latitude, longitude, amenities, time_zone, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.Region, t.ID, t.ChainID, t.CityID, t.Name, t.Address, t.Latitude, t.Longitude, t.Amenities, t.TimeZone,
		t.Currency)
}

// InsertScreen adds a screen and its seats in one transaction.
func (s *CatalogStore) InsertScreen(ctx context.Context, sc catalog.Screen) error {
	const op = "store.InsertScreen"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO screens (region, id, theatre_id, name) VALUES ($1, $2, $3, $4)`,
			sc.Region, sc.ID, sc.TheatreID, sc.Name); err != nil {
			return errs.E(op, err)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"seats"},
			[]string{"region", "screen_id", "id", "row_label", "number", "seat_type", "x", "y"},
			pgx.CopyFromSlice(len(sc.Seats), func(i int) ([]any, error) {
				st := sc.Seats[i]
				return []any{sc.Region, sc.ID, st.ID, st.Row, st.Number, string(st.Type), st.X, st.Y}, nil
			}))
		return wrap(op, err)
	})
}

// InsertShowtime schedules a showtime and creates one available inventory row per seat of its screen.
func (s *CatalogStore) InsertShowtime(ctx context.Context, st catalog.Showtime) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertShowtime(ctx, tx, st) })
}

func (s *CatalogStore) exec(ctx context.Context, op, sql string, args ...any) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sql, args...)
		if isUniqueViolation(err, "") {
			return errs.E(op, errs.Conflict, "already exists", err)
		}
		if err != nil {
			return errs.E(op, err)
		}
		return nil
	})
}
