package payment_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// TestRemoteSandboxIsOneSandbox: two processes' clients of one served sandbox see the same charges: one
// charges, the other retries with the same key (the first result) and refunds it; the sandbox's refusals keep
// their kind and message across the wire; an unreachable sandbox is Unavailable.
func TestRemoteSandboxIsOneSandbox(t *testing.T) {
	sb := payment.NewSandbox()
	srv := httptest.NewServer(payment.SandboxHandler(sb))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	a, b := &payment.RemoteSandbox{URL: srv.URL}, &payment.RemoteSandbox{URL: srv.URL, Client: srv.Client()}
	charge := payment.ChargeRequest{AmountMinor: 2500, Currency: "USD", Token: "tok_visa", IdempotencyKey: "k1"}
	ref, err := a.Charge(ctx, charge)
	if err != nil || ref == "" {
		t.Fatalf("Charge = %q, %v", ref, err)
	}
	if again, err := b.Charge(ctx, charge); err != nil || again != ref {
		t.Fatalf("retry through another client = %q, %v; want the first charge %q", again, err, ref)
	}
	if _, err := b.Refund(ctx, payment.RefundRequest{ChargeRef: ref, AmountMinor: 1000, Currency: "USD", IdempotencyKey: "r1"}); err != nil {
		t.Fatalf("Refund through another client: %v", err)
	}
	if charges, refunds := sb.Counts(); charges != 1 || refunds != 1 {
		t.Fatalf("sandbox counts %d charges, %d refunds; want 1 and 1", charges, refunds)
	}
	// The charge is found through either client, by its key; a key never charged is not found.
	if out, err := b.Lookup(ctx, payment.LookupRequest{IdempotencyKey: "k1"}); err != nil || out.Status != payment.ChargeSucceeded || out.Ref != ref || out.AmountMinor != 2500 {
		t.Fatalf("Lookup(k1) = %+v, %v; want succeeded %s of 2500", out, err, ref)
	}
	if out, err := a.Lookup(ctx, payment.LookupRequest{IdempotencyKey: "never"}); err != nil || out.Status != payment.ChargeNotFound {
		t.Fatalf("Lookup(never) = %+v, %v; want not found", out, err)
	}
	tests := []struct {
		name string
		err  error
		kind errs.Kind
		msg  string
	}{
		{"Declined", func() error {
			_, err := a.Charge(ctx, payment.ChargeRequest{AmountMinor: 100, Currency: "USD", Token: "tok_chargeDeclined", IdempotencyKey: "k2"})
			return err
		}(), errs.Precondition, "payment declined: card declined"},
		{"KeyReused", func() error {
			_, err := a.Charge(ctx, payment.ChargeRequest{AmountMinor: 9999, Currency: "USD", Token: "tok_visa", IdempotencyKey: "k1"})
			return err
		}(), errs.Precondition, "this idempotency key was already used for a different request"},
		{"RefundTooMuch", func() error {
			_, err := b.Refund(ctx, payment.RefundRequest{ChargeRef: ref, AmountMinor: 1501, Currency: "USD", IdempotencyKey: "r2"})
			return err
		}(), errs.Invalid, "refund amount out of range"},
		{"Unreachable", func() error {
			c := &payment.RemoteSandbox{URL: "http://127.0.0.1:1", Client: &http.Client{Timeout: time.Second}}
			_, err := c.Charge(ctx, charge)
			return err
		}(), errs.Unavailable, "payment provider unavailable"},
	}
	for _, tt := range tests {
		if errs.KindOf(tt.err) != tt.kind || errs.Message(tt.err) != tt.msg {
			t.Errorf("%s: %v (kind %v, message %q), want %v %q", tt.name, tt.err, errs.KindOf(tt.err), errs.Message(tt.err), tt.kind, tt.msg)
		}
	}
	if charges, refunds := sb.Counts(); charges != 1 || refunds != 1 {
		t.Fatalf("refused calls changed the sandbox: %d charges, %d refunds", charges, refunds)
	}
}
