package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
)

var bookingColumns = `b.region, b.id, b.confirmation_code, b.user_id, b.showtime_id, b.hold_id, b.status,
	b.currency, b.total_minor, b.refund_minor, b.discount_minor, b.fees_minor, coalesce(b.promo_code, ''),
	b.created_at, b.cancelled_at,
	ARRAY(SELECT DISTINCT bs.seat_id FROM booking_seats bs WHERE bs.region = b.region AND bs.booking_id = b.id
		ORDER BY bs.seat_id),
	ARRAY(SELECT DISTINCT bs.seat_id FROM booking_seats bs WHERE bs.region = b.region AND bs.booking_id = b.id
		AND bs.status = 'cancelled' AND NOT EXISTS (SELECT 1 FROM booking_seats l WHERE l.region = bs.region
			AND l.booking_id = bs.booking_id AND l.seat_id = bs.seat_id AND l.status = 'confirmed')
		ORDER BY bs.seat_id),
	ARRAY(SELECT p.method || ':' || CAST(sum(p.amount_minor) AS TEXT) FROM payments p
		WHERE p.region = b.region AND p.booking_id = b.id AND p.kind = 'charge' AND p.status = 'succeeded'
		GROUP BY p.method ORDER BY p.method),
	` + prefixed("s.", showtimeColumns) + `, m.title, t.name, t.city_id, sc.name`

// bookingsFrom joins each booking to its showtime and the names a booking page shows.
const bookingsFrom = ` FROM bookings b JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
	JOIN movies m ON m.id = s.movie_id JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
	JOIN screens sc ON sc.region = s.region AND sc.id = s.screen_id`

// scanBooking reads a row of bookingColumns.
func scanBooking(row pgx.Row) (booking.Booking, error) {
	var b booking.Booking
	var cancelled *time.Time
	var tenders []string
	st := &b.Show
	err := row.Scan(&b.Region, &b.ID, &b.ConfirmationCode, &b.UserID, &b.ShowtimeID, &b.HoldID, &b.Status,
		&b.Currency, &b.TotalMinor, &b.RefundMinor, &b.DiscountMinor, &b.FeesMinor, &b.PromoCode, &b.CreatedAt,
		&cancelled, &b.SeatIDs, &b.CancelledSeatIDs, &tenders, &st.Region, &st.ID, &st.MovieID, &st.TheatreID,
		&st.ScreenID, &st.StartsAt, &st.EndsAt, &st.Format, &st.Language, &st.Currency, &st.BasePriceMinor,
		&st.PremiumPriceMinor, &st.Status, &st.MovieTitle, &st.TheatreName, &st.CityID, &st.ScreenName)
	if cancelled != nil {
		b.CancelledAt = *cancelled
	}
	for _, t := range tenders {
		method, amount, _ := strings.Cut(t, ":")
		n, _ := strconv.ParseInt(amount, 10, 64)
		b.Tenders = append(b.Tenders, booking.Tender{Method: booking.Method(method), AmountMinor: n})
	}
	return b, err
}

func getBooking(ctx context.Context, db q, region, id string) (booking.Booking, error) {
	b, err := scanBooking(db.QueryRow(ctx, `SELECT `+bookingColumns+bookingsFrom+` WHERE b.region = $1 AND b.id = $2`,
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
	rows, err := s.db.Pool.Query(ctx, `SELECT `+bookingColumns+bookingsFrom+` WHERE b.user_id = $1
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
	_, err := tx.Exec(ctx, insertEventSQL, db.eventArgs(at, e)...)
	return wrap("store.insertEvent", err)
}

// queueEvent queues the outbox insert of e in a batch sent in a transaction, so that it costs no round trip of
// its own; like insertEvent, it is published if and only if the transaction commits.
func (db *DB) queueEvent(b *pgx.Batch, at time.Time, e events.Event) {
	b.Queue(insertEventSQL, db.eventArgs(at, e)...)
}

const insertEventSQL = `INSERT INTO outbox (region, id, subject, aggregate_id, event_type, payload, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

func (db *DB) eventArgs(at time.Time, e events.Event) []any {
	return []any{e.Region, db.IDs.New(), e.Subject, e.AggregateID, e.Type, e.Payload, at}
}
