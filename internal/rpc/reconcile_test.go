package rpc_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/payment/stripetest"
)

// newStripeEnv is an env whose bookings pay through the Stripe provider on stripe-mock, behind a transport
// that remembers PaymentIntents (so a retry under the same key gets the first one, and lookups find them) and
// can lose answers.
func newStripeEnv(t *testing.T) (*env, *stripetest.Transport) {
	t.Helper()
	e := newEnv(t)
	tr := &stripetest.Transport{PaymentIntentStatus: "succeeded", Remember: true}
	e.svcs.Bookings.Provider = payment.NewStripe(stripetest.Key, stripetest.Start(t), payment.WithHTTPClient(tr.Client()))
	return e, tr
}

// reconcile runs one round of the reconciler for the fixture's region with the default grace period.
func (e *env) reconcile(t *testing.T) booking.Reconciled {
	t.Helper()
	n, err := e.svcs.Bookings.Reconcile(context.Background(), usEast.Name, booking.ReconcileGrace)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return n
}

// attemptOf returns the attempt behind u's idempotency key and the booking it made ("" while it made none).
func (e *env) attemptOf(t *testing.T, u user, key string) (attempt, bookingID string) {
	t.Helper()
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT coalesce(payment_id, ''), coalesce(resource_id, '')
		FROM idempotency_keys WHERE user_id = $1 AND operation = 'create_booking' AND key = $2`, u.id, key).Scan(&attempt,
		&bookingID); err != nil {
		t.Fatalf("idempotency key %s: %v", key, err)
	}
	return attempt, bookingID
}

// cardPayment is the card payment of an attempt as the database has it.
type cardPayment struct {
	Status, Ref, BookingID string
	Amount                 int64
}

func (e *env) cardPayment(t *testing.T, attempt string) cardPayment {
	t.Helper()
	var p cardPayment
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT status, coalesce(provider_ref, ''), coalesce(booking_id, ''),
		amount_minor FROM payments WHERE id = $1 AND method = 'card' AND kind = 'charge'`, attempt).Scan(&p.Status, &p.Ref,
		&p.BookingID, &p.Amount); err != nil {
		t.Fatalf("card payment %s: %v", attempt, err)
	}
	return p
}

// refundsSent counts the refunds sent to Stripe, one per idempotency key.
func refundsSent(tr *stripetest.Transport) int {
	keys := map[string]bool{}
	for _, r := range tr.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/refunds" {
			keys[r.IdempotencyKey] = true
		}
	}
	return len(keys)
}

// lostCheckout is a checkout whose card the provider charged (or not) without the answer coming back.
func (e *env) lostCheckout(t *testing.T, u user, r *marqueev1.CreateBookingRequest) {
	t.Helper()
	_, err := e.checkout(u, r)
	wantCode(t, err, connect.CodeUnavailable)
}

