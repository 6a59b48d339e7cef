package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/standby"
)

// StandbyStore keeps standby lines and offers.
type StandbyStore struct{ db *DB }

var _ standby.Store = (*StandbyStore)(nil)

// Standby returns the standby store.
func (db *DB) Standby() *StandbyStore { return &StandbyStore{db: db} }

// Join adds an entry, copying the user's loyalty tier, and announces it (StandbyChanged); one waiting or offered
// entry per person and show.
func (s *StandbyStore) Join(ctx context.Context, e standby.Entry) error {
	const op = "store.StandbyJoin"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO standby_entries (region, id, showtime_id, user_id, seat_count, together,
			accessible, tier, status, joined_at, updated_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, u.loyalty_tier, 'waiting', $8, $8 FROM users u WHERE u.id = $4`,
			e.Region, e.ID, e.ShowtimeID, e.UserID, e.SeatCount, e.Together, e.Accessible, e.JoinedAt)
		if isUniqueViolation(err, "standby_one_per_user") {
			return errs.E(op, errs.Conflict, "you are already in line for this show", err)
		}
		if err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, e.JoinedAt, events.StandbyChanged(e.Region, e.ID, e.UserID, e.ShowtimeID,
			string(standby.Waiting), e.JoinedAt))
	})
}

const entryColumns = `e.region, e.id, e.showtime_id, e.user_id, e.seat_count, e.together, e.accessible, e.tier,
	e.status, e.joined_at`

func scanEntry(r pgx.Row) (standby.Entry, error) {
	var e standby.Entry
	err := r.Scan(&e.Region, &e.ID, &e.ShowtimeID, &e.UserID, &e.SeatCount, &e.Together, &e.Accessible, &e.Tier,
		&e.Status, &e.JoinedAt)
	return e, err
}

func getEntry(ctx context.Context, db q, region, id string) (standby.Entry, error) {
	e, err := scanEntry(db.QueryRow(ctx, `SELECT `+entryColumns+` FROM standby_entries e
		WHERE e.region = $1 AND e.id = $2`, region, id))
	if err != nil {
		return e, notFound("store.getEntry", err, "standby entry")
	}
	return e, nil
}

// Entry returns an entry with its position in line and open offer.
func (s *StandbyStore) Entry(ctx context.Context, region, id string, now time.Time) (standby.Entry, error) {
	e, err := getEntry(ctx, s.db.Pool, region, id)
	if err != nil {
		return e, err
	}
	return s.decorate(ctx, e, now)
}

// decorate adds the position (for waiting entries) and the open offer (for offered ones).
func (s *StandbyStore) decorate(ctx context.Context, e standby.Entry, now time.Time) (standby.Entry, error) {
	if e.Status == standby.Waiting {
		err := s.db.Pool.QueryRow(ctx, `SELECT count(*) + 1 FROM standby_entries o
			WHERE o.region = $1 AND o.showtime_id = $2 AND o.status = 'waiting'
			  AND (o.tier > $3 OR (o.tier = $3 AND (o.joined_at, o.id) < ($4, $5)))`,
			e.Region, e.ShowtimeID, e.Tier, e.JoinedAt, e.ID).Scan(&e.Position)
		return e, wrap("store.decorate", err)
	}
	if e.Status == standby.Offered {
		o, err := scanOffer(s.db.Pool.QueryRow(ctx, `SELECT `+offerColumns+` FROM standby_offers o
			WHERE o.region = $1 AND o.entry_id = $2 AND o.status = 'open'`, e.Region, e.ID))
		if err == nil && now.Before(o.ExpiresAt) {
			e.Offer = &o
		}
	}
	return e, nil
}

// ListByUser returns a user's entries, newest first.
func (s *StandbyStore) ListByUser(ctx context.Context, userID string, now time.Time) ([]standby.Entry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+entryColumns+` FROM standby_entries e WHERE e.user_id = $1
		ORDER BY e.joined_at DESC LIMIT 100`, userID)
	if err != nil {
		return nil, errs.E("store.StandbyList", err)
	}
	es, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (standby.Entry, error) { return scanEntry(r) })
	if err != nil {
		return nil, errs.E("store.StandbyList", err)
	}
	for i := range es {
		if es[i], err = s.decorate(ctx, es[i], now); err != nil {
			return nil, err
		}
	}
	return es, nil
}

// Leave takes userID's waiting or offered entry out of line, announces it (StandbyChanged) and returns its open
// offer's hold, if any.
func (s *StandbyStore) Leave(ctx context.Context, region, id, userID string, now time.Time) (string, error) {
	const op = "store.StandbyLeave"
	var hold string
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		e, err := getEntry(ctx, tx, region, id)
		if errs.Is(err, errs.NotFound) || (err == nil && e.UserID != userID) {
			return errs.Errorf(op, errs.NotFound, "standby entry not found")
		}
		if err != nil {
			return err
		}
		if e.Status != standby.Waiting && e.Status != standby.Offered {
			return errs.Errorf(op, errs.Precondition, "this entry is already %s", e.Status)
		}
		err = tx.QueryRow(ctx, `UPDATE standby_offers SET status = 'declined' WHERE region = $1 AND entry_id = $2
			AND status = 'open' RETURNING hold_id`, region, id).Scan(&hold)
		if err != nil && err != pgx.ErrNoRows {
			return errs.E(op, err)
		}
		_, err = tx.Exec(ctx, `UPDATE standby_entries SET status = 'left', updated_at = $3 WHERE region = $1 AND id = $2`,
			region, id, now)
		if err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, now, events.StandbyChanged(region, id, userID, e.ShowtimeID, string(standby.Left), now))
	})
	return hold, err
}

// Waiting returns a show's line in order.
func (s *StandbyStore) Waiting(ctx context.Context, region, showtimeID string) ([]standby.Entry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+entryColumns+` FROM standby_entries e
		WHERE e.region = $1 AND e.showtime_id = $2 AND e.status = 'waiting'
		ORDER BY e.tier DESC, e.joined_at, e.id LIMIT 500`, region, showtimeID)
	if err != nil {
		return nil, errs.E("store.StandbyWaiting", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (standby.Entry, error) { return scanEntry(r) })
}

const offerColumns = `o.region, o.id, o.entry_id, o.showtime_id, o.user_id, o.hold_id, o.seat_ids, o.status,
	o.created_at, o.expires_at`

func scanOffer(r pgx.Row) (standby.Offer, error) {
	var o standby.Offer
	err := r.Scan(&o.Region, &o.ID, &o.EntryID, &o.ShowtimeID, &o.UserID, &o.HoldID, &o.SeatIDs, &o.Status,
		&o.CreatedAt, &o.ExpiresAt)
	return o, err
}

// Offer records an offer for a waiting entry and announces it (StandbyOffered); Precondition if the entry is
// no longer waiting (a concurrent run served it).
func (s *StandbyStore) Offer(ctx context.Context, o standby.Offer) error {
	const op = "store.StandbyOffer"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE standby_entries SET status = 'offered', updated_at = $3
			WHERE region = $1 AND id = $2 AND status = 'waiting'`, o.Region, o.EntryID, o.CreatedAt)
		if err != nil {
			return errs.E(op, err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf(op, errs.Precondition, "entry is no longer waiting")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO standby_offers (region, id, entry_id, showtime_id, user_id, hold_id,
			seat_ids, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9)`,
			o.Region, o.ID, o.EntryID, o.ShowtimeID, o.UserID, o.HoldID, o.SeatIDs, o.CreatedAt, o.ExpiresAt); err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, o.CreatedAt, events.StandbyOffered(o.Region, o.EntryID, o.ID, o.UserID,
			o.ShowtimeID, o.SeatIDs, o.ExpiresAt))
	})
}

// OfferByID returns an offer.
func (s *StandbyStore) OfferByID(ctx context.Context, region, id string) (standby.Offer, error) {
	o, err := scanOffer(s.db.Pool.QueryRow(ctx, `SELECT `+offerColumns+` FROM standby_offers o
		WHERE o.region = $1 AND o.id = $2`, region, id))
	if err != nil {
		return o, notFound("store.OfferByID", err, "offer")
	}
	return o, nil
}

// Settle closes an open offer as accepted (its entry booked) or declined (its entry left), and announces the
// entry's change (StandbyChanged).
func (s *StandbyStore) Settle(ctx context.Context, region, offerID, status string, now time.Time) error {
	const op = "store.StandbySettle"
	entryStatus := standby.Left
	if status == "accepted" {
		entryStatus = standby.Booked
	}
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var entryID, userID, showtimeID string
		err := tx.QueryRow(ctx, `UPDATE standby_offers SET status = $3 WHERE region = $1 AND id = $2 AND status = 'open'
			RETURNING entry_id, user_id, showtime_id`, region, offerID, status).Scan(&entryID, &userID, &showtimeID)
		if err == pgx.ErrNoRows {
			return errs.Errorf(op, errs.Precondition, "this offer is no longer open")
		}
		if err != nil {
			return errs.E(op, err)
		}
		_, err = tx.Exec(ctx, `UPDATE standby_entries SET status = $3, updated_at = $4 WHERE region = $1 AND id = $2`,
			region, entryID, string(entryStatus), now)
		if err != nil {
			return errs.E(op, err)
		}
		return s.db.insertEvent(ctx, tx, now, events.StandbyChanged(region, entryID, userID, showtimeID,
			string(entryStatus), now))
	})
}

// CloseStarted closes the waiting entries of region's shows that have started, telling each person
// (StandbyClosed).
func (s *StandbyStore) CloseStarted(ctx context.Context, region string, now time.Time) (int, error) {
	const op = "store.CloseStarted"
	n := 0
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `UPDATE standby_entries e SET status = 'closed', updated_at = $1
			FROM showtimes s WHERE e.region = $2 AND s.region = e.region AND s.id = e.showtime_id
			  AND e.status = 'waiting' AND s.starts_at <= $1
			RETURNING e.region, e.id, e.user_id, e.showtime_id`, now, region)
		if err != nil {
			return errs.E(op, err)
		}
		var closed [][4]string
		var c [4]string
		if _, err := pgx.ForEachRow(rows, []any{&c[0], &c[1], &c[2], &c[3]}, func() error {
			closed = append(closed, c)
			return nil
		}); err != nil {
			return errs.E(op, err)
		}
		for _, c := range closed {
			if err := s.db.insertEvent(ctx, tx, now, events.StandbyClosed(c[0], c[1], c[2], c[3])); err != nil {
				return err
			}
		}
		n = len(closed)
		return nil
	})
	return n, err
}

// ShowtimesWithLine returns region's showtimes that have people waiting.
func (s *StandbyStore) ShowtimesWithLine(ctx context.Context, region string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT showtime_id FROM standby_entries
		WHERE region = $1 AND status = 'waiting'`, region)
	if err != nil {
		return nil, errs.E("store.ShowtimesWithLine", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
