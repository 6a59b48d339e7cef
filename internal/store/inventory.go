package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
)

// InventoryStore keeps seat inventory and holds.
type InventoryStore struct{ db *DB }

var _ inventory.Store = (*InventoryStore)(nil)

// Inventory returns the inventory store.
func (db *DB) Inventory() *InventoryStore { return &InventoryStore{db: db} }

const showtimeColumns = `region, id, movie_id, theatre_id, screen_id, starts_at, ends_at, format, language,
	currency, base_price_minor, premium_price_minor, status`

func scanShowtime(row pgx.Row) (catalog.Showtime, error) {
	var st catalog.Showtime
	err := row.Scan(&st.Region, &st.ID, &st.MovieID, &st.TheatreID, &st.ScreenID, &st.StartsAt, &st.EndsAt,
		&st.Format, &st.Language, &st.Currency, &st.BasePriceMinor, &st.PremiumPriceMinor, &st.Status)
	return st, err
}

// q is what both a pool and a transaction can run.
type q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getShowtime(ctx context.Context, db q, region, id string) (catalog.Showtime, error) {
	st, err := scanShowtime(db.QueryRow(ctx, `SELECT `+showtimeColumns+` FROM showtimes
		WHERE region = $1 AND id = $2`, region, id))
	if err != nil {
		return catalog.Showtime{}, notFound("store.getShowtime", err, "showtime")
	}
	return st, nil
}

