package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

// UpsertMovie creates or replaces a movie and announces it.
func (s *CatalogStore) UpsertMovie(ctx context.Context, m catalog.Movie, now time.Time) error {
	const op = "store.UpsertMovie"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO movies (id, title, runtime_minutes, genres, rating, language, synopsis,
			cast_members, release_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET title = excluded.title, runtime_minutes = excluded.runtime_minutes,
			genres = excluded.genres, rating = excluded.rating, language = excluded.language,
			synopsis = excluded.synopsis, cast_members = excluded.cast_members, release_date = excluded.release_date`,
			m.ID, m.Title, m.RuntimeMinutes, nonNil(m.Genres), m.Rating, m.Language, m.Synopsis, nonNil(m.Cast), m.ReleaseDate)
		if err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, now, events.CatalogChanged(events.GlobalRegion, catalog.KindMovie, m.ID, false, now))
	})
}

// Movie returns a movie.
func (s *CatalogStore) Movie(ctx context.Context, id string) (catalog.Movie, error) {
	var m catalog.Movie
	err := s.db.Pool.QueryRow(ctx, `SELECT id, title, runtime_minutes, genres, rating, language, synopsis, cast_members,
		release_date FROM movies WHERE id = $1`, id).Scan(&m.ID, &m.Title, &m.RuntimeMinutes, &m.Genres, &m.Rating,
		&m.Language, &m.Synopsis, &m.Cast, &m.ReleaseDate)
	if err != nil {
		return m, notFound("store.Movie", err, "movie")
	}
	return m, nil
}

// Theatre returns a theatre.
func (s *CatalogStore) Theatre(ctx context.Context, region, id string) (catalog.Theatre, error) {
	var t catalog.Theatre
	err := s.db.Pool.QueryRow(ctx, `SELECT id, region, chain_id, city_id, name, address, latitude, longitude, amenities,
		time_zone, currency FROM theatres WHERE region = $1 AND id = $2`, region, id).Scan(&t.ID, &t.Region, &t.ChainID,
		&t.CityID, &t.Name, &t.Address, &t.Latitude, &t.Longitude, &t.Amenities, &t.TimeZone, &t.Currency)
	if err != nil {
		return t, notFound("store.Theatre", err, "theatre")
	}
	return t, nil
}

// CityRegion returns the region a city belongs to.
func (s *CatalogStore) CityRegion(ctx context.Context, cityID string) (string, error) {
	var region string
	if err := s.db.Pool.QueryRow(ctx, `SELECT region FROM cities WHERE id = $1`, cityID).Scan(&region); err != nil {
		return "", notFound("store.CityRegion", err, "city")
	}
	return region, nil
}

// UpsertTheatre creates or replaces a theatre and announces it.
func (s *CatalogStore) UpsertTheatre(ctx context.Context, t catalog.Theatre, now time.Time) error {
	const op = "store.UpsertTheatre"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO theatres (region, id, chain_id, city_id, name, address, latitude, longitude,
			amenities, time_zone, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (region, id) DO UPDATE SET name = excluded.name, address = excluded.address,
			latitude = excluded.latitude, longitude = excluded.longitude, amenities = excluded.amenities,
			time_zone = excluded.time_zone, currency = excluded.currency`,
			t.Region, t.ID, t.ChainID, t.CityID, t.Name, t.Address, t.Latitude, t.Longitude, nonNil(t.Amenities),
			t.TimeZone, t.Currency)
		if err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, now, events.CatalogChanged(t.Region, catalog.KindTheatre, t.ID, false, now))
	})
}

// CreateScreen adds a screen with its seats and announces it.
func (s *CatalogStore) CreateScreen(ctx context.Context, sc catalog.Screen, now time.Time) error {
	if err := s.InsertScreen(ctx, sc); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return s.db.insertEvent(ctx, tx, now, events.CatalogChanged(sc.Region, catalog.KindScreen, sc.ID, false, now))
	})
}

