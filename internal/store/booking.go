package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
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

// PrepareBooking claims the idempotency key and, in the same transaction, reads the hold, the booking seats
// are added to, the showtime, the chain's stored policy, the promotion and the wallet, lets rules check and
// price them, then reserves the promotion, takes gift card and store credit, and records a pending card
// payment for the rest.
func (s *BookingStore) PrepareBooking(ctx context.Context, a booking.Attempt, hash []byte,
	rules booking.CheckoutRules) (booking.Attempt, error) {
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
		return s.prepare(ctx, tx, &out, hash, rules)
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

func (s *BookingStore) prepare(ctx context.Context, tx pgx.Tx, a *booking.Attempt, hash []byte, rules booking.CheckoutRules) error {
	const op = "store.prepare"
	r := a.Request
	h, err := liveHold(ctx, tx, a.Region, r.HoldID, r.UserID, rules)
	if err != nil {
		return err
	}
	if err := checkTarget(ctx, tx, a.Region, r, h.ShowtimeID); err != nil {
		return err
	}
	f, err := quoteFacts(ctx, tx, h, r.UserID, r.PromoCode)
	if err != nil {
		return err
	}
	if a.Quote, err = rules.Quote(r.PromoCode, f); err != nil {
		return err
	}
	if f.Promotion != nil {
		if err := reservePromotion(ctx, tx, f.Promotion.ID, a, rules.Now); err != nil {
			return err
		}
	}
	if err := s.takeTenders(ctx, tx, a, f.ChainID, rules); err != nil {
		return err
	}
	result, err := encodeAttempt(*a)
	if err != nil {
		return errs.E(op, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, operation, key, request_hash, payment_id, hold_id,
		result, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.UserID, r.Operation(), r.Key, hash, a.ID, r.HoldID, result, rules.Now)
	return wrap(op, err)
}

// checkTarget reads the booking an AddSeats checkout adds seats to, if any, and checks it by
// booking.CheckTarget.
func checkTarget(ctx context.Context, tx pgx.Tx, region string, r booking.Request, showtimeID string) error {
	if r.BookingID == "" {
		return nil
	}
	b, err := getBooking(ctx, tx, region, r.BookingID)
	if err != nil {
		return err
	}
	return booking.CheckTarget(b, r.UserID, showtimeID)
}

// quoteFacts reads what pricing hold h needs: its showtime and chain, the chain's stored policy and, when a
// code is given, its promotion with the user's redemptions of it.
func quoteFacts(ctx context.Context, db q, h inventory.Hold, userID, code string) (booking.QuoteFacts, error) {
	f := booking.QuoteFacts{Hold: h}
	si, err := showInfo(ctx, db, h.Region, h.ShowtimeID)
	if err != nil {
		return f, err
	}
	f.Showtime, f.ChainID = si.Showtime, si.ChainID
	if f.Policy, err = storedPolicy(ctx, db, si.ChainID); err != nil {
		return f, err
	}
	if code = pricing.NormalizeCode(code); code != "" {
		f.Promotion, f.Redemptions, err = promotionByCode(ctx, db, code, userID)
	}
	return f, err
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
		return pricing.Refused(op, "this code has been fully redeemed")
	}
	// Keyed by the attempt too (its booking_id becomes the booking's at confirmation), so seats added to a
	// booking may redeem the code the booking redeemed, as the promotion's rules allow.
	_, err = tx.Exec(ctx, `INSERT INTO promotion_redemptions (promotion_id, region, booking_id, attempt_id, user_id,
		created_at) VALUES ($1, $2, $3, $3, $4, $5)`, promoID, a.Region, a.ID, a.Request.UserID, now)
	return wrap(op, err)
}

// takeTenders reads the request's gift card and the user's store credit, lets rules split the quote among
// them and the card, and takes each share: the gift card and store credit are debited, and each share is
// recorded as a payment (the card's pending).
func (s *BookingStore) takeTenders(ctx context.Context, tx pgx.Tx, a *booking.Attempt, chainID string, rules booking.CheckoutRules) error {
	r, now := a.Request, rules.Now
	w, err := readWallet(ctx, tx, r, a.Quote.Currency)
	if err != nil {
		return err
	}
	split, err := rules.Tenders(r, chainID, a.Quote, w)
	if err != nil {
		return err
	}
	if took := split.GiftCardMinor; took > 0 {
		if err := debitGiftCard(ctx, tx, w.GiftCard.ID, took); err != nil {
			return err
		}
		if err := s.insertPayment(ctx, tx, a, booking.GiftCard, "succeeded", took, w.GiftCard.ID, now); err != nil {
			return err
		}
	}
	if took := split.StoreCreditMinor; took > 0 {
		if err := s.db.moveStoreCredit(ctx, tx, r.UserID, a.Quote.Currency, -took, "checkout", "", now); err != nil {
			return err
		}
		if err := s.insertPayment(ctx, tx, a, booking.StoreCredit, "succeeded", took, "", now); err != nil {
			return err
		}
	}
	if a.CardMinor = split.CardMinor; a.CardMinor == 0 {
		return nil
	}
	return s.insertPayment(ctx, tx, a, booking.Card, "pending", a.CardMinor, "", now)
}

// readWallet reads what r may pay with besides the card: the gift card it names and, when it uses store credit,
// the user's balance in currency.
func readWallet(ctx context.Context, tx pgx.Tx, r booking.Request, currency string) (booking.Wallet, error) {
	var w booking.Wallet
	if r.GiftCardCode != "" {
		g, err := giftCard(ctx, tx, r.GiftCardCode)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return w, err
		}
		if err == nil {
			w.GiftCard = &booking.GiftCardBalance{ID: g.ID, ChainID: g.ChainID, Currency: g.Currency, BalanceMinor: g.BalanceMinor}
		}
	}
	if !r.UseStoreCredit {
		return w, nil
	}
	var err error
	w.StoreCreditMinor, err = storeCreditBalance(ctx, tx, r.UserID, currency)
	return w, err
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

// liveHold reads the request's hold and checks it by rules.Hold.
func liveHold(ctx context.Context, tx pgx.Tx, region, holdID, userID string, rules booking.CheckoutRules) (inventory.Hold, error) {
	h, err := getHold(ctx, tx, region, holdID)
	if err == nil {
		err = rules.Hold(h, userID)
	}
	if err != nil {
		return inventory.Hold{}, errs.E("store.liveHold", err)
	}
	return h, nil
}

// Quote prices userID's live hold by rules without reserving anything.
func (s *BookingStore) Quote(ctx context.Context, region, holdID, userID, promoCode string,
	rules booking.CheckoutRules) (pricing.Quote, error) {
	var q pricing.Quote
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		h, err := liveHold(ctx, tx, region, holdID, userID, rules)
		if err != nil {
			return err
		}
		f, err := quoteFacts(ctx, tx, h, userID, promoCode)
		if err != nil {
			return err
		}
		q, err = rules.Quote(promoCode, f)
		return err
	})
	if err != nil {
		return pricing.Quote{}, errs.E("store.Quote", err)
	}
	return q, nil
}
