package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Verification is what the database says after the run. Concurrency bugs show up here even when every client
// was told the right thing.
type Verification struct {
	DoubleSold    int    // (showtime, seat) pairs in more than one confirmed booking_seats row
	DoubleSoldEg  string // one such pair, "showtime seat"
	Seats         int    // seats of the on-sale showtime
	SaleBooked    int    // its inventory rows with status booked
	SaleConfirmed int    // its confirmed booking_seats rows
	Unbacked      int    // seats of confirmed bookings not booked by that booking in inventory
	Orphaned      int    // booked inventory rows without a matching confirmed booking seat
	DoubleHeld    int    // (showtime, seat) pairs in more than one live hold
	StrayHolds    int    // seats of live holds not marked held by that hold in inventory
	Problems      []string
}

// OK reports whether no problem was found.
func (v Verification) OK() bool { return len(v.Problems) == 0 }

// Err returns nil when the check passed, else an error listing every problem.
func (v Verification) Err() error {
	if v.OK() {
		return nil
	}
	return errors.New("oversell check failed: " + strings.Join(v.Problems, "; "))
}

// Summary is the one-line verdict, for example "OK (0 seats sold twice)".
func (v Verification) Summary() string {
	if v.OK() {
		return fmt.Sprintf("OK (%d seats sold twice)", v.DoubleSold)
	}
	return fmt.Sprintf("FAILED (%d seats sold twice, %d problems)", v.DoubleSold, len(v.Problems))
}

// querier is what a pool, a connection and a transaction can all do.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Verify checks both showtimes on the database; see Check.
func (s *Stack) Verify(ctx context.Context) (Verification, error) {
	return Check(ctx, s.App.DB().Pool, []string{s.Hot.ID, s.Sale.ID}, s.Sale.ID, s.opts.Seats(), time.Now())
}

// Check verifies showtimes on db at now: no seat in two confirmed bookings or two live holds, bookings and
// inventory agree both ways, live holds hold their seats, and the sold-out showtime sale has all seats booked
// and exactly seats confirmed booking seats. The error is for failed queries; findings are in Problems.
func Check(ctx context.Context, db querier, showtimes []string, sale string, seats int, now time.Time) (Verification, error) {
	v := Verification{Seats: seats}
	steps := []func() error{
		func() error { return v.checkDoubleSold(ctx, db, showtimes) },
		func() error { return v.checkSoldOut(ctx, db, sale) },
		func() error { return v.checkAgreement(ctx, db, showtimes) },
		func() error { return v.checkHolds(ctx, db, showtimes, now) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return v, err
		}
	}
	return v, nil
}