// RenameScreen renames a theatre's screen.
func (s *CatalogStore) RenameScreen(ctx context.Context, region, theatreID, screenID, name string) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE screens SET name = $4 WHERE region = $1 AND id = $2 AND theatre_id = $3`,
			region, screenID, theatreID, name)
		if err == nil && tag.RowsAffected() == 0 {
			return errs.Errorf("store.RenameScreen", errs.NotFound, "screen not found")
		}
		return wrap("store.RenameScreen", err)
	})
}

// ScreenTheatre returns the theatre a screen belongs to.
func (s *CatalogStore) ScreenTheatre(ctx context.Context, region, screenID string) (catalog.Theatre, error) {
	var theatreID string
	err := s.db.Pool.QueryRow(ctx, `SELECT theatre_id FROM screens WHERE region = $1 AND id = $2`, region, screenID).Scan(&theatreID)
	if err != nil {
		return catalog.Theatre{}, notFound("store.ScreenTheatre", err, "screen")
	}
	return s.Theatre(ctx, region, theatreID)
}

// ScheduleShowtime inserts a showtime with its inventory unless it overlaps another scheduled show on the
// screen, cleaning included (Conflict), and announces it. Check and insert are one serializable transaction,
// so two operators cannot book the same slot.
func (s *CatalogStore) ScheduleShowtime(ctx context.Context, st catalog.Showtime, now time.Time) error {
	const op = "store.ScheduleShowtime"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var clash string
		err := tx.QueryRow(ctx, `SELECT id FROM showtimes WHERE region = $1 AND screen_id = $2 AND status = 'scheduled'
			AND starts_at < $4 AND ends_at > $3 LIMIT 1`, st.Region, st.ScreenID,
			st.StartsAt.Add(-catalog.Cleaning), st.EndsAt.Add(catalog.Cleaning)).Scan(&clash)
		if err == nil {
			return errs.Errorf(op, errs.Conflict, "the screen is busy then (showtime %s, cleaning included)", clash)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return errs.E(op, err)
		}
		if err := insertShowtime(ctx, tx, st); err != nil {
			return err
		}
		return s.db.insertEvent(ctx, tx, now, events.CatalogChanged(st.Region, catalog.KindShowtime, st.ID, false, now))
	})
}

// CancelShowtime marks a showtime cancelled, closes its standby line, announces it, and returns its confirmed
// bookings (ID and owner) for the caller to cancel and refund.
func (s *CatalogStore) CancelShowtime(ctx context.Context, region, id string, now time.Time) ([][2]string, error) {
	const op = "store.CancelShowtime"
	var out [][2]string
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		// Cancelling again (after a failure part-way) cancels the bookings still left.
		tag, err := tx.Exec(ctx, `UPDATE showtimes SET status = 'cancelled' WHERE region = $1 AND id = $2`, region, id)
		if err != nil {
			return errs.E(op, err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf(op, errs.NotFound, "showtime not found")
		}
		if _, err := tx.Exec(ctx, `UPDATE standby_entries SET status = 'closed', updated_at = $3
			WHERE region = $1 AND showtime_id = $2 AND status = 'waiting'`, region, id, now); err != nil {
			return errs.E(op, err)
		}
		rows, err := tx.Query(ctx, `SELECT id, user_id FROM bookings WHERE region = $1 AND showtime_id = $2 AND status = 'confirmed'`, region, id)
		if err != nil {
			return errs.E(op, err)
		}
		var b [2]string
		if _, err := pgx.ForEachRow(rows, []any{&b[0], &b[1]}, func() error { out = append(out, b); return nil }); err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, now, events.CatalogChanged(region, catalog.KindShowtime, id, true, now))
	})
	return out, err
}

// insertShowtime inserts a showtime and one available inventory row per seat of its screen.
func insertShowtime(ctx context.Context, tx pgx.Tx, st catalog.Showtime) error {
	const op = "store.insertShowtime"
	if _, err := tx.Exec(ctx, `INSERT INTO showtimes (region, id, movie_id, theatre_id, screen_id, starts_at,
		ends_at, format, language, currency, base_price_minor, premium_price_minor, status)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		st.Region, st.ID, st.MovieID, st.TheatreID, st.ScreenID, st.StartsAt, st.EndsAt, st.Format, st.Language,
		st.Currency, st.BasePriceMinor, st.PremiumPriceMinor, string(st.Status)); err != nil {
		return errs.E(op, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO showtime_seats (region, showtime_id, seat_id, status)
		SELECT region, $2, id, 'available' FROM seats WHERE region = $1 AND screen_id = $3`,
		st.Region, st.ID, st.ScreenID)
	return wrap(op, err)
}

// TheatreOfShowtime returns the theatre a showtime plays at.
func (s *CatalogStore) TheatreOfShowtime(ctx context.Context, region, showtimeID string) (catalog.Theatre, error) {
	st, err := getShowtime(ctx, s.db.Pool, region, showtimeID)
	if err != nil {
		return catalog.Theatre{}, err
	}
	return s.Theatre(ctx, region, st.TheatreID)
}
