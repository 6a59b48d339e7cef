package payment_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/payment/stripetest"
)

// TestMain shares one stripe-mock among the package's tests and stops it at the end.
func TestMain(m *testing.M) { stripetest.Main(m) }

// newMockStripe returns a provider talking to stripe-mock through a recording transport that reports
// PaymentIntents as status.
func newMockStripe(t *testing.T, status string) (*payment.Stripe, *stripetest.Transport) {
	t.Helper()
	tr := &stripetest.Transport{PaymentIntentStatus: status}
	return payment.NewStripe(stripetest.Key, stripetest.Start(t), payment.WithHTTPClient(tr.Client())), tr
}

func chargeRequest(key string) payment.ChargeRequest {
	return payment.ChargeRequest{AmountMinor: 1250, Currency: "USD", Token: "tok_visa", IdempotencyKey: key,
		Description: "Marquee hold h_1"}
}

// sent is the part of a recorded request the tests compare.
type sent struct {
	Method, Path, Key string
	Form              map[string]string
}

func sentOf(reqs []stripetest.Request, fields ...string) []sent {
	var out []sent
	for _, r := range reqs {
		s := sent{Method: r.Method, Path: r.Path, Key: r.IdempotencyKey, Form: map[string]string{}}
		for _, f := range fields {
			if r.Form.Has(f) {
				s.Form[f] = r.Form.Get(f)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestStripeCharge(t *testing.T) {
	s, tr := newMockStripe(t, "succeeded")
	ref, err := s.Charge(context.Background(), chargeRequest("mq_charge_p1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, "pi_") {
		t.Errorf("ref = %q, want a PaymentIntent ID pi_...", ref)
	}
	reqs := tr.Requests()
	want := []sent{
		{Method: "POST", Path: "/v1/payment_methods", Key: "mq_charge_p1:pm",
			Form: map[string]string{"type": "card", "card[token]": "tok_visa"}},
		{Method: "POST", Path: "/v1/payment_intents", Key: "mq_charge_p1", Form: map[string]string{
			"amount": "1250", "currency": "usd", "confirm": "true", "payment_method_types[0]": "card",
			"description": "Marquee hold h_1", "metadata[marquee_idempotency_key]": "mq_charge_p1"}},
	}
	got := sentOf(reqs, "type", "card[token]", "amount", "currency", "confirm", "payment_method_types[0]",
		"description", "metadata[marquee_idempotency_key]")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	if len(reqs) == 2 && !strings.HasPrefix(reqs[1].Form.Get("payment_method"), "pm_") {
		t.Errorf("payment_method = %q, want the pm_ created first", reqs[1].Form.Get("payment_method"))
	}
}

// stripe-mock keeps no state, so this checks only what Stripe needs to answer a retry with the first result:
// the same idempotency keys.
func TestStripeChargeRetrySendsSameKeys(t *testing.T) {
	s, tr := newMockStripe(t, "succeeded")
	for range 2 {
		if _, err := s.Charge(context.Background(), chargeRequest("mq_charge_retry")); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for _, r := range tr.Requests() {
		keys = append(keys, r.IdempotencyKey)
	}
	want := []string{"mq_charge_retry:pm", "mq_charge_retry", "mq_charge_retry:pm", "mq_charge_retry"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("idempotency keys mismatch (-want +got):\n%s", diff)
	}
}

// Without the transport's patch, stripe-mock answers with its fixture's status, requires_payment_method: a
// PaymentIntent that did not succeed must not count as paid.
func TestStripeChargeNotSucceeded(t *testing.T) {
	s, _ := newMockStripe(t, "")
	_, err := s.Charge(context.Background(), chargeRequest("mq_charge_p2"))
	wantErr(t, err, errs.Precondition, "payment needs further action")
}

func TestStripeRefund(t *testing.T) {
	s, tr := newMockStripe(t, "succeeded")
	r := payment.RefundRequest{ChargeRef: "pi_123", AmountMinor: 500, Currency: "usd", IdempotencyKey: "mq_refund_p1"}
	for range 2 {
		ref, err := s.Refund(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ref, "re_") {
			t.Errorf("ref = %q, want a refund ID re_...", ref)
		}
	}
	form := map[string]string{"payment_intent": "pi_123", "amount": "500"}
	want := []sent{
		{Method: "POST", Path: "/v1/refunds", Key: "mq_refund_p1", Form: form},
		{Method: "POST", Path: "/v1/refunds", Key: "mq_refund_p1", Form: form},
	}
	if diff := cmp.Diff(want, sentOf(tr.Requests(), "payment_intent", "amount")); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

// Bad input is refused before anything is sent, and a card number is never echoed back.
func TestStripeInvalid(t *testing.T) {
	s, tr := newMockStripe(t, "succeeded")
	charge := func(f func(*payment.ChargeRequest)) func() error {
		r := chargeRequest("mq_charge_bad")
		f(&r)
		return func() error { _, err := s.Charge(context.Background(), r); return err }
	}
	refund := func(f func(*payment.RefundRequest)) func() error {
		r := payment.RefundRequest{ChargeRef: "pi_123", AmountMinor: 500, IdempotencyKey: "mq_refund_bad"}
		f(&r)
		return func() error { _, err := s.Refund(context.Background(), r); return err }
	}
	tests := map[string]struct {
		call func() error
		msg  string
	}{
		"ErrZeroAmount":       {charge(func(r *payment.ChargeRequest) { r.AmountMinor = 0 }), "amount must be positive"},
		"ErrNegativeAmount":   {charge(func(r *payment.ChargeRequest) { r.AmountMinor = -5 }), "amount must be positive"},
		"ErrShortCurrency":    {charge(func(r *payment.ChargeRequest) { r.Currency = "us" }), "currency must be a three-letter code"},
		"ErrNumericCurrency":  {charge(func(r *payment.ChargeRequest) { r.Currency = "840" }), "currency must be a three-letter code"},
		"ErrEmptyToken":       {charge(func(r *payment.ChargeRequest) { r.Token = "" }), "payment token required"},
		"ErrCardNumber":       {charge(func(r *payment.ChargeRequest) { r.Token = "4242 4242 4242 4242" }), "invalid payment token"},
		"ErrEmptyKey":         {charge(func(r *payment.ChargeRequest) { r.IdempotencyKey = "" }), "invalid idempotency key"},
		"ErrLongKey":          {charge(func(r *payment.ChargeRequest) { r.IdempotencyKey = strings.Repeat("k", 201) }), "invalid idempotency key"},
		"ErrRefundRef":        {refund(func(r *payment.RefundRequest) { r.ChargeRef = "sbx_ch_000001" }), "unknown charge reference"},
		"ErrRefundZeroAmount": {refund(func(r *payment.RefundRequest) { r.AmountMinor = 0 }), "refund amount must be positive"},
		"ErrRefundEmptyKey":   {refund(func(r *payment.RefundRequest) { r.IdempotencyKey = "" }), "invalid idempotency key"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			wantErr(t, tt.call(), errs.Invalid, tt.msg)
		})
	}
	if n := len(tr.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input, want 0", n)
	}
}

// TestStripeErrors uses a fake of Stripe's HTTP API, not stripe-mock, because stripe-mock never declines a
// card nor fails. The fake creates PaymentMethods and answers PaymentIntent creation with one canned error, as
// Stripe documents it (https://docs.stripe.com/api/errors); it tests error mapping only.
func TestStripeErrors(t *testing.T) {
	const declined = `{"error": {"charge": "ch_3Q", "code": "card_declined", "decline_code": "%s",
		"doc_url": "https://stripe.com/docs/error-codes/card-declined", "message": "Your card was declined.",
		"payment_intent": {"id": "pi_3Q", "object": "payment_intent", "status": "requires_payment_method"},
		"request_log_url": "https://dashboard.stripe.com/test/logs/req_1", "type": "card_error"}}`
	tests := map[string]struct {
		status int
		body   string
		kind   errs.Kind
		msg    string
	}{
		"ErrGenericDecline": {402, fmt.Sprintf(declined, "generic_decline"), errs.Precondition,
			"payment declined: card declined"},
		"ErrInsufficientFunds": {402, fmt.Sprintf(declined, "insufficient_funds"), errs.Precondition,
			"payment declined: insufficient funds"},
		"ErrStolenCard": {402, fmt.Sprintf(declined, "stolen_card"), errs.Precondition,
			"payment declined: card declined"},
		"ErrExpiredCard": {402, `{"error": {"code": "expired_card", "message": "Your card has expired.",
			"param": "exp_month", "type": "card_error"}}`, errs.Precondition, "payment declined: card expired"},
		"ErrServer": {500, `{"error": {"message": "An unknown error occurred", "type": "api_error"}}`,
			errs.Unavailable, "payment provider unavailable"},
		"ErrNotJSON":    {502, `<html>Bad Gateway</html>`, errs.Unavailable, "payment provider unavailable"},
		"ErrRateLimit":  {429, `{"error": {"code": "rate_limit", "message": "Too many requests", "type": "invalid_request_error"}}`, errs.Unavailable, "payment provider unavailable"},
		"ErrKeyInUse":   {409, `{"error": {"code": "idempotency_key_in_use", "message": "in use", "type": "invalid_request_error"}}`, errs.Unavailable, "payment provider unavailable"},
		"ErrKeyReused":  {400, `{"error": {"message": "Keys for idempotent requests can only be used with the same parameters they were first used with.", "type": "idempotency_error"}}`, errs.Precondition, "this idempotency key was already used for a different request"},
		"ErrBadRequest": {400, `{"error": {"code": "parameter_invalid_integer", "param": "amount", "message": "Invalid integer", "type": "invalid_request_error"}}`, errs.Invalid, "payment request rejected"},
		"ErrBadAPIKey":  {401, `{"error": {"message": "Invalid API Key provided: sk_test_***123", "type": "invalid_request_error"}}`, errs.Other, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			url := fakeStripe(t, tt.status, tt.body)
			_, err := payment.NewStripe(stripetest.Key, url).Charge(context.Background(), chargeRequest("mq_charge_e"))
			wantErr(t, err, tt.kind, tt.msg)
		})
	}
}

func TestStripeRefundErrors(t *testing.T) {
	url := fakeStripe(t, 500, `{"error": {"message": "An unknown error occurred", "type": "api_error"}}`)
	_, err := payment.NewStripe(stripetest.Key, url).Refund(context.Background(),
		payment.RefundRequest{ChargeRef: "pi_3Q", AmountMinor: 100, IdempotencyKey: "mq_refund_e"})
	wantErr(t, err, errs.Unavailable, "payment provider unavailable")
}

func TestStripeUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := payment.NewStripe(stripetest.Key, srv.URL).Charge(context.Background(), chargeRequest("mq_charge_u"))
	wantErr(t, err, errs.Unavailable, "payment provider unavailable")
}

// fakeStripe serves POST /v1/payment_methods with a PaymentMethod and every other request with status and body.
func fakeStripe(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		if r.URL.Path == "/v1/payment_methods" {
			_, _ = w.Write([]byte(`{"id": "pm_fake", "object": "payment_method", "type": "card"}`))
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func wantErr(t *testing.T, err error, kind errs.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v %q", kind, msg)
	}
	if got := errs.KindOf(err); got != kind {
		t.Errorf("kind = %v, want %v (err: %v)", got, kind, err)
	}
	if got := errs.Message(err); got != msg {
		t.Errorf("message = %q, want %q", got, msg)
	}
}