func (v *Verification) problem(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

func (v *Verification) checkDoubleSold(ctx context.Context, db querier, showtimes []string) error {
	err := db.QueryRow(ctx, `SELECT count(*), coalesce(min(showtime_id || ' ' || seat_id), '') FROM (
			SELECT showtime_id, seat_id FROM booking_seats
			WHERE status = 'confirmed' AND showtime_id = ANY($1)
			GROUP BY region, showtime_id, seat_id HAVING count(*) > 1) d`, showtimes).Scan(&v.DoubleSold, &v.DoubleSoldEg)
	if err != nil {
		return fmt.Errorf("double-sold seats: %w", err)
	}
	if v.DoubleSold > 0 {
		v.problem("%d seats are in two or more confirmed bookings (for example %s)", v.DoubleSold, v.DoubleSoldEg)
	}
	return nil
}

func (v *Verification) checkSoldOut(ctx context.Context, db querier, sale string) error {
	err := db.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM showtime_seats WHERE showtime_id = $1 AND status = 'booked'),
			(SELECT count(*) FROM booking_seats WHERE showtime_id = $1 AND status = 'confirmed')`,
		sale).Scan(&v.SaleBooked, &v.SaleConfirmed)
	if err != nil {
		return fmt.Errorf("sold-out counts: %w", err)
	}
	if v.SaleBooked != v.Seats || v.SaleConfirmed != v.Seats {
		v.problem("on-sale showtime has %d booked inventory rows and %d confirmed booking seats; want %d of each",
			v.SaleBooked, v.SaleConfirmed, v.Seats)
	}
	return nil
}

// checkAgreement checks that every seat of a confirmed booking is booked by it in inventory, and that every
// booked inventory row belongs to a confirmed booking seat.
func (v *Verification) checkAgreement(ctx context.Context, db querier, showtimes []string) error {
	err := db.QueryRow(ctx, `SELECT count(*) FROM bookings b
		JOIN booking_seats bs ON bs.region = b.region AND bs.booking_id = b.id
		LEFT JOIN showtime_seats i ON i.region = bs.region AND i.showtime_id = bs.showtime_id AND i.seat_id = bs.seat_id
		WHERE b.showtime_id = ANY($1) AND b.status = 'confirmed'
		  AND (bs.status <> 'confirmed' OR i.status IS DISTINCT FROM 'booked' OR i.booking_id IS DISTINCT FROM b.id)`,
		showtimes).Scan(&v.Unbacked)
	if err != nil {
		return fmt.Errorf("booked seats: %w", err)
	}
	err = db.QueryRow(ctx, `SELECT count(*) FROM showtime_seats i
		WHERE i.showtime_id = ANY($1) AND i.status = 'booked' AND NOT EXISTS (
			SELECT 1 FROM booking_seats bs JOIN bookings b ON b.region = bs.region AND b.id = bs.booking_id
			WHERE bs.region = i.region AND bs.showtime_id = i.showtime_id AND bs.seat_id = i.seat_id
			  AND bs.booking_id = i.booking_id AND bs.status = 'confirmed' AND b.status = 'confirmed')`,
		showtimes).Scan(&v.Orphaned)
	if err != nil {
		return fmt.Errorf("orphaned inventory: %w", err)
	}
	if v.Unbacked > 0 {
		v.problem("%d seats of confirmed bookings are not booked by that booking in inventory", v.Unbacked)
	}
	if v.Orphaned > 0 {
		v.problem("%d booked inventory rows have no matching confirmed booking", v.Orphaned)
	}
	return nil
}

// checkHolds checks that no seat is in two live holds and that live holds' seats are held by them.
func (v *Verification) checkHolds(ctx context.Context, db querier, showtimes []string, now time.Time) error {
	err := db.QueryRow(ctx, `SELECT count(*) FROM (
			SELECT 1 FROM holds h CROSS JOIN LATERAL unnest(h.seat_ids) AS s (seat_id)
			WHERE h.showtime_id = ANY($1) AND h.status = 'active' AND h.expires_at > $2
			GROUP BY h.region, h.showtime_id, s.seat_id HAVING count(*) > 1) d`, showtimes, now).Scan(&v.DoubleHeld)
	if err != nil {
		return fmt.Errorf("double-held seats: %w", err)
	}
	err = db.QueryRow(ctx, `SELECT count(*) FROM holds h CROSS JOIN LATERAL unnest(h.seat_ids) AS s (seat_id)
		LEFT JOIN showtime_seats i ON i.region = h.region AND i.showtime_id = h.showtime_id AND i.seat_id = s.seat_id
		WHERE h.showtime_id = ANY($1) AND h.status = 'active' AND h.expires_at > $2
		  AND (i.status IS DISTINCT FROM 'held' OR i.hold_id IS DISTINCT FROM h.id)`, showtimes, now).Scan(&v.StrayHolds)
	if err != nil {
		return fmt.Errorf("stray holds: %w", err)
	}
	if v.DoubleHeld > 0 {
		v.problem("%d seats are in two or more live holds", v.DoubleHeld)
	}
	if v.StrayHolds > 0 {
		v.problem("%d seats of live holds are not held by that hold in inventory", v.StrayHolds)
	}
	return nil
}
