package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// WebhookStore applies a verified provider event to the payment records, once per event ID: a redelivered
// event has no second effect. It reports whether the event was new.
type WebhookStore interface {
	ApplyWebhook(ctx context.Context, ev WebhookEvent, now time.Time) (bool, error)
}

// Settler settles the checkout attempt a payment event is about (booking.Service does): it confirms,
// refunds or fails it as the event says, once, however often it is asked.
type Settler interface {
	SettlePayment(ctx context.Context, ev WebhookEvent) error
}

// Webhooks receives Stripe's webhook deliveries for one endpoint: it authenticates each with the endpoint's
// signing secret and applies its event once.
type Webhooks struct {
	Secret string // the endpoint's signing secret ("whsec_...")
	Store  WebhookStore
	Now    func() time.Time
	// Settler, when set, settles the attempt of each new payment_intent.succeeded and payment_intent.payment_failed
	// event after Store applied it.
	Settler Settler
}

// Receive authenticates payload with its Stripe-Signature header and applies the event it carries, once per
// event ID: a replayed event (same ID) is answered without error and changes nothing. A new payment event then
// settles its attempt through Settler; if that fails, the reconciler settles the attempt later (the event is
// not applied a second time when Stripe redelivers it). A missing or wrong signature or a replay outside
// DefaultWebhookTolerance is Unauthenticated, a payload that is not a Stripe event is Invalid; both change
// nothing. Other errors are the store's or the settler's.
func (w *Webhooks) Receive(ctx context.Context, payload []byte, signature string) error {
	const op = "payment.Webhooks.Receive"
	now := w.Now()
	ev, err := ParseWebhook(payload, signature, w.Secret, now, 0)
	if err != nil {
		return errs.E(op, err)
	}
	fresh, err := w.Store.ApplyWebhook(ctx, ev, now)
	if err != nil {
		return errs.E(op, fmt.Errorf("event %s: %w", ev.ID, err))
	}
	if !fresh || w.Settler == nil || (ev.Type != EventPaymentSucceeded && ev.Type != EventPaymentFailed) {
		return nil
	}
	if err := w.Settler.SettlePayment(ctx, ev); err != nil {
		return errs.E(op, fmt.Errorf("event %s: %w", ev.ID, err))
	}
	return nil
}
