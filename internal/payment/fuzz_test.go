package payment_test

import (
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
)

// FuzzParseWebhook checks that any correctly signed payload is decoded or refused as Invalid, never a panic.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":100}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	now := time.Unix(1700000000, 0)
	const secret = "whsec_fuzz"
	f.Fuzz(func(t *testing.T, payload []byte) {
		_, err := payment.ParseWebhook(payload, payment.SignWebhook(payload, secret, now), secret, now, 0)
		if err != nil && errs.KindOf(err) != errs.Invalid {
			t.Fatalf("ParseWebhook(%q): kind %v, want invalid: %v", payload, errs.KindOf(err), err)
		}
	})
}
