package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
)

// BookingStore keeps bookings, their payments and idempotency keys.
type BookingStore struct{ db *DB }

var _ booking.Store = (*BookingStore)(nil)

// Bookings returns the booking store.
func (db *DB) Bookings() *BookingStore { return &BookingStore{db: db} }

// idemKey is a row of idempotency_keys.
type idemKey struct {
	hash       []byte
	resourceID *string
	paymentID  *string
	holdID     *string
	result     []byte
}

func getIdemKey(ctx context.Context, tx pgx.Tx, userID, operation, key string) (*idemKey, error) {
	var k idemKey
	err := tx.QueryRow(ctx, `SELECT request_hash, resource_id, payment_id, hold_id, result FROM idempotency_keys
		WHERE user_id = $1 AND operation = $2 AND key = $3`, userID, operation, key).Scan(&k.hash, &k.resourceID,
		&k.paymentID, &k.holdID, &k.result)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.E("store.getIdemKey", err)
	}
	return &k, nil
}

// PendingHold returns the hold an AddSeats attempt under key made, or "" for a new key; for a finished
// attempt it returns the booking and what was charged instead.
func (s *BookingStore) PendingHold(ctx context.Context, userID, operation, key string, hash []byte) (string, *booking.Booking, int64, error) {
	var hold string
	var done *booking.Booking
	var charged int64
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		k, err := getIdemKey(ctx, tx, userID, operation, key)
		if err != nil || k == nil {
			return err
		}
		if !bytes.Equal(k.hash, hash) {
			return errs.KeyReused("store.PendingHold")
		}
		if k.holdID != nil {
			hold = *k.holdID
		}
		if k.resourceID == nil {
			return nil
		}
		var a booking.Attempt
		if err := decodeAttempt(k.result, &a); err != nil {
			return err
		}
		b, err := getBooking(ctx, tx, regionOf(*k.resourceID), *k.resourceID)
		done, charged = &b, a.Quote.TotalMinor
		return err
	})
	return hold, done, charged, err
}

// PrepareBooking claims the idempotency key, checks the hold, prices it with the promotion, reserves the
// promotion, takes gift card and store credit, and records a pending card payment for the rest.
func (s *BookingStore) PrepareBooking(ctx context.Context, a booking.Attempt, hash []byte, now time.Time,
	def catalog.ChainPolicy) (booking.Attempt, error) {
	const op = "store.PrepareBooking"
	var out booking.Attempt
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		out = a
		r := a.Request
		k, err := getIdemKey(ctx, tx, r.UserID, r.Operation(), r.Key)
		if err != nil {
			return err
		}
		if k != nil {
			return s.resume(ctx, tx, &out, k, hash)
		}
		return s.prepare(ctx, tx, &out, hash, now, def)
	})
	if err != nil {
		return booking.Attempt{}, errs.E(op, err)
	}
	return out, nil
}

// resume handles a key seen before: a different request is refused, a finished one returns its booking, and
// an unfinished one continues with the same attempt (the provider's idempotency key makes its charge safe).
func (s *BookingStore) resume(ctx context.Context, tx pgx.Tx, a *booking.Attempt, k *idemKey, hash []byte) error {
	if !bytes.Equal(k.hash, hash) {
		return errs.KeyReused("store.resume")
	}
	if k.resourceID != nil {
		b, err := getBooking(ctx, tx, a.Region, *k.resourceID)
		a.Done = &b
		if err == nil && k.result != nil {
			err = decodeAttempt(k.result, a)
		}
		return err
	}
	if k.paymentID == nil || k.result == nil || (k.holdID != nil && *k.holdID != a.Request.HoldID) {
		return errs.Errorf("store.resume", errs.Precondition, "this request is still being processed; retry shortly")
	}
	a.ID = *k.paymentID
	return decodeAttempt(k.result, a)
}

