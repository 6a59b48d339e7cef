package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/inventory"
)

// BookingStore keeps bookings, their payments and idempotency keys.
type BookingStore struct{ db *DB }

var _ booking.Store = (*BookingStore)(nil)

// Bookings returns the booking store.
func (db *DB) Bookings() *BookingStore { return &BookingStore{db: db} }

const (
	opCreateBooking = "create_booking"
	opCancelBooking = "cancel_booking"
)

// idemKey is a row of idempotency_keys.
type idemKey struct {
	hash       []byte
	resourceID *string
	paymentID  *string
}

func getIdemKey(ctx context.Context, tx pgx.Tx, userID, operation, key string) (*idemKey, error) {
	var k idemKey
	err := tx.QueryRow(ctx, `SELECT request_hash, resource_id, payment_id FROM idempotency_keys
		WHERE user_id = $1 AND operation = $2 AND key = $3`, userID, operation, key).Scan(&k.hash, &k.resourceID, &k.paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.E("store.getIdemKey", err)
	}
	return &k, nil
}

// PrepareBooking claims the idempotency key, checks the hold and prices it, and records a pending charge.
func (s *BookingStore) PrepareBooking(ctx context.Context, a booking.Attempt, hash []byte, now time.Time) (booking.Attempt, error) {
	const op = "store.PrepareBooking"
	var out booking.Attempt
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out = a
		k, err := getIdemKey(ctx, tx, a.UserID, opCreateBooking, a.Key)
		if err != nil {
			return err
		}
		if k != nil && !bytes.Equal(k.hash, hash) {
			return booking.KeyReusedError(op)
		}
		if k != nil && k.resourceID != nil {
			b, err := getBooking(ctx, tx, a.Region, *k.resourceID)
			out.Done = &b
			return err
		}
		if k != nil && k.paymentID != nil {
			out.PaymentID = *k.paymentID // a retry of an attempt still in flight: reuse its charge
			return tx.QueryRow(ctx, `SELECT amount_minor, currency FROM payments WHERE region = $1 AND id = $2`,
				a.Region, out.PaymentID).Scan(&out.AmountMinor, &out.Currency)
		}
		h, err := liveHold(ctx, tx, a.Region, a.HoldID, a.UserID, now)
		if err != nil {
			return err
		}
		if out.AmountMinor, out.Currency, err = priceHold(ctx, tx, h, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, operation, key, request_hash, payment_id,
			created_at) VALUES ($1, $2, $3, $4, $5, $6)`, a.UserID, opCreateBooking, a.Key, hash, out.PaymentID, now); err != nil {
			return errs.E(op, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO payments (region, id, user_id, kind, provider, idempotency_key, status,
			currency, amount_minor, created_at, updated_at) VALUES ($1, $2, $3, 'charge', $4, $5, 'pending', $6, $7, $8, $8)`,
			a.Region, out.PaymentID, a.UserID, a.Provider, "mq_charge_"+out.PaymentID, out.Currency, out.AmountMinor, now)
		return wrap(op, err)
	})
	if err != nil {
		return booking.Attempt{}, errs.E(op, err)
	}
	return out, nil
}

// liveHold returns userID's hold if it is active and unexpired; otherwise a Precondition error.
func liveHold(ctx context.Context, tx pgx.Tx, region, holdID, userID string, now time.Time) (inventory.Hold, error) {
	const op = "store.liveHold"
	h, err := getHold(ctx, tx, region, holdID)
	if errs.Is(err, errs.NotFound) || (err == nil && h.UserID != userID) {
		return inventory.Hold{}, errs.Errorf(op, errs.Precondition, "hold not found; hold the seats again")
	}
	if err != nil {
		return inventory.Hold{}, errs.E(op, err)
	}
	switch {
	case h.Status == inventory.HoldBooked:
		return inventory.Hold{}, errs.Errorf(op, errs.Precondition, "this hold has already been booked")
	case h.Status == inventory.HoldReleased:
		return inventory.Hold{}, errs.Errorf(op, errs.Precondition, "this hold was released; hold the seats again")
	case !h.Live(now):
		return inventory.Hold{}, errs.Errorf(op, errs.Precondition, "this hold has expired; hold the seats again")
	}
	return h, nil
}