// TestReconcileConfirmsLostCharge loses the answer to a charge Stripe made while the seats stay held: within
// the grace period the reconciler leaves the attempt alone; after it, it finds the PaymentIntent by the
// attempt's key and confirms the booking once, with the gift card and the promotion it reserved, and a
// client retry returns that booking without a second charge.
func TestReconcileConfirmsLostCharge(t *testing.T) {
	e, tr := newStripeEnv(t)
	chain := e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	e.mustUpsertPromotion(t, op, percentPromo(chain, "LOST10", 10))
	gift := e.mustIssueGiftCard(t, chain, "USD", 500)
	req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id, PaymentToken: "tok_visa",
		PromoCode: "LOST10", GiftCardCode: gift, IdempotencyKey: "lost-key-1"}
	tr.LoseAnswers(1)
	e.lostCheckout(t, alice, req)
	attempt, _ := e.attemptOf(t, alice, "lost-key-1")
	if got := e.cardPayment(t, attempt); got.Status != "pending" || got.Amount != 2400-240-500 {
		t.Fatalf("card payment after the lost answer = %+v, want pending for 1660", got)
	}
	if n := e.reconcile(t); n != (booking.Reconciled{}) {
		t.Errorf("within the grace period: %+v, want nothing done", n)
	}
	e.clock.Advance(2 * time.Minute)
	if n := e.reconcile(t); n != (booking.Reconciled{Confirmed: 1}) {
		t.Fatalf("Reconcile = %+v, want 1 confirmed", n)
	}
	_, bookingID := e.attemptOf(t, alice, "lost-key-1")
	if bookingID == "" {
		t.Fatal("the key names no booking")
	}
	want := cardPayment{Status: "succeeded", Ref: "pi_mock_1", BookingID: bookingID, Amount: 1660}
	if got := e.cardPayment(t, attempt); got != want {
		t.Errorf("card payment = %+v, want %+v", got, want)
	}
	e.checkConfirmedOnce(t, bookingID, 1)
	if bal := e.giftCardBalance(t, alice, gift); bal != 0 {
		t.Errorf("gift card balance = %d, want 0 (spent on the booking)", bal)
	}
	if n := e.count(t, `SELECT count(*) FROM promotion_redemptions WHERE booking_id = $1`, bookingID); n != 1 {
		t.Errorf("redemptions of the booking = %d, want 1", n)
	}
	for _, s := range []string{"A1", "A2"} {
		if st := e.seatStatus(t)[s]; st != marqueev1.SeatStatus_SEAT_STATUS_BOOKED {
			t.Errorf("%s = %v, want booked", s, st)
		}
	}
	t.Run("OKAgainDoesNothing", func(t *testing.T) {
		if n := e.reconcile(t); n != (booking.Reconciled{}) {
			t.Errorf("second round = %+v, want nothing", n)
		}
		e.checkConfirmedOnce(t, bookingID, 1)
	})
	t.Run("OKClientRetrySameBooking", func(t *testing.T) {
		b, err := e.checkout(alice, req)
		if err != nil || b.Id != bookingID {
			t.Fatalf("retry = %v, %v; want booking %s", b, err, bookingID)
		}
		if n := tr.Intents(); n != 1 {
			t.Errorf("PaymentIntents = %d, want 1", n)
		}
		e.checkConfirmedOnce(t, bookingID, 1)
	})
}

// checkConfirmedOnce checks that bookingID is confirmed, announced once, and paid by exactly cards card charges
// with no refund.
func (e *env) checkConfirmedOnce(t *testing.T, bookingID string, cards int) {
	t.Helper()
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE id = $1 AND status = 'confirmed'`, bookingID); n != 1 {
		t.Errorf("confirmed bookings %s = %d, want 1", bookingID, n)
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE aggregate_id = $1 AND event_type = 'marquee.v1.BookingConfirmed'`,
		bookingID); n != 1 {
		t.Errorf("BookingConfirmed rows = %d, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1 AND kind = 'charge' AND method = 'card'
		AND status = 'succeeded'`, bookingID); n != cards {
		t.Errorf("card charges of the booking = %d, want %d", n, cards)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE kind = 'refund'`); n != 0 {
		t.Errorf("refunds = %d, want 0", n)
	}
}

