package rpc

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// NewStripeWebhook serves POST /webhooks/stripe for hooks: a delivery with a bad signature, or replayed
// outside the tolerance, is answered 401; one that is not a Stripe event, 400; one the store fails to
// apply, 500 (Stripe delivers it again later).
func NewStripeWebhook(hooks *payment.Webhooks, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
		if err != nil {
			http.Error(w, "payload too large\n", http.StatusRequestEntityTooLarge)
			return
		}
		if err := hooks.Receive(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
			status, msg := webhookStatus(err)
			if status == http.StatusInternalServerError {
				log.ErrorContext(r.Context(), "webhook", "err", err)
			}
			http.Error(w, msg+"\n", status)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// webhookStatus is the HTTP status and message answering a delivery that failed with err.
func webhookStatus(err error) (int, string) {
	switch errs.KindOf(err) {
	case errs.Unauthenticated:
		return http.StatusUnauthorized, errs.Message(err)
	case errs.Invalid:
		return http.StatusBadRequest, errs.Message(err)
	}
	return http.StatusInternalServerError, "internal error"
}