// priceHold returns the total price of the hold's seats and the currency, and checks the show can be booked.
func priceHold(ctx context.Context, tx pgx.Tx, h inventory.Hold, now time.Time) (int64, string, error) {
	st, err := getShowtime(ctx, tx, h.Region, h.ShowtimeID)
	if err != nil {
		return 0, "", err
	}
	if err := inventory.Holdable(st, now); err != nil {
		return 0, "", err
	}
	prices, err := seatPrices(ctx, tx, h)
	if err != nil {
		return 0, "", err
	}
	var total int64
	for _, p := range prices {
		total += p
	}
	return total, st.Currency, nil
}

// seatPrices returns the price of each of the hold's seats, from the showtime's prices and the seat types.
func seatPrices(ctx context.Context, tx pgx.Tx, h inventory.Hold) (map[string]int64, error) {
	rows, err := tx.Query(ctx, `SELECT se.id, CASE WHEN se.seat_type = 'premium' THEN st.premium_price_minor
			ELSE st.base_price_minor END
		FROM showtimes st JOIN seats se ON se.region = st.region AND se.screen_id = st.screen_id
		WHERE st.region = $1 AND st.id = $2 AND se.id = ANY($3)`, h.Region, h.ShowtimeID, h.SeatIDs)
	if err != nil {
		return nil, errs.E("store.seatPrices", err)
	}
	prices := map[string]int64{}
	var id string
	var p int64
	_, err = pgx.ForEachRow(rows, []any{&id, &p}, func() error { prices[id] = p; return nil })
	if err == nil && len(prices) != len(h.SeatIDs) {
		err = errors.New("hold names seats the screen does not have")
	}
	return prices, wrap("store.seatPrices", err)
}

// ConfirmBooking books the hold's seats for b, records the charge and writes BookingConfirmed to the outbox.
func (s *BookingStore) ConfirmBooking(ctx context.Context, a booking.Attempt, chargeRef string, b booking.Booking) (booking.Booking, error) {
	const op = "store.ConfirmBooking"
	var out booking.Booking
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		k, err := getIdemKey(ctx, tx, a.UserID, opCreateBooking, a.Key)
		if err != nil {
			return err
		}
		if k != nil && k.resourceID != nil { // a concurrent retry confirmed first
			out, err = getBooking(ctx, tx, a.Region, *k.resourceID)
			return err
		}
		out, err = s.confirm(ctx, tx, a, chargeRef, b)
		return err
	})
	if err != nil {
		return booking.Booking{}, errs.E(op, err)
	}
	return out, nil
}

func (s *BookingStore) confirm(ctx context.Context, tx pgx.Tx, a booking.Attempt, chargeRef string, b booking.Booking) (booking.Booking, error) {
	const op = "store.confirm"
	h, err := getHold(ctx, tx, a.Region, a.HoldID)
	if err != nil {
		return b, err
	}
	prices, err := seatPrices(ctx, tx, h)
	if err != nil {
		return b, err
	}
	// The hold may have expired while the card was charged: that is fine as long as nobody took the seats.
	tag, err := tx.Exec(ctx, `UPDATE showtime_seats
		SET status = 'booked', booking_id = $4, hold_id = NULL, held_by = NULL, held_until = NULL
		WHERE region = $1 AND showtime_id = $2 AND seat_id = ANY($3) AND status = 'held' AND hold_id = $5`,
		h.Region, h.ShowtimeID, h.SeatIDs, b.ID, h.ID)
	if err != nil {
		return b, errs.E(op, err)
	}
	if h.Status != inventory.HoldActive || int(tag.RowsAffected()) != len(h.SeatIDs) {
		return b, errs.Errorf(op, errs.Precondition, "the hold expired and its seats were taken before payment completed")
	}
	b.ShowtimeID, b.SeatIDs, b.Currency, b.TotalMinor = h.ShowtimeID, h.SeatIDs, a.Currency, a.AmountMinor
	if err := insertBooking(ctx, tx, b, prices); err != nil {
		return b, err
	}
	stmts := []struct {
		sql  string
		args []any
	}{
		{`UPDATE holds SET status = 'booked' WHERE region = $1 AND id = $2`, []any{h.Region, h.ID}},
		{`UPDATE payments SET status = 'succeeded', provider_ref = $3, booking_id = $4, updated_at = $5
			WHERE region = $1 AND id = $2`, []any{a.Region, a.PaymentID, chargeRef, b.ID, b.CreatedAt}},
		{`UPDATE idempotency_keys SET resource_id = $4 WHERE user_id = $1 AND operation = $2 AND key = $3`,
			[]any{a.UserID, opCreateBooking, a.Key, b.ID}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return b, errs.E(op, err)
		}
	}
	return b, s.db.insertEvent(ctx, tx, b.CreatedAt, events.BookingConfirmed(eventOf(b, b.TotalMinor, b.CreatedAt)))
}

