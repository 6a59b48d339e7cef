package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
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

// SeatMap returns every seat of a showtime with its status at now and its showtime price, plus the showtime's
// names (movie, theatre, city, screen), the chain's pricing rules and the theatre's time zone so the caller can
// show rule-adjusted prices. It reads the screen's
// seats and the showtime's inventory as two primary-key range scans and joins them here, which keeps the plan
// cheap whatever the planner's statistics say.
func (s *InventoryStore) SeatMap(ctx context.Context, region, showtimeID string, now time.Time) (inventory.SeatMap, error) {
	const op = "store.SeatMap"
	var m inventory.SeatMap
	var tz string
	st := &m.Showtime
	err := s.db.Pool.QueryRow(ctx, `SELECT `+prefixed("s.", showtimeColumns)+`, t.time_zone, m.title, t.name,
			t.city_id, sc.name
		FROM showtimes s JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		JOIN movies m ON m.id = s.movie_id JOIN screens sc ON sc.region = s.region AND sc.id = s.screen_id
		WHERE s.region = $1 AND s.id = $2`, region, showtimeID).Scan(&st.Region, &st.ID, &st.MovieID, &st.TheatreID,
		&st.ScreenID, &st.StartsAt, &st.EndsAt, &st.Format, &st.Language, &st.Currency, &st.BasePriceMinor,
		&st.PremiumPriceMinor, &st.Status, &tz, &st.MovieTitle, &st.TheatreName, &st.CityID, &st.ScreenName)
	if err != nil {
		return m, notFound(op, err, "showtime")
	}
	if m.Location, err = time.LoadLocation(tz); err != nil {
		return m, errs.E(op, err)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT id, row_label, number, seat_type, x, y FROM seats WHERE region = $1 AND screen_id = $2
		ORDER BY y, x`, region, st.ScreenID)
	// The map's version: the database's clock just before the statuses are read, so the map shows every
	// change committed before it (PostgreSQL takes each statement's snapshot when the statement starts).
	b.Queue(`SELECT clock_timestamp()`)
	b.Queue(statusesSQL, region, showtimeID, now)
	b.Queue(`SELECT `+prefixed("r.", ruleColumns)+` FROM pricing_rules r JOIN theatres t ON t.chain_id = r.chain_id
		WHERE t.region = $1 AND t.id = $2 ORDER BY r.priority, r.id`, region, st.TheatreID)
	br := s.db.Pool.SendBatch(ctx, b)
	defer br.Close()
	if err := readSeatMap(br, &m); err != nil {
		return m, errs.E(op, err)
	}
	return m, nil
}

func readSeatMap(br pgx.BatchResults, m *inventory.SeatMap) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	m.Seats, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ss inventory.SeatState, err error) {
		err = r.Scan(&ss.ID, &ss.Row, &ss.Number, &ss.Type, &ss.X, &ss.Y)
		ss.PriceMinor = m.Showtime.PriceOf(ss.Type)
		return ss, err
	})
	if err != nil {
		return err
	}
	var at time.Time
	if err := br.QueryRow().Scan(&at); err != nil {
		return err
	}
	m.Version = uint64(at.UnixMicro())
	rows, err = br.Query()
	if err := fillStatuses(rows, err, m.Seats); err != nil {
		return err
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	m.Rules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Rule, error) { return scanRule(r) })
	return err
}

// statusesSQL reads each seat's status of a showtime at $3; a hold past its expiry counts as available.
const statusesSQL = `SELECT seat_id, CASE WHEN status = 'held' AND held_until <= $3 THEN 'available' ELSE status END
	FROM showtime_seats WHERE region = $1 AND showtime_id = $2`

// fillStatuses sets the status of each seat from the rows of statusesSQL (and the error of that query).
func fillStatuses(rows pgx.Rows, err error, seats []inventory.SeatState) error {
	if err != nil {
		return err
	}
	status := make(map[string]inventory.Status, len(seats))
	var id string
	var st inventory.Status
	if _, err := pgx.ForEachRow(rows, []any{&id, &st}, func() error { status[id] = st; return nil }); err != nil {
		return err
	}
	if len(status) == 0 && len(seats) > 0 {
		// The booking history's past shows have no inventory rows: there is nothing left to sell.
		return errs.Errorf("store.SeatMap", errs.NotFound, "this showtime has no seat map: it is a past show")
	}
	for i := range seats {
		seats[i].Status = status[seats[i].ID]
		if seats[i].Status == "" {
			return errors.New("seat without inventory row: " + seats[i].ID)
		}
	}
	return nil
}

// CreateHold marks h's seats held in one transaction, all or none, and announces them (SeatsHeld). BEGIN, the
// showtime read, the per-user count, the conditional update and the inserts go to the database as one
// pipelined batch; the checks on their results then commit or roll back the whole (two round trips).
func (s *InventoryStore) CreateHold(ctx context.Context, h inventory.Hold, rules inventory.HoldRules) error {
	const op = "store.CreateHold"
	lines, err := encodeLines(h.Lines)
	if err != nil {
		return errs.E(op, err)
	}
	return s.db.Pipelined(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT `+showtimeColumns+` FROM showtimes WHERE region = $1 AND id = $2`, h.Region, h.ShowtimeID)
		b.Queue(`SELECT holds, booked FROM hold_quotas WHERE region = $1 AND showtime_id = $2 AND user_id = $3`,
			h.Region, h.ShowtimeID, h.UserID)
		b.Queue(`SELECT holds FROM person_hold_quotas WHERE region = $1 AND user_id = $2`, h.Region, h.UserID)
		// (Skipping seats locked by others, with a FOR UPDATE SKIP LOCKED subquery inside the update, was tried:
		// under the waiting room's load holds stalled past their 10 s deadline and the sale took three times as
		// long.)
		// Seats another transaction is changing right now are refused at once (NOWAIT): they are taken at this
		// instant, and waiting for them ended in a serialization failure (the row changed after this
		// transaction's snapshot) and a retry that found them taken.
		b.Queue(`SELECT seat_id FROM showtime_seats WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3)
			FOR UPDATE NOWAIT`, h.Region, h.ShowtimeID, h.SeatIDs)
		b.Queue(`UPDATE showtime_seats
			SET status = 'held', hold_id = $4, held_by = $5, held_until = $6, booking_id = NULL
			WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3)
			  AND (status = 'available' OR (status = 'held' AND held_until <= $7))
			RETURNING seat_id`, h.Region, h.ShowtimeID, h.SeatIDs, h.ID, h.UserID, h.ExpiresAt, h.CreatedAt)
		b.Queue(`INSERT INTO holds (region, id, showtime_id, user_id, seat_ids, status, created_at, expires_at,
			price_lines) SELECT $1, $2, $3, $4, $5, 'active', $6, $7, $8
			WHERE EXISTS (SELECT 1 FROM showtimes WHERE region = $1 AND id = $3)`,
			h.Region, h.ID, h.ShowtimeID, h.UserID, h.SeatIDs, h.CreatedAt, h.ExpiresAt, lines)
		b.Queue(`INSERT INTO hold_quotas (region, showtime_id, user_id, holds)
			VALUES ($1, $2, $3, jsonb_build_object($4::TEXT, jsonb_build_object('n', $5::INT, 'exp', $6::TIMESTAMPTZ)))
			ON CONFLICT (region, showtime_id, user_id) DO UPDATE SET holds = hold_quotas.holds || excluded.holds`,
			h.Region, h.ShowtimeID, h.UserID, h.ID, len(h.SeatIDs), h.ExpiresAt)
		b.Queue(`INSERT INTO person_hold_quotas (region, user_id, holds)
			VALUES ($1, $2, jsonb_build_object($3::TEXT, jsonb_build_object('n', $4::INT, 'exp', $5::TIMESTAMPTZ)))
			ON CONFLICT (region, user_id) DO UPDATE SET holds = person_hold_quotas.holds || excluded.holds`,
			h.Region, h.UserID, h.ID, len(h.SeatIDs), h.ExpiresAt)
		s.db.queueEvent(b, h.CreatedAt, events.SeatsHeld(h.Region, h.ShowtimeID, h.ID, h.SeatIDs, h.ExpiresAt, h.CreatedAt))
	}, func(ctx context.Context, br pgx.BatchResults, c Querier) (*pgx.Batch, error) {
		res, err := readHoldBatch(br, h.CreatedAt)
		if errors.Is(err, errSeatsBusy) {
			return nil, inventory.UnavailableError(h.SeatIDs)
		}
		if err != nil {
			return nil, errs.E(op, err)
		}
		return nil, checkHold(ctx, c, h, rules, res)
	})
}

