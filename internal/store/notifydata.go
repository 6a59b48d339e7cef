package store

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/notify"
)

var _ notify.Source = (*DB)(nil)

// ShowFor returns what notifications show about a showtime.
func (db *DB) ShowFor(ctx context.Context, region, showtimeID string) (notify.Show, error) {
	var s notify.Show
	err := db.Pool.QueryRow(ctx, `SELECT st.id, m.title, t.name, t.address, sc.name, st.starts_at, st.ends_at, t.time_zone
		FROM showtimes st JOIN movies m ON m.id = st.movie_id
		JOIN theatres t ON t.region = st.region AND t.id = st.theatre_id
		JOIN screens sc ON sc.region = st.region AND sc.id = st.screen_id
		WHERE st.region = $1 AND st.id = $2`, region, showtimeID).Scan(&s.ShowtimeID, &s.MovieTitle, &s.TheatreName,
		&s.TheatreAddress, &s.Screen, &s.StartsAt, &s.EndsAt, &s.TimeZone)
	if err != nil {
		return s, notFound("store.ShowFor", err, "showtime")
	}
	return s, nil
}

// RecipientOf returns a user's email and display name.
func (db *DB) RecipientOf(ctx context.Context, userID string) (notify.Recipient, error) {
	r := notify.Recipient{UserID: userID}
	err := db.Pool.QueryRow(ctx, `SELECT email, display_name FROM users WHERE id = $1`, userID).Scan(&r.Email, &r.Name)
	if err != nil {
		return r, notFound("store.RecipientOf", err, "user")
	}
	return r, nil
}

// BookingNotice returns what a booking notification shows: the booking with its live seats and show, the
// total, and the recipient.
func (db *DB) BookingNotice(ctx context.Context, region, bookingID string) (notify.Booking, notify.Money, notify.Recipient, error) {
	const op = "store.BookingNotice"
	b, err := getBooking(ctx, db.Pool, region, bookingID)
	if err != nil {
		return notify.Booking{}, notify.Money{}, notify.Recipient{}, errs.E(op, err)
	}
	show, err := db.ShowFor(ctx, region, b.ShowtimeID)
	if err != nil {
		return notify.Booking{}, notify.Money{}, notify.Recipient{}, errs.E(op, err)
	}
	r, err := db.RecipientOf(ctx, b.UserID)
	if err != nil {
		return notify.Booking{}, notify.Money{}, notify.Recipient{}, errs.E(op, err)
	}
	var live []string
	for _, id := range b.SeatIDs {
		if !slices.Contains(b.CancelledSeatIDs, id) {
			live = append(live, id)
		}
	}
	nb := notify.Booking{ID: b.ID, ConfirmationCode: b.ConfirmationCode, Name: r.Name, Show: show, Seats: live}
	return nb, notify.Money{AmountMinor: b.TotalMinor, Currency: b.Currency}, r, nil
}

// UpcomingBookings returns region's confirmed bookings whose shows start in [from, to), for reminders.
func (db *DB) UpcomingBookings(ctx context.Context, region string, from, to time.Time) ([]notify.Due, error) {
	rows, err := db.Pool.Query(ctx, `SELECT b.region, b.id, s.starts_at, b.created_at FROM bookings b
		JOIN showtimes s ON s.region = b.region AND s.id = b.showtime_id
		WHERE b.region = $3 AND b.status = 'confirmed' AND s.starts_at >= $1 AND s.starts_at < $2
		ORDER BY s.starts_at LIMIT 1000`, from, to, region)
	if err != nil {
		return nil, errs.E("store.UpcomingBookings", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (d notify.Due, err error) {
		err = r.Scan(&d.Region, &d.BookingID, &d.StartsAt, &d.BookedAt)
		return d, err
	})
}

// OfferPrice returns what accepting a standby offer costs: the held seats' prices.
func (db *DB) OfferPrice(ctx context.Context, region, offerID string) (notify.Money, error) {
	var holdID string
	if err := db.Pool.QueryRow(ctx, `SELECT hold_id FROM standby_offers WHERE region = $1 AND id = $2`, region, offerID).Scan(&holdID); err != nil {
		return notify.Money{}, notFound("store.OfferPrice", err, "offer")
	}
	h, err := getHold(ctx, db.Pool, region, holdID)
	if err != nil {
		return notify.Money{}, err
	}
	return notify.Money{AmountMinor: h.SubtotalMinor(), Currency: h.Currency}, nil
}