// SeatMap returns every seat of a showtime with its status at now and its price.
func (s *InventoryStore) SeatMap(ctx context.Context, region, showtimeID string, now time.Time) (inventory.SeatMap, error) {
	const op = "store.SeatMap"
	st, err := getShowtime(ctx, s.db.Pool, region, showtimeID)
	if err != nil {
		return inventory.SeatMap{}, errs.E(op, err)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT s.id, s.row_label, s.number, s.seat_type, s.x, s.y,
			CASE WHEN i.status = 'held' AND i.held_until <= $3 THEN 'available' ELSE i.status END
		FROM showtime_seats i JOIN seats s ON s.region = i.region AND s.screen_id = $4 AND s.id = i.seat_id
		WHERE i.region = $1 AND i.showtime_id = $2 ORDER BY s.y, s.x`, region, showtimeID, now, st.ScreenID)
	if err != nil {
		return inventory.SeatMap{}, errs.E(op, err)
	}
	seats, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ss inventory.SeatState, err error) {
		err = r.Scan(&ss.ID, &ss.Row, &ss.Number, &ss.Type, &ss.X, &ss.Y, &ss.Status)
		ss.PriceMinor = st.PriceOf(ss.Type)
		return ss, err
	})
	if err != nil {
		return inventory.SeatMap{}, errs.E(op, err)
	}
	return inventory.SeatMap{Showtime: st, Seats: seats}, nil
}

// CreateHold marks h's seats held in one transaction, all or none.
func (s *InventoryStore) CreateHold(ctx context.Context, h inventory.Hold, rules inventory.HoldRules) error {
	const op = "store.CreateHold"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		st, err := getShowtime(ctx, tx, h.Region, h.ShowtimeID)
		if err != nil {
			return errs.E(op, err)
		}
		if err := rules.Showtime(st); err != nil {
			return err
		}
		var held int
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(array_length(seat_ids, 1)), 0) FROM holds
			WHERE user_id = $1 AND showtime_id = $2 AND expires_at > $3 AND status = 'active'`,
			h.UserID, h.ShowtimeID, h.CreatedAt).Scan(&held); err != nil {
			return errs.E(op, err)
		}
		if held+len(h.SeatIDs) > rules.MaxSeatsPerUser {
			return inventory.LimitError(held, len(h.SeatIDs), rules.MaxSeatsPerUser)
		}
		if err := takeSeats(ctx, tx, h); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO holds (region, id, showtime_id, user_id, seat_ids, status, created_at,
			expires_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)`,
			h.Region, h.ID, h.ShowtimeID, h.UserID, h.SeatIDs, h.CreatedAt, h.ExpiresAt)
		return wrap(op, err)
	})
}

// takeSeats is the conditional update at the heart of holding: it marks the seats held only where they are
// available (or held by a hold that has expired), and fails unless every seat was taken.
func takeSeats(ctx context.Context, tx pgx.Tx, h inventory.Hold) error {
	const op = "store.takeSeats"
	rows, err := tx.Query(ctx, `UPDATE showtime_seats
		SET status = 'held', hold_id = $4, held_by = $5, held_until = $6, booking_id = NULL
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3)
		  AND (status = 'available' OR (status = 'held' AND held_until <= $7))
		RETURNING seat_id`, h.Region, h.ShowtimeID, h.SeatIDs, h.ID, h.UserID, h.ExpiresAt, h.CreatedAt)
	if err != nil {
		return errs.E(op, err)
	}
	taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return errs.E(op, err)
	}
	if len(taken) == len(h.SeatIDs) {
		return nil
	}
	return missingSeats(ctx, tx, h.Region, h.ShowtimeID, h.SeatIDs, taken)
}

// missingSeats explains why some seats could not be taken: unknown seats are Invalid, others unavailable.
func missingSeats(ctx context.Context, tx pgx.Tx, region, showtimeID string, want, taken []string) error {
	rows, err := tx.Query(ctx, `SELECT seat_id FROM showtime_seats
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3)`, region, showtimeID, want)
	if err != nil {
		return errs.E("store.missingSeats", err)
	}
	exist, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return errs.E("store.missingSeats", err)
	}
	var unknown, unavailable []string
	for _, id := range want {
		switch {
		case !slices.Contains(exist, id):
			unknown = append(unknown, id)
		case !slices.Contains(taken, id):
			unavailable = append(unavailable, id)
		}
	}
	if len(unknown) > 0 {
		return errs.Errorf("store.missingSeats", errs.Invalid, "no such seats in this showtime: %s",
			strings.Join(unknown, ", "))
	}
	return inventory.UnavailableError(unavailable)
}

// ReleaseHold frees the seats of a hold belonging to userID. Releasing an expired hold succeeds.
func (s *InventoryStore) ReleaseHold(ctx context.Context, region, holdID, userID string, now time.Time) error {
	const op = "store.ReleaseHold"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		h, err := getHold(ctx, tx, region, holdID)
		if err != nil {
			return errs.E(op, err)
		}
		if h.UserID != userID {
			return errs.Errorf(op, errs.NotFound, "hold not found")
		}
		if h.Status != inventory.HoldActive {
			return errs.Errorf(op, errs.Precondition, "hold is already %s", h.Status)
		}
		if err := freeHeldSeats(ctx, tx, h); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE holds SET status = 'released' WHERE region = $1 AND id = $2`, region, holdID)
		return wrap(op, err)
	})
}

func freeHeldSeats(ctx context.Context, tx pgx.Tx, h inventory.Hold) error {
	_, err := tx.Exec(ctx, `UPDATE showtime_seats
		SET status = 'available', hold_id = NULL, held_by = NULL, held_until = NULL
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND hold_id = $4`,
		h.Region, h.ShowtimeID, h.SeatIDs, h.ID)
	return wrap("store.freeHeldSeats", err)
}

func getHold(ctx context.Context, tx pgx.Tx, region, id string) (inventory.Hold, error) {
	var h inventory.Hold
	err := tx.QueryRow(ctx, `SELECT region, id, showtime_id, user_id, seat_ids, status, created_at, expires_at
		FROM holds WHERE region = $1 AND id = $2`, region, id).Scan(&h.Region, &h.ID, &h.ShowtimeID, &h.UserID,
		&h.SeatIDs, &h.Status, &h.CreatedAt, &h.ExpiresAt)
	if err != nil {
		return inventory.Hold{}, notFound("store.getHold", err, "hold")
	}
	return h, nil
}
