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

// Webhooks receives Stripe's webhook deliveries for one endpoint: it authenticates each with the endpoint's
// signing secret and applies its event once.
type Webhooks struct {
	Secret string // the endpoint's signing secret ("whsec_...")
	Store  WebhookStore
	Now    func() time.Time
}

// Receive authenticates payload with its Stripe-Signature header and applies the event it carries. A missing
// or wrong signature or a replay outside DefaultWebhookTolerance is Unauthenticated, a payload that is not a
// Stripe event is Invalid; both change nothing. Other errors are the store's.
func (w *Webhooks) Receive(ctx context.Context, payload []byte, signature string) error {
	const op = "payment.Webhooks.Receive"
	now := w.Now()
	ev, err := ParseWebhook(payload, signature, w.Secret, now, 0)
	if err != nil {
		return errs.E(op, err)
	}
	if _, err := w.Store.ApplyWebhook(ctx, ev, now); err != nil {
		return errs.E(op, fmt.Errorf("event %s: %w", ev.ID, err))
	}
	return nil
}