// holdBatch is what the hold batch read back.
type holdBatch struct {
	showtime catalog.Showtime
	found    bool
	quota    inventory.Quota
	taken    []string
}

// errSeatsBusy is a hold that found one of its seats being changed by another transaction.
var errSeatsBusy = errors.New("store.CreateHold: a seat is being changed")

// lockNotAvailable reports whether err is SQLSTATE 55P03: a row NOWAIT could not lock.
func lockNotAvailable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55P03"
}

// readHoldBatch reads the hold batch's results and closes br.
func readHoldBatch(br pgx.BatchResults, now time.Time) (holdBatch, error) {
	var res holdBatch
	st, err := scanShowtime(br.QueryRow())
	res.showtime, res.found = st, err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return res, err
	}
	var show, person []byte
	if err := br.QueryRow().Scan(&show, &res.quota.ShowBooked); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return res, err
	}
	if err := br.QueryRow().Scan(&person); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return res, err
	}
	if res.quota.ShowHeld, _, err = liveSeats(show, now); err == nil {
		res.quota.Held, res.quota.Holds, err = liveSeats(person, now)
	}
	if err != nil {
		br.Close()
		return res, err
	}
	rows, err := br.Query() // the seats locked
	if err == nil {
		_, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if lockNotAvailable(err) {
		br.Close()
		return res, errSeatsBusy
	}
	if err == nil {
		if rows, err = br.Query(); err == nil {
			res.taken, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
	}
	for i := 0; i < 4 && err == nil; i++ { // the hold, its two quotas and its SeatsHeld event
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return res, err
}

// checkHold applies the rules to what the batch found; any failure rolls the transaction back.
func checkHold(ctx context.Context, tx Querier, h inventory.Hold, rules inventory.HoldRules, res holdBatch) error {
	if !res.found {
		return errs.Errorf("store.CreateHold", errs.NotFound, "showtime not found")
	}
	if err := rules.Showtime(res.showtime); err != nil {
		return err
	}
	if err := rules.CheckQuota(res.quota, len(h.SeatIDs)); err != nil {
		return err
	}
	if len(res.taken) == len(h.SeatIDs) {
		return nil
	}
	return missingSeats(ctx, tx, h.Region, h.ShowtimeID, h.SeatIDs, res.taken)
}

// missingSeats explains why some seats could not be taken: unknown seats are Invalid, others unavailable.
func missingSeats(ctx context.Context, tx Querier, region, showtimeID string, want, taken []string) error {
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

// ReleaseHold frees the seats of a hold belonging to userID. Releasing an expired hold succeeds. Each
// statement names the exact rows it touches (by primary key), so the transaction's reads stay narrow; BEGIN
// goes with the hold's update, and the seats, quotas and event go with COMMIT (two round trips). (One
// statement with data-modifying CTEs was tried: its join read the showtime's seats more widely, and releases
// were retried far more often.)
func (s *InventoryStore) ReleaseHold(ctx context.Context, region, holdID, userID string, now time.Time) error {
	const op = "store.ReleaseHold"
	return s.db.Pipelined(ctx, func(b *pgx.Batch) {
		b.Queue(`UPDATE holds SET status = 'released'
			WHERE region = $1 AND id = $2 AND user_id = $3 AND status = 'active'
			RETURNING showtime_id, seat_ids`, region, holdID, userID)
	}, func(ctx context.Context, br pgx.BatchResults, c Querier) (*pgx.Batch, error) {
		var showtimeID string
		var seats []string
		err := br.QueryRow().Scan(&showtimeID, &seats)
		if cerr := br.Close(); err == nil || errors.Is(err, pgx.ErrNoRows) && cerr != nil {
			err = cerr
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, whyNotReleased(ctx, c, region, holdID, userID)
		}
		if err != nil {
			return nil, errs.E(op, err)
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE showtime_seats SET status = 'available', hold_id = NULL, held_by = NULL,
			held_until = NULL WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND hold_id = $4`,
			region, showtimeID, seats, holdID)
		queueDropFromQuota(b, region, showtimeID, userID, holdID, 0)
		s.db.queueEvent(b, now, events.SeatsReleased(region, showtimeID, holdID, seats, "released", now))
		return b, nil
	})
}

// ExpireHolds frees region's holds that expired after after and by now, oldest first, each in its own small
// transaction so a busy showtime never waits on a long sweep. It scans up to limit holds by expiry (the
// holds_expiry index, whatever their status: an index on status would make every release a non-HOT update),
// and returns the expiry up to which it has scanned: the last one it read when it read limit, else now.
func (s *InventoryStore) ExpireHolds(ctx context.Context, region string, after, now time.Time, limit int) (int, time.Time, error) {
	const op = "store.ExpireHolds"
	rows, err := s.db.Pool.Query(ctx, `SELECT id, status = 'active', expires_at FROM holds
		WHERE region = $1 AND expires_at >= $2 AND expires_at <= $3 ORDER BY expires_at LIMIT $4`,
		region, after, now, limit)
	if err != nil {
		return 0, after, errs.E(op, err)
	}
	var ids []string
	var id string
	var active bool
	var last time.Time
	read, err := pgx.ForEachRow(rows, []any{&id, &active, &last}, func() error {
		if active {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return 0, after, errs.E(op, err)
	}
	scanned := now
	if int(read.RowsAffected()) >= limit {
		scanned = last
	}
	n := 0
	for _, id := range ids {
		done, err := s.expireHold(ctx, region, id, now)
		if err != nil {
			return n, after, err
		}
		if done {
			n++
		}
	}
	return n, scanned, nil
}

func (s *InventoryStore) expireHold(ctx context.Context, region, id string, now time.Time) (bool, error) {
	const op = "store.expireHold"
	var done bool
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var showtimeID, userID string
		var seats []string
		err := tx.QueryRow(ctx, `UPDATE holds SET status = 'expired'
			WHERE region = $1 AND id = $2 AND status = 'active' AND expires_at <= $3
			RETURNING showtime_id, user_id, seat_ids`, region, id, now).Scan(&showtimeID, &userID, &seats)
		if done = err == nil; errors.Is(err, pgx.ErrNoRows) {
			return nil // released or booked meanwhile
		}
		if err != nil {
			return errs.E(op, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE showtime_seats SET status = 'available', hold_id = NULL, held_by = NULL,
			held_until = NULL WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND hold_id = $4`,
			region, showtimeID, seats, id)
		if err != nil {
			return errs.E(op, err)
		}
		if err := dropFromQuota(ctx, tx, region, showtimeID, userID, id, 0); err != nil {
			return err
		}
		if err := expireOffer(ctx, tx, region, id, now); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // its seats were already taken by a later hold
		}
		return s.db.insertEvent(ctx, tx, now, events.SeatsReleased(region, showtimeID, id, seats, "expired", now))
	})
	return done, err
}

// expireOffer marks the standby offer a hold carried, if any, as expired and its entry as missed.
func expireOffer(ctx context.Context, tx pgx.Tx, region, holdID string, now time.Time) error {
	_, err := tx.Exec(ctx, `WITH o AS (
			UPDATE standby_offers SET status = 'expired' WHERE region = $1 AND hold_id = $2 AND status = 'open'
			RETURNING region, entry_id)
		UPDATE standby_entries e SET status = 'missed', updated_at = $3 FROM o
		WHERE e.region = o.region AND e.id = o.entry_id AND e.status = 'offered'`, region, holdID, now)
	return wrap("store.expireOffer", err)
}

// dropFromQuota removes a hold that no longer holds seats from its user's quotas, counting booked of its
// seats as booked for the showtime.
func dropFromQuota(ctx context.Context, tx pgx.Tx, region, showtimeID, userID, holdID string, booked int) error {
	b := &pgx.Batch{}
	queueDropFromQuota(b, region, showtimeID, userID, holdID, booked)
	return wrap("store.dropFromQuota", tx.SendBatch(ctx, b).Close())
}

// queueDropFromQuota queues dropFromQuota's statement in b.
func queueDropFromQuota(b *pgx.Batch, region, showtimeID, userID, holdID string, booked int) {
	b.Queue(`WITH show AS (
			UPDATE hold_quotas SET holds = holds - $4, booked = booked + $5
			WHERE region = $1 AND showtime_id = $2 AND user_id = $3 RETURNING 1)
		UPDATE person_hold_quotas SET holds = holds - $4 WHERE region = $1 AND user_id = $3`,
		region, showtimeID, userID, holdID, booked)
}

// liveSeats sums the seats of a quota's holds that have not expired at now, and counts those holds.
func liveSeats(quota []byte, now time.Time) (seats, holds int, err error) {
	if quota == nil {
		return 0, 0, nil
	}
	var m map[string]struct {
		N   int       `json:"n"`
		Exp time.Time `json:"exp"`
	}
	if err := json.Unmarshal(quota, &m); err != nil {
		return 0, 0, err
	}
	for _, h := range m {
		if h.Exp.After(now) {
			seats, holds = seats+h.N, holds+1
		}
	}
	return seats, holds, nil
}

func whyNotReleased(ctx context.Context, tx Querier, region, holdID, userID string) error {
	const op = "store.ReleaseHold"
	h, err := getHold(ctx, tx, region, holdID)
	if err == nil {
		err = inventory.CheckHolder(h, userID)
	}
	if err != nil {
		return errs.E(op, err)
	}
	return errs.Errorf(op, errs.Precondition, "hold is already %s", h.Status)
}

func getHold(ctx context.Context, db q, region, id string) (inventory.Hold, error) {
	var h inventory.Hold
	var lines []byte
	err := db.QueryRow(ctx, `SELECT h.region, h.id, h.showtime_id, h.user_id, h.seat_ids, h.status, h.created_at,
			h.expires_at, h.price_lines, s.currency
		FROM holds h JOIN showtimes s ON s.region = h.region AND s.id = h.showtime_id
		WHERE h.region = $1 AND h.id = $2`, region, id).Scan(&h.Region, &h.ID, &h.ShowtimeID, &h.UserID,
		&h.SeatIDs, &h.Status, &h.CreatedAt, &h.ExpiresAt, &lines, &h.Currency)
	if errors.Is(err, pgx.ErrNoRows) {
		return inventory.Hold{}, inventory.HoldNotFound("store.getHold")
	}
	if err != nil {
		return inventory.Hold{}, errs.E("store.getHold", err)
	}
	if h.Lines, err = decodeLines(lines); err != nil {
		return inventory.Hold{}, errs.E("store.getHold", err)
	}
	return h, nil
}
