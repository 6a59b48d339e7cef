package rpc_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/catalog"
)

// mustIssueGiftCard makes a new operator of chainID and has them issue a gift card; it returns the code.
func (e *env) mustIssueGiftCard(t *testing.T, chainID, currency string, amount int64) string {
	t.Helper()
	op := e.mustRegister(t)
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE users SET role = 'operator', chain_id = $2 WHERE id = $1`,
		op.id, chainID); err != nil {
		t.Fatal(err)
	}
	admin := marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
	res, err := admin.IssueGiftCard(context.Background(), as(op, &marqueev1.IssueGiftCardRequest{ChainId: chainID,
		Amount: &marqueev1.Money{CurrencyCode: currency, AmountMinor: amount}}))
	if err != nil {
		t.Fatalf("IssueGiftCard: %v", err)
	}
	return res.Msg.Code
}

// giftCardBalance returns a gift card's balance as CheckGiftCard shows it to u.
func (e *env) giftCardBalance(t *testing.T, u user, code string) int64 {
	t.Helper()
	w := marqueev1connect.NewWalletServiceClient(http.DefaultClient, e.url)
	res, err := w.CheckGiftCard(context.Background(), as(u, &marqueev1.CheckGiftCardRequest{Code: code}))
	if err != nil {
		t.Fatalf("CheckGiftCard: %v", err)
	}
	return res.Msg.Balance.AmountMinor
}

// wallet returns u's store credit balances as GetWallet shows them.
func (e *env) wallet(t *testing.T, u user) []*marqueev1.Money {
	t.Helper()
	w := marqueev1connect.NewWalletServiceClient(http.DefaultClient, e.url)
	res, err := w.GetWallet(context.Background(), as(u, &marqueev1.GetWalletRequest{}))
	if err != nil {
		t.Fatalf("GetWallet: %v", err)
	}
	return res.Msg.StoreCredit
}

// usd is a list of one USD balance, or none for 0, as GetWallet reports it.
func usdCredit(minor int64) []*marqueev1.Money {
	if minor == 0 {
		return nil
	}
	return []*marqueev1.Money{{CurrencyCode: "USD", AmountMinor: minor}}
}

func (e *env) checkout(u user, r *marqueev1.CreateBookingRequest) (*marqueev1.Booking, error) {
	res, err := e.bookings.CreateBooking(context.Background(), as(u, r))
	if err != nil {
		return nil, err
	}
	return res.Msg.Booking, nil
}

func (e *env) mustCancel(t *testing.T, u user, r *marqueev1.CancelBookingRequest) *marqueev1.CancelBookingResponse {
	t.Helper()
	res, err := e.bookings.CancelBooking(context.Background(), as(u, r))
	if err != nil {
		t.Fatalf("CancelBooking(%v): %v", r, err)
	}
	return res.Msg
}

// mustStoreCredit gives u store credit by booking seats and cancelling them to store credit; it returns the
// credit granted.
func (e *env) mustStoreCredit(t *testing.T, u user, key string, seats ...string) int64 {
	t.Helper()
	b := e.mustBook(t, u, e.mustHold(t, u, seats...).Id, key+"-book")
	return e.mustCancel(t, u, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: key + "-cancel",
		RefundTo: marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT}).StoreCredit.AmountMinor
}

// tendersOf sums a booking's tenders by method.
func tendersOf(b *marqueev1.Booking) map[marqueev1.TenderMethod]int64 {
	out := map[marqueev1.TenderMethod]int64{}
	for _, t := range b.Tenders {
		out[t.Method] += t.Amount.AmountMinor
	}
	return out
}

const (
	tenderCard        = marqueev1.TenderMethod_TENDER_METHOD_CARD
	tenderGiftCard    = marqueev1.TenderMethod_TENDER_METHOD_GIFT_CARD
	tenderStoreCredit = marqueev1.TenderMethod_TENDER_METHOD_STORE_CREDIT
)

func TestGiftCardSplitTender(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	code := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 1500)
	b, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id,
		PaymentToken: "tok_visa", GiftCardCode: code, IdempotencyKey: "split-book-01"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[marqueev1.TenderMethod]int64{tenderGiftCard: 1500, tenderCard: 900}, tendersOf(b)); diff != "" {
		t.Errorf("tenders mismatch (-want +got):\n%s", diff)
	}
	if b.Total.AmountMinor != 2400 {
		t.Errorf("total = %d, want 2400", b.Total.AmountMinor)
	}
	if charges, _ := e.sandbox.Counts(); charges != 1 {
		t.Errorf("sandbox charges = %d, want 1", charges)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1 AND method = 'card' AND provider = 'sandbox'
		AND status = 'succeeded' AND amount_minor = 900`, b.Id); n != 1 {
		t.Errorf("card charges of 900 = %d, want 1", n)
	}
	if got := e.giftCardBalance(t, alice, code); got != 0 {
		t.Errorf("gift card balance = %d, want 0", got)
	}

	other := catalog.Chain{ID: "chain-other", Name: "Other Cinemas"}
	if err := e.db.Catalog().InsertChain(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	h := e.mustHold(t, alice, "B5")
	for _, tc := range []struct{ name, code string }{
		{"ErrOtherChain", e.mustIssueGiftCard(t, other.ID, "USD", 5000)},
		{"ErrOtherCurrency", e.mustIssueGiftCard(t, e.fix.Chain.ID, "EUR", 5000)},
		{"ErrUsedUp", code},
		{"ErrUnknown", "AAAA-BBBB-CCCC-DDDD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before int64
			if tc.code != "AAAA-BBBB-CCCC-DDDD" {
				before = e.giftCardBalance(t, alice, tc.code)
			}
			payments := e.count(t, `SELECT count(*) FROM payments`)
			_, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_visa",
				GiftCardCode: tc.code, IdempotencyKey: "split-" + tc.name})
			wantCode(t, err, connect.CodeFailedPrecondition)
			if before > 0 {
				if got := e.giftCardBalance(t, alice, tc.code); got != before {
					t.Errorf("gift card balance = %d, want %d unchanged", got, before)
				}
			}
			if charges, _ := e.sandbox.Counts(); charges != 1 {
				t.Errorf("sandbox charges = %d, want 1", charges)
			}
			if n := e.count(t, `SELECT count(*) FROM payments`); n != payments {
				t.Errorf("payments = %d, want %d", n, payments)
			}
			if st := e.seatStatus(t)["B5"]; st != marqueev1.SeatStatus_SEAT_STATUS_HELD {
				t.Errorf("B5 = %v, want still held", st)
			}
		})
	}
}

