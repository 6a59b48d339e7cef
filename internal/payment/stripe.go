package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/marqueehq/marquee/internal/errs"
)

// Stripe is a Provider backed by Stripe's PaymentIntents and Refunds APIs. It sends only provider tokens and
// amounts, never card numbers, and it does not retry on its own: callers retry with the same idempotency key,
// which Stripe honours for 24 hours.
type Stripe struct {
	api *client.API
}

var _ Provider = (*Stripe)(nil)

// StripeOption adjusts the configuration of the stripe-go backend that NewStripe builds.
type StripeOption func(*stripe.BackendConfig)

// WithHTTPClient makes the provider send its requests through c, for example to record them in tests.
func WithHTTPClient(c *http.Client) StripeOption {
	return func(cfg *stripe.BackendConfig) { cfg.HTTPClient = c }
}

// NewStripe returns a Stripe provider that authenticates with secretKey. apiBase is the API's base URL; ""
// means Stripe's real API, and a stripe-mock URL such as "http://127.0.0.1:12111" serves tests.
func NewStripe(secretKey, apiBase string, opts ...StripeOption) *Stripe {
	cfg := &stripe.BackendConfig{
		MaxNetworkRetries: stripe.Int64(0),
		// Errors travel to the caller as causes and are logged there, once; stripe-go stays quiet.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if apiBase != "" {
		cfg.URL = stripe.String(apiBase)
	}
	for _, o := range opts {
		o(cfg)
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
	api := &client.API{}
	api.Init(secretKey, &stripe.Backends{API: b, Connect: b, Uploads: b})
	return &Stripe{api: api}
}

// StripeName is the Stripe provider's Name, recorded with its payments; webhooks concern only those.
const StripeName = "stripe"

// Name is StripeName.
func (s *Stripe) Name() string { return StripeName }

// MetadataIdempotencyKey is the PaymentIntent metadata key under which Charge stores the request's idempotency
// key, so that webhooks can be matched to the payment attempt even when Charge's answer was lost.
const MetadataIdempotencyKey = "marquee_idempotency_key"

// Charge takes r.AmountMinor from the card behind r.Token (a Stripe token such as "tok_visa") and returns the
// PaymentIntent ID. It first turns the token into a PaymentMethod (idempotency key r.IdempotencyKey+":pm"),
// then creates and confirms the PaymentIntent in one request under r.IdempotencyKey, so a retry with the same
// key never charges twice. A decline is a Precondition error "payment declined: <reason>"; so is a payment
// that did not succeed at once (3-D Secure): "payment needs further action".
func (s *Stripe) Charge(ctx context.Context, r ChargeRequest) (string, error) {
	const op = "payment.Stripe.Charge"
	currency, err := checkCharge(op, r)
	if err != nil {
		return "", err
	}
	pm, err := s.api.PaymentMethods.New(paymentMethodParams(ctx, r))
	if err != nil {
		return "", stripeError(op, err)
	}
	pi, err := s.api.PaymentIntents.New(intentParams(ctx, r, currency, pm.ID))
	if err != nil {
		return "", stripeError(op, err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return "", errs.E(op, errs.Precondition, "payment needs further action",
			fmt.Errorf("payment intent %s has status %q", pi.ID, pi.Status))
	}
	return pi.ID, nil
}

// Refund returns r.AmountMinor of the PaymentIntent r.ChargeRef under r.IdempotencyKey and returns the refund
// ID. A refund Stripe reports as failed or canceled is a Precondition error. r.Currency is not sent: a refund
// is always in the currency of its payment.
func (s *Stripe) Refund(ctx context.Context, r RefundRequest) (string, error) {
	const op = "payment.Stripe.Refund"
	if err := checkRefund(op, r); err != nil {
		return "", err
	}
	p := &stripe.RefundParams{PaymentIntent: stripe.String(r.ChargeRef), Amount: stripe.Int64(r.AmountMinor)}
	p.Context = ctx
	p.SetIdempotencyKey(r.IdempotencyKey)
	re, err := s.api.Refunds.New(p)
	if err != nil {
		return "", stripeError(op, err)
	}
	if re.Status == stripe.RefundStatusFailed || re.Status == stripe.RefundStatusCanceled {
		return "", errs.E(op, errs.Precondition, "refund failed",
			fmt.Errorf("refund %s has status %q", re.ID, re.Status))
	}
	return re.ID, nil
}

var (
	currencyRE = regexp.MustCompile(`^[A-Za-z]{3}$`)
	// tokenRE admits Stripe token IDs only; anything else, a card number above all, is refused unread.
	tokenRE = regexp.MustCompile(`^tok_[A-Za-z0-9_]{1,200}$`)
)

// maxKeyLen leaves room for the ":pm" suffix within Stripe's 255-character limit on idempotency keys.
const maxKeyLen = 200

// checkCharge validates r before any request is sent and returns its currency in lower case.
func checkCharge(op string, r ChargeRequest) (string, error) {
	switch {
	case r.AmountMinor <= 0:
		return "", errs.Errorf(op, errs.Invalid, "amount must be positive")
	case !currencyRE.MatchString(r.Currency):
		return "", errs.Errorf(op, errs.Invalid, "currency must be a three-letter code")
	case r.Token == "":
		return "", errs.Errorf(op, errs.Invalid, "payment token required")
	case !tokenRE.MatchString(r.Token):
		return "", errs.Errorf(op, errs.Invalid, "invalid payment token")
	}
	return strings.ToLower(r.Currency), checkKey(op, r.IdempotencyKey)
}

// checkRefund validates r before any request is sent.
func checkRefund(op string, r RefundRequest) error {
	switch {
	case !strings.HasPrefix(r.ChargeRef, "pi_"):
		return errs.Errorf(op, errs.Invalid, "unknown charge reference")
	case r.AmountMinor <= 0:
		return errs.Errorf(op, errs.Invalid, "refund amount must be positive")
	}
	return checkKey(op, r.IdempotencyKey)
}

func checkKey(op, key string) error {
	if key == "" || len(key) > maxKeyLen || strings.TrimSpace(key) != key {
		return errs.Errorf(op, errs.Invalid, "invalid idempotency key")
	}
	return nil
}

func paymentMethodParams(ctx context.Context, r ChargeRequest) *stripe.PaymentMethodParams {
	p := &stripe.PaymentMethodParams{
		Type: stripe.String(string(stripe.PaymentMethodTypeCard)),
		Card: &stripe.PaymentMethodCardParams{Token: stripe.String(r.Token)},
	}
	p.Context = ctx
	p.SetIdempotencyKey(r.IdempotencyKey + ":pm")
	return p
}

func intentParams(ctx context.Context, r ChargeRequest, currency, paymentMethod string) *stripe.PaymentIntentParams {
	p := &stripe.PaymentIntentParams{
		Amount:             stripe.Int64(r.AmountMinor),
		Currency:           stripe.String(currency),
		PaymentMethod:      stripe.String(paymentMethod),
		PaymentMethodTypes: stripe.StringSlice([]string{string(stripe.PaymentMethodTypeCard)}),
		Confirm:            stripe.Bool(true),
	}
	if r.Description != "" {
		p.Description = stripe.String(r.Description)
	}
	p.AddMetadata(MetadataIdempotencyKey, r.IdempotencyKey)
	p.Context = ctx
	p.SetIdempotencyKey(r.IdempotencyKey)
	return p
}

// stripeError maps an error of stripe-go to a kind and a client-safe message; the original stays the cause.
func stripeError(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		// The network, a timeout, a cancelled context or a response that is not Stripe's JSON.
		return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
	}
	switch {
	case se.Type == stripe.ErrorTypeCard:
		return errs.E(op, errs.Precondition, "payment declined: "+declineReason(se), err)
	case se.Type == stripe.ErrorTypeIdempotency:
		// The kind and message of our own reused keys (errs.KeyReused); Stripe's answer stays the cause.
		reused := errs.KeyReused(op)
		return errs.E(op, errs.KindOf(reused), errs.Message(reused), err)
	case se.Type == stripe.ErrorTypeAPI, se.HTTPStatusCode >= 500, se.HTTPStatusCode == http.StatusTooManyRequests,
		se.Code == stripe.ErrorCodeIdempotencyKeyInUse:
		return errs.E(op, errs.Unavailable, "payment provider unavailable", err)
	case se.HTTPStatusCode == http.StatusUnauthorized, se.HTTPStatusCode == http.StatusForbidden:
		// Our API key is wrong: an internal fault, not the client's.
		return errs.E(op, errs.Other, err)
	default:
		return errs.E(op, errs.Invalid, "payment request rejected", err)
	}
}

// declineReasons are the client-safe reasons for Stripe's decline and error codes. Lost, stolen and fraudulent
// cards read as a plain decline, as Stripe advises.
var declineReasons = map[string]string{
	"insufficient_funds":      "insufficient funds",
	"expired_card":            "card expired",
	"incorrect_cvc":           "incorrect security code",
	"invalid_cvc":             "incorrect security code",
	"incorrect_number":        "invalid card number",
	"invalid_number":          "invalid card number",
	"invalid_expiry_month":    "invalid expiry date",
	"invalid_expiry_year":     "invalid expiry date",
	"processing_error":        "processing error",
	"authentication_required": "authentication required",
}

func declineReason(se *stripe.Error) string {
	if r, ok := declineReasons[string(se.DeclineCode)]; ok {
		return r
	}
	if r, ok := declineReasons[string(se.Code)]; ok {
		return r
	}
	return "card declined"
}
