package booking_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// outcome is what a rule returned, comparable in one cmp.Diff: the value, or the error's kind and message.
type outcome[T any] struct {
	Value T
	Kind  errs.Kind
	Msg   string
}

func outcomeOf[T any](v T, err error) outcome[T] {
	if err != nil {
		var zero T
		return outcome[T]{Value: zero, Kind: errs.KindOf(err), Msg: errs.Message(err)}
	}
	return outcome[T]{Value: v}
}

func failed[T any](k errs.Kind, msg string) outcome[T] { return outcome[T]{Kind: k, Msg: msg} }

var showAt = time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC)

// twoSeats is alice's confirmed booking of A1 and A2, each 1000 with 100 of discount and a 50 fee.
func twoSeats() booking.CancelFacts {
	return booking.CancelFacts{
		Booking: booking.Booking{ID: "use1_b1", UserID: "alice", Status: booking.Confirmed, SeatIDs: []string{"A1", "A2"}},
		Booked: []booking.SeatLine{{SeatID: "A1", PriceMinor: 1000, DiscountMinor: 100, FeeMinor: 50},
			{SeatID: "A2", PriceMinor: 1000, DiscountMinor: 100, FeeMinor: 50}},
		StartsAt: showAt,
		ChainID:  "chain1",
	}
}

// paidBy returns f with the charges that paid for it.
func paidBy(f booking.CancelFacts, charges ...booking.Charge) booking.CancelFacts {
	f.Charges = charges
	return f
}

func cardCh(left int64) booking.Charge {
	return booking.Charge{PaymentID: "card1", Method: booking.Card, LeftMinor: left}
}

func creditCh(left int64) booking.Charge {
	return booking.Charge{PaymentID: "credit1", Method: booking.StoreCredit, LeftMinor: left}
}

// onlyA2LeftOf is twoSeats with A1 cancelled already.
func onlyA2LeftOf() booking.CancelFacts {
	f := twoSeats()
	f.Booked = f.Booked[1:]
	return f
}

// withPolicy returns f with a stored policy.
func withPolicy(f booking.CancelFacts, p catalog.ChainPolicy) booking.CancelFacts {
	f.Policy = &p
	return f
}

func seat(id string, refund int64) booking.SeatRefund {
	return booking.SeatRefund{SeatID: id, RefundMinor: refund}
}

func part(ch booking.Charge, amount int64) booking.RefundPart {
	return booking.RefundPart{Charge: ch, AmountMinor: amount}
}