func insertBooking(ctx context.Context, tx pgx.Tx, b booking.Booking, prices map[string]int64) error {
	const op = "store.insertBooking"
	_, err := tx.Exec(ctx, `INSERT INTO bookings (region, id, confirmation_code, user_id, showtime_id, hold_id, status,
		currency, total_minor, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'confirmed', $7, $8, $9)`,
		b.Region, b.ID, b.ConfirmationCode, b.UserID, b.ShowtimeID, b.HoldID, b.Currency, b.TotalMinor, b.CreatedAt)
	if err != nil {
		return errs.E(op, err) // a confirmation code collision (1 in 2^40) surfaces as an internal error
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"booking_seats"},
		[]string{"region", "booking_id", "seat_id", "showtime_id", "status", "price_minor"},
		pgx.CopyFromSlice(len(b.SeatIDs), func(i int) ([]any, error) {
			return []any{b.Region, b.ID, b.SeatIDs[i], b.ShowtimeID, "confirmed", prices[b.SeatIDs[i]]}, nil
		}))
	return wrap(op, err)
}

// FailAttempt marks the pending charge failed and frees the key so the user may try again.
func (s *BookingStore) FailAttempt(ctx context.Context, a booking.Attempt, reason string, now time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'failed', failure_reason = $3, updated_at = $4
			WHERE region = $1 AND id = $2 AND status = 'pending'`, a.Region, a.PaymentID, reason, now); err != nil {
			return errs.E("store.FailAttempt", err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND operation = $2 AND key = $3
			AND resource_id IS NULL`, a.UserID, opCreateBooking, a.Key)
		return wrap("store.FailAttempt", err)
	})
}

const bookingColumns = `b.region, b.id, b.confirmation_code, b.user_id, b.showtime_id, b.hold_id, b.status,
	b.currency, b.total_minor, coalesce(b.refund_minor, 0), b.created_at, b.cancelled_at,
	ARRAY(SELECT bs.seat_id FROM booking_seats bs WHERE bs.region = b.region AND bs.booking_id = b.id ORDER BY bs.seat_id)`

func scanBooking(row pgx.Row) (booking.Booking, error) {
	var b booking.Booking
	var cancelled *time.Time
	err := row.Scan(&b.Region, &b.ID, &b.ConfirmationCode, &b.UserID, &b.ShowtimeID, &b.HoldID, &b.Status,
		&b.Currency, &b.TotalMinor, &b.RefundMinor, &b.CreatedAt, &cancelled, &b.SeatIDs)
	if cancelled != nil {
		b.CancelledAt = *cancelled
	}
	return b, err
}

func getBooking(ctx context.Context, db q, region, id string) (booking.Booking, error) {
	b, err := scanBooking(db.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.region = $1 AND b.id = $2`,
		region, id))
	if err != nil {
		return booking.Booking{}, notFound("store.getBooking", err, "booking")
	}
	return b, nil
}

// GetBooking returns a booking by ID.
func (s *BookingStore) GetBooking(ctx context.Context, region, id string) (booking.Booking, error) {
	return getBooking(ctx, s.db.Pool, region, id)
}

// ListBookings returns a user's latest bookings, newest first.
func (s *BookingStore) ListBookings(ctx context.Context, userID string, limit int) ([]booking.Booking, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.user_id = $1
		ORDER BY b.created_at DESC, b.id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, errs.E("store.ListBookings", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (booking.Booking, error) { return scanBooking(r) })
}

func eventOf(b booking.Booking, amount int64, at time.Time) events.Booking {
	return events.Booking{Region: b.Region, ID: b.ID, ConfirmationCode: b.ConfirmationCode, UserID: b.UserID,
		ShowtimeID: b.ShowtimeID, SeatIDs: b.SeatIDs, Currency: b.Currency, AmountMinor: amount, At: at}
}

// insertEvent writes e to the outbox in tx, so it is published if and only if tx commits.
func (db *DB) insertEvent(ctx context.Context, tx pgx.Tx, at time.Time, e events.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO outbox (region, id, subject, aggregate_id, event_type, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Region, db.IDs.New(), e.Subject, e.AggregateID, e.Type, e.Payload, at)
	return wrap("store.insertEvent", err)
}
