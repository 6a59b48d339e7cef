package booking

import (
	"cmp"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// SeatLine is a booked seat with what it cost: its price, its share of the booking's discount and its share
// of the fees.
type SeatLine struct {
	SeatID                              string
	PriceMinor, DiscountMinor, FeeMinor int64
}

// CancelFacts is what a cancellation is decided on, read by the store inside the cancelling transaction.
type CancelFacts struct {
	Booking  Booking
	Booked   []SeatLine // the booking's seats still booked, by seat ID
	StartsAt time.Time  // when the show starts
	ChainID  string
	Policy   *catalog.ChainPolicy // the chain's policy as stored; nil when it has set none
	Charges  []Charge             // the booking's succeeded charges with what each has left to refund
}

// SeatRefund is a seat to cancel and what cancelling it refunds.
type SeatRefund struct {
	SeatID      string
	RefundMinor int64
}

// CancelPlan is what a cancellation does: the seats it frees with each one's refund, how the refund is paid,
// and the rule of the chain's policy it followed.
type CancelPlan struct {
	Seats            []SeatRefund
	All              bool  // no seat is left booked: the booking becomes cancelled
	RefundMinor      int64 // the seats' refunds summed, before any store credit bonus
	StoreCreditMinor int64 // granted instead of refunds to the original methods, bonus included; else 0
	// CreditParts is, when the refund is taken as store credit, which charges it draws from (SplitRefund's
	// order: card, then gift card, then store credit); the store records each as refunded.
	CreditParts []RefundPart
	Rule        RefundRule
}

// SeatIDs lists the seats the plan cancels, in its order.
func (p CancelPlan) SeatIDs() []string {
	out := make([]string, len(p.Seats))
	for i, s := range p.Seats {
		out[i] = s.SeatID
	}
	return out
}

// CancelRules decide cancellations by the chain's policy. The store applies them inside its transaction, to
// the facts it read there.
type CancelRules struct {
	Policies catalog.Policies
}

// Plan decides cancellation c of f.Booking. The booking must be c.UserID's (else NotFound) and confirmed, and
// the show not started unless c.Full; each seat refunds by the chain's refund tier for the time left, or
// everything, fees included, when c.Full. A refund taken as store credit gets the chain's bonus, on the part
// of it drawn from card and gift card charges only (see CreditBonus).
func (r CancelRules) Plan(c CancelRequest, f CancelFacts) (CancelPlan, error) {
	const op = "booking.CancelRules.Plan"
	if err := checkOwner(f.Booking, c.UserID); err != nil {
		return CancelPlan{}, errs.E(op, err)
	}
	if f.Booking.Status != Confirmed {
		return CancelPlan{}, errs.Errorf(op, errs.Precondition, "the booking is already %s", f.Booking.Status)
	}
	left := f.StartsAt.Sub(c.Now)
	if left <= 0 && !c.Full {
		return CancelPlan{}, errs.Errorf(op, errs.Precondition, "the show has started; the booking can no longer be cancelled")
	}
	policy := r.Policies.For(f.ChainID, f.Policy)
	if c.Full {
		policy.RefundTiers, policy.RefundFees, left = []catalog.RefundTier{{Before: 0, Percent: 100}}, true, max(left, 0)
	}
	lines, all, err := seatsToCancel(f.Booking, f.Booked, c.SeatIDs)
	if err != nil {
		return CancelPlan{}, errs.E(op, err)
	}
	plan := CancelPlan{All: all, Rule: ruleOf(policy, left, c.Full)}
	pct := plan.Rule.Percent
	for _, l := range lines {
		refund := RefundOf(l.PriceMinor, l.DiscountMinor, l.FeeMinor, pct, policy.RefundFees)
		plan.Seats = append(plan.Seats, SeatRefund{SeatID: l.SeatID, RefundMinor: refund})
		plan.RefundMinor += refund
		plan.Rule.FeesKept = plan.Rule.FeesKept || (l.FeeMinor > 0 && !policy.RefundFees && pct > 0)
	}
	if c.ToStoreCredit && plan.RefundMinor > 0 {
		parts, err := SplitRefund(plan.RefundMinor, f.Charges)
		if err != nil {
			return CancelPlan{}, errs.E(op, err)
		}
		plan.CreditParts = parts
		plan.StoreCreditMinor = plan.RefundMinor + CreditBonus(parts, policy.StoreCreditBonusPercent)
		plan.Rule.BonusPercent = policy.StoreCreditBonusPercent
	}
	return plan, nil
}

// seatsToCancel returns the booked seats to cancel (all when ids is empty) and whether that is every one left.
// A seat of b already cancelled is Precondition; a seat not of b, Invalid.
func seatsToCancel(b Booking, booked []SeatLine, ids []string) ([]SeatLine, bool, error) {
	const op = "booking.seatsToCancel"
	if len(ids) == 0 {
		return booked, true, nil
	}
	var pick []SeatLine
	for _, id := range ids {
		i := slices.IndexFunc(booked, func(l SeatLine) bool { return l.SeatID == id })
		if i < 0 {
			if slices.Contains(b.SeatIDs, id) {
				return nil, false, errs.Errorf(op, errs.Precondition, "seat %s is already cancelled", id)
			}
			return nil, false, errs.Errorf(op, errs.Invalid, "seat %s is not part of this booking", id)
		}
		pick = append(pick, booked[i])
	}
	return pick, len(pick) == len(booked), nil
}

// RefundOf returns what cancelling a seat refunds at pct percent: its price net of its discount share, and its
// fee too when the chain refunds fees. Amounts round down to a minor unit.
func RefundOf(priceMinor, discountMinor, feeMinor int64, pct int, refundFees bool) int64 {
	refund := (priceMinor - discountMinor) * int64(pct) / 100
	if refundFees {
		refund += feeMinor * int64(pct) / 100
	}
	return refund
}

// CreditBonus is the store credit bonus of pct percent (rounded down) on a refund taken as store credit that
// draws parts from a booking's charges: only the parts drawn from card and gift card charges earn it. Money
// paid with store credit comes back as store credit without a bonus, so card -> credit -> booking -> credit
// does not compound, and since a refunded part is no longer left to refund, each paid amount earns a bonus
// at most once.
//
// The money invariant (README, "Money"): for every person, what they can spend (store credit balance + the
// balances of the gift cards they hold + refunds paid out to their cards) never exceeds what they paid in
// (card charges + gift card purchases and loads) plus the bonuses granted, each at most pct percent of the
// card and gift card part of its refund.
func CreditBonus(parts []RefundPart, pct int) int64 {
	var paid int64
	for _, p := range parts {
		if p.Charge.Method != StoreCredit {
			paid += p.AmountMinor
		}
	}
	return paid * int64(pct) / 100
}

// Charge is a succeeded payment of a booking with what is left to refund of it.
type Charge struct {
	PaymentID string
	Method    Method
	LeftMinor int64 // paid and not yet refunded
}

// RefundPart is what one charge gives back of a refund.
type RefundPart struct {
	Charge      Charge
	AmountMinor int64
}

// refundRank orders refunds to the original methods: card first, then gift card, then store credit.
func refundRank(m Method) int {
	switch m {
	case Card:
		return 0
	case GiftCard:
		return 1
	}
	return 2
}

// SplitRefund shares a refund of amount among the charges that paid for a booking: card first, then gift
// card, then store credit, each up to what it has left, and in the given order within a method. A refund
// beyond what is left to refund is an internal error.
func SplitRefund(amount int64, charges []Charge) ([]RefundPart, error) {
	ordered := slices.Clone(charges)
	slices.SortStableFunc(ordered, func(a, b Charge) int { return cmp.Compare(refundRank(a.Method), refundRank(b.Method)) })
	var parts []RefundPart
	for _, ch := range ordered {
		take := min(ch.LeftMinor, amount)
		if take <= 0 {
			continue
		}
		parts = append(parts, RefundPart{Charge: ch, AmountMinor: take})
		amount -= take
	}
	if amount > 0 {
		return nil, errs.Errorf("booking.SplitRefund", errs.Other, "refund exceeds what was paid by %d", amount)
	}
	return parts, nil
}
