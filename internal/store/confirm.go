package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/regions"
)

// ConfirmBooking books the hold's seats for b (or adds them to the attempt's booking), records the payments
// and writes BookingConfirmed (or BookingModified) to the outbox.
func (s *BookingStore) ConfirmBooking(ctx context.Context, a booking.Attempt, chargeRef string, b booking.Booking) (booking.Booking, error) {
	const op = "store.ConfirmBooking"
	var out booking.Booking
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r := a.Request
		k, err := getIdemKey(ctx, tx, r.UserID, r.Operation(), r.Key)
		if err != nil {
			return err
		}
		if k != nil && k.resourceID != nil { // a concurrent retry confirmed first
			out, err = getBooking(ctx, tx, a.Region, *k.resourceID)
			return err
		}
		if k == nil || k.paymentID == nil || *k.paymentID != a.ID {
			return errs.Errorf(op, errs.Precondition, "this checkout was abandoned; start again")
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
	h, err := getHold(ctx, tx, a.Region, a.Request.HoldID)
	if err != nil {
		return b, err
	}
	if a.Request.BookingID != "" {
		b.ID = a.Request.BookingID
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
	b.ShowtimeID, b.Currency = h.ShowtimeID, a.Quote.Currency
	if err := s.writeBooking(ctx, tx, a, &b, h); err != nil {
		return b, err
	}
	if err := s.settle(ctx, tx, a, chargeRef, b); err != nil {
		return b, err
	}
	return s.announce(ctx, tx, a, b.ID, b.CreatedAt)
}

// writeBooking inserts the booking (or adds to it) and its seats with their prices, discount shares and fees.
func (s *BookingStore) writeBooking(ctx context.Context, tx pgx.Tx, a booking.Attempt, b *booking.Booking, h inventory.Hold) error {
	const op = "store.writeBooking"
	q := a.Quote
	var err error
	if a.Request.BookingID == "" {
		_, err = tx.Exec(ctx, `INSERT INTO bookings (region, id, confirmation_code, user_id, showtime_id, hold_id,
			status, currency, total_minor, discount_minor, fees_minor, promo_code, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'confirmed', $7, $8, $9, $10, NULLIF($11, ''), $12)`,
			b.Region, b.ID, b.ConfirmationCode, b.UserID, b.ShowtimeID, b.HoldID, q.Currency, q.TotalMinor,
			q.DiscountMinor, feesOf(q), q.PromoCode, b.CreatedAt)
	} else {
		_, err = tx.Exec(ctx, `UPDATE bookings SET total_minor = total_minor + $3, discount_minor = discount_minor + $4,
			fees_minor = fees_minor + $5 WHERE region = $1 AND id = $2`,
			b.Region, b.ID, q.TotalMinor, q.DiscountMinor, feesOf(q))
	}
	if err != nil {
		return errs.E(op, err)
	}
	prices := make([]int64, len(q.Lines))
	for i, l := range q.Lines {
		prices[i] = l.AmountMinor
	}
	shares := pricing.Share(q.DiscountMinor, prices)
	fees := pricing.Share(feesOf(q), make([]int64, len(q.Lines)))
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"booking_seats"},
		[]string{"region", "booking_id", "seat_id", "attempt_id", "showtime_id", "status", "price_minor", "discount_minor", "fee_minor"},
		pgx.CopyFromSlice(len(q.Lines), func(i int) ([]any, error) {
			l := q.Lines[i]
			// Keyed by the attempt too: a seat this booking had and cancelled keeps its cancelled row.
			return []any{b.Region, b.ID, l.SeatID, a.ID, b.ShowtimeID, "confirmed", l.AmountMinor, shares[i], fees[i]}, nil
		}))
	if err != nil {
		return errs.E(op, err)
	}
	if _, err = tx.Exec(ctx, `UPDATE holds SET status = 'booked' WHERE region = $1 AND id = $2`, h.Region, h.ID); err != nil {
		return errs.E(op, err)
	}
	return dropFromQuota(ctx, tx, h.Region, h.ShowtimeID, h.UserID, h.ID, len(q.Lines))
}

// settle marks the attempt's payments as the booking's, the card's as succeeded, the promotion redemption as
// the booking's, and the key as done.
func (s *BookingStore) settle(ctx context.Context, tx pgx.Tx, a booking.Attempt, chargeRef string, b booking.Booking) error {
	const op = "store.settle"
	r := a.Request
	stmts := []struct {
		sql  string
		args []any
	}{
		{`UPDATE payments SET booking_id = $3, updated_at = $4 WHERE region = $1 AND attempt_id = $2`,
			[]any{a.Region, a.ID, b.ID, b.CreatedAt}},
		{`UPDATE payments SET status = 'succeeded', provider_ref = $3 WHERE region = $1 AND id = $2 AND method = 'card'`,
			[]any{a.Region, a.ID, chargeRef}},
		{`UPDATE promotion_redemptions SET booking_id = $3 WHERE region = $1 AND booking_id = $2`,
			[]any{a.Region, a.ID, b.ID}},
		{`UPDATE idempotency_keys SET resource_id = $4 WHERE user_id = $1 AND operation = $2 AND key = $3`,
			[]any{r.UserID, r.Operation(), r.Key, b.ID}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return errs.E(op, err)
		}
	}
	return nil
}

