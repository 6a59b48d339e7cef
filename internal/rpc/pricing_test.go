package rpc_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/internal/rpc"
)

func usd(minor int64) *marqueev1.Money {
	return &marqueev1.Money{CurrencyCode: "USD", AmountMinor: minor}
}

// quoteOpts compares quotes; seat types are checked by TestQuoteSeatTypes, so the tables here leave them out.
var quoteOpts = cmp.Options{protocmp.Transform(), protocmp.IgnoreFields(&marqueev1.LineItem{}, "seat_type")}

func (e *env) mustQuote(t *testing.T, u user, holdID, code string) *marqueev1.Quote {
	t.Helper()
	res, err := e.pricingSvc().Quote(context.Background(), as(u, &marqueev1.QuoteRequest{HoldId: holdID, PromoCode: code}))
	if err != nil {
		t.Fatalf("Quote(%s, %q): %v", holdID, code, err)
	}
	return res.Msg.Quote
}

// line is a quote line of a seat with no pricing rule applied.
func line(seat string, base int64) *marqueev1.LineItem {
	return &marqueev1.LineItem{SeatId: seat, Base: usd(base), Amount: usd(base)}
}

// bookedPrices returns the price of each seat of a booking, from the database.
func (e *env) bookedPrices(t *testing.T, bookingID string) map[string]int64 {
	t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT seat_id, price_minor FROM booking_seats WHERE booking_id = $1`, bookingID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var seat string
		var price int64
		if err := rows.Scan(&seat, &price); err != nil {
			t.Fatal(err)
		}
		out[seat] = price
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPricingRulesChangeHoldPrices(t *testing.T) {
	e := newEnv(t)
	chain := e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	// The show starts at 08:00 in New York, 12:00 UTC: the matinee rule matches, the lunch one would in UTC.
	twoD := e.mustUpsertRule(t, op, formatRule(chain, "2D surcharge", 300, 1, "2d"))
	matinee := e.mustUpsertRule(t, op, timeRule(chain, "Matinee", 7*60, 10*60, -25, 2))
	e.mustUpsertRule(t, op, timeRule(chain, "Lunch", 11*60, 13*60, 10, 3))
	h := e.mustHold(t, alice, "D1", "A1")
	wantHold := &marqueev1.Hold{Id: h.Id, ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"A1", "D1"},
		ExpiresAt: timestamppb.New(t0.Add(8 * time.Minute)), Prices: []*marqueev1.Money{usd(1125), usd(1575)}, Subtotal: usd(2700)}
	if diff := cmp.Diff(wantHold, h, protocmp.Transform()); diff != "" {
		t.Errorf("HoldSeats mismatch (-want +got):\n%s", diff)
	}
	adjust := func(twoDAmount, matineeAmount int64) []*marqueev1.PriceAdjustment {
		return []*marqueev1.PriceAdjustment{{RuleId: twoD.Id, Description: "2D surcharge", Amount: usd(twoDAmount)},
			{RuleId: matinee.Id, Description: "Matinee", Amount: usd(matineeAmount)}}
	}
	wantQuote := &marqueev1.Quote{HoldId: h.Id, LineItems: []*marqueev1.LineItem{
		{SeatId: "A1", Base: usd(1200), Adjustments: adjust(300, -375), Amount: usd(1125)},  // (1200+300) * 0.75
		{SeatId: "D1", Base: usd(1800), Adjustments: adjust(300, -525), Amount: usd(1575)}}, // (1800+300) * 0.75
		Subtotal: usd(2700), Total: usd(2700)}
	if diff := cmp.Diff(wantQuote, e.mustQuote(t, alice, h.Id, ""), quoteOpts); diff != "" {
		t.Errorf("Quote mismatch (-want +got):\n%s", diff)
	}
	t.Run("ErrOthersHold", func(t *testing.T) {
		_, err := e.pricingSvc().Quote(context.Background(), as(op, &marqueev1.QuoteRequest{HoldId: h.Id}))
		wantCode(t, err, connect.CodeNotFound)
	})
	t.Run("RuleAddedAfterHoldKeepsHeldPrice", func(t *testing.T) {
		tuesday := e.mustUpsertRule(t, op, &marqueev1.PricingRule{ChainId: chain, Name: "Tuesday",
			Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DAY_OF_WEEK, DaysOfWeek: []int32{2}, AmountMinor: 500, Priority: 4})
		if diff := cmp.Diff(wantQuote, e.mustQuote(t, alice, h.Id, ""), quoteOpts); diff != "" {
			t.Errorf("Quote after a new rule mismatch (-want +got):\n%s", diff)
		}
		b := e.mustBook(t, alice, h.Id, "rules-book-01")
		if diff := cmp.Diff(usd(2700), b.Total, protocmp.Transform()); diff != "" {
			t.Errorf("booking total mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]int64{"A1": 1125, "D1": 1575}, e.bookedPrices(t, b.Id)); diff != "" {
			t.Errorf("booked prices mismatch (-want +got):\n%s", diff)
		}
		h2 := e.mustHold(t, alice, "A2")
		a2 := &marqueev1.LineItem{SeatId: "A2", Base: usd(1200), Amount: usd(1625), Adjustments: append(adjust(300, -375),
			&marqueev1.PriceAdjustment{RuleId: tuesday.Id, Description: "Tuesday", Amount: usd(500)})}
		want := &marqueev1.Quote{HoldId: h2.Id, LineItems: []*marqueev1.LineItem{a2}, Subtotal: usd(1625), Total: usd(1625)}
		if diff := cmp.Diff(want, e.mustQuote(t, alice, h2.Id, ""), quoteOpts); diff != "" {
			t.Errorf("Quote of a new hold mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestDemandPricingCap(t *testing.T) {
	e := newEnv(t)
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	busy := e.mustUpsertRule(t, op, &marqueev1.PricingRule{ChainId: chain, Name: "Busy",
		Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND, OccupancyPercent: 10, Percent: 50, CapMinor: 300, Priority: 1})
	warm := e.mustUpsertRule(t, op, &marqueev1.PricingRule{ChainId: chain, Name: "Warm",
		Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND, OccupancyPercent: 5, Percent: 10, Priority: 2})
	bob, alice, carol := e.mustRegister(t), e.mustRegister(t), e.mustRegister(t)
	first := e.mustHold(t, bob, "F1", "F2", "F3", "F4", "F5")
	if diff := cmp.Diff(usd(6000), first.Subtotal, protocmp.Transform()); diff != "" {
		t.Errorf("subtotal of an empty show mismatch (-want +got):\n%s", diff)
	}
	e.mustBook(t, bob, first.Id, "demand-book-1")
	// 5 of 60 seats taken (8%): only Warm applies, uncapped.
	h1 := e.mustHold(t, alice, "F6")
	want1 := &marqueev1.Quote{HoldId: h1.Id, LineItems: []*marqueev1.LineItem{{SeatId: "F6", Base: usd(1200),
		Adjustments: []*marqueev1.PriceAdjustment{{RuleId: warm.Id, Description: "Warm", Amount: usd(120)}}, Amount: usd(1320)}},
		Subtotal: usd(1320), Total: usd(1320)}
	if diff := cmp.Diff(want1, e.mustQuote(t, alice, h1.Id, ""), quoteOpts); diff != "" {
		t.Errorf("Quote at 8%% mismatch (-want +got):\n%s", diff)
	}
	// 6 of 60 (10%): Busy's +50% is capped at 300, which leaves Warm nothing.
	h2 := e.mustHold(t, carol, "A1", "D1")
	if diff := cmp.Diff([]*marqueev1.Money{usd(1500), usd(2100)}, h2.Prices, protocmp.Transform()); diff != "" {
		t.Errorf("prices at 10%% mismatch (-want +got):\n%s", diff)
	}
	want := &marqueev1.Quote{HoldId: h2.Id, LineItems: []*marqueev1.LineItem{
		{SeatId: "A1", Base: usd(1200), Adjustments: []*marqueev1.PriceAdjustment{{RuleId: busy.Id, Description: "Busy", Amount: usd(300)}}, Amount: usd(1500)},
		{SeatId: "D1", Base: usd(1800), Adjustments: []*marqueev1.PriceAdjustment{{RuleId: busy.Id, Description: "Busy", Amount: usd(300)}}, Amount: usd(2100)}},
		Subtotal: usd(3600), Total: usd(3600)}
	if diff := cmp.Diff(want, e.mustQuote(t, carol, h2.Id, ""), quoteOpts); diff != "" {
		t.Errorf("Quote mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int64{"A1": 1500, "D1": 2100}, e.bookedPrices(t, e.mustBook(t, carol, h2.Id, "demand-book-2").Id)); diff != "" {
		t.Errorf("booked prices mismatch (-want +got):\n%s", diff)
	}
}

// redemptions returns a promotion's redemption count and how many redemption rows it has.
func (e *env) redemptions(t *testing.T, code string) (count, rows int) {
	t.Helper()
	count = e.count(t, `SELECT redemptions FROM promotions WHERE code = $1`, code)
	rows = e.count(t, `SELECT count(*) FROM promotion_redemptions r JOIN promotions p ON p.id = r.promotion_id WHERE p.code = $1`, code)
	return count, rows
}

func TestQuoteMatchesBookingWithPromoCode(t *testing.T) {
	e := newEnv(t)
	p := simplePolicy
	p.FeePerSeatMinor = 150
	e.setPolicy(t, p)
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	e.mustUpsertPromotion(t, op, percentPromo(chain, "SPRING15", 15))
	e.mustUpsertPromotion(t, op, fixedPromo(chain, "FIVEOFF", 500))
	e.mustUpsertPromotion(t, op, fixedPromo(chain, "FIFTYOFF", 5000))
	fees := func(n int64) []*marqueev1.Fee {
		return []*marqueev1.Fee{{Description: "Booking fee", Amount: usd(150 * n)}}
	}
	for i, tc := range []struct {
		name  string
		code  string
		seats []string
		want  *marqueev1.Quote
	}{
		{"OKPercent", "spring15", []string{"A1", "D1"}, &marqueev1.Quote{LineItems: []*marqueev1.LineItem{line("A1", 1200), line("D1", 1800)},
			Subtotal: usd(3000), Discounts: []*marqueev1.Discount{{Code: "SPRING15", Description: "SPRING15 discount", Amount: usd(450)}},
			Fees: fees(2), Total: usd(3000 - 450 + 300)}},
		{"OKFixed", "FIVEOFF", []string{"A2"}, &marqueev1.Quote{LineItems: []*marqueev1.LineItem{line("A2", 1200)},
			Subtotal: usd(1200), Discounts: []*marqueev1.Discount{{Code: "FIVEOFF", Description: "FIVEOFF discount", Amount: usd(500)}},
			Fees: fees(1), Total: usd(1200 - 500 + 150)}},
		{"OKFixedAtMostSubtotal", "FiftyOff", []string{"A3"}, &marqueev1.Quote{LineItems: []*marqueev1.LineItem{line("A3", 1200)},
			Subtotal: usd(1200), Discounts: []*marqueev1.Discount{{Code: "FIFTYOFF", Description: "FIFTYOFF discount", Amount: usd(1200)}},
			Fees: fees(1), Total: usd(150)}},
		{"OKNoCode", "", []string{"A4"}, &marqueev1.Quote{LineItems: []*marqueev1.LineItem{line("A4", 1200)},
			Subtotal: usd(1200), Fees: fees(1), Total: usd(1350)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := e.mustRegister(t)
			h := e.mustHold(t, u, tc.seats...)
			tc.want.HoldId = h.Id
			q := e.mustQuote(t, u, h.Id, tc.code)
			if diff := cmp.Diff(tc.want, q, quoteOpts); diff != "" {
				t.Errorf("Quote mismatch (-want +got):\n%s", diff)
			}
			res, err := e.bookings.CreateBooking(context.Background(), as(u, &marqueev1.CreateBookingRequest{HoldId: h.Id,
				PaymentToken: "tok_visa", IdempotencyKey: fmt.Sprintf("promo-quote-%d", i), PromoCode: tc.code}))
			if err != nil {
				t.Fatal(err)
			}
			b := res.Msg.Booking
			var discount int64
			if len(q.Discounts) > 0 {
				discount = q.Discounts[0].Amount.AmountMinor
			}
			got := []*marqueev1.Money{b.Total, b.Discount, b.Fees}
			want := []*marqueev1.Money{q.Total, usd(discount), q.Fees[0].Amount}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("booking total, discount, fees mismatch (-want +got):\n%s", diff)
			}
			if n := e.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1 AND status = 'succeeded' AND amount_minor = $2`,
				b.Id, q.Total.AmountMinor); n != 1 {
				t.Errorf("succeeded payments of %d = %d, want 1", q.Total.AmountMinor, n)
			}
			if n := e.count(t, `SELECT count(*) FROM bookings WHERE id = $1 AND total_minor = $2 AND discount_minor = $3
				AND fees_minor = $4 AND coalesce(promo_code, '') = $5`, b.Id, q.Total.AmountMinor, discount,
				q.Fees[0].Amount.AmountMinor, strings.ToUpper(tc.code)); n != 1 {
				t.Errorf("booking row does not match the quote")
			}
			if tc.code != "" {
				if n := e.count(t, `SELECT count(*) FROM promotion_redemptions WHERE booking_id = $1 AND user_id = $2`, b.Id, u.id); n != 1 {
					t.Errorf("redemptions of the booking = %d, want 1", n)
				}
			}
		})
	}
	for code, want := range map[string]int{"SPRING15": 1, "FIVEOFF": 1, "FIFTYOFF": 1} {
		if count, rows := e.redemptions(t, code); count != want || rows != want {
			t.Errorf("%s: redemptions = %d with %d rows, want %d", code, count, rows, want)
		}
	}
}

