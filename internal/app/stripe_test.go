package app_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/payment/stripetest"
)

// startStripe runs the `marquee dev` wiring with the Stripe provider talking to a private stripe-mock through
// a transport that records requests and reports PaymentIntents as succeeded (stripe-mock never confirms one).
func startStripe(t *testing.T) (*app.Main, *stripetest.Transport) {
	t.Helper()
	url := stripetest.Start(t)
	tr := &stripetest.Transport{PaymentIntentStatus: "succeeded"}
	m := app.NewMain()
	m.Config.Addr, m.Config.DataDir, m.Config.DatabaseURL, m.Config.BcryptCost = "127.0.0.1:0", dataDir(t), "", 4
	m.Config.StripeSecretKey, m.Config.StripeAPIBase = stripetest.Key, url
	m.Provider = payment.NewStripe(stripetest.Key, url, payment.WithHTTPClient(tr.Client()))
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Run(context.Background()); err != nil {
		_ = m.Close()
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m, tr
}

// stripePayment is a payments row as the Stripe walkthrough checks it.
type stripePayment struct {
	Kind, Provider, Status, Method string
	Amount                         int64
	RefPrefix                      string
}

// TestStripeBookAndCancel books and cancels over HTTP with the Stripe provider against stripe-mock, and checks
// that the database keeps Stripe's references: the PaymentIntent of the charge and the Refund of the refund.
func TestStripeBookAndCancel(t *testing.T) {
	m, tr := startStripe(t)
	c := &client{t: t, base: "http://" + m.Addr()}
	c.token = c.call("AccountService/Register", map[string]any{"email": "stripe@example.com", "password": "stripe-pass",
		"displayName": "S"}, 200)["token"].(string)
	// Shows two days from now are far enough away to be refunded in full.
	shows := c.call("CatalogService/ListShowtimes", map[string]any{"city": "london",
		"day": time.Now().Add(48 * time.Hour).Format(time.DateOnly), "pageSize": 1}, 200)["showtimes"].([]any)
	if len(shows) != 1 {
		t.Fatalf("ListShowtimes = %v", shows)
	}
	showID := shows[0].(map[string]any)["id"].(string)
	hold := c.call("SeatService/HoldBestAvailable", map[string]any{"showtimeId": showID, "count": 2}, 200)["hold"].(map[string]any)
	b := c.call("BookingService/CreateBooking", map[string]any{"holdId": hold["id"], "paymentToken": "tok_visa",
		"idempotencyKey": "stripe-book-0001"}, 200)["booking"].(map[string]any)
	cancel := c.call("BookingService/CancelBooking", map[string]any{"bookingId": b["id"],
		"idempotencyKey": "stripe-cancel-0001"}, 200)
	total := b["total"].(map[string]any)["amountMinor"]
	if cancel["refund"].(map[string]any)["amountMinor"] != total {
		t.Fatalf("refund = %v, want the total %v", cancel["refund"], total)
	}

	rows, err := m.DB().Pool.Query(context.Background(), `SELECT id, kind, provider, status, method, amount_minor,
		coalesce(provider_ref, '') FROM payments WHERE booking_id = $1 ORDER BY kind`, b["id"])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []stripePayment
	var ids []string
	for rows.Next() {
		var p stripePayment
		var id, ref string
		if err := rows.Scan(&id, &p.Kind, &p.Provider, &p.Status, &p.Method, &p.Amount, &ref); err != nil {
			t.Fatal(err)
		}
		p.RefPrefix, _, _ = strings.Cut(ref, "_")
		got = append(got, p)
		ids = append(ids, id)
	}
	amount, err := strconv.ParseInt(total.(string), 10, 64) // protojson writes int64 as a string
	if err != nil {
		t.Fatal(err)
	}
	want := []stripePayment{{"charge", "stripe", "succeeded", "card", amount, "pi"},
		{"refund", "stripe", "succeeded", "card", amount, "re"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payments mismatch (-want +got):\n%s", diff)
	}
	if len(ids) != 2 {
		t.FailNow()
	}
	var sent []string
	for _, r := range tr.Requests() {
		sent = append(sent, r.Method+" "+r.Path+" "+r.IdempotencyKey)
	}
	wantSent := []string{"POST /v1/payment_methods mq_charge_" + ids[0] + ":pm", "POST /v1/payment_intents mq_charge_" + ids[0],
		"POST /v1/refunds mq_refund_" + ids[1]}
	if diff := cmp.Diff(wantSent, sent); diff != "" {
		t.Errorf("Stripe requests mismatch (-want +got):\n%s", diff)
	}
}