func TestStoreCreditRefundAndSpend(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := simplePolicy
	p.StoreCreditBonusPercent = 10
	e.setPolicy(t, p)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "A1", "A2").Id, "credit-book-01")
	res := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "credit-cancel-01",
		RefundTo: marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT})
	if res.Refund.AmountMinor != 2400 || res.StoreCredit.AmountMinor != 2640 ||
		res.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED {
		t.Fatalf("cancel = %v, want cancelled, refund 2400 as 2640 of store credit", res)
	}
	if _, refunds := e.sandbox.Counts(); refunds != 0 {
		t.Errorf("sandbox refunds = %d, want 0", refunds)
	}
	if diff := cmp.Diff(usdCredit(2640), e.wallet(t, alice), protocmp.Transform()); diff != "" {
		t.Errorf("wallet mismatch (-want +got):\n%s", diff)
	}

	b2, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "C1", "C2").Id,
		UseStoreCredit: true, IdempotencyKey: "credit-book-02"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[marqueev1.TenderMethod]int64{tenderStoreCredit: 2400}, tendersOf(b2)); diff != "" {
		t.Errorf("tenders mismatch (-want +got):\n%s", diff)
	}
	if charges, _ := e.sandbox.Counts(); charges != 1 {
		t.Errorf("sandbox charges = %d, want 1 (the first booking only)", charges)
	}
	if diff := cmp.Diff(usdCredit(240), e.wallet(t, alice), protocmp.Transform()); diff != "" {
		t.Errorf("wallet mismatch (-want +got):\n%s", diff)
	}
	t.Run("ErrNotEnoughCreditWithoutToken", func(t *testing.T) {
		h := e.mustHold(t, alice, "D1")
		_, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id,
			UseStoreCredit: true, IdempotencyKey: "credit-book-03"}))
		wantCode(t, err, connect.CodeFailedPrecondition)
		if diff := cmp.Diff(usdCredit(240), e.wallet(t, alice), protocmp.Transform()); diff != "" {
			t.Errorf("wallet mismatch (-want +got):\n%s", diff)
		}
		if st := e.seatStatus(t)["D1"]; st != marqueev1.SeatStatus_SEAT_STATUS_HELD {
			t.Errorf("D1 = %v, want still held", st)
		}
	})
	if n := e.count(t, `SELECT coalesce(sum(amount_minor), 0) FROM store_credit_entries WHERE user_id = $1`, alice.id); n != 240 {
		t.Errorf("store credit ledger sums to %d, want 240", n)
	}
}

// refundRow is a refund payment as the database records it.
type refundRow struct {
	Method, Status string
	Amount         int64
}

