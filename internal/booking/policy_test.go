package booking_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/seed"
)

func TestRefundOf(t *testing.T) {
	policy := catalog.ChainPolicy{RefundTiers: []catalog.RefundTier{{Before: 20 * time.Minute, Percent: 50},
		{Before: 24 * time.Hour, Percent: 100}, {Before: 2 * time.Hour, Percent: 75}}}
	for name, tc := range map[string]struct {
		left       time.Duration
		refundFees bool
		want       int64
	}{
		"Full":          {48 * time.Hour, false, 1800},
		"FullAtCutoff":  {24 * time.Hour, false, 1800},
		"ThreeQuarters": {3 * time.Hour, false, 1350},
		"Half":          {time.Hour, false, 900},
		"HalfWithFees":  {time.Hour, true, 1000},
		"None":          {10 * time.Minute, true, 0},
		"FullWithFees":  {25 * time.Hour, true, 2000},
	} {
		t.Run(name, func(t *testing.T) {
			pct := policy.RefundPercent(tc.left)
			if got := booking.RefundOf(2000, 200, 200, pct, tc.refundFees); got != tc.want {
				t.Fatalf("RefundOf at %d%% = %d, want %d", pct, got, tc.want)
			}
		})
	}
	card := booking.Charge{PaymentID: "c1", Method: booking.Card}
	gift := booking.Charge{PaymentID: "g1", Method: booking.GiftCard}
	credit := booking.Charge{PaymentID: "s1", Method: booking.StoreCredit}
	parts := []booking.RefundPart{{Charge: card, AmountMinor: 1000}, {Charge: gift, AmountMinor: 55}, {Charge: credit, AmountMinor: 5000}}
	if got := booking.CreditBonus(parts, 10); got != 105 {
		t.Fatalf("CreditBonus = %d, want 105 (10%% of the card and gift card parts only, rounded down)", got)
	}
	if got := booking.CreditBonus(parts[2:], 10); got != 0 {
		t.Fatalf("CreditBonus of store credit only = %d, want 0", got)
	}
}

func TestConfirmationCode(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := booking.NewConfirmationCode()
		if !re.MatchString(c) || seen[c] {
			t.Fatalf("code %q malformed or repeated", c)
		}
		seen[c] = true
	}
}

// slowProvider lets something happen while a charge is in flight.
type slowProvider struct {
	*payment.Sandbox
	during func()
}

func (p *slowProvider) Charge(ctx context.Context, r payment.ChargeRequest) (string, error) {
	p.during()
	return p.Sandbox.Charge(ctx, r)
}

// TestHoldLostDuringPaymentIsRefunded lets a hold expire and its seat go to someone else while the card is
// being charged: the booking fails, the charge is refunded, and the other person keeps the seat.
func TestHoldLostDuringPaymentIsRefunded(t *testing.T) {
	w := newWorld(t, seed.Layout{Rows: 1, SeatsPerRow: 4})
	clock := platform.NewManualClock(time.Now())
	w.inv.Now, w.book.Now = clock.Now, clock.Now
	users := w.mustUsers(t, 2)
	ctx := context.Background()
	h, err := w.inv.Hold(ctx, users[0], w.fix.Showtime.ID, []string{"A1"})
	if err != nil {
		t.Fatal(err)
	}
	w.book.Provider = &slowProvider{Sandbox: w.sandbox, during: func() {
		clock.Advance(9 * time.Minute)
		if _, err := w.inv.Hold(ctx, users[1], w.fix.Showtime.ID, []string{"A1"}); err != nil {
			t.Errorf("second user's hold: %v", err)
		}
	}}
	_, err = w.book.Create(ctx, booking.Request{UserID: users[0], HoldID: h.ID, PaymentToken: "tok_visa", Key: "lost-hold-1"})
	if !errs.Is(err, errs.Precondition) {
		t.Fatalf("Create = %v, want Precondition", err)
	}
	if charges, refunds := w.sandbox.Counts(); charges != 1 || refunds != 1 {
		t.Fatalf("charges %d, refunds %d; want 1 and 1", charges, refunds)
	}
	if n := w.count(t, `SELECT count(*) FROM showtime_seats WHERE seat_id = 'A1' AND status = 'held' AND held_by = $1`, users[1]); n != 1 {
		t.Fatal("the second user lost the seat")
	}
	if n := w.count(t, `SELECT count(*) FROM bookings`); n != 0 {
		t.Fatalf("bookings = %d, want 0", n)
	}
	w.checkInvariants(t, clock.Now())
}