// TestReconcileRefundsWhenHoldLost loses the answer to a charge and lets the hold expire and its seat go to
// someone else: the reconciler refunds the whole card charge once and gives back the gift card, the store
// credit and the promotion the attempt reserved; the other person keeps the seat.
func TestReconcileRefundsWhenHoldLost(t *testing.T) {
	e, tr := newStripeEnv(t)
	chain := e.fix.Chain.ID
	op, alice, bob := e.mustOperator(t, chain), e.mustRegister(t), e.mustRegister(t)
	e.mustUpsertPromotion(t, op, fixedPromo(chain, "LOST5", 500))
	credit := e.mustStoreCredit(t, alice, "lost-credit", "F1")
	gift := e.mustIssueGiftCard(t, chain, "USD", 300)
	intents, refunds := tr.Intents(), refundsSent(tr)
	req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id, PaymentToken: "tok_visa",
		PromoCode: "LOST5", GiftCardCode: gift, UseStoreCredit: true, IdempotencyKey: "lost-key-2"}
	tr.LoseAnswers(1)
	e.lostCheckout(t, alice, req)
	attempt, _ := e.attemptOf(t, alice, "lost-key-2")
	card := e.cardPayment(t, attempt).Amount
	if card != 2400-500-300-credit || e.giftCardBalance(t, alice, gift) != 0 || len(e.wallet(t, alice)) != 0 {
		t.Fatalf("after the lost answer: card %d, gift card %d, wallet %v; want %d, 0, none", card,
			e.giftCardBalance(t, alice, gift), e.wallet(t, alice), 2400-500-300-credit)
	}
	e.clock.Advance(9 * time.Minute) // past the 8-minute hold
	e.mustHold(t, bob, "A1")
	if n := e.reconcile(t); n != (booking.Reconciled{Refunded: 1}) {
		t.Fatalf("Reconcile = %+v, want 1 refunded", n)
	}
	if got := e.cardPayment(t, attempt); got.Status != "succeeded" || got.BookingID != "" || got.Ref == "" {
		t.Errorf("card payment = %+v, want succeeded, of no booking", got)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE refund_of = $1 AND kind = 'refund' AND method = 'card'
		AND status = 'succeeded' AND amount_minor = $2`, attempt, card); n != 1 {
		t.Errorf("succeeded card refunds of %d = %d, want 1", card, n)
	}
	e.checkGivenBack(t, alice, gift, 300, credit, "LOST5")
	if n := e.count(t, `SELECT count(*) FROM idempotency_keys WHERE user_id = $1 AND key = 'lost-key-2'`, alice.id); n != 0 {
		t.Errorf("the attempt's key is still there")
	}
	if n := e.count(t, `SELECT count(*) FROM showtime_seats WHERE seat_id = 'A1' AND status = 'held' AND held_by = $1`, bob.id); n != 1 {
		t.Error("bob lost the seat")
	}
	if i, r := tr.Intents()-intents, refundsSent(tr)-refunds; i != 1 || r != 1 {
		t.Errorf("PaymentIntents %d, refunds %d; want 1 and 1", i, r)
	}
	t.Run("OKAgainDoesNothing", func(t *testing.T) {
		if n := e.reconcile(t); n != (booking.Reconciled{}) {
			t.Errorf("second round = %+v, want nothing", n)
		}
		if r := refundsSent(tr) - refunds; r != 1 {
			t.Errorf("refunds = %d, want 1", r)
		}
		e.checkGivenBack(t, alice, gift, 300, credit, "LOST5")
	})
	t.Run("ErrClientRetryHoldLost", func(t *testing.T) {
		_, err := e.checkout(alice, req)
		wantCode(t, err, connect.CodeFailedPrecondition)
		if i := tr.Intents() - intents; i != 1 {
			t.Errorf("PaymentIntents = %d, want 1", i)
		}
		e.checkGivenBack(t, alice, gift, 300, credit, "LOST5")
	})
}

// checkGivenBack checks that u has gift card code's balance and credit of store credit back, and that the
// promotion code has no redemption.
func (e *env) checkGivenBack(t *testing.T, u user, gift string, balance, credit int64, code string) {
	t.Helper()
	if got := e.giftCardBalance(t, u, gift); got != balance {
		t.Errorf("gift card balance = %d, want %d", got, balance)
	}
	if got := e.wallet(t, u); len(got) != 1 || got[0].AmountMinor != credit {
		t.Errorf("store credit = %v, want %d", got, credit)
	}
	if count, rows := e.redemptions(t, code); count != 0 || rows != 0 {
		t.Errorf("redemptions of %s = %d with %d rows, want none", code, count, rows)
	}
}

// TestReconcileFailsUncharged loses a charge before it reaches Stripe: the reconciler finds no PaymentIntent
// for the attempt, fails it and gives back what it reserved; the seats stay held, and a retry with the same key
// books them with one charge.
func TestReconcileFailsUncharged(t *testing.T) {
	e, tr := newStripeEnv(t)
	chain := e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	e.mustUpsertPromotion(t, op, percentPromo(chain, "NEVER10", 10))
	gift := e.mustIssueGiftCard(t, chain, "USD", 400)
	req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "B1").Id, PaymentToken: "tok_visa",
		PromoCode: "NEVER10", GiftCardCode: gift, IdempotencyKey: "never-key-1"}
	tr.FailCreates(1)
	e.lostCheckout(t, alice, req)
	attempt, _ := e.attemptOf(t, alice, "never-key-1")
	e.clock.Advance(2 * time.Minute)
	if n := e.reconcile(t); n != (booking.Reconciled{Failed: 1}) {
		t.Fatalf("Reconcile = %+v, want 1 failed", n)
	}
	if got := e.cardPayment(t, attempt); got.Status != "failed" {
		t.Errorf("card payment = %+v, want failed", got)
	}
	if bal := e.giftCardBalance(t, alice, gift); bal != 400 {
		t.Errorf("gift card balance = %d, want 400", bal)
	}
	if count, rows := e.redemptions(t, "NEVER10"); count != 0 || rows != 0 {
		t.Errorf("redemptions = %d with %d rows, want none", count, rows)
	}
	if st := e.seatStatus(t)["B1"]; st != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Errorf("B1 = %v, want still held", st)
	}
	t.Run("OKRetryBooks", func(t *testing.T) {
		b, err := e.checkout(alice, req)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Intents() != 1 || e.giftCardBalance(t, alice, gift) != 0 {
			t.Errorf("PaymentIntents %d, gift card %d; want 1 and 0", tr.Intents(), e.giftCardBalance(t, alice, gift))
		}
		e.checkConfirmedOnce(t, b.Id, 1)
	})
}

// intentEvent is a signed Stripe event of type typ about PaymentIntent pi of attempt.
func (e *env) postIntentEvent(t *testing.T, id, typ, pi, attempt string) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"id":%q,"type":%q,"data":{"object":{"id":%q,"object":"payment_intent","amount":1200,
		"currency":"usd","metadata":{"marquee_idempotency_key":"mq_charge_%s"}}}}`, id, typ, pi, attempt))
	if code := e.postWebhook(t, body, payment.SignWebhook(body, webhookSecret, e.clock.Now())); code != http.StatusOK {
		t.Fatalf("webhook %s: status %d, want 200", id, code)
	}
}

