package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/onsale"
)

// OnSaleStore keeps on-sales and their waiting rooms.
type OnSaleStore struct{ db *DB }

var _ onsale.Store = (*OnSaleStore)(nil)

// OnSales returns the on-sale store.
func (db *DB) OnSales() *OnSaleStore { return &OnSaleStore{db: db} }

const onSaleColumns = `o.region, o.id, o.showtime_id, o.movie_id, o.chain_id, o.opens_at, o.capacity, o.pass_ttl_ms,
	o.status, o.created_at`

func scanOnSale(r pgx.Row) (onsale.OnSale, error) {
	var o onsale.OnSale
	var ttl int64
	var status string
	err := r.Scan(&o.Region, &o.ID, &o.ShowtimeID, &o.MovieID, &o.ChainID, &o.OpensAt, &o.Capacity, &ttl, &status,
		&o.CreatedAt)
	o.PassTTL, o.Ended = time.Duration(ttl)*time.Millisecond, status == "ended"
	return o, err
}

// ShowtimeChain returns the chain of the theatre showing a showtime.
func (s *OnSaleStore) ShowtimeChain(ctx context.Context, region, showtimeID string) (string, error) {
	var chain string
	err := s.db.Pool.QueryRow(ctx, `SELECT t.chain_id FROM showtimes s
		JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		WHERE s.region = $1 AND s.id = $2`, region, showtimeID).Scan(&chain)
	return chain, found("store.ShowtimeChain", err, "showtime")
}

// SetOnSale inserts o, or changes the on-sale on for the same target; a movie that does not exist is NotFound.
func (s *OnSaleStore) SetOnSale(ctx context.Context, o onsale.OnSale, now time.Time) (onsale.OnSale, error) {
	const op = "store.SetOnSale"
	var out onsale.OnSale
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if o.MovieID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM movies WHERE id = $1`, o.MovieID).Scan(&n); err != nil {
				return errs.E(op, err)
			}
			if n == 0 {
				return errs.Errorf(op, errs.NotFound, "movie not found")
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE on_sales SET opens_at = $5, capacity = $6, pass_ttl_ms = $7, updated_at = $8
			WHERE region = $1 AND showtime_id = $2 AND movie_id = $3 AND chain_id = $4 AND status = 'on'`,
			o.Region, o.ShowtimeID, o.MovieID, o.ChainID, o.OpensAt, o.Capacity, o.PassTTL.Milliseconds(), now)
		if err != nil {
			return errs.E(op, err)
		}
		if tag.RowsAffected() == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO on_sales (region, id, showtime_id, movie_id, chain_id, opens_at,
				capacity, pass_ttl_ms, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'on', $9, $9)`,
				o.Region, o.ID, o.ShowtimeID, o.MovieID, o.ChainID, o.OpensAt, o.Capacity, o.PassTTL.Milliseconds(), now)
			if err != nil {
				return errs.E(op, err)
			}
		}
		out, err = scanOnSale(tx.QueryRow(ctx, `SELECT `+onSaleColumns+` FROM on_sales o WHERE o.region = $1
			AND o.showtime_id = $2 AND o.movie_id = $3 AND o.chain_id = $4 AND o.status = 'on'`,
			o.Region, o.ShowtimeID, o.MovieID, o.ChainID))
		return wrap(op, err)
	})
	return out, err
}

// OnSale returns an on-sale by ID.
func (s *OnSaleStore) OnSale(ctx context.Context, region, id string) (onsale.OnSale, error) {
	o, err := scanOnSale(s.db.Pool.QueryRow(ctx, `SELECT `+onSaleColumns+` FROM on_sales o
		WHERE o.region = $1 AND o.id = $2`, region, id))
	return o, found("store.OnSale", err, "on-sale")
}

// ListOnSales lists a chain's on-sales in a region, newest first (at most 200).
func (s *OnSaleStore) ListOnSales(ctx context.Context, region, chainID string) ([]onsale.OnSale, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+onSaleColumns+` FROM on_sales o
		WHERE o.region = $1 AND o.chain_id = $2 ORDER BY o.created_at DESC, o.id DESC LIMIT 200`, region, chainID)
	if err != nil {
		return nil, errs.E("store.ListOnSales", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (onsale.OnSale, error) { return scanOnSale(r) })
	return out, wrap("store.ListOnSales", err)
}

// EndOnSale ends an on-sale and closes its open places.
func (s *OnSaleStore) EndOnSale(ctx context.Context, region, id string, now time.Time) error {
	const op = "store.EndOnSale"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE on_sales SET status = 'ended', updated_at = $3
			WHERE region = $1 AND id = $2 AND status = 'on'`, region, id, now); err != nil {
			return errs.E(op, err)
		}
		_, err := tx.Exec(ctx, `UPDATE onsale_places SET status = 'left', finished_at = $3
			WHERE region = $1 AND on_sale_id = $2 AND status IN ('waiting', 'admitted')`, region, id, now)
		return wrap(op, err)
	})
}

