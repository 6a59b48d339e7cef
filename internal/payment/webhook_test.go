package payment_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

const whSecret = "whsec_test_5f2b"

var whNow = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// Event payloads shaped like those Stripe sends (API version 2023-10-16), trimmed of fields Marquee ignores.
const (
	succeededEvent = `{
  "id": "evt_3QaSucc", "object": "event", "api_version": "2023-10-16", "created": 1788264000, "livemode": false,
  "pending_webhooks": 1, "request": {"id": "req_Ab1", "idempotency_key": "mq_charge_p1"},
  "type": "payment_intent.succeeded",
  "data": {"object": {
    "id": "pi_3QaSucc", "object": "payment_intent", "amount": 2500, "amount_received": 2500,
    "capture_method": "automatic", "currency": "usd", "description": "Marquee hold h_1",
    "last_payment_error": null, "latest_charge": "ch_3QaSucc",
    "metadata": {"marquee_idempotency_key": "mq_charge_p1"}, "payment_method": "pm_1QaCard",
    "payment_method_types": ["card"], "status": "succeeded"
  }}
}`
	failedEvent = `{
  "id": "evt_3QbFail", "object": "event", "api_version": "2023-10-16", "created": 1788264000, "livemode": false,
  "pending_webhooks": 1, "request": {"id": "req_Ab2", "idempotency_key": "mq_charge_p2"},
  "type": "payment_intent.payment_failed",
  "data": {"object": {
    "id": "pi_3QbFail", "object": "payment_intent", "amount": 1800, "amount_received": 0, "currency": "eur",
    "last_payment_error": {"charge": "ch_3QbFail", "code": "card_declined", "decline_code": "insufficient_funds",
      "doc_url": "https://stripe.com/docs/error-codes/card-declined",
      "message": "Your card has insufficient funds.", "type": "card_error"},
    "latest_charge": "ch_3QbFail", "metadata": {}, "payment_method": null, "status": "requires_payment_method"
  }}
}`
	refundedEvent = `{
  "id": "evt_3QcRef", "object": "event", "api_version": "2023-10-16", "created": 1788264000, "livemode": false,
  "pending_webhooks": 1, "request": {"id": "req_Ab3", "idempotency_key": "mq_refund_p3"},
  "type": "charge.refunded",
  "data": {"object": {
    "id": "ch_3QcRef", "object": "charge", "amount": 2500, "amount_captured": 2500, "amount_refunded": 1000,
    "captured": true, "currency": "usd", "paid": true, "payment_intent": "pi_3QcRef", "refunded": false,
    "status": "succeeded"
  }, "previous_attributes": {"amount_refunded": 0}}
}`
	otherEvent = `{"id": "evt_3QdCus", "object": "event", "api_version": "2023-10-16", "type": "customer.created",
  "data": {"object": {"id": "cus_Q1", "object": "customer"}}}`
)

