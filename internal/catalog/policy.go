package catalog

import (
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// RefundTier refunds Percent of a seat's price when a booking is cancelled at least Before the show.
type RefundTier struct {
	Before  time.Duration
	Percent int
}

// ChainPolicy is how a chain runs its sales: its refund curve, fees, store credit bonus and seat rules.
type ChainPolicy struct {
	ChainID                 string
	RefundTiers             []RefundTier
	RefundFees              bool  // fees are refunded at the same percentage as the seats
	StoreCreditBonusPercent int   // extra credit when a refund is taken as store credit
	OrphanSeatRule          bool  // refuse selections that leave a lone empty seat when another would not
	FeePerSeatMinor         int64 // booking fee per seat
}

// DefaultChainPolicy is the policy of a chain that has not set one: full refund until fullBefore the show,
// no fees, no bonus, and the orphan-seat rule on.
func DefaultChainPolicy(chainID string, fullBefore time.Duration) ChainPolicy {
	return ChainPolicy{ChainID: chainID, RefundTiers: []RefundTier{{Before: fullBefore, Percent: 100}},
		OrphanSeatRule: true}
}

// Policies resolves the policy a chain runs under: the one it stored, or Default when it has set none. Stores
// return a chain's policy as stored (nil when none is); the domain resolves it once per operation.
type Policies struct {
	Default ChainPolicy // its ChainID is ignored
}

// For returns stored, or Default with chainID when stored is nil.
func (p Policies) For(chainID string, stored *ChainPolicy) ChainPolicy {
	if stored != nil {
		return *stored
	}
	d := p.Default
	d.ChainID = chainID
	return d
}

// Validate checks a policy: 1 to 10 tiers with distinct non-negative times and percentages 0-100, a bonus of
// 0-100 percent and a non-negative fee.
func (p ChainPolicy) Validate() error {
	const op = "catalog.ChainPolicy.Validate"
	if len(p.RefundTiers) > 10 {
		return errs.Errorf(op, errs.Invalid, "at most 10 refund tiers")
	}
	seen := map[time.Duration]bool{}
	for _, t := range p.RefundTiers {
		if t.Percent < 0 || t.Percent > 100 || t.Before < 0 || seen[t.Before] {
			return errs.Errorf(op, errs.Invalid, "refund tiers need distinct non-negative times and percentages 0-100")
		}
		seen[t.Before] = true
	}
	if p.StoreCreditBonusPercent < 0 || p.StoreCreditBonusPercent > 100 {
		return errs.Errorf(op, errs.Invalid, "store credit bonus must be 0-100 percent")
	}
	if p.FeePerSeatMinor < 0 {
		return errs.Errorf(op, errs.Invalid, "fee per seat cannot be negative")
	}
	return nil
}

// RefundPercent returns the percentage refunded when cancelling with left time before the show: the tier with
// the largest Before that left reaches, or 0.
func (p ChainPolicy) RefundPercent(left time.Duration) int {
	t, _ := p.RefundTier(left)
	return t.Percent
}

// RefundTier returns the tier that applies when cancelling with left time before the show: the one with the
// largest Before that left reaches; ok is false when there is none (nothing is refunded).
func (p ChainPolicy) RefundTier(left time.Duration) (tier RefundTier, ok bool) {
	best := time.Duration(-1)
	for _, t := range p.RefundTiers {
		if left >= t.Before && t.Before > best {
			best, tier, ok = t.Before, t, true
		}
	}
	return tier, ok
}
