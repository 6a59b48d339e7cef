package booking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
)

// checkoutAt is a checkout a day before showAt under the default policy (no fee).
var checkoutAt = booking.CheckoutRules{Now: showAt.Add(-24 * time.Hour),
	Policies: catalog.Policies{Default: catalog.DefaultChainPolicy("", 2*time.Hour)}}

// aliceHold is alice's live hold of A1 (1000) and A2 (1500), expiring 7 minutes after checkoutAt.
func aliceHold() inventory.Hold {
	return inventory.Hold{ID: "use1_h1", ShowtimeID: "use1_s1", UserID: "alice", SeatIDs: []string{"A1", "A2"},
		Status: inventory.HoldActive, ExpiresAt: checkoutAt.Now.Add(7 * time.Minute), Currency: "USD",
		Lines: []pricing.SeatPrice{{SeatID: "A1", BaseMinor: 1000, AmountMinor: 1000},
			{SeatID: "A2", BaseMinor: 1500, AmountMinor: 1500}}}
}

func TestCheckoutRulesHold(t *testing.T) {
	with := func(change func(*inventory.Hold)) inventory.Hold {
		h := aliceHold()
		change(&h)
		return h
	}
	for _, tc := range []struct {
		name string
		h    inventory.Hold
		user string
		want outcome[struct{}]
	}{
		{"OK", aliceHold(), "alice", outcome[struct{}]{}},
		{"ErrSomeoneElsesHold", aliceHold(), "bob", failed[struct{}](errs.NotFound, "hold not found")},
		{"ErrBooked", with(func(h *inventory.Hold) { h.Status = inventory.HoldBooked }), "alice",
			failed[struct{}](errs.Precondition, "this hold has already been booked")},
		{"ErrReleased", with(func(h *inventory.Hold) { h.Status = inventory.HoldReleased }), "alice",
			failed[struct{}](errs.Precondition, "this hold was released; hold the seats again")},
		{"ErrExpired", with(func(h *inventory.Hold) { h.ExpiresAt = checkoutAt.Now }), "alice",
			failed[struct{}](errs.Precondition, "this hold has expired; hold the seats again")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(struct{}{}, checkoutAt.Hold(tc.h, tc.user))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Hold mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckTarget(t *testing.T) {
	b := booking.Booking{ID: "use1_b1", UserID: "alice", ShowtimeID: "use1_s1", Status: booking.Confirmed}
	cancelled := b
	cancelled.Status = booking.Cancelled
	for _, tc := range []struct {
		name             string
		b                booking.Booking
		user, showtimeID string
		want             outcome[struct{}]
	}{
		{"OK", b, "alice", "use1_s1", outcome[struct{}]{}},
		{"ErrSomeoneElsesBooking", b, "bob", "use1_s1", failed[struct{}](errs.NotFound, "booking not found")},
		{"ErrCancelled", cancelled, "alice", "use1_s1", failed[struct{}](errs.Precondition, "the booking is cancelled")},
		{"ErrOtherShowtime", b, "alice", "use1_s2",
			failed[struct{}](errs.Precondition, "the seats are for a different showtime than the booking")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(struct{}{}, booking.CheckTarget(tc.b, tc.user, tc.showtimeID))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckTarget mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// quoteFacts are the facts of pricing aliceHold at chain1's scheduled showtime.
func quoteFacts(change func(*booking.QuoteFacts)) booking.QuoteFacts {
	f := booking.QuoteFacts{Hold: aliceHold(), ChainID: "chain1", Showtime: catalog.Showtime{ID: "use1_s1",
		TheatreID: "t1", MovieID: "m1", StartsAt: showAt, Currency: "USD", Status: catalog.ShowtimeScheduled}}
	if change != nil {
		change(&f)
	}
	return f
}

func TestCheckoutRulesQuote(t *testing.T) {
	tenOff := &pricing.Promotion{ID: "p1", ChainID: "chain1", Code: "TENOFF", Description: "10% off",
		Kind: pricing.PromotionPercent, Percent: 10, ValidFrom: showAt.Add(-72 * time.Hour), ValidUntil: showAt}
	fee := &catalog.ChainPolicy{ChainID: "chain1", FeePerSeatMinor: 150}
	lines := aliceHold().Lines
	for _, tc := range []struct {
		name string
		code string
		f    booking.QuoteFacts
		want outcome[pricing.Quote]
	}{
		{"OK", "", quoteFacts(nil),
			outcome[pricing.Quote]{Value: pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2500, TotalMinor: 2500}}},
		{"OKChainFee", "", quoteFacts(func(f *booking.QuoteFacts) { f.Policy = fee }),
			outcome[pricing.Quote]{Value: pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2500,
				Fees: []pricing.Fee{{Description: pricing.BookingFee, AmountMinor: 300}}, TotalMinor: 2800}}},
		{"OKPromotion", " tenoff", quoteFacts(func(f *booking.QuoteFacts) { f.Promotion, f.Policy = tenOff, fee }),
			outcome[pricing.Quote]{Value: pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2500,
				PromoCode: "TENOFF", PromoDescription: "10% off", DiscountMinor: 250,
				Fees: []pricing.Fee{{Description: pricing.BookingFee, AmountMinor: 300}}, TotalMinor: 2550}}},
		{"ErrUnknownCode", "NOSUCH", quoteFacts(nil), failed[pricing.Quote](errs.Precondition, pricing.CodeRefused)},
		{"ErrPromotionOfOtherChain", "TENOFF", quoteFacts(func(f *booking.QuoteFacts) {
			f.Promotion, f.ChainID = tenOff, "chain2"
		}), failed[pricing.Quote](errs.Precondition, pricing.CodeRefused)},
		{"ErrShowStarted", "", quoteFacts(func(f *booking.QuoteFacts) { f.Showtime.StartsAt = checkoutAt.Now }),
			failed[pricing.Quote](errs.Precondition, "showtime has already started")},
		{"ErrShowCancelled", "", quoteFacts(func(f *booking.QuoteFacts) { f.Showtime.Status = catalog.ShowtimeCancelled }),
			failed[pricing.Quote](errs.Precondition, "showtime is cancelled")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(checkoutAt.Quote(tc.code, tc.f))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Quote mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckoutRulesTenders(t *testing.T) {
	q := pricing.Quote{Currency: "USD", TotalMinor: 2500}
	gift := func(balance int64) *booking.GiftCardBalance {
		return &booking.GiftCardBalance{ID: "g1", ChainID: "chain1", Currency: "USD", BalanceMinor: balance}
	}
	card := booking.Request{PaymentToken: "tok_visa"}
	giftAnd := func(token string, credit bool) booking.Request {
		return booking.Request{GiftCardCode: "GIFT", PaymentToken: token, UseStoreCredit: credit}
	}
	for _, tc := range []struct {
		name string
		r    booking.Request
		q    pricing.Quote
		w    booking.Wallet
		want outcome[booking.TenderSplit]
	}{
		{"OK", card, q, booking.Wallet{}, outcome[booking.TenderSplit]{Value: booking.TenderSplit{CardMinor: 2500}}},
		{"OKGiftCardCoversAll", giftAnd("", false), q, booking.Wallet{GiftCard: gift(5000)},
			outcome[booking.TenderSplit]{Value: booking.TenderSplit{GiftCardMinor: 2500}}},
		{"OKGiftCardThenStoreCreditThenCard", giftAnd("tok_visa", true), q,
			booking.Wallet{GiftCard: gift(1000), StoreCreditMinor: 600},
			outcome[booking.TenderSplit]{Value: booking.TenderSplit{GiftCardMinor: 1000, StoreCreditMinor: 600, CardMinor: 900}}},
		{"OKStoreCreditCoversAll", booking.Request{UseStoreCredit: true}, q, booking.Wallet{StoreCreditMinor: 9000},
			outcome[booking.TenderSplit]{Value: booking.TenderSplit{StoreCreditMinor: 2500}}},
		{"OKStoreCreditNotAskedFor", card, q, booking.Wallet{StoreCreditMinor: 9000},
			outcome[booking.TenderSplit]{Value: booking.TenderSplit{CardMinor: 2500}}},
		{"OKNothingToPay", giftAnd("", true), pricing.Quote{Currency: "USD"}, booking.Wallet{},
			outcome[booking.TenderSplit]{}},
		{"ErrGiftCardNotFound", giftAnd("tok_visa", false), q, booking.Wallet{},
			failed[booking.TenderSplit](errs.Precondition, "gift card not found")},
		{"ErrGiftCardOfOtherChain", giftAnd("tok_visa", false), q,
			booking.Wallet{GiftCard: &booking.GiftCardBalance{ChainID: "chain2", Currency: "USD", BalanceMinor: 100}},
			failed[booking.TenderSplit](errs.Precondition, "this gift card cannot be used at this cinema")},
		{"ErrGiftCardInOtherCurrency", giftAnd("tok_visa", false), q,
			booking.Wallet{GiftCard: &booking.GiftCardBalance{ChainID: "chain1", Currency: "EUR", BalanceMinor: 100}},
			failed[booking.TenderSplit](errs.Precondition, "this gift card cannot be used at this cinema")},
		{"ErrGiftCardEmpty", giftAnd("tok_visa", false), q, booking.Wallet{GiftCard: gift(0)},
			failed[booking.TenderSplit](errs.Precondition, "this gift card has no balance left")},
		{"ErrPaymentTokenNeeded", giftAnd("", true), q, booking.Wallet{GiftCard: gift(1000), StoreCreditMinor: 600},
			failed[booking.TenderSplit](errs.Precondition, "a payment token is needed to pay the remaining 900")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(checkoutAt.Tenders(tc.r, "chain1", tc.q, tc.w))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Tenders mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