func TestPromotionRefusals(t *testing.T) {
	e := newEnv(t)
	e.mustAddOtherChain(t)
	ctx, chain := context.Background(), e.fix.Chain.ID
	op, root := e.mustOperator(t, chain), e.mustPlatformAdmin(t)
	promo := func(code string, edit func(p *marqueev1.Promotion)) {
		p := percentPromo(chain, code, 10)
		edit(p)
		e.mustUpsertPromotion(t, root, p)
	}
	promo("EXPIRING", func(p *marqueev1.Promotion) { p.ValidUntil = timestamppb.New(t0.Add(time.Hour)) })
	promo("LATER", func(p *marqueev1.Promotion) { p.ValidFrom = timestamppb.New(t0.Add(12 * time.Hour)) })
	promo("GROUP3", func(p *marqueev1.Promotion) { p.MinSeats = 3 })
	promo("ONCEEACH", func(p *marqueev1.Promotion) { p.PerUserLimit = 1 })
	elsewhere, otherFilm := e.mustAddTheatre(t, chain), e.mustAddMovie(t)
	promo("ELSEWHERE", func(p *marqueev1.Promotion) { p.TheatreIds = []string{elsewhere} })
	promo("OTHERFILM", func(p *marqueev1.Promotion) { p.MovieIds = []string{otherFilm} })
	promo("OTHERCHAIN", func(p *marqueev1.Promotion) { p.ChainId = otherChain })
	e.mustUpsertPromotion(t, op, percentPromo(chain, "CHEAP", 10)) // valid, for comparison
	repeat := e.mustRegister(t)
	e.mustBook(t, repeat, e.mustHold(t, repeat, "F10").Id, "refusal-once-1")
	if _, err := e.bookings.CreateBooking(ctx, as(repeat, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, repeat, "F9").Id,
		PaymentToken: "tok_visa", IdempotencyKey: "refusal-once-2", PromoCode: "ONCEEACH"})); err != nil {
		t.Fatalf("first use of ONCEEACH: %v", err)
	}
	for i, tc := range []struct {
		name     string
		code     string
		seats    []string
		u        user
		before   func()
		msg      string
		redeemed int // before and after the refusal
	}{
		{name: "ErrNotYetValid", code: "LATER", seats: []string{"A1"}, msg: pricing.CodeRefused},
		{name: "ErrMinSeats", code: "GROUP3", seats: []string{"A2", "A3"}, msg: pricing.CodeRefused},
		{name: "ErrPerUserLimit", code: "onceeach", seats: []string{"A4"}, u: repeat, msg: pricing.CodeRefused, redeemed: 1},
		{name: "ErrOtherTheatre", code: "ELSEWHERE", seats: []string{"A5"}, msg: pricing.CodeRefused},
		{name: "ErrOtherMovie", code: "OTHERFILM", seats: []string{"A6"}, msg: pricing.CodeRefused},
		{name: "ErrOtherChain", code: "OTHERCHAIN", seats: []string{"A7"}, msg: pricing.CodeRefused},
		{name: "ErrUnknownCode", code: "NOSUCHCODE", seats: []string{"A8"}, msg: pricing.CodeRefused},
		{name: "ErrExpired", code: "EXPIRING", seats: []string{"A9"}, before: func() { e.clock.Advance(2 * time.Hour) }, msg: pricing.CodeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			u := tc.u
			if u.id == "" {
				u = e.mustRegister(t)
			}
			h := e.mustHold(t, u, tc.seats...)
			if q := e.mustQuote(t, u, h.Id, "CHEAP"); len(q.Discounts) != 1 {
				t.Fatalf("a valid code gave no discount: %v", q)
			}
			before := e.dbState(t)
			charges, _ := e.sandbox.Counts()
			_, err := e.pricingSvc().Quote(ctx, as(u, &marqueev1.QuoteRequest{HoldId: h.Id, PromoCode: tc.code}))
			ce := wantCode(t, err, connect.CodeFailedPrecondition)
			if ce.Message() != tc.msg {
				t.Errorf("Quote message = %q, want %q (one answer for every refusal)", ce.Message(), tc.msg)
			}
			_, err = e.bookings.CreateBooking(ctx, as(u, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_visa",
				IdempotencyKey: fmt.Sprintf("refusal-%d", i), PromoCode: tc.code}))
			ce = wantCode(t, err, connect.CodeFailedPrecondition)
			if ce.Message() != tc.msg {
				t.Errorf("CreateBooking message = %q, want %q (one answer for every refusal)", ce.Message(), tc.msg)
			}
			e.wantUnchanged(t, before)
			if tc.code != "NOSUCHCODE" {
				if count, rows := e.redemptions(t, strings.ToUpper(tc.code)); count != tc.redeemed || rows != tc.redeemed {
					t.Errorf("redemptions = %d with %d rows, want %d", count, rows, tc.redeemed)
				}
			}
			if now, _ := e.sandbox.Counts(); now != charges {
				t.Errorf("sandbox charges went from %d to %d", charges, now)
			}
			if st := e.seatStatus(t); st[tc.seats[0]] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
				t.Errorf("%s = %v after a refused code, want still held", tc.seats[0], st[tc.seats[0]])
			}
		})
	}
}