// TestWebhookSettlesAttempt lets payment_intent events arrive before the reconciler: a success confirms the
// attempt whose answer was lost at once, a failure fails one that was never charged, a redelivered event and the
// reconciler after them change nothing (nor does a success event for a booking checked out normally), and a
// success for an attempt already failed is refunded.
func TestWebhookSettlesAttempt(t *testing.T) {
	e, tr := newStripeEnv(t)
	alice := e.mustRegister(t)
	req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "C1").Id, PaymentToken: "tok_visa",
		IdempotencyKey: "hook-key-1"}
	tr.LoseAnswers(1)
	e.lostCheckout(t, alice, req)
	attempt, _ := e.attemptOf(t, alice, "hook-key-1")
	e.postIntentEvent(t, "evt_hook_1", payment.EventPaymentSucceeded, "pi_mock_1", attempt)
	_, bookingID := e.attemptOf(t, alice, "hook-key-1")
	if bookingID == "" {
		t.Fatal("the success event confirmed nothing")
	}
	e.checkConfirmedOnce(t, bookingID, 1)
	t.Run("OKRedeliveryAndReconcilerChangeNothing", func(t *testing.T) {
		e.postIntentEvent(t, "evt_hook_1", payment.EventPaymentSucceeded, "pi_mock_1", attempt)
		// Another event of the same success (Stripe sends one for every charge): the booking keeps its charge.
		e.postIntentEvent(t, "evt_hook_1b", payment.EventPaymentSucceeded, "pi_mock_1", attempt)
		e.clock.Advance(2 * time.Minute)
		if n := e.reconcile(t); n != (booking.Reconciled{}) {
			t.Errorf("Reconcile = %+v, want nothing", n)
		}
		b, err := e.checkout(alice, req)
		if err != nil || b.Id != bookingID {
			t.Errorf("client retry = %v, %v; want booking %s", b, err, bookingID)
		}
		e.checkConfirmedOnce(t, bookingID, 1)
	})
	t.Run("OKNormalCheckoutUnchanged", func(t *testing.T) {
		b := e.mustBook(t, alice, e.mustHold(t, alice, "C5").Id, "hook-key-normal")
		normal, _ := e.attemptOf(t, alice, "hook-key-normal")
		e.postIntentEvent(t, "evt_hook_normal", payment.EventPaymentSucceeded, e.cardPayment(t, normal).Ref, normal)
		e.checkConfirmedOnce(t, b.Id, 1)
	})
	t.Run("OKFailureFails", func(t *testing.T) {
		tr.FailCreates(1)
		e.lostCheckout(t, alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "C3").Id,
			PaymentToken: "tok_visa", IdempotencyKey: "hook-key-2"})
		failed, _ := e.attemptOf(t, alice, "hook-key-2")
		e.postIntentEvent(t, "evt_hook_2", payment.EventPaymentFailed, "pi_hook_2", failed)
		if got := e.cardPayment(t, failed); got.Status != "failed" {
			t.Errorf("card payment = %+v, want failed", got)
		}
		if n := e.count(t, `SELECT count(*) FROM idempotency_keys WHERE key = 'hook-key-2'`); n != 0 {
			t.Error("the failed attempt's key is still there")
		}
		t.Run("OKLateSuccessRefunded", func(t *testing.T) {
			e.postIntentEvent(t, "evt_hook_3", payment.EventPaymentSucceeded, "pi_late", failed)
			if got := e.cardPayment(t, failed); got.Status != "succeeded" || got.Ref != "pi_late" || got.BookingID != "" {
				t.Errorf("card payment = %+v, want succeeded as pi_late, of no booking", got)
			}
			if n := e.count(t, `SELECT count(*) FROM payments WHERE refund_of = $1 AND kind = 'refund'`, failed); n != 1 {
				t.Errorf("refunds of the late charge = %d, want 1", n)
			}
			if r := refundsSent(tr); r != 1 {
				t.Errorf("refunds sent = %d, want 1", r)
			}
		})
	})
}

