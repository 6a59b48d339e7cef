package payment

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/marqueehq/marquee/internal/errs"
)

// Webhook event types that ParseWebhook reads beyond ID and Type.
const (
	EventPaymentSucceeded = "payment_intent.succeeded"
	EventPaymentFailed    = "payment_intent.payment_failed"
	EventChargeRefunded   = "charge.refunded"
)

// DefaultWebhookTolerance is the replay window ParseWebhook uses when given none: Stripe's own default.
const DefaultWebhookTolerance = webhook.DefaultTolerance

// WebhookEvent is the part of a Stripe event Marquee acts on. For EventPaymentSucceeded and
// EventPaymentFailed it describes the PaymentIntent (AmountMinor is the intent's amount, ChargeID its latest
// charge, FailureMessage Stripe's last_payment_error.message); for EventChargeRefunded, the charge
// (AmountMinor is the total refunded so far). Other types carry only ID and Type.
type WebhookEvent struct {
	ID, Type        string
	PaymentIntentID string
	ChargeID        string
	AmountMinor     int64
	Currency        string // lower case, as Stripe sends it
	FailureMessage  string
	IdempotencyKey  string // the PaymentIntent's MetadataIdempotencyKey, when Stripe.Charge created it
}

// ParseWebhook authenticates payload with its Stripe-Signature header sigHeader and the endpoint's signing
// secret, then decodes it. A missing or wrong signature, or a timestamp further than tolerance from now in
// either direction (a replay), is an Unauthenticated error "invalid webhook signature"; a payload that is not
// a Stripe event is Invalid. A tolerance <= 0 means DefaultWebhookTolerance.
func ParseWebhook(payload []byte, sigHeader, secret string, now time.Time, tolerance time.Duration) (WebhookEvent, error) {
	const op = "payment.ParseWebhook"
	if err := verifySignature(payload, sigHeader, secret, now, tolerance); err != nil {
		return WebhookEvent{}, errs.E(op, errs.Unauthenticated, "invalid webhook signature", err)
	}
	ev, err := decodeEvent(payload)
	if err != nil {
		return WebhookEvent{}, errs.E(op, errs.Invalid, "malformed webhook payload", err)
	}
	return ev, nil
}

// SignWebhook returns a Stripe-Signature header for payload signed with secret at time t, as Stripe would
// send it. It is for tests and development tools.
func SignWebhook(payload []byte, secret string, t time.Time) string {
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(webhook.ComputeSignature(t, payload, secret)))
}

// verifySignature checks Stripe's v1 scheme (https://docs.stripe.com/webhooks#verify-manually): the header is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">[,v1=...]". stripe-go checks the HMAC in constant
// time, but it measures the tolerance with time.Now, so the window is checked here against now instead. The
// timestamp is part of the signed message, so reading it from the header is safe once the HMAC matches.
func verifySignature(payload []byte, sigHeader, secret string, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("no webhook secret configured")
	}
	if err := webhook.ValidatePayloadIgnoringTolerance(payload, sigHeader, secret); err != nil {
		return err
	}
	ts, err := signedTimestamp(sigHeader)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %v, now %v", webhook.ErrTooOld, ts.UTC(), now.UTC())
	}
	return nil
}

// signedTimestamp returns the header's t. It refuses more than one t, so that the value checked against the
// clock is always the one stripe-go verified.
func signedTimestamp(sigHeader string) (time.Time, error) {
	var ts []string
	for _, pair := range strings.Split(sigHeader, ",") {
		if v, ok := strings.CutPrefix(pair, "t="); ok {
			ts = append(ts, v)
		}
	}
	if len(ts) != 1 {
		return time.Time{}, webhook.ErrInvalidHeader
	}
	sec, err := strconv.ParseInt(ts[0], 10, 64)
	if err != nil {
		return time.Time{}, webhook.ErrInvalidHeader
	}
	return time.Unix(sec, 0), nil
}

// eventJSON is the envelope of a Stripe event.
type eventJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// intentJSON holds the fields of a PaymentIntent that WebhookEvent reports.
type intentJSON struct {
	ID               string            `json:"id"`
	Amount           int64             `json:"amount"`
	Currency         string            `json:"currency"`
	LatestCharge     ref               `json:"latest_charge"`
	Metadata         map[string]string `json:"metadata"`
	LastPaymentError *struct {
		Message string `json:"message"`
	} `json:"last_payment_error"`
}

// chargeJSON holds the fields of a Charge that WebhookEvent reports.
type chargeJSON struct {
	ID             string `json:"id"`
	AmountRefunded int64  `json:"amount_refunded"`
	Currency       string `json:"currency"`
	PaymentIntent  ref    `json:"payment_intent"`
}

func decodeEvent(payload []byte) (WebhookEvent, error) {
	var e eventJSON
	if err := json.Unmarshal(payload, &e); err != nil {
		return WebhookEvent{}, err
	}
	if e.ID == "" || e.Type == "" {
		return WebhookEvent{}, errors.New("event without id or type")
	}
	ev := WebhookEvent{ID: e.ID, Type: e.Type}
	switch e.Type {
	case EventPaymentSucceeded, EventPaymentFailed:
		return decodeIntent(ev, e.Data.Object)
	case EventChargeRefunded:
		return decodeCharge(ev, e.Data.Object)
	}
	return ev, nil
}

func decodeIntent(ev WebhookEvent, obj json.RawMessage) (WebhookEvent, error) {
	var pi intentJSON
	if err := decodeObject(obj, &pi); err != nil {
		return WebhookEvent{}, err
	}
	ev.PaymentIntentID, ev.ChargeID = pi.ID, string(pi.LatestCharge)
	ev.AmountMinor, ev.Currency = pi.Amount, pi.Currency
	ev.IdempotencyKey = pi.Metadata[MetadataIdempotencyKey]
	if pi.LastPaymentError != nil {
		ev.FailureMessage = pi.LastPaymentError.Message
	}
	return ev, nil
}

func decodeCharge(ev WebhookEvent, obj json.RawMessage) (WebhookEvent, error) {
	var ch chargeJSON
	if err := decodeObject(obj, &ch); err != nil {
		return WebhookEvent{}, err
	}
	ev.ChargeID, ev.PaymentIntentID = ch.ID, string(ch.PaymentIntent)
	ev.AmountMinor, ev.Currency = ch.AmountRefunded, ch.Currency
	return ev, nil
}

// decodeObject decodes an event's data.object, which must be present and carry an id.
func decodeObject(obj json.RawMessage, v interface{ objectID() string }) error {
	if len(obj) == 0 || bytes.Equal(obj, []byte("null")) {
		return errors.New("event without data.object")
	}
	if err := json.Unmarshal(obj, v); err != nil {
		return err
	}
	if v.objectID() == "" {
		return errors.New("data.object without id")
	}
	return nil
}

func (pi *intentJSON) objectID() string { return pi.ID }
func (ch *chargeJSON) objectID() string { return ch.ID }

// ref is the ID of a related object, which Stripe sends as a string, or as the object itself when expanded.
type ref string

// UnmarshalJSON accepts an ID or an expanded object with an id.
func (r *ref) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, (*string)(r))
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*r = ref(obj.ID)
	return nil
}
