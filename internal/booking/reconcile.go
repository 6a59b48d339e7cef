package booking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/regions"
)

// An attempt is a checkout between its two transactions. Its states:
//
//   - open: PrepareBooking claimed the idempotency key (payment_id = the attempt, no resource yet), reserved
//     the promotion, took gift card and store credit (succeeded payments without a booking) and recorded the
//     card's share as a pending payment. A charge whose answer was lost (Unavailable) leaves it open, and a
//     client retry with the same key resumes it, charging under the same provider idempotency key.
//   - confirmed: ConfirmBooking booked the seats; the key names the booking, the payments are the booking's.
//   - failed: FailAttempt gave back gift card, store credit and promotion, marked the payments failed and
//     freed the key (a retry with it starts afresh).
//   - refunded: charged, but its hold lost its seats (or it was failed before the charge's answer came):
//     RefundAttempt released it as failed does, and recorded a refund of the whole card charge.
//
// The reconciler (Reconcile, ReconcileJob) and the payment webhooks (SettlePayment) take open attempts to one of
// the last three by the provider's word, through the same store transactions a checkout uses; each of those
// transactions checks that the attempt is still open (SERIALIZABLE), so however a client retry, a webhook and
// the reconciler race, an attempt is confirmed at most once and never both confirmed and refunded.

// Reconcile timing defaults.
const (
	// ReconcileEvery is how often the reconciler looks for open attempts.
	ReconcileEvery = 30 * time.Second
	// ReconcileGrace is how old an open attempt must be before the reconciler settles it: a younger one may
	// still be in the hands of its checkout, and Stripe's search may not show its PaymentIntent yet.
	ReconcileGrace = time.Minute
)

// reconcileBatch is how many open attempts one round looks at.
const reconcileBatch = 100

// Reconciled counts what a round of Reconcile did.
type Reconciled struct {
	Confirmed, Refunded, Failed, Pending int
}

// ReconcileJob settles, every interval, region's attempts left open for longer than ReconcileGrace.
func (s *Service) ReconcileJob(region string, every time.Duration) jobs.Job {
	return jobs.Job{Name: "booking.reconcile-payments", Every: every, Run: func(ctx context.Context) error {
		_, err := s.Reconcile(ctx, region, ReconcileGrace)
		return err
	}}
}

// Reconcile settles region's attempts prepared more than grace ago and still open, by asking the provider what
// became of each one's charge: succeeded with the seats still held for the attempt, it is confirmed as its
// checkout would have confirmed it; succeeded without them, refunded; failed or never made, failed; still
// pending at the provider, left for the next round. An attempt the provider cannot be asked about now is left
// too; the errors of a round are returned together, after every attempt was tried.
func (s *Service) Reconcile(ctx context.Context, region string, grace time.Duration) (Reconciled, error) {
	const op = "booking.Reconcile"
	var n Reconciled
	open, err := s.Store.OpenAttempts(ctx, region, s.Now().Add(-grace), reconcileBatch)
	if err != nil {
		return n, errs.E(op, err)
	}
	var failures []error
	for _, a := range open {
		o, err := s.outcome(ctx, a)
		if err == nil {
			err = s.resolve(ctx, a, o, &n)
		}
		if err != nil {
			failures = append(failures, fmt.Errorf("attempt %s: %w", a.ID, err))
		}
	}
	if len(failures) > 0 {
		return n, errs.E(op, errors.Join(failures...))
	}
	return n, nil
}

// outcome asks the provider what became of a's card charge; an attempt with nothing to charge has succeeded.
func (s *Service) outcome(ctx context.Context, a Attempt) (payment.ChargeOutcome, error) {
	if a.CardMinor == 0 {
		return payment.ChargeOutcome{Status: payment.ChargeSucceeded}, nil
	}
	if a.Provider != s.Provider.Name() {
		return payment.ChargeOutcome{}, errs.Errorf("booking.outcome", errs.Precondition,
			"charged through %s, not %s", a.Provider, s.Provider.Name())
	}
	return s.Provider.Lookup(ctx, payment.LookupRequest{IdempotencyKey: chargeKey(a.ID), Ref: a.ChargeRef})
}

// resolve takes open attempt a where its charge's outcome o leads, and counts it in n.
func (s *Service) resolve(ctx context.Context, a Attempt, o payment.ChargeOutcome, n *Reconciled) error {
	switch o.Status {
	case payment.ChargeSucceeded:
		_, err := s.confirm(ctx, a, o.Ref)
		if !errs.Is(err, errs.Precondition) {
			if err == nil {
				n.Confirmed++
			}
			return err
		}
		// The hold lost its seats, or the attempt was settled meanwhile (RefundAttempt then does nothing).
		if err := s.refundAttempt(ctx, a.Region, a.ID, a.Provider, o.Ref, "paid after the hold lost its seats"); err != nil {
			return err
		}
		if a.CardMinor == 0 {
			n.Failed++ // nothing to refund: gift card and store credit were given back
		} else {
			n.Refunded++
		}
	case payment.ChargeFailed, payment.ChargeNotFound:
		reason := o.Reason
		if reason == "" {
			reason = "the payment provider has no charge for this attempt"
		}
		if err := s.Store.FailAttempt(ctx, a, reason, s.Now()); err != nil {
			return err
		}
		n.Failed++
	default:
		n.Pending++
	}
	return nil
}

// SettlePayment settles the attempt a Stripe payment_intent.succeeded or payment_intent.payment_failed event
// is about, as Reconcile would on Stripe's word, so whichever comes first (the checkout, its retry, the event
// or the reconciler) decides and the others find it decided. A success for an attempt no longer open and
// never confirmed (failed before the charge's answer came) is refunded. Other events, events of
// PaymentIntents Marquee did not create and attempts charged through another provider change nothing.
func (s *Service) SettlePayment(ctx context.Context, ev payment.WebhookEvent) error {
	const op = "booking.SettlePayment"
	id, ok := strings.CutPrefix(ev.IdempotencyKey, chargeKeyPrefix)
	reg, known := regions.OfID(id)
	if !ok || !known || (ev.Type != payment.EventPaymentSucceeded && ev.Type != payment.EventPaymentFailed) {
		return nil
	}
	o := payment.ChargeOutcome{Status: payment.ChargeSucceeded, Ref: ev.PaymentIntentID, AmountMinor: ev.AmountMinor}
	if ev.Type == payment.EventPaymentFailed {
		o = payment.ChargeOutcome{Status: payment.ChargeFailed, Ref: ev.PaymentIntentID, Reason: "payment failed"}
	}
	a, open, err := s.Store.OpenAttempt(ctx, reg.Name, id)
	switch {
	case err != nil:
		return errs.E(op, err)
	case open && a.Provider == payment.StripeName:
		err = s.resolve(ctx, a, o, &Reconciled{})
	case !open && o.Status == payment.ChargeSucceeded:
		err = s.refundAttempt(ctx, reg.Name, id, payment.StripeName, o.Ref, "paid after the attempt was given up")
	}
	if err != nil {
		return errs.E(op, err)
	}
	return nil
}

// chargeKeyPrefix starts the provider idempotency key of every checkout charge; the attempt's ID follows.
const chargeKeyPrefix = "mq_charge_"

func chargeKey(attemptID string) string { return chargeKeyPrefix + attemptID }