// announce writes BookingConfirmed for a new booking or BookingModified for added seats, both dated at (when
// this checkout confirmed, not when the booking was first made), and returns the booking as it now is.
func (s *BookingStore) announce(ctx context.Context, tx pgx.Tx, a booking.Attempt, id string, at time.Time) (booking.Booking, error) {
	b, err := getBooking(ctx, tx, a.Region, id)
	if err != nil {
		return b, err
	}
	ev := eventOf(b, b.TotalMinor, at)
	if a.Request.BookingID == "" {
		return b, s.db.insertEvent(ctx, tx, at, events.BookingConfirmed(ev))
	}
	ev.SeatIDs, ev.AmountMinor = seatsOf(a.Quote.Lines), a.Quote.TotalMinor
	return b, s.db.insertEvent(ctx, tx, at, events.BookingModified(ev))
}

// FailAttempt undoes a prepared attempt that is still open: gift card and store credit are given back, the
// promotion redemption is released, the payments are marked failed and the key freed so the user may try
// again. An attempt already confirmed or undone (by a client retry, the reconciler or a webhook) is left as it
// is, so a late second undo can neither give back what a booking spent nor free a newer attempt's key.
func (s *BookingStore) FailAttempt(ctx context.Context, a booking.Attempt, reason string, now time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		open, err := openAttempt(ctx, tx, a.Region, a.ID)
		if err != nil || open == nil {
			return err
		}
		return s.release(ctx, tx, *open, reason, now)
	})
}

// release undoes open attempt a in tx (see FailAttempt).
func (s *BookingStore) release(ctx context.Context, tx pgx.Tx, a booking.Attempt, reason string, now time.Time) error {
	const op = "store.release"
	if err := s.giveBack(ctx, tx, a, now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'failed', failure_reason = $3, updated_at = $4
		WHERE region = $1 AND attempt_id = $2 AND status <> 'failed'`, a.Region, a.ID, reason, now); err != nil {
		return errs.E(op, err)
	}
	// By promotion ID, not by code: an operator may have renamed the code (or given it to another
	// promotion) while the card was being charged.
	if _, err := tx.Exec(ctx, `WITH released AS (
			DELETE FROM promotion_redemptions WHERE region = $1 AND booking_id = $2 RETURNING promotion_id)
		UPDATE promotions p SET redemptions = p.redemptions - r.n
		FROM (SELECT promotion_id, count(*) AS n FROM released GROUP BY promotion_id) r
		WHERE p.id = r.promotion_id`, a.Region, a.ID); err != nil {
		return errs.E(op, err)
	}
	_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND payment_id = $3
		AND resource_id IS NULL`, a.Request.UserID, a.Request.Key, a.ID)
	return wrap(op, err)
}

// giveBack returns the gift card and store credit an attempt took.
func (s *BookingStore) giveBack(ctx context.Context, tx pgx.Tx, a booking.Attempt, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT method, amount_minor, coalesce(gift_card_id, '') FROM payments
		WHERE region = $1 AND attempt_id = $2 AND status = 'succeeded' AND method <> 'card'`, a.Region, a.ID)
	if err != nil {
		return errs.E("store.giveBack", err)
	}
	type taken struct {
		method string
		amount int64
		card   string
	}
	var ts []taken
	var t taken
	if _, err := pgx.ForEachRow(rows, []any{&t.method, &t.amount, &t.card}, func() error { ts = append(ts, t); return nil }); err != nil {
		return errs.E("store.giveBack", err)
	}
	for _, t := range ts {
		if t.method == string(booking.GiftCard) {
			err = creditGiftCard(ctx, tx, t.card, t.amount)
		} else {
			err = s.db.moveStoreCredit(ctx, tx, a.Request.UserID, a.Quote.Currency, t.amount, "checkout undone", "", now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func feesOf(q pricing.Quote) int64 {
	var sum int64
	for _, f := range q.Fees {
		sum += f.AmountMinor
	}
	return sum
}

func seatsOf(lines []pricing.SeatPrice) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.SeatID
	}
	return out
}

// attemptJSON is what an unfinished attempt needs to resume.
type attemptJSON struct {
	Quote     pricing.Quote `json:"quote"`
	CardMinor int64         `json:"cardMinor"`
	BookingID string        `json:"bookingId,omitempty"` // AddSeats: the booking the seats join
}

func encodeAttempt(a booking.Attempt) ([]byte, error) {
	return json.Marshal(attemptJSON{Quote: a.Quote, CardMinor: a.CardMinor, BookingID: a.Request.BookingID})
}

func decodeAttempt(b []byte, a *booking.Attempt) error {
	var aj attemptJSON
	if err := json.Unmarshal(b, &aj); err != nil {
		return errs.E("store.decodeAttempt", err)
	}
	a.Quote, a.CardMinor = aj.Quote, aj.CardMinor
	if aj.BookingID != "" {
		a.Request.BookingID = aj.BookingID
	}
	return nil
}

func regionOf(id string) string {
	r, _ := regions.OfID(id)
	return r.Name
}

func prefixOf(region string) string {
	r, _ := regions.ByName(region)
	return r.IDPrefix
}