func TestMalformedPromoCode(t *testing.T) {
	e := newEnv(t)
	ctx, alice := context.Background(), e.mustRegister(t)
	h := e.mustHold(t, alice, "A1")
	for i, code := range []string{"SAVE 10", "SAVE10;--", strings.Repeat("A", 33)} {
		t.Run(fmt.Sprintf("Err%d", i), func(t *testing.T) {
			before := e.dbState(t)
			_, err := e.pricingSvc().Quote(ctx, as(alice, &marqueev1.QuoteRequest{HoldId: h.Id, PromoCode: code}))
			wantCode(t, err, connect.CodeInvalidArgument)
			_, err = e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id, PaymentToken: "tok_visa",
				IdempotencyKey: fmt.Sprintf("malformed-%d", i), PromoCode: code}))
			wantCode(t, err, connect.CodeInvalidArgument)
			e.wantUnchanged(t, before)
		})
	}
}

func TestPromotionTotalLimitRace(t *testing.T) {
	e := newEnv(t)
	ctx, chain := context.Background(), e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	p := percentPromo(chain, "FIRSTONLY", 50)
	p.TotalLimit = 1
	e.mustUpsertPromotion(t, op, p)
	const n = 50
	var seats []string
	for _, row := range "ACDEF" { // row B has the wheelchair pair
		for i := 1; i <= 10; i++ {
			seats = append(seats, fmt.Sprintf("%c%d", row, i))
		}
	}
	users, holds := make([]user, n), make([]*marqueev1.Hold, n)
	for i := range n {
		users[i] = e.mustRegister(t)
		holds[i] = e.mustHold(t, users[i], seats[i])
	}
	start := make(chan struct{})
	bookings, errs := make([]*marqueev1.Booking, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.bookings.CreateBooking(ctx, as(users[i], &marqueev1.CreateBookingRequest{HoldId: holds[i].Id,
				PaymentToken: "tok_visa", IdempotencyKey: fmt.Sprintf("race-key-%02d", i), PromoCode: "FIRSTONLY"}))
			if err == nil {
				bookings[i] = res.Msg.Booking
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("users %d and %d both booked with the code", winner, i)
		case err == nil:
			winner = i
		default:
			if ce := wantCode(t, err, connect.CodeFailedPrecondition); ce.Message() != pricing.CodeRefused {
				t.Errorf("user %d: message = %q, want the code to be used up", i, ce.Message())
			}
		}
	}
	if winner < 0 {
		t.Fatal("nobody booked with the code")
	}
	b, price := bookings[winner], holds[winner].Subtotal.AmountMinor
	if diff := cmp.Diff([]*marqueev1.Money{usd(price / 2), usd(price / 2)}, []*marqueev1.Money{b.Discount, b.Total}, protocmp.Transform()); diff != "" {
		t.Errorf("winner's discount and total mismatch (-want +got):\n%s", diff)
	}
	if count, rows := e.redemptions(t, "FIRSTONLY"); count != 1 || rows != 1 {
		t.Errorf("redemptions = %d with %d rows, want 1 and 1", count, rows)
	}
	if got := e.count(t, `SELECT count(*) FROM promotion_redemptions WHERE booking_id = $1 AND user_id = $2`, b.Id, users[winner].id); got != 1 {
		t.Errorf("redemption rows of the winning booking = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM bookings`); got != 1 {
		t.Errorf("bookings = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM payments`); got != 1 {
		t.Errorf("payments = %d, want only the winner's", got)
	}
	if charges, _ := e.sandbox.Counts(); charges != 1 {
		t.Errorf("sandbox charges = %d, want 1", charges)
	}
	st := e.seatStatus(t)
	for i := range n {
		want, wantHold := marqueev1.SeatStatus_SEAT_STATUS_HELD, "active"
		if i == winner {
			want, wantHold = marqueev1.SeatStatus_SEAT_STATUS_BOOKED, "booked"
		}
		if st[seats[i]] != want {
			t.Errorf("%s = %v, want %v", seats[i], st[seats[i]], want)
		}
		if got := e.count(t, `SELECT count(*) FROM holds WHERE id = $1 AND status = $2`, holds[i].Id, wantHold); got != 1 {
			t.Errorf("hold of %s is not %s", seats[i], wantHold)
		}
	}
}

func TestPromotionReleasedOnDecline(t *testing.T) {
	e := newEnv(t)
	ctx, chain := context.Background(), e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	p := percentPromo(chain, "LASTONE", 25)
	p.TotalLimit = 1
	e.mustUpsertPromotion(t, op, p)
	h := e.mustHold(t, alice, "C1", "C2")
	book := func(token, key string) (*marqueev1.Booking, error) {
		res, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id,
			PaymentToken: token, IdempotencyKey: key, PromoCode: "lastone"}))
		if err != nil {
			return nil, err
		}
		return res.Msg.Booking, nil
	}
	_, err := book("tok_chargeDeclined", "decline-promo-1")
	if ce := wantCode(t, err, connect.CodeFailedPrecondition); !strings.Contains(ce.Message(), "declined") {
		t.Fatalf("message = %q, want a decline", ce.Message())
	}
	if count, rows := e.redemptions(t, "LASTONE"); count != 0 || rows != 0 {
		t.Errorf("after a decline: redemptions = %d with %d rows, want 0", count, rows)
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE status = 'failed' AND amount_minor = 1800`); n != 1 {
		t.Errorf("failed payments of 1800 = %d, want 1", n)
	}
	if st := e.seatStatus(t); st["C1"] != marqueev1.SeatStatus_SEAT_STATUS_HELD {
		t.Errorf("C1 = %v after a decline, want still held", st["C1"])
	}
	b, err := book("tok_visa", "decline-promo-2")
	if err != nil {
		t.Fatalf("retry with a good card: %v", err)
	}
	if diff := cmp.Diff([]*marqueev1.Money{usd(600), usd(1800)}, []*marqueev1.Money{b.Discount, b.Total}, protocmp.Transform()); diff != "" {
		t.Errorf("discount and total mismatch (-want +got):\n%s", diff)
	}
	if count, rows := e.redemptions(t, "LASTONE"); count != 1 || rows != 1 {
		t.Errorf("after booking: redemptions = %d with %d rows, want 1", count, rows)
	}
}

// hookProvider is the sandbox with a hook run when a card is charged, between prepare and confirm.
type hookProvider struct {
	*payment.Sandbox
	beforeCharge func()
}

func (p *hookProvider) Charge(ctx context.Context, r payment.ChargeRequest) (string, error) {
	if p.beforeCharge != nil {
		p.beforeCharge()
	}
	return p.Sandbox.Charge(ctx, r)
}

// bookingsVia serves the API on e's database with another payment provider and returns its booking client.
func (e *env) bookingsVia(t *testing.T, p payment.Provider) marqueev1connect.BookingServiceClient {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.BcryptCost, cfg.StripeWebhookSecret = 4, webhookSecret
	svcs := app.Services(e.db, p, e.clock.Now, []byte("0123456789abcdef0123456789abcdef"), cfg)
	srv := httptest.NewServer(rpc.NewMux(svcs, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return marqueev1connect.NewBookingServiceClient(srv.Client(), srv.URL)
}

// TestPromotionReleasedWhenCodeChangesDuringCheckout declines a card while an operator renames the code being
// redeemed and gives its old code to a new promotion: the redemption must go back to the promotion it was taken
// from, and the new promotion must be left alone.
func TestPromotionReleasedWhenCodeChangesDuringCheckout(t *testing.T) {
	e := newEnv(t)
	ctx, chain := context.Background(), e.fix.Chain.ID
	op, alice := e.mustOperator(t, chain), e.mustRegister(t)
	p := percentPromo(chain, "SUMMER", 10)
	p.TotalLimit = 1
	summer := e.mustUpsertPromotion(t, op, p)
	prov := &hookProvider{Sandbox: payment.NewSandbox()}
	prov.beforeCharge = func() { // runs in the server's goroutine: no t.Fatal
		renamed := proto.Clone(summer).(*marqueev1.Promotion)
		renamed.Code = "SUMMER-OLD"
		for _, p := range []*marqueev1.Promotion{renamed, percentPromo(chain, "SUMMER", 5)} {
			if _, err := e.adminSvc().UpsertPromotion(ctx, as(op, &marqueev1.UpsertPromotionRequest{Promotion: p})); err != nil {
				t.Errorf("UpsertPromotion(%s) during checkout: %v", p.Code, err)
			}
		}
	}
	h := e.mustHold(t, alice, "C1")
	_, err := e.bookingsVia(t, prov).CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id,
		PaymentToken: "tok_chargeDeclined", IdempotencyKey: "rename-decline-1", PromoCode: "SUMMER"}))
	if ce := wantCode(t, err, connect.CodeFailedPrecondition); !strings.Contains(ce.Message(), "declined") {
		t.Fatalf("message = %q, want a decline", ce.Message())
	}
	for _, code := range []string{"SUMMER-OLD", "SUMMER"} {
		if count, rows := e.redemptions(t, code); count != 0 || rows != 0 {
			t.Errorf("%s: redemptions = %d with %d rows, want 0", code, count, rows)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM payments WHERE status = 'failed'`); n != 1 {
		t.Errorf("failed payments = %d, want 1", n)
	}
}