// For returns the on-sale on for a showtime: its own, else its movie's at its theatre's chain.
func (s *OnSaleStore) For(ctx context.Context, region, showtimeID string) (onsale.OnSale, error) {
	o, err := scanOnSale(s.db.Pool.QueryRow(ctx, `SELECT `+onSaleColumns+` FROM showtimes s
		JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		JOIN on_sales o ON o.region = s.region AND o.status = 'on'
		  AND (o.showtime_id = s.id OR (o.showtime_id = '' AND o.movie_id = s.movie_id AND o.chain_id = t.chain_id))
		WHERE s.region = $1 AND s.id = $2
		ORDER BY o.showtime_id DESC LIMIT 1`, region, showtimeID))
	return o, found("store.OnSaleFor", err, "on-sale")
}

const placeColumns = `p.region, p.showtime_id, p.user_id, p.on_sale_id, p.rank, p.status, p.joined_at,
	p.admitted_at, p.pass_expires_at`

func scanPlace(r pgx.Row) (onsale.Place, error) {
	var p onsale.Place
	var admitted, expires *time.Time
	err := r.Scan(&p.Region, &p.ShowtimeID, &p.UserID, &p.OnSaleID, &p.Rank, &p.Status, &p.JoinedAt, &admitted, &expires)
	if admitted != nil && p.Status != onsale.Waiting {
		p.AdmittedAt = *admitted
	}
	if expires != nil && p.Status != onsale.Waiting {
		p.PassExpiresAt = *expires
	}
	return p, err
}

func getPlace(ctx context.Context, db q, region, showtimeID, userID string) (onsale.Place, error) {
	p, err := scanPlace(db.QueryRow(ctx, `SELECT `+placeColumns+` FROM onsale_places p
		WHERE p.region = $1 AND p.showtime_id = $2 AND p.user_id = $3`, region, showtimeID, userID))
	return p, found("store.getPlace", err, "place in the waiting room")
}

// Join stores the place decide gives userID, in one transaction with reading the one they have.
func (s *OnSaleStore) Join(ctx context.Context, region, showtimeID, userID string, decide func(*onsale.Place) (onsale.Place, bool)) (onsale.Place, error) {
	const op = "store.OnSaleJoin"
	var out onsale.Place
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		old, err := getPlace(ctx, tx, region, showtimeID, userID)
		var prev *onsale.Place
		switch {
		case err == nil:
			prev = &old
		case !errs.Is(err, errs.NotFound):
			return err
		}
		p, write := decide(prev)
		out = p
		if !write {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO onsale_places (region, showtime_id, user_id, on_sale_id, rank, status, joined_at)
			VALUES ($1, $2, $3, $4, $5, 'waiting', $6)
			ON CONFLICT (region, showtime_id, user_id) DO UPDATE SET on_sale_id = excluded.on_sale_id,
			  rank = excluded.rank, status = 'waiting', joined_at = excluded.joined_at, admitted_at = NULL,
			  pass_expires_at = NULL, finished_at = NULL`,
			p.Region, p.ShowtimeID, p.UserID, p.OnSaleID, p.Rank, p.JoinedAt)
		return wrap(op, err)
	})
	return out, err
}

// Place returns userID's place in a showtime's waiting room.
func (s *OnSaleStore) Place(ctx context.Context, region, showtimeID, userID string) (onsale.Place, error) {
	return getPlace(ctx, s.db.Pool, region, showtimeID, userID)
}

// Standing counts the places waiting ahead of p, those admitted now and the admissions since since.
func (s *OnSaleStore) Standing(ctx context.Context, p onsale.Place, since time.Time) (int, int, int, error) {
	var ahead, shopping, recent int
	err := s.db.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM onsale_places o WHERE o.region = $1 AND o.showtime_id = $2 AND o.status = 'waiting'
		   AND (o.rank < $3 OR (o.rank = $3 AND o.user_id < $4))),
		(SELECT count(*) FROM onsale_places o WHERE o.region = $1 AND o.showtime_id = $2 AND o.status = 'admitted'),
		(SELECT count(*) FROM onsale_places o WHERE o.region = $1 AND o.showtime_id = $2 AND o.admitted_at > $5
		   AND o.status IN ('admitted', 'done', 'lapsed'))`,
		p.Region, p.ShowtimeID, p.Rank, p.UserID, since).Scan(&ahead, &shopping, &recent)
	return ahead, shopping, recent, wrap("store.Standing", err)
}

