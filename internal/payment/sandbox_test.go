package payment_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// TestSandboxIdempotency checks that the sandbox answers a retry with its first result and refuses a key
// reused for another request as booking and Stripe do: errs.KeyReused.
func TestSandboxIdempotency(t *testing.T) {
	ctx := context.Background()
	sb := payment.NewSandbox()
	first, err := sb.Charge(ctx, chargeRequest("mq_sbx_1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		again, err := sb.Charge(ctx, chargeRequest("mq_sbx_1"))
		if err != nil || again != first {
			t.Fatalf("retry = %q, %v; want %q", again, err, first)
		}
		if charges, _ := sb.Counts(); charges != 1 {
			t.Errorf("charges = %d, want 1", charges)
		}
	})
	t.Run("ErrKeyReused", func(t *testing.T) {
		other := chargeRequest("mq_sbx_1")
		other.AmountMinor++
		_, err := sb.Charge(ctx, other)
		want := errs.KeyReused("")
		got := []any{errs.KindOf(err), errs.Message(err)}
		if diff := cmp.Diff([]any{errs.KindOf(want), errs.Message(want)}, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}