func (e *env) refunds(t *testing.T, bookingID string) []refundRow {
	t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT method, status, amount_minor FROM payments
		WHERE booking_id = $1 AND kind = 'refund' ORDER BY created_at, CASE method WHEN 'card' THEN 0 ELSE 1 END`, bookingID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []refundRow
	for rows.Next() {
		var r refundRow
		if err := rows.Scan(&r.Method, &r.Status, &r.Amount); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRefundSplitTenderToOriginalMethods(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	code := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 1500)
	b, err := e.checkout(alice, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, "A1", "A2").Id,
		PaymentToken: "tok_visa", GiftCardCode: code, IdempotencyKey: "orig-book-01"})
	if err != nil {
		t.Fatal(err)
	}
	res := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "orig-cancel-01",
		SeatIds: []string{"A1"}})
	if res.Refund.AmountMinor != 1200 {
		t.Fatalf("refund = %d, want 1200", res.Refund.AmountMinor)
	}
	if got := e.giftCardBalance(t, alice, code); got != 300 {
		t.Errorf("gift card balance after the first seat = %d, want 300 (card refunded 900 first)", got)
	}
	e.clock.Advance(time.Minute)
	res = e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "orig-cancel-02"})
	if res.Refund.AmountMinor != 1200 || res.Booking.Refund.AmountMinor != 2400 {
		t.Fatalf("second cancel = %v, want refund 1200 and 2400 in all", res)
	}
	if got := e.giftCardBalance(t, alice, code); got != 1500 {
		t.Errorf("gift card balance = %d, want 1500", got)
	}
	if _, refunds := e.sandbox.Counts(); refunds != 1 {
		t.Errorf("sandbox refunds = %d, want 1", refunds)
	}
	want := []refundRow{{"card", "succeeded", 900}, {"gift_card", "succeeded", 300}, {"gift_card", "succeeded", 1200}}
	if diff := cmp.Diff(want, e.refunds(t, b.Id)); diff != "" {
		t.Errorf("refunds mismatch (-want +got):\n%s", diff)
	}
}

func TestDeclinedCardGivesBackGiftCardAndStoreCredit(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	credit := e.mustStoreCredit(t, alice, "decline-credit", "A1")
	code := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 500)
	h := e.mustHold(t, alice, "D1", "D2")
	req := &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_chargeDeclined", GiftCardCode: code,
		UseStoreCredit: true, IdempotencyKey: "decline-book-01"}
	_, err := e.checkout(alice, req)
	if ce := wantCode(t, err, connect.CodeFailedPrecondition); !strings.Contains(ce.Message(), "declined") {
		t.Errorf("message = %q, want it to say declined", ce.Message())
	}
	if got := e.giftCardBalance(t, alice, code); got != 500 {
		t.Errorf("gift card balance = %d, want 500", got)
	}
	if diff := cmp.Diff(usdCredit(credit), e.wallet(t, alice), protocmp.Transform()); diff != "" {
		t.Errorf("wallet mismatch (-want +got):\n%s", diff)
	}
	if st := e.seatStatus(t); st["D1"] != marqueev1.SeatStatus_SEAT_STATUS_HELD || st["D2"] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Errorf("D1=%v D2=%v, want both still held", st["D1"], st["D2"])
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE kind = 'charge' AND status <> 'failed' AND booking_id IS NULL`); n != 0 {
		t.Errorf("payments of the declined attempt not failed = %d, want 0", n)
	}
	t.Run("RetryWithGoodCard", func(t *testing.T) {
		req.PaymentToken, req.IdempotencyKey = "tok_visa", "decline-book-02"
		b, err := e.checkout(alice, req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[marqueev1.TenderMethod]int64{tenderGiftCard: 500, tenderStoreCredit: credit, tenderCard: 3600 - 500 - credit}
		if diff := cmp.Diff(want, tendersOf(b)); diff != "" {
			t.Errorf("tenders mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestGiftCardRace(t *testing.T) {
	e := newEnv(t)
	code := e.mustIssueGiftCard(t, e.fix.Chain.ID, "USD", 1000)
	const n = 10
	reqs := make([]*marqueev1.CreateBookingRequest, n)
	users := make([]user, n)
	for i := range n {
		users[i] = e.mustRegister(t)
		reqs[i] = &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, users[i], fmt.Sprintf("C%d", i+1)).Id,
			PaymentToken: "tok_visa", GiftCardCode: code, IdempotencyKey: fmt.Sprintf("gift-race-%02d", i)}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = e.checkout(users[i], reqs[i]) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Errorf("checkout error = %v, want success or failed_precondition", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d checkouts succeeded, want 1: the first takes the whole card and the rest find it empty", ok)
	}
	balance := e.count(t, `SELECT balance_minor FROM gift_cards WHERE code = $1`, code)
	spent := e.count(t, `SELECT coalesce(sum(p.amount_minor), 0) FROM payments p JOIN gift_cards g ON g.id = p.gift_card_id
		WHERE g.code = $1 AND p.kind = 'charge' AND p.status = 'succeeded'`, code)
	if balance < 0 || balance != 1000-spent {
		t.Errorf("gift card balance = %d, spent %d; want balance >= 0 and 1000 - spent", balance, spent)
	}
	inBookings := e.count(t, `SELECT coalesce(sum(p.amount_minor), 0) FROM payments p JOIN bookings b
		ON b.region = p.region AND b.id = p.booking_id WHERE b.status = 'confirmed' AND p.method = 'gift_card'
		AND p.kind = 'charge' AND p.status = 'succeeded'`)
	if inBookings > 1000 || (ok > 0 && inBookings != 1000) {
		t.Errorf("gift card tenders of confirmed bookings = %d with %d bookings, want 1000 (at most 1000)", inBookings, ok)
	}
	e.checkFullyPaid(t)
}

// checkFullyPaid checks that every confirmed booking's succeeded charges add up to its total.
func (e *env) checkFullyPaid(t *testing.T) {
	t.Helper()
	if n := e.count(t, `SELECT count(*) FROM bookings b WHERE b.total_minor <> (SELECT coalesce(sum(p.amount_minor), 0)
		FROM payments p WHERE p.region = b.region AND p.booking_id = b.id AND p.kind = 'charge' AND p.status = 'succeeded')`); n != 0 {
		t.Errorf("bookings whose charges do not add up to their total = %d, want 0", n)
	}
}

func TestStoreCreditRace(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	var credited int64
	for round := range 5 {
		credited += e.mustStoreCredit(t, alice, fmt.Sprintf("sc-race-%d", round), fmt.Sprintf("C%d", round+1))
		var wg sync.WaitGroup
		for i, seat := range []string{fmt.Sprintf("D%d", round+1), fmt.Sprintf("E%d", round+1)} {
			req := &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, alice, seat).Id, PaymentToken: "tok_visa",
				UseStoreCredit: true, IdempotencyKey: fmt.Sprintf("sc-race-%d-%d", round, i)}
			wg.Go(func() {
				if _, err := e.checkout(alice, req); err != nil {
					t.Errorf("checkout %s: %v", seat, err)
				}
			})
		}
		wg.Wait()
	}
	balance := e.count(t, `SELECT coalesce(sum(balance_minor), 0) FROM store_credit_balances WHERE user_id = $1`, alice.id)
	spent := e.count(t, `SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE user_id = $1 AND method = 'store_credit'
		AND kind = 'charge' AND status = 'succeeded'`, alice.id)
	ledger := e.count(t, `SELECT coalesce(sum(amount_minor), 0) FROM store_credit_entries WHERE user_id = $1`, alice.id)
	if balance < 0 || int64(balance) != credited-int64(spent) || ledger != balance {
		t.Errorf("store credit balance %d, ledger %d, credited %d, spent %d; want balance = ledger = credited - spent >= 0",
			balance, ledger, credited, spent)
	}
	if int64(spent) != credited {
		t.Errorf("store credit spent = %d, want all %d (each round's credit covers one seat)", spent, credited)
	}
	e.checkFullyPaid(t)
}

func TestPartialCancel(t *testing.T) {
	e := newEnv(t)
	alice := e.mustRegister(t)
	b := e.mustBook(t, alice, e.mustHold(t, alice, "A1", "A2", "A3").Id, "partial-book-01")
	res := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "partial-cancel-01",
		SeatIds: []string{"A2"}})
	if res.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CONFIRMED || res.Refund.AmountMinor != 1200 ||
		res.Booking.Refund.AmountMinor != 1200 {
		t.Errorf("cancel = %v, want still confirmed with 1200 refunded", res)
	}
	if diff := cmp.Diff([]string{"A2"}, res.Booking.CancelledSeatIds); diff != "" {
		t.Errorf("cancelled seats mismatch (-want +got):\n%s", diff)
	}
	wantStatus := func(t *testing.T, want map[string]marqueev1.SeatStatus) {
		t.Helper()
		st := e.seatStatus(t)
		got := map[string]marqueev1.SeatStatus{}
		for id := range want {
			got[id] = st[id]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("seat statuses mismatch (-want +got):\n%s", diff)
		}
	}
	booked, free := marqueev1.SeatStatus_SEAT_STATUS_BOOKED, marqueev1.SeatStatus_SEAT_STATUS_AVAILABLE
	wantStatus(t, map[string]marqueev1.SeatStatus{"A1": booked, "A2": free, "A3": booked})
	cancelled := `SELECT count(*) FROM outbox WHERE subject = 'marquee.us-east1.booking.cancelled' AND aggregate_id = $1`
	for _, tc := range []struct {
		name  string
		seats []string
		want  connect.Code
	}{
		{"ErrSeatNotInBooking", []string{"A4"}, connect.CodeInvalidArgument},
		{"ErrAlreadyCancelled", []string{"A2"}, connect.CodeFailedPrecondition},
		{"ErrOneAlreadyCancelled", []string{"A1", "A2"}, connect.CodeFailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.bookings.CancelBooking(context.Background(), as(alice, &marqueev1.CancelBookingRequest{
				BookingId: b.Id, IdempotencyKey: "partial-" + tc.name, SeatIds: tc.seats}))
			wantCode(t, err, tc.want)
			wantStatus(t, map[string]marqueev1.SeatStatus{"A1": booked, "A2": free, "A3": booked, "A4": free})
			if n := e.count(t, cancelled, b.Id); n != 1 {
				t.Errorf("BookingCancelled rows = %d, want 1", n)
			}
			if _, refunds := e.sandbox.Counts(); refunds != 1 {
				t.Errorf("sandbox refunds = %d, want 1", refunds)
			}
		})
	}
	res = e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: b.Id, IdempotencyKey: "partial-cancel-02"})
	if res.Booking.Status != marqueev1.BookingStatus_BOOKING_STATUS_CANCELLED || res.Refund.AmountMinor != 2400 ||
		res.Booking.Refund.AmountMinor != 3600 {
		t.Errorf("cancelling the rest = %v, want cancelled with 2400 more refunded", res)
	}
	if diff := cmp.Diff([]string{"A1", "A2", "A3"}, res.Booking.CancelledSeatIds); diff != "" {
		t.Errorf("cancelled seats mismatch (-want +got):\n%s", diff)
	}
	wantStatus(t, map[string]marqueev1.SeatStatus{"A1": free, "A2": free, "A3": free})
	if n := e.count(t, cancelled, b.Id); n != 2 {
		t.Errorf("BookingCancelled rows = %d, want 2", n)
	}
}

