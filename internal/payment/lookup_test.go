package payment_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/payment/stripetest"
)

// TestStripeLookupAfterLostAnswer loses the answer to a charge Stripe made: Lookup by the idempotency key
// (a search by metadata) and by the PaymentIntent's ID finds it succeeded, a retry of the charge returns the
// same PaymentIntent without a second one, and a key never charged is ChargeNotFound.
func TestStripeLookupAfterLostAnswer(t *testing.T) {
	tr := &stripetest.Transport{PaymentIntentStatus: "succeeded", Remember: true}
	s := payment.NewStripe(stripetest.Key, stripetest.Start(t), payment.WithHTTPClient(tr.Client()))
	ctx := context.Background()
	tr.LoseAnswers(1)
	if _, err := s.Charge(ctx, chargeRequest("mq_charge_lost1")); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Charge with a lost answer = %v, want Unavailable", err)
	}
	got, err := s.Lookup(ctx, payment.LookupRequest{IdempotencyKey: "mq_charge_lost1"})
	if err != nil {
		t.Fatal(err)
	}
	want := payment.ChargeOutcome{Status: payment.ChargeSucceeded, Ref: "pi_mock_1", AmountMinor: 1250}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lookup by key mismatch (-want +got):\n%s", diff)
	}
	reqs := tr.Requests()
	if last := reqs[len(reqs)-1]; last.Method != "GET" || last.Path != "/v1/payment_intents/search" {
		t.Errorf("Lookup sent %s %s, want GET /v1/payment_intents/search", last.Method, last.Path)
	}
	if got, err = s.Lookup(ctx, payment.LookupRequest{Ref: "pi_mock_1", IdempotencyKey: "mq_charge_lost1"}); err != nil || got != want {
		t.Errorf("Lookup by ref = %+v, %v; want %+v", got, err, want)
	}
	if last := tr.Requests()[len(tr.Requests())-1]; last.Path != "/v1/payment_intents/pi_mock_1" {
		t.Errorf("Lookup by ref sent %s, want /v1/payment_intents/pi_mock_1", last.Path)
	}
	ref, err := s.Charge(ctx, chargeRequest("mq_charge_lost1"))
	if err != nil || ref != "pi_mock_1" || tr.Intents() != 1 {
		t.Errorf("retried Charge = %q, %v with %d intents; want pi_mock_1 and 1", ref, err, tr.Intents())
	}
	t.Run("NotFound", func(t *testing.T) {
		got, err := s.Lookup(ctx, payment.LookupRequest{IdempotencyKey: "mq_charge_never"})
		if err != nil || got.Status != payment.ChargeNotFound {
			t.Errorf("Lookup of a key never charged = %+v, %v; want not_found", got, err)
		}
	})
	t.Run("Failed", func(t *testing.T) {
		tr.SetIntentStatus("pi_mock_1", "canceled")
		got, err := s.Lookup(ctx, payment.LookupRequest{Ref: "pi_mock_1"})
		if err != nil || got.Status != payment.ChargeFailed {
			t.Errorf("Lookup of a canceled intent = %+v, %v; want failed", got, err)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		n := len(tr.Requests())
		_, err := s.Lookup(ctx, payment.LookupRequest{IdempotencyKey: "x' OR status:'succeeded"})
		if !errs.Is(err, errs.Invalid) || len(tr.Requests()) != n {
			t.Errorf("Lookup with a quote in the key = %v after %d requests; want Invalid, none sent", err, len(tr.Requests())-n)
		}
	})
}

// TestSandboxLookup reports the sandbox's charges as Charge answered them.
func TestSandboxLookup(t *testing.T) {
	s, ctx := payment.NewSandbox(), context.Background()
	ref, err := s.Charge(ctx, payment.ChargeRequest{AmountMinor: 900, Currency: "USD", Token: "tok_visa", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Charge(ctx, payment.ChargeRequest{AmountMinor: 900, Currency: "USD", Token: "tok_chargeDeclined", IdempotencyKey: "k2"})
	for _, c := range []struct {
		key  string
		want payment.ChargeOutcome
	}{
		{"k1", payment.ChargeOutcome{Status: payment.ChargeSucceeded, Ref: ref, AmountMinor: 900}},
		{"k2", payment.ChargeOutcome{Status: payment.ChargeFailed, Reason: "payment failed"}},
		{"k3", payment.ChargeOutcome{Status: payment.ChargeNotFound}},
	} {
		got, err := s.Lookup(ctx, payment.LookupRequest{IdempotencyKey: c.key})
		if err != nil || got != c.want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", c.key, got, err, c.want)
		}
	}
}
