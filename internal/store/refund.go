package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/errs"
)

// charge is a succeeded charge of a booking with what is left to refund of it.
type charge struct {
	booking.Charge
	ref, giftCard string
}

// refund pays back what plan refunds of booking b: as store credit (the plan's amount, bonus included), or to
// the original methods as booking.SplitRefund shares it among b's charges.
func (s *BookingStore) refund(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, b booking.Booking,
	plan booking.CancelPlan, out *booking.Cancellation) error {
	if plan.RefundMinor == 0 {
		return nil
	}
	if credit := plan.StoreCreditMinor; credit > 0 {
		if err := s.db.moveStoreCredit(ctx, tx, b.UserID, b.Currency, credit, "refund", b.ID, c.Now); err != nil {
			return err
		}
		// One store credit refund per charge it draws from, so that part is no longer left to refund (nor to
		// earn a bonus again); the bonus is a refund of no charge.
		for _, p := range plan.CreditParts {
			ch := charge{Charge: booking.Charge{PaymentID: p.Charge.PaymentID, Method: booking.StoreCredit}}
			if err := s.insertRefund(ctx, tx, c, b, ch, p.AmountMinor, "succeeded"); err != nil {
				return err
			}
		}
		if bonus := credit - plan.RefundMinor; bonus > 0 {
			return s.insertRefund(ctx, tx, c, b, charge{Charge: booking.Charge{Method: booking.StoreCredit}}, bonus, "succeeded")
		}
		return nil
	}
	charges, err := refundableCharges(ctx, tx, b)
	if err != nil {
		return err
	}
	paid, byID := chargesByID(charges)
	parts, err := booking.SplitRefund(plan.RefundMinor, paid)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := s.refundCharge(ctx, tx, c, b, byID[p.Charge.PaymentID], p.AmountMinor, out); err != nil {
			return err
		}
	}
	return nil
}

// chargesByID returns the charges as the domain sees them, and the rows by payment ID.
func chargesByID(charges []charge) ([]booking.Charge, map[string]charge) {
	paid := make([]booking.Charge, len(charges))
	byID := make(map[string]charge, len(charges))
	for i, ch := range charges {
		paid[i], byID[ch.PaymentID] = ch.Charge, ch
	}
	return paid, byID
}

func (s *BookingStore) refundCharge(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, b booking.Booking, ch charge,
	take int64, out *booking.Cancellation) error {
	switch ch.Method {
	case booking.Card:
		id := s.db.IDs.Regional(prefixOf(b.Region))
		out.CardRefunds = append(out.CardRefunds, booking.CardRefund{PaymentID: id, ChargeRef: ch.ref, AmountMinor: take})
		return s.insertRefundWithID(ctx, tx, id, c, b, ch, take, "pending")
	case booking.GiftCard:
		if err := creditGiftCard(ctx, tx, ch.giftCard, take); err != nil {
			return err
		}
	default:
		if err := s.db.moveStoreCredit(ctx, tx, b.UserID, b.Currency, take, "refund", b.ID, c.Now); err != nil {
			return err
		}
	}
	return s.insertRefund(ctx, tx, c, b, ch, take, "succeeded")
}

// refundableCharges lists b's succeeded charges, oldest first, with what each has left to refund.
func refundableCharges(ctx context.Context, tx pgx.Tx, b booking.Booking) ([]charge, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.method, coalesce(c.provider_ref, ''), coalesce(c.gift_card_id, ''),
			c.amount_minor - coalesce((SELECT sum(r.amount_minor) FROM payments r WHERE r.region = c.region
				AND r.refund_of = c.id AND r.kind = 'refund' AND r.status <> 'failed'), 0)
		FROM payments c WHERE c.region = $1 AND c.booking_id = $2 AND c.kind = 'charge' AND c.status = 'succeeded'
		ORDER BY c.created_at, c.id`, b.Region, b.ID)
	if err != nil {
		return nil, errs.E("store.refundableCharges", err)
	}
	var out []charge
	var ch charge
	_, err = pgx.ForEachRow(rows, []any{&ch.PaymentID, &ch.Method, &ch.ref, &ch.giftCard, &ch.LeftMinor}, func() error {
		out = append(out, ch)
		return nil
	})
	return out, wrap("store.refundableCharges", err)
}

func (s *BookingStore) insertRefund(ctx context.Context, tx pgx.Tx, c booking.CancelRequest, b booking.Booking, ch charge,
	amount int64, status string) error {
	return s.insertRefundWithID(ctx, tx, s.db.IDs.Regional(prefixOf(b.Region)), c, b, ch, amount, status)
}

func (s *BookingStore) insertRefundWithID(ctx context.Context, tx pgx.Tx, id string, c booking.CancelRequest,
	b booking.Booking, ch charge, amount int64, status string) error {
	provider := "marquee"
	if ch.Method == booking.Card {
		if err := tx.QueryRow(ctx, `SELECT provider FROM payments WHERE region = $1 AND id = $2`, b.Region, ch.PaymentID).Scan(&provider); err != nil {
			return errs.E("store.insertRefund", err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO payments (region, id, user_id, booking_id, kind, provider, idempotency_key,
		status, currency, amount_minor, method, gift_card_id, attempt_id, refund_of, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'refund', $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12, NULLIF($13, ''), $14, $14)`,
		b.Region, id, b.UserID, b.ID, provider, "mq_refund_"+id, status, b.Currency, amount, string(ch.Method), ch.giftCard,
		c.AttemptID, ch.PaymentID, c.Now)
	return wrap("store.insertRefund", err)
}

// pendingCardRefunds lists a cancellation's card refunds the provider has not confirmed yet.
func pendingCardRefunds(ctx context.Context, tx pgx.Tx, region, attemptID string) ([]booking.CardRefund, error) {
	rows, err := tx.Query(ctx, `SELECT r.id, coalesce(c.provider_ref, ''), r.amount_minor FROM payments r
		JOIN payments c ON c.region = r.region AND c.id = r.refund_of
		WHERE r.region = $1 AND r.attempt_id = $2 AND r.kind = 'refund' AND r.method = 'card' AND r.status = 'pending'`,
		region, attemptID)
	if err != nil {
		return nil, errs.E("store.pendingCardRefunds", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (cr booking.CardRefund, err error) {
		err = r.Scan(&cr.PaymentID, &cr.ChargeRef, &cr.AmountMinor)
		return cr, err
	})
}

// RecordRefund marks a pending refund as succeeded.
func (s *BookingStore) RecordRefund(ctx context.Context, region, paymentID, ref string, now time.Time) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE payments SET status = 'succeeded', provider_ref = $3, updated_at = $4
			WHERE region = $1 AND id = $2 AND status = 'pending'`, region, paymentID, ref, now)
		return wrap("store.RecordRefund", err)
	})
}

// PendingRefunds lists card refunds still pending that were recorded before before, oldest first.
func (s *BookingStore) PendingRefunds(ctx context.Context, before time.Time, limit int) ([]booking.PendingRefund, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT r.region, r.id, coalesce(c.provider_ref, ''), r.amount_minor, r.currency
		FROM payments r JOIN payments c ON c.region = r.region AND c.id = r.refund_of
		WHERE r.kind = 'refund' AND r.method = 'card' AND r.status = 'pending' AND r.created_at < $1
		ORDER BY r.created_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, errs.E("store.PendingRefunds", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (p booking.PendingRefund, err error) {
		err = r.Scan(&p.Region, &p.PaymentID, &p.ChargeRef, &p.AmountMinor, &p.Currency)
		return p, err
	})
}
