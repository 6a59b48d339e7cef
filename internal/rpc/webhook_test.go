package rpc_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/payment"
)

// postWebhook sends body to POST /webhooks/stripe with a Stripe-Signature header and returns the status code.
func (e *env) postWebhook(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// paymentRow is a payments row the webhook tests insert and read back.
type paymentRow struct {
	ID, Kind, Provider, Key, Status, Ref, RefundOf, Reason string
}

func (e *env) insertPayment(t *testing.T, u user, p paymentRow) {
	t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), `INSERT INTO payments (region, id, user_id, kind, provider,
		provider_ref, idempotency_key, status, currency, amount_minor, refund_of, created_at, updated_at)
		VALUES ('us-east1', $1, $2, $3, $4, NULLIF($5, ''), $6, $7, 'USD', 1200, NULLIF($8, ''), $9, $9)`,
		p.ID, u.id, p.Kind, p.Provider, p.Ref, p.Key, p.Status, p.RefundOf, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// paymentState returns a payment's status, provider reference and failure reason.
func (e *env) paymentState(t *testing.T, id string) paymentRow {
	t.Helper()
	p := paymentRow{ID: id}
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT status, coalesce(provider_ref, ''),
		coalesce(failure_reason, '') FROM payments WHERE id = $1`, id).Scan(&p.Status, &p.Ref, &p.Reason); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStripeWebhookApplies(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	for _, p := range []paymentRow{
		{ID: "pay_key", Kind: "charge", Provider: "stripe", Key: "mq_charge_pay_key", Status: "pending"},
		{ID: "pay_ref", Kind: "charge", Provider: "stripe", Key: "mq_charge_pay_ref", Status: "pending", Ref: "pi_ref"},
		{ID: "pay_fail", Kind: "charge", Provider: "stripe", Key: "mq_charge_pay_fail", Status: "pending"},
		{ID: "pay_ch", Kind: "charge", Provider: "stripe", Key: "mq_charge_pay_ch", Status: "succeeded", Ref: "pi_refunded"},
		{ID: "pay_re", Kind: "refund", Provider: "stripe", Key: "mq_refund_pay_re", Status: "pending", RefundOf: "pay_ch"},
		{ID: "pay_sbx", Kind: "charge", Provider: "sandbox", Key: "mq_charge_pay_sbx", Status: "pending"},
	} {
		e.insertPayment(t, alice, p)
	}
	for _, tc := range []struct {
		name, body string
		want       paymentRow
	}{
		{"OKSucceededByIdempotencyKey", `{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_new",
			"object":"payment_intent","amount":1200,"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_pay_key"}}}}`,
			paymentRow{ID: "pay_key", Status: "succeeded", Ref: "pi_new"}},
		{"OKSucceededByIntentID", `{"id":"evt_2","type":"payment_intent.succeeded","data":{"object":{"id":"pi_ref",
			"object":"payment_intent","amount":1200,"currency":"usd","metadata":{}}}}`,
			paymentRow{ID: "pay_ref", Status: "succeeded", Ref: "pi_ref"}},
		{"OKFailed", `{"id":"evt_3","type":"payment_intent.payment_failed","data":{"object":{"id":"pi_fail",
			"object":"payment_intent","amount":1200,"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_pay_fail"},
			"last_payment_error":{"message":"Your card was declined."}}}}`,
			paymentRow{ID: "pay_fail", Status: "failed", Reason: "Your card was declined."}},
		{"OKRefunded", `{"id":"evt_4","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge",
			"amount_refunded":1200,"currency":"usd","payment_intent":"pi_refunded"}}}`,
			paymentRow{ID: "pay_re", Status: "succeeded"}},
		{"OKOtherProviderUntouched", `{"id":"evt_5","type":"payment_intent.succeeded","data":{"object":{"id":"pi_sbx",
			"object":"payment_intent","amount":1200,"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_pay_sbx"}}}}`,
			paymentRow{ID: "pay_sbx", Status: "pending"}},
		{"OKUnknownTypeRecorded", `{"id":"evt_6","type":"customer.created","data":{"object":{"id":"cus_1"}}}`,
			paymentRow{ID: "pay_sbx", Status: "pending"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			if code := e.postWebhook(t, body, payment.SignWebhook(body, webhookSecret, e.clock.Now())); code != http.StatusOK {
				t.Fatalf("status = %d, want 200", code)
			}
			if diff := cmp.Diff(tc.want, e.paymentState(t, tc.want.ID)); diff != "" {
				t.Errorf("payment mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM webhook_events`); n != 6 {
		t.Errorf("webhook events = %d, want 6", n)
	}
	t.Run("OKRedeliveryHasNoSecondEffect", func(t *testing.T) {
		// Put the payment back to pending: were the event applied again, it would be marked succeeded again.
		if _, err := e.db.Pool.Exec(context.Background(), `UPDATE payments SET status = 'pending', provider_ref = NULL
			WHERE id = 'pay_key'`); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		body := []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_new",
			"object":"payment_intent","amount":1200,"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_pay_key"}}}}`)
		if code := e.postWebhook(t, body, payment.SignWebhook(body, webhookSecret, e.clock.Now())); code != http.StatusOK {
			t.Fatalf("status = %d, want 200", code)
		}
		if diff := cmp.Diff(paymentRow{ID: "pay_key", Status: "pending"}, e.paymentState(t, "pay_key")); diff != "" {
			t.Errorf("payment mismatch (-want +got):\n%s", diff)
		}
		if n := e.count(t, `SELECT count(*) FROM webhook_events WHERE event_id = 'evt_1'`); n != 1 {
			t.Errorf("webhook_events rows of evt_1 = %d, want 1", n)
		}
	})
}

func TestStripeWebhookRefuses(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	e.insertPayment(t, alice, paymentRow{ID: "pay_wait", Kind: "charge", Provider: "stripe", Key: "mq_charge_pay_wait",
		Status: "pending"})
	good := []byte(`{"id":"evt_bad","type":"payment_intent.succeeded","data":{"object":{"id":"pi_wait",
		"object":"payment_intent","amount":1200,"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_pay_wait"}}}}`)
	now := e.clock.Now()
	for _, tc := range []struct {
		name      string
		body      []byte
		signature string
		want      int
	}{
		{"ErrWrongSecret", good, payment.SignWebhook(good, "whsec_wrong", now), http.StatusUnauthorized},
		{"ErrNoSignature", good, "", http.StatusUnauthorized},
		{"ErrTampered", append([]byte(" "), good...), payment.SignWebhook(good, webhookSecret, now), http.StatusUnauthorized},
		{"ErrTenMinutesOld", good, payment.SignWebhook(good, webhookSecret, now.Add(-10*time.Minute)), http.StatusUnauthorized},
		{"ErrTenMinutesAhead", good, payment.SignWebhook(good, webhookSecret, now.Add(10*time.Minute)), http.StatusUnauthorized},
		{"ErrMalformedJSON", []byte(`{"id":"evt_bad",`), payment.SignWebhook([]byte(`{"id":"evt_bad",`), webhookSecret, now),
			http.StatusBadRequest},
		{"ErrNoObject", []byte(`{"id":"evt_bad","type":"payment_intent.succeeded","data":{}}`),
			payment.SignWebhook([]byte(`{"id":"evt_bad","type":"payment_intent.succeeded","data":{}}`), webhookSecret, now),
			http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := e.postWebhook(t, tc.body, tc.signature); code != tc.want {
				t.Errorf("status = %d, want %d", code, tc.want)
			}
			if diff := cmp.Diff(paymentRow{ID: "pay_wait", Status: "pending"}, e.paymentState(t, "pay_wait")); diff != "" {
				t.Errorf("payment mismatch (-want +got):\n%s", diff)
			}
			if n := e.count(t, `SELECT count(*) FROM webhook_events`); n != 0 {
				t.Errorf("webhook events = %d, want 0", n)
			}
		})
	}
	t.Run("OKWithinTolerance", func(t *testing.T) {
		if code := e.postWebhook(t, good, payment.SignWebhook(good, webhookSecret, now.Add(-4*time.Minute))); code != http.StatusOK {
			t.Fatalf("status = %d, want 200", code)
		}
		if diff := cmp.Diff(paymentRow{ID: "pay_wait", Status: "succeeded", Ref: "pi_wait"}, e.paymentState(t, "pay_wait")); diff != "" {
			t.Errorf("payment mismatch (-want +got):\n%s", diff)
		}
	})
}