// flakyProvider fails its first charge as if the provider timed out after charging.
type flakyProvider struct {
	*payment.Sandbox
	failed bool
}

func (p *flakyProvider) Charge(ctx context.Context, r payment.ChargeRequest) (string, error) {
	ref, err := p.Sandbox.Charge(ctx, r) // the provider did charge...
	if !p.failed {
		p.failed = true
		return "", errs.Errorf("test", errs.Unavailable, "timeout") // ...but the answer was lost
	}
	return ref, err
}

// TestProviderTimeoutThenRetryChargesOnce loses the provider's answer to the first charge: the attempt stays
// open, and the client's retry with the same key books with exactly one charge.
func TestProviderTimeoutThenRetryChargesOnce(t *testing.T) {
	w := newWorld(t, seed.Layout{Rows: 1, SeatsPerRow: 4})
	uid := w.mustUsers(t, 1)[0]
	ctx := context.Background()
	h, err := w.inv.Hold(ctx, uid, w.fix.Showtime.ID, []string{"A1", "A2"})
	if err != nil {
		t.Fatal(err)
	}
	w.book.Provider = &flakyProvider{Sandbox: w.sandbox}
	req := booking.Request{UserID: uid, HoldID: h.ID, PaymentToken: "tok_visa", Key: "timeout-key-1"}
	if _, err := w.book.Create(ctx, req); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("first Create = %v, want Unavailable", err)
	}
	b, err := w.book.Create(ctx, req)
	if err != nil || b.Status != booking.Confirmed {
		t.Fatalf("retry = %v, %v", b, err)
	}
	if charges, _ := w.sandbox.Counts(); charges != 1 {
		t.Fatalf("charges = %d, want 1", charges)
	}
	w.checkInvariants(t, time.Now())
}

// refundDown fails refunds until up is set.
type refundDown struct {
	*payment.Sandbox
	up bool
}

func (p *refundDown) Refund(ctx context.Context, r payment.RefundRequest) (string, error) {
	if !p.up {
		return "", errs.Errorf("test", errs.Unavailable, "provider down")
	}
	return p.Sandbox.Refund(ctx, r)
}

// TestRefundRetriedAfterProviderOutage cancels while the provider refuses refunds: the cancellation stands
// with its refund pending, and RetryRefunds makes it once the provider is back, once.
func TestRefundRetriedAfterProviderOutage(t *testing.T) {
	w := newWorld(t, seed.Layout{Rows: 1, SeatsPerRow: 4})
	uid := w.mustUsers(t, 1)[0]
	ctx := context.Background()
	h, err := w.inv.Hold(ctx, uid, w.fix.Showtime.ID, []string{"A1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.book.Create(ctx, booking.Request{UserID: uid, HoldID: h.ID, PaymentToken: "tok_visa", Key: "outage-book-1"})
	if err != nil {
		t.Fatal(err)
	}
	p := &refundDown{Sandbox: w.sandbox}
	w.book.Provider = p
	c, err := w.book.Cancel(ctx, booking.CancelRequest{UserID: uid, BookingID: b.ID, Key: "outage-cancel-1"})
	if err != nil || c.Booking.Status != booking.Cancelled || c.RefundMinor != 1200 {
		t.Fatalf("Cancel = %+v, %v", c, err)
	}
	if n := w.count(t, `SELECT count(*) FROM payments WHERE kind = 'refund' AND status = 'pending'`); n != 1 {
		t.Fatalf("pending refunds = %d, want 1", n)
	}
	if n, err := w.book.RetryRefunds(ctx, 0); err != nil || n != 0 {
		t.Fatalf("RetryRefunds while down = %d, %v", n, err)
	}
	p.up = true
	if n, err := w.book.RetryRefunds(ctx, 0); err != nil || n != 1 {
		t.Fatalf("RetryRefunds = %d, %v; want 1", n, err)
	}
	if n, _ := w.book.RetryRefunds(ctx, 0); n != 0 {
		t.Fatalf("a second RetryRefunds made %d more refunds", n)
	}
	if _, refunds := w.sandbox.Counts(); refunds != 1 {
		t.Fatalf("provider refunds = %d, want 1", refunds)
	}
}