// mustAddTheatre adds a theatre of chainID, a copy of the fixture's, and returns its ID.
func (e *env) mustAddTheatre(t *testing.T, chainID string) string {
	t.Helper()
	id := e.fix.Theatre.ID + "_" + chainID
	e.exec(t, `INSERT INTO theatres (region, id, chain_id, city_id, name, address, latitude, longitude, amenities,
		time_zone, currency) SELECT region, $2, $3, city_id, 'Elsewhere', address, latitude, longitude, amenities,
		time_zone, currency FROM theatres WHERE id = $1`, e.fix.Theatre.ID, id, chainID)
	return id
}

// mustAddMovie adds a movie, a copy of the fixture's, and returns its ID.
func (e *env) mustAddMovie(t *testing.T) string {
	t.Helper()
	id := e.fix.Movie.ID + "_other"
	e.exec(t, `INSERT INTO movies (id, title, runtime_minutes, genres, rating, language, synopsis, cast_members,
		release_date) SELECT $2, 'Another Film', runtime_minutes, genres, rating, language, synopsis, cast_members,
		release_date FROM movies WHERE id = $1`, e.fix.Movie.ID, id)
	return id
}

// TestPromotionScopeOfOtherChains: a promotion naming another chain's theatre, or a theatre or movie that does
// not exist, is refused and nothing is stored.
func TestPromotionScopeOfOtherChains(t *testing.T) {
	e := newEnv(t)
	e.mustAddOtherChain(t)
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	foreign := e.mustAddTheatre(t, otherChain)
	for name, edit := range map[string]func(p *marqueev1.Promotion){
		"OtherChainsTheatre": func(p *marqueev1.Promotion) { p.TheatreIds = []string{e.fix.Theatre.ID, foreign} },
		"UnknownTheatre":     func(p *marqueev1.Promotion) { p.TheatreIds = []string{"use1_nosuch"} },
		"UnknownMovie":       func(p *marqueev1.Promotion) { p.MovieIds = []string{"nosuch-movie"} },
	} {
		t.Run(name, func(t *testing.T) {
			p := percentPromo(chain, "SCOPE"+strings.ToUpper(name[:3]), 10)
			edit(p)
			_, err := e.adminSvc().UpsertPromotion(context.Background(), as(op, &marqueev1.UpsertPromotionRequest{Promotion: p}))
			wantCode(t, err, connect.CodeInvalidArgument)
			if n := e.count(t, `SELECT count(*) FROM promotions`); n != 0 {
				t.Fatalf("%d promotions stored after a refusal", n)
			}
		})
	}
}
