package rpc

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
)

// WebhookApplier records a verified provider event once.
type WebhookApplier interface {
	ApplyWebhook(ctx context.Context, ev payment.WebhookEvent, now time.Time) (bool, error)
}

// NewStripeWebhook serves POST /webhooks/stripe: it verifies the Stripe-Signature header with secret (refusing
// bad signatures and replays outside the tolerance), then applies the event idempotently.
func NewStripeWebhook(secret string, apply WebhookApplier, now platform.Clock, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
		if err != nil {
			http.Error(w, "payload too large\n", http.StatusRequestEntityTooLarge)
			return
		}
		ev, err := payment.ParseWebhook(body, r.Header.Get("Stripe-Signature"), secret, now(), 0)
		if err != nil {
			status := http.StatusBadRequest
			if errs.Is(err, errs.Unauthenticated) {
				status = http.StatusUnauthorized
			}
			http.Error(w, errs.Message(err)+"\n", status)
			return
		}
		if _, err := apply.ApplyWebhook(r.Context(), ev, now()); err != nil {
			log.ErrorContext(r.Context(), "webhook", "event", ev.ID, "err", err)
			http.Error(w, "internal error\n", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