func TestParseWebhook(t *testing.T) {
	tests := map[string]struct {
		payload string
		want    payment.WebhookEvent
	}{
		"OKSucceeded": {succeededEvent, payment.WebhookEvent{ID: "evt_3QaSucc", Type: payment.EventPaymentSucceeded,
			PaymentIntentID: "pi_3QaSucc", ChargeID: "ch_3QaSucc", AmountMinor: 2500, Currency: "usd",
			IdempotencyKey: "mq_charge_p1"}},
		"OKFailed": {failedEvent, payment.WebhookEvent{ID: "evt_3QbFail", Type: payment.EventPaymentFailed,
			PaymentIntentID: "pi_3QbFail", ChargeID: "ch_3QbFail", AmountMinor: 1800, Currency: "eur",
			FailureMessage: "Your card has insufficient funds."}},
		"OKRefunded": {refundedEvent, payment.WebhookEvent{ID: "evt_3QcRef", Type: payment.EventChargeRefunded,
			PaymentIntentID: "pi_3QcRef", ChargeID: "ch_3QcRef", AmountMinor: 1000, Currency: "usd"}},
		"OKOtherType": {otherEvent, payment.WebhookEvent{ID: "evt_3QdCus", Type: "customer.created"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			header := payment.SignWebhook([]byte(tt.payload), whSecret, whNow.Add(-30*time.Second))
			got, err := payment.ParseWebhook([]byte(tt.payload), header, whSecret, whNow, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWebhookExpandedRefs(t *testing.T) {
	payload := `{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"id": "ch_1",
		"amount_refunded": 300, "currency": "usd", "payment_intent": {"id": "pi_1", "object": "payment_intent"}}}}`
	got, err := payment.ParseWebhook([]byte(payload), payment.SignWebhook([]byte(payload), whSecret, whNow),
		whSecret, whNow, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.PaymentIntentID != "pi_1" {
		t.Errorf("PaymentIntentID = %q, want pi_1", got.PaymentIntentID)
	}
}

// Stripe sends one v1 signature per active secret while a secret is rolled; any one valid signature is enough.
func TestParseWebhookRolledSecret(t *testing.T) {
	old := payment.SignWebhook([]byte(succeededEvent), "whsec_old", whNow)
	cur := payment.SignWebhook([]byte(succeededEvent), whSecret, whNow)
	header := old + "," + strings.SplitN(cur, ",", 2)[1]
	if _, err := payment.ParseWebhook([]byte(succeededEvent), header, whSecret, whNow, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestParseWebhookDefaultTolerance(t *testing.T) {
	header := payment.SignWebhook([]byte(succeededEvent), whSecret, whNow.Add(-4*time.Minute))
	if _, err := payment.ParseWebhook([]byte(succeededEvent), header, whSecret, whNow, 0); err != nil {
		t.Fatal(err)
	}
	header = payment.SignWebhook([]byte(succeededEvent), whSecret, whNow.Add(-6*time.Minute))
	_, err := payment.ParseWebhook([]byte(succeededEvent), header, whSecret, whNow, 0)
	wantErr(t, err, errs.Unauthenticated, "invalid webhook signature")
}

func TestParseWebhookErrors(t *testing.T) {
	type input struct {
		payload []byte
		header  string
	}
	signed := func(p string, at time.Duration) input {
		return input{[]byte(p), payment.SignWebhook([]byte(p), whSecret, whNow.Add(at))}
	}
	good, old := signed(succeededEvent, 0), signed(succeededEvent, -10*time.Minute)
	tampered := good
	tampered.payload = []byte(strings.Replace(succeededEvent, `"amount": 2500`, `"amount": 25`, 1))
	tests := map[string]struct {
		in   input
		kind errs.Kind
		msg  string
	}{
		"ErrWrongSecret": {input{good.payload, payment.SignWebhook(good.payload, "whsec_other", whNow)},
			errs.Unauthenticated, "invalid webhook signature"},
		"ErrTampered": {tampered, errs.Unauthenticated, "invalid webhook signature"},
		"ErrNoHeader": {input{good.payload, ""}, errs.Unauthenticated, "invalid webhook signature"},
		"ErrNoV1":     {input{good.payload, "t=" + unix(whNow)}, errs.Unauthenticated, "invalid webhook signature"},
		"ErrGarbage":  {input{good.payload, "not a signature"}, errs.Unauthenticated, "invalid webhook signature"},
		"ErrReplay":   {old, errs.Unauthenticated, "invalid webhook signature"},
		"ErrFuture":   {signed(succeededEvent, 10*time.Minute), errs.Unauthenticated, "invalid webhook signature"},
		"ErrReplayTwoTimestamps": {input{old.payload, "t=" + unix(whNow) + "," + old.header},
			errs.Unauthenticated, "invalid webhook signature"},
		"ErrMalformed": {signed(`{"id": "evt_1", "type": `, 0), errs.Invalid, "malformed webhook payload"},
		"ErrNoID":      {signed(`{"type": "charge.refunded"}`, 0), errs.Invalid, "malformed webhook payload"},
		"ErrNoObject":  {signed(`{"id": "evt_1", "type": "charge.refunded"}`, 0), errs.Invalid, "malformed webhook payload"},
		"ErrObjectNoID": {signed(`{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"amount": 5}}}`, 0),
			errs.Invalid, "malformed webhook payload"},
		"ErrAmountString": {signed(`{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "amount_refunded": "5"}}}`, 0),
			errs.Invalid, "malformed webhook payload"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := payment.ParseWebhook(tt.in.payload, tt.in.header, whSecret, whNow, 5*time.Minute)
			wantErr(t, err, tt.kind, tt.msg)
		})
	}
}

// An empty secret would make any HMAC "valid" to whoever computes it with an empty key; it is refused.
func TestParseWebhookNoSecret(t *testing.T) {
	header := payment.SignWebhook([]byte(succeededEvent), "", whNow)
	_, err := payment.ParseWebhook([]byte(succeededEvent), header, "", whNow, time.Minute)
	wantErr(t, err, errs.Unauthenticated, "invalid webhook signature")
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