func TestTieredRefunds(t *testing.T) {
	tiers := []catalog.RefundTier{{Before: 24 * time.Hour, Percent: 100}, {Before: 2 * time.Hour, Percent: 75},
		{Before: 20 * time.Minute, Percent: 50}}
	bands := []struct {
		before time.Duration
		pct    int64
	}{{24 * time.Hour, 100}, {23 * time.Hour, 75}, {2 * time.Hour, 75}, {119 * time.Minute, 50},
		{20 * time.Minute, 50}, {19 * time.Minute, 0}}
	for _, tc := range []struct {
		name       string
		refundFees bool
	}{{"OKFeesRefunded", true}, {"OKFeesKept", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.setPolicy(t, catalog.ChainPolicy{RefundTiers: tiers, RefundFees: tc.refundFees, FeePerSeatMinor: 100})
			alice := e.mustRegister(t)
			var bs []*marqueev1.Booking
			for i := range bands {
				b := e.mustBook(t, alice, e.mustHold(t, alice, fmt.Sprintf("A%d", i+1)).Id, fmt.Sprintf("tier-book-%d", i))
				if b.Total.AmountMinor != 1300 || b.Fees.AmountMinor != 100 {
					t.Fatalf("booking total %v fees %v, want 1300 with a fee of 100", b.Total, b.Fees)
				}
				bs = append(bs, b)
			}
			for i, band := range bands {
				e.clock.Advance(e.fix.Showtime.StartsAt.Sub(e.clock.Now()) - band.before)
				res := e.mustCancel(t, alice, &marqueev1.CancelBookingRequest{BookingId: bs[i].Id,
					IdempotencyKey: fmt.Sprintf("tier-cancel-%d", i)})
				want := 1200 * band.pct / 100
				if tc.refundFees {
					want += 100 * band.pct / 100
				}
				refunded := e.count(t, `SELECT coalesce(sum(amount_minor), 0) FROM payments WHERE booking_id = $1
					AND kind = 'refund' AND method = 'card' AND status = 'succeeded'`, bs[i].Id)
				if res.Refund.AmountMinor != want || int64(refunded) != want {
					t.Errorf("cancel %v before the show: refund %d, card refunds %d; want %d", band.before,
						res.Refund.AmountMinor, refunded, want)
				}
			}
		})
	}
}
