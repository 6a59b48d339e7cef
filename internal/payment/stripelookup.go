package payment

import (
	"context"
	"strings"

	"github.com/stripe/stripe-go/v76"

	"github.com/marqueehq/marquee/internal/errs"
)

// Lookup asks Stripe what became of the PaymentIntent of a Charge: by r.Ref (a "pi_..." ID) when known, else by
// searching PaymentIntents for the metadata MetadataIdempotencyKey = r.IdempotencyKey that Charge sets. It
// never creates or confirms anything: re-sending the create under the same idempotency key would need the
// card's token, which Marquee does not keep, and would charge a card that was never charged. Stripe's search
// index trails writes by up to about a minute, so callers ask only about attempts older than that (the
// reconciler's grace period); ChargeNotFound then means no PaymentIntent was created.
func (s *Stripe) Lookup(ctx context.Context, r LookupRequest) (ChargeOutcome, error) {
	const op = "payment.Stripe.Lookup"
	if strings.HasPrefix(r.Ref, "pi_") {
		p := &stripe.PaymentIntentParams{}
		p.Context = ctx
		pi, err := s.api.PaymentIntents.Get(r.Ref, p)
		if err != nil {
			return ChargeOutcome{}, stripeError(op, err)
		}
		return intentOutcome(pi), nil
	}
	if err := checkKey(op, r.IdempotencyKey); err != nil || strings.ContainsAny(r.IdempotencyKey, `'\`) {
		return ChargeOutcome{}, errs.Errorf(op, errs.Invalid, "invalid idempotency key")
	}
	p := &stripe.PaymentIntentSearchParams{SearchParams: stripe.SearchParams{
		Query: "metadata['" + MetadataIdempotencyKey + "']:'" + r.IdempotencyKey + "'", Context: ctx}}
	it := s.api.PaymentIntents.Search(p)
	for it.Next() {
		if pi := it.PaymentIntent(); pi.Metadata[MetadataIdempotencyKey] == r.IdempotencyKey {
			return intentOutcome(pi), nil
		}
	}
	if err := it.Err(); err != nil {
		return ChargeOutcome{}, stripeError(op, err)
	}
	return ChargeOutcome{Status: ChargeNotFound}, nil
}

// intentOutcome reads a PaymentIntent as Charge would have: only "succeeded" took money; "processing" (and a
// capture still to come) may yet; every other status is a charge that did not go through.
func intentOutcome(pi *stripe.PaymentIntent) ChargeOutcome {
	o := ChargeOutcome{Ref: pi.ID, AmountMinor: pi.Amount}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		o.Status = ChargeSucceeded
	case stripe.PaymentIntentStatusProcessing, stripe.PaymentIntentStatusRequiresCapture:
		o.Status = ChargePending
	default:
		o.Status, o.Reason = ChargeFailed, "payment did not complete"
		if pi.LastPaymentError != nil {
			o.Reason = "payment declined: " + declineReason(pi.LastPaymentError)
		}
	}
	return o
}