// TestReconcileRacesClientRetry runs the reconciler and the client's retry of a checkout whose answer was lost
// at the same time, several times: each attempt ends as one booking, confirmed and charged once, never
// refunded, and the client gets that booking.
func TestReconcileRacesClientRetry(t *testing.T) {
	e, tr := newStripeEnv(t)
	alice := e.mustRegister(t)
	for i, seat := range []string{"D1", "D2", "D3", "D4", "D5"} {
		req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, seat).Id, PaymentToken: "tok_visa",
			IdempotencyKey: fmt.Sprintf("race-key-%d", i)}
		tr.LoseAnswers(1)
		e.lostCheckout(t, alice, req)
		e.clock.Advance(2 * time.Minute)
		var wg sync.WaitGroup
		var got *marqueev1.Booking
		var retryErr, recErr error
		wg.Go(func() { got, retryErr = e.checkout(alice, req) })
		wg.Go(func() {
			_, recErr = e.svcs.Bookings.Reconcile(context.Background(), usEast.Name, booking.ReconcileGrace)
		})
		wg.Wait()
		if retryErr != nil || recErr != nil {
			t.Fatalf("round %d: retry %v, reconcile %v", i, retryErr, recErr)
		}
		_, bookingID := e.attemptOf(t, alice, req.IdempotencyKey)
		if got.Id != bookingID {
			t.Errorf("round %d: client got %s, the key names %s", i, got.Id, bookingID)
		}
		e.checkConfirmedOnce(t, bookingID, 1)
	}
	if n := tr.Intents(); n != 5 {
		t.Errorf("PaymentIntents = %d, want 5", n)
	}
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE user_id = $1`, alice.id); n != 5 {
		t.Errorf("bookings = %d, want 5", n)
	}
}

// TestReconcileConfirmsLostAddSeats loses the answer to the charge for seats added to a booking: the seats stay
// held for the attempt, and the reconciler adds them to that booking, once.
func TestReconcileConfirmsLostAddSeats(t *testing.T) {
	e, tr := newStripeEnv(t)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "E1").Id, "lost-add-book")
	tr.LoseAnswers(1)
	req := &marqueev1.AddSeatsRequest{BookingId: b.Id, SeatIds: []string{"E2"}, PaymentToken: "tok_visa",
		IdempotencyKey: "lost-add-seats"}
	_, err := e.addSeats(alice, req)
	wantCode(t, err, connect.CodeUnavailable)
	if st := e.seatStatus(t)["E2"]; st != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Fatalf("E2 = %v after the lost answer, want held for the attempt", st)
	}
	e.clock.Advance(2 * time.Minute)
	if n := e.reconcile(t); n != (booking.Reconciled{Confirmed: 1}) {
		t.Fatalf("Reconcile = %+v, want 1 confirmed", n)
	}
	if n := e.count(t, `SELECT count(*) FROM booking_seats WHERE booking_id = $1 AND status = 'confirmed'`, b.Id); n != 2 {
		t.Errorf("confirmed seats of the booking = %d, want 2", n)
	}
	if n := e.count(t, `SELECT count(*) FROM outbox WHERE aggregate_id = $1 AND event_type = 'marquee.v1.BookingModified'`, b.Id); n != 1 {
		t.Errorf("BookingModified rows = %d, want 1", n)
	}
	res, err := e.addSeats(alice, req)
	if err != nil || res.Booking.Id != b.Id || len(res.Booking.SeatIds) != 2 {
		t.Fatalf("retry = %v, %v; want the booking with 2 seats", res, err)
	}
	if n := tr.Intents(); n != 2 {
		t.Errorf("PaymentIntents = %d, want 2 (the booking and the added seat)", n)
	}
	e.checkConfirmedOnce(t, b.Id, 2)
}

// TestReconcileFollowsIntentStatus loses the answer to a charge whose PaymentIntent did not succeed: while
// Stripe says it is processing the reconciler waits, and once it is canceled the attempt fails and its gift
// card is given back.
func TestReconcileFollowsIntentStatus(t *testing.T) {
	e, tr := newStripeEnv(t)
	alice := e.mustRegister(t)
	gift := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 200)
	req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "F5").Id, PaymentToken: "tok_visa",
		GiftCardCode: gift, IdempotencyKey: "status-key-1"}
	tr.LoseAnswers(1)
	e.lostCheckout(t, alice, req)
	attempt, _ := e.attemptOf(t, alice, "status-key-1")
	e.clock.Advance(2 * time.Minute)
	tr.SetIntentStatus("pi_mock_1", "processing")
	if n := e.reconcile(t); n != (booking.Reconciled{Pending: 1}) {
		t.Fatalf("Reconcile while processing = %+v, want 1 pending", n)
	}
	if got := e.cardPayment(t, attempt); got.Status != "pending" || e.giftCardBalance(t, alice, gift) != 0 {
		t.Errorf("while processing: card payment %+v, gift card %d; want pending and 0", got, e.giftCardBalance(t, alice, gift))
	}
	tr.SetIntentStatus("pi_mock_1", "canceled")
	if n := e.reconcile(t); n != (booking.Reconciled{Failed: 1}) {
		t.Fatalf("Reconcile once canceled = %+v, want 1 failed", n)
	}
	if got := e.cardPayment(t, attempt); got.Status != "failed" || e.giftCardBalance(t, alice, gift) != 200 {
		t.Errorf("once canceled: card payment %+v, gift card %d; want failed and 200", got, e.giftCardBalance(t, alice, gift))
	}
	if n := e.count(t, `SELECT count(*) FROM bookings WHERE user_id = $1`, alice.id); n != 0 {
		t.Errorf("bookings = %d, want 0", n)
	}
}