func TestCancelRulesPlan(t *testing.T) {
	rules := booking.CancelRules{Policies: catalog.Policies{Default: catalog.DefaultChainPolicy("", 2*time.Hour)}}
	tiered := catalog.ChainPolicy{ChainID: "chain1", RefundTiers: []catalog.RefundTier{{Before: 24 * time.Hour, Percent: 100},
		{Before: time.Hour, Percent: 50}}, StoreCreditBonusPercent: 10}
	withFees := tiered
	withFees.RefundFees = true
	dayBefore, hourBefore := showAt.Add(-25*time.Hour), showAt.Add(-90*time.Minute)
	req := func(now time.Time, seats ...string) booking.CancelRequest {
		return booking.CancelRequest{UserID: "alice", BookingID: "use1_b1", Now: now, SeatIDs: seats}
	}
	toCredit := func(c booking.CancelRequest) booking.CancelRequest { c.ToStoreCredit = true; return c }
	full := func(c booking.CancelRequest) booking.CancelRequest { c.Full = true; return c }
	onlyA2Left, cancelled := twoSeats(), twoSeats()
	onlyA2Left.Booked = onlyA2Left.Booked[1:]
	cancelled.Booking.Status, cancelled.Booked = booking.Cancelled, nil
	both := []booking.SeatRefund{seat("A1", 900), seat("A2", 900)}
	h := time.Hour
	// The default policy refunds in full from 2 hours before; fees (50 a seat) are kept unless refunded.
	fullFrom2h := booking.RefundRule{Percent: 100, Before: 2 * h, RefundsUntil: 2 * h, FeesKept: true}
	tooLate := booking.RefundRule{RefundsUntil: 2 * h}
	half := booking.RefundRule{Percent: 50, Before: h, RefundsUntil: h, FeesKept: true}
	halfWithFees := booking.RefundRule{Percent: 50, Fees: true, Before: h, RefundsUntil: h}
	fullFromADay := booking.RefundRule{Percent: 100, Before: 24 * h, RefundsUntil: h, FeesKept: true, BonusPercent: 10}
	cinemaCancelled := booking.RefundRule{Percent: 100, Fees: true, Full: true}
	for _, tc := range []struct {
		name string
		c    booking.CancelRequest
		f    booking.CancelFacts
		want outcome[booking.CancelPlan]
	}{
		{"OK", req(dayBefore), twoSeats(),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both, All: true, RefundMinor: 1800, Rule: fullFrom2h}}},
		{"OKSomeSeats", req(dayBefore, "A2"), twoSeats(),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both[1:], RefundMinor: 900, Rule: fullFrom2h}}},
		{"OKLastSeatLeft", req(dayBefore, "A2"), onlyA2Left, outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both[1:], All: true, RefundMinor: 900, Rule: fullFrom2h}}},
		{"OKDefaultPolicyTooLate", req(hourBefore), twoSeats(),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 0), seat("A2", 0)}, All: true, Rule: tooLate}}},
		{"OKTier", req(hourBefore, "A1"), withPolicy(twoSeats(), tiered),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 450)}, RefundMinor: 450, Rule: half}}},
		{"OKTierWithFees", req(hourBefore, "A1"), withPolicy(twoSeats(), withFees),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 475)}, RefundMinor: 475, Rule: halfWithFees}}},
		{"OKStoreCreditBonus", toCredit(req(dayBefore)), withPolicy(paidBy(twoSeats(), cardCh(1800)), tiered),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both, All: true, RefundMinor: 1800, StoreCreditMinor: 1980,
				CreditParts: []booking.RefundPart{part(cardCh(1800), 1800)}, Rule: fullFromADay}}},
		// Paid 1000 by card and 800 with store credit: the bonus is on the card's 1000 only.
		{"OKStoreCreditBonusNotOnCredit", toCredit(req(dayBefore)), withPolicy(paidBy(twoSeats(), creditCh(800), cardCh(1000)), tiered),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both, All: true, RefundMinor: 1800, StoreCreditMinor: 1900,
				CreditParts: []booking.RefundPart{part(cardCh(1000), 1000), part(creditCh(800), 800)}, Rule: fullFromADay}}},
		// A partial refund draws from the card first: A2's 900 is all card, so all of it earns the bonus.
		{"OKStoreCreditPartialFromCardFirst", toCredit(req(dayBefore, "A2")), withPolicy(paidBy(twoSeats(), creditCh(800), cardCh(1000)), tiered),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both[1:], RefundMinor: 900, StoreCreditMinor: 990,
				CreditParts: []booking.RefundPart{part(cardCh(1000), 900)}, Rule: fullFromADay}}},
		// After an earlier refund left 100 on the card: 100 earns the bonus, the credit's 800 does not.
		{"OKStoreCreditLastSeat", toCredit(req(dayBefore, "A2")), withPolicy(paidBy(onlyA2LeftOf(), creditCh(800), cardCh(100)), tiered),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: both[1:], All: true, RefundMinor: 900, StoreCreditMinor: 910,
				CreditParts: []booking.RefundPart{part(cardCh(100), 100), part(creditCh(800), 800)}, Rule: fullFromADay}}},
		{"ErrStoreCreditMoreThanPaid", toCredit(req(dayBefore)), withPolicy(paidBy(twoSeats(), cardCh(1000)), tiered),
			failed[booking.CancelPlan](errs.Other, "refund exceeds what was paid by 800")},
		{"OKStoreCreditNothingToRefund", toCredit(req(hourBefore)), twoSeats(),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 0), seat("A2", 0)}, All: true, Rule: tooLate}}},
		{"OKFullAfterShowStarted", full(req(showAt.Add(time.Hour))), withPolicy(twoSeats(), catalog.ChainPolicy{ChainID: "chain1"}),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 950), seat("A2", 950)},
				All: true, RefundMinor: 1900, Rule: cinemaCancelled}}},
		{"OKFullInsideNoRefundTier", full(req(hourBefore, "A1")), twoSeats(),
			outcome[booking.CancelPlan]{Value: booking.CancelPlan{Seats: []booking.SeatRefund{seat("A1", 950)}, RefundMinor: 950, Rule: cinemaCancelled}}},
		{"ErrNotOwner", booking.CancelRequest{UserID: "bob", Now: dayBefore}, twoSeats(),
			failed[booking.CancelPlan](errs.NotFound, "booking not found")},
		{"ErrAlreadyCancelled", req(dayBefore), cancelled, failed[booking.CancelPlan](errs.Precondition, "the booking is already cancelled")},
		{"ErrShowStarted", req(showAt.Add(time.Minute)), twoSeats(),
			failed[booking.CancelPlan](errs.Precondition, "the show has started; the booking can no longer be cancelled")},
		{"ErrShowStarting", req(showAt), twoSeats(),
			failed[booking.CancelPlan](errs.Precondition, "the show has started; the booking can no longer be cancelled")},
		{"ErrSeatAlreadyCancelled", req(dayBefore, "A1"), onlyA2Left, failed[booking.CancelPlan](errs.Precondition, "seat A1 is already cancelled")},
		{"ErrSeatNotInBooking", req(dayBefore, "A1", "B7"), twoSeats(),
			failed[booking.CancelPlan](errs.Invalid, "seat B7 is not part of this booking")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(rules.Plan(tc.c, tc.f))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Plan mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitRefund(t *testing.T) {
	card := booking.Charge{PaymentID: "card1", Method: booking.Card, LeftMinor: 1000}
	gift := booking.Charge{PaymentID: "gift1", Method: booking.GiftCard, LeftMinor: 500}
	credit := booking.Charge{PaymentID: "credit1", Method: booking.StoreCredit, LeftMinor: 300}
	card2 := booking.Charge{PaymentID: "card2", Method: booking.Card, LeftMinor: 200}
	refunded := booking.Charge{PaymentID: "card0", Method: booking.Card}
	for _, tc := range []struct {
		name    string
		amount  int64
		charges []booking.Charge
		want    outcome[[]booking.RefundPart]
	}{
		{"OK", 1700, []booking.Charge{credit, gift, card},
			outcome[[]booking.RefundPart]{Value: []booking.RefundPart{part(card, 1000), part(gift, 500), part(credit, 200)}}},
		{"OKCardOnly", 600, []booking.Charge{gift, card},
			outcome[[]booking.RefundPart]{Value: []booking.RefundPart{part(card, 600)}}},
		{"OKOlderChargeOfAMethodFirst", 1100, []booking.Charge{card, gift, card2},
			outcome[[]booking.RefundPart]{Value: []booking.RefundPart{part(card, 1000), part(card2, 100)}}},
		{"OKSkipsChargesRefundedAlready", 100, []booking.Charge{refunded, gift},
			outcome[[]booking.RefundPart]{Value: []booking.RefundPart{part(gift, 100)}}},
		{"OKNothing", 0, []booking.Charge{card}, outcome[[]booking.RefundPart]{}},
		{"ErrMoreThanPaid", 1900, []booking.Charge{card, gift, credit},
			failed[[]booking.RefundPart](errs.Other, "refund exceeds what was paid by 100")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(booking.SplitRefund(tc.amount, tc.charges))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SplitRefund mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefundRuleDescribe(t *testing.T) {
	h := time.Hour
	for name, tc := range map[string]struct {
		rule booking.RefundRule
		want string
	}{
		"Full":            {booking.RefundRule{Percent: 100, Before: 24 * h, RefundsUntil: 2 * h}, "Full refund: cancelled 24 hours or more before the show"},
		"Tier":            {booking.RefundRule{Percent: 75, Before: 2 * h, RefundsUntil: 20 * time.Minute}, "75% refund: cancelled 2 hours or more before the show"},
		"Days":            {booking.RefundRule{Percent: 100, Before: 72 * h, RefundsUntil: h}, "Full refund: cancelled 3 days or more before the show"},
		"FeesIncluded":    {booking.RefundRule{Percent: 50, Fees: true, Before: 20 * time.Minute}, "50% refund: cancelled 20 minutes or more before the show, fees included"},
		"FeesKept":        {booking.RefundRule{Percent: 100, Before: h, FeesKept: true}, "Full refund: cancelled 1 hour or more before the show; booking fees are not refunded"},
		"UntilStart":      {booking.RefundRule{Percent: 25}, "25% refund until the show starts"},
		"TooLate":         {booking.RefundRule{RefundsUntil: 2 * h}, "No refund: cancelled less than 2 hours before the show"},
		"NeverRefunds":    {booking.RefundRule{RefundsUntil: -1}, "No refund: this cinema does not refund cancellations"},
		"StoreCredit":     {booking.RefundRule{Percent: 100, Before: 2 * h, BonusPercent: 10}, "Full refund: cancelled 2 hours or more before the show; as store credit, with a 10% bonus"},
		"CinemaCancelled": {booking.RefundRule{Percent: 100, Fees: true, Full: true}, "Full refund, fees included: the cinema cancelled the show"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.rule.Describe(); got != tc.want {
				t.Errorf("Describe = %q, want %q", got, tc.want)
			}
		})
	}
}