// Leave turns userID's waiting or admitted place into left.
func (s *OnSaleStore) Leave(ctx context.Context, region, showtimeID, userID string, now time.Time) error {
	const op = "store.OnSaleLeave"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE onsale_places SET status = 'left', finished_at = $4
			WHERE region = $1 AND showtime_id = $2 AND user_id = $3 AND status IN ('waiting', 'admitted')`,
			region, showtimeID, userID, now)
		if err != nil {
			return errs.E(op, err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf(op, errs.NotFound, "you have no place in this waiting room")
		}
		return nil
	})
}

// Shoppers reads, without a transaction (so the admission never takes part in the holds' read-write
// conflicts), what each admitted person did with the showtime's seats since admission.
func (s *OnSaleStore) Shoppers(ctx context.Context, region, showtimeID string, now time.Time) ([]onsale.Shopper, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT p.user_id, p.pass_expires_at,
		  COALESCE(bool_or(h.status = 'booked'), false),
		  COALESCE(bool_or(h.status = 'active' AND h.expires_at > $3), false),
		  COALESCE(bool_or(h.status IN ('released', 'expired') OR (h.status = 'active' AND h.expires_at <= $3)), false)
		FROM onsale_places p
		LEFT JOIN holds h ON h.region = p.region AND h.showtime_id = p.showtime_id AND h.user_id = p.user_id
		  AND h.created_at >= p.admitted_at
		WHERE p.region = $1 AND p.showtime_id = $2 AND p.status = 'admitted'
		GROUP BY p.user_id, p.pass_expires_at`, region, showtimeID, now)
	if err != nil {
		return nil, errs.E("store.Shoppers", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (onsale.Shopper, error) {
		var sh onsale.Shopper
		err := r.Scan(&sh.UserID, &sh.PassExpiresAt, &sh.Booked, &sh.LiveHold, &sh.HoldEnded)
		return sh, err
	})
	return out, wrap("store.Shoppers", err)
}

// Admit finishes the places in finished that are still admitted and admits waiting ones, in rank order, up
// to capacity, in one SERIALIZABLE transaction: two runs at once conflict and one is retried, seeing the
// other's admissions, so capacity is never passed.
func (s *OnSaleStore) Admit(ctx context.Context, region, showtimeID string, finished map[string]onsale.Status,
	capacity int, now, passExpires time.Time) ([]string, error) {
	const op = "store.Admit"
	var admitted []string
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		admitted = nil
		for user, st := range finished {
			if _, err := tx.Exec(ctx, `UPDATE onsale_places SET status = $4, finished_at = $5
				WHERE region = $1 AND showtime_id = $2 AND user_id = $3 AND status = 'admitted'`,
				region, showtimeID, user, string(st), now); err != nil {
				return errs.E(op, err)
			}
		}
		var shopping int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM onsale_places WHERE region = $1 AND showtime_id = $2
			AND status = 'admitted'`, region, showtimeID).Scan(&shopping); err != nil {
			return errs.E(op, err)
		}
		if shopping >= capacity {
			return nil
		}
		rows, err := tx.Query(ctx, `UPDATE onsale_places SET status = 'admitted', admitted_at = $4, pass_expires_at = $5
			WHERE region = $1 AND showtime_id = $2 AND status = 'waiting' AND user_id IN (
			  SELECT user_id FROM onsale_places WHERE region = $1 AND showtime_id = $2 AND status = 'waiting'
			  ORDER BY rank, user_id LIMIT $3)
			RETURNING user_id`, region, showtimeID, capacity-shopping, now, passExpires)
		if err != nil {
			return errs.E(op, err)
		}
		admitted, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return wrap(op, err)
	})
	return admitted, err
}

// Rooms lists region's showtimes with places waiting or admitted.
func (s *OnSaleStore) Rooms(ctx context.Context, region string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT showtime_id FROM onsale_places
		WHERE region = $1 AND status IN ('waiting', 'admitted')`, region)
	if err != nil {
		return nil, errs.E("store.Rooms", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, wrap("store.Rooms", err)
}

// Spent reports whether a hold of userID's on the showtime made at or after since has ended by now.
func (s *OnSaleStore) Spent(ctx context.Context, region, showtimeID, userID string, since, now time.Time) (bool, error) {
	var spent bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM holds h WHERE h.region = $1 AND h.showtime_id = $2
		AND h.user_id = $3 AND h.created_at >= $4 AND (h.status <> 'active' OR h.expires_at <= $5))`,
		region, showtimeID, userID, since, now).Scan(&spent)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return spent, wrap("store.Spent", err)
}

// found is notFound for an err that may be nil.
func found(op string, err error, what string) error {
	if err == nil {
		return nil
	}
	return notFound(op, err, what)
}