func (s *BookingStore) prepare(ctx context.Context, tx pgx.Tx, a *booking.Attempt, hash []byte, now time.Time,
	def catalog.ChainPolicy) error {
	const op = "store.prepare"
	r := a.Request
	h, err := liveHold(ctx, tx, a.Region, r.HoldID, r.UserID, now)
	if err != nil {
		return err
	}
	if r.BookingID != "" {
		if err := checkTarget(ctx, tx, a.Region, r.BookingID, r.UserID, h.ShowtimeID); err != nil {
			return err
		}
	}
	q, promo, si, err := quoteHold(ctx, tx, h, r.UserID, r.PromoCode, now, def)
	if err != nil {
		return err
	}
	a.Quote = q
	if promo != nil {
		if err := reservePromotion(ctx, tx, promo.ID, a, now); err != nil {
			return err
		}
	}
	if err := s.takeTenders(ctx, tx, a, si.ChainID, now); err != nil {
		return err
	}
	result, err := encodeAttempt(*a)
	if err != nil {
		return errs.E(op, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, operation, key, request_hash, payment_id, hold_id,
		result, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.UserID, r.Operation(), r.Key, hash, a.ID, r.HoldID, result, now)
	return wrap(op, err)
}

// checkTarget checks that the booking seats are being added to is the user's, confirmed, and of the showtime.
func checkTarget(ctx context.Context, tx pgx.Tx, region, bookingID, userID, showtimeID string) error {
	const op = "store.checkTarget"
	b, err := getBooking(ctx, tx, region, bookingID)
	if errs.Is(err, errs.NotFound) || (err == nil && b.UserID != userID) {
		return errs.Errorf(op, errs.NotFound, "booking not found")
	}
	switch {
	case err != nil:
		return err
	case b.Status != booking.Confirmed:
		return errs.Errorf(op, errs.Precondition, "the booking is %s", b.Status)
	case b.ShowtimeID != showtimeID:
		return errs.Errorf(op, errs.Precondition, "the seats are for a different showtime than the booking")
	}
	return nil
}

// quoteHold prices a live hold: its fixed seat prices, the promotion (checked, not reserved) and the chain's fee.
func quoteHold(ctx context.Context, db q, h inventory.Hold, userID, code string, now time.Time,
	def catalog.ChainPolicy) (pricing.Quote, *pricing.Promotion, ShowInfo, error) {
	si, err := showInfo(ctx, db, h.Region, h.ShowtimeID)
	if err != nil {
		return pricing.Quote{}, nil, si, err
	}
	if err := inventory.Holdable(si.Showtime, now); err != nil {
		return pricing.Quote{}, nil, si, err
	}
	policy, err := chainPolicy(ctx, db, si.ChainID, def)
	if err != nil {
		return pricing.Quote{}, nil, si, err
	}
	var promo *pricing.Promotion
	var discount int64
	if code = pricing.NormalizeCode(code); code != "" {
		p, used, err := promotionByCode(ctx, db, code, userID)
		if err != nil {
			return pricing.Quote{}, nil, si, err
		}
		discount, err = p.Discount(pricing.Use{Now: now, ChainID: si.ChainID, TheatreID: si.Showtime.TheatreID,
			MovieID: si.Showtime.MovieID, Seats: len(h.SeatIDs), SubtotalMinor: h.SubtotalMinor(),
			Currency: h.Currency, UserRedemptions: used})
		if err != nil {
			return pricing.Quote{}, nil, si, err
		}
		promo = &p
	}
	return pricing.BuildQuote(h.Currency, h.Lines, promo, discount, policy.FeePerSeatMinor), promo, si, nil
}

// reservePromotion counts a redemption now, so a code with one use left is redeemed once however many
// checkouts race for it; the row's CHECK backs the conditional update.
func reservePromotion(ctx context.Context, tx pgx.Tx, promoID string, a *booking.Attempt, now time.Time) error {
	const op = "store.reservePromotion"
	tag, err := tx.Exec(ctx, `UPDATE promotions SET redemptions = redemptions + 1
		WHERE id = $1 AND (total_limit = 0 OR redemptions < total_limit)`, promoID)
	if err != nil {
		return errs.E(op, err)
	}
	if tag.RowsAffected() == 0 {
		return errs.Errorf(op, errs.Precondition, "this code has been fully redeemed")
	}
	_, err = tx.Exec(ctx, `INSERT INTO promotion_redemptions (promotion_id, region, booking_id, user_id, created_at)
		VALUES ($1, $2, $3, $4, $5)`, promoID, a.Region, a.ID, a.Request.UserID, now)
	return wrap(op, err)
}

// takeTenders pays the quote with the gift card, then store credit, and leaves the rest to the card.
func (s *BookingStore) takeTenders(ctx context.Context, tx pgx.Tx, a *booking.Attempt, chainID string, now time.Time) error {
	r, left, cur := a.Request, a.Quote.TotalMinor, a.Quote.Currency
	if r.GiftCardCode != "" && left > 0 {
		g, took, err := debitGiftCard(ctx, tx, r.GiftCardCode, chainID, cur, left)
		if err != nil {
			return err
		}
		if err := s.insertPayment(ctx, tx, a, booking.GiftCard, "succeeded", took, g.ID, now); err != nil {
			return err
		}
		left -= took
	}
	if r.UseStoreCredit && left > 0 {
		bal, err := storeCreditBalance(ctx, tx, r.UserID, cur)
		if err != nil {
			return err
		}
		if took := min(bal, left); took > 0 {
			if err := s.db.moveStoreCredit(ctx, tx, r.UserID, cur, -took, "checkout", "", now); err != nil {
				return err
			}
			if err := s.insertPayment(ctx, tx, a, booking.StoreCredit, "succeeded", took, "", now); err != nil {
				return err
			}
			left -= took
		}
	}
	a.CardMinor = left
	if left == 0 {
		return nil
	}
	if r.PaymentToken == "" {
		return errs.Errorf("store.takeTenders", errs.Precondition, "a payment token is needed to pay the remaining %d", left)
	}
	return s.insertPayment(ctx, tx, a, booking.Card, "pending", left, "", now)
}

func (s *BookingStore) insertPayment(ctx context.Context, tx pgx.Tx, a *booking.Attempt, m booking.Method, status string,
	amount int64, giftCardID string, now time.Time) error {
	id, provider := a.ID, a.Provider
	if m != booking.Card {
		id, provider = s.db.IDs.Regional(prefixOf(a.Region)), "marquee"
	}
	_, err := tx.Exec(ctx, `INSERT INTO payments (region, id, user_id, kind, provider, idempotency_key, status, currency,
		amount_minor, method, gift_card_id, attempt_id, created_at, updated_at)
		VALUES ($1, $2, $3, 'charge', $4, $5, $6, $7, $8, $9, NULLIF($10, ''), $11, $12, $12)`,
		a.Region, id, a.Request.UserID, provider, "mq_charge_"+id, status, a.Quote.Currency, amount, string(m),
		giftCardID, a.ID, now)
	return wrap("store.insertPayment", err)
}

// liveHold returns userID's hold if it is active and unexpired. A missing hold or someone else's is NotFound;
// a booked, released or expired one Precondition.
func liveHold(ctx context.Context, tx pgx.Tx, region, holdID, userID string, now time.Time) (inventory.Hold, error) {
	const op = "store.liveHold"
	h, err := getHold(ctx, tx, region, holdID)
	if err == nil && h.UserID != userID {
		return inventory.Hold{}, inventory.HoldNotFound(op)
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

// Quote prices userID's live hold without reserving anything.
func (s *BookingStore) Quote(ctx context.Context, region, holdID, userID, promoCode string, now time.Time,
	def catalog.ChainPolicy) (pricing.Quote, error) {
	var q pricing.Quote
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		h, err := liveHold(ctx, tx, region, holdID, userID, now)
		if err != nil {
			return err
		}
		q, _, _, err = quoteHold(ctx, tx, h, userID, promoCode, now, def)
		return err
	})
	if err != nil {
		return pricing.Quote{}, errs.E("store.Quote", err)
	}
	return q, nil
}
