package booking

import (
	"fmt"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
)

// RefundRule is the rule of a chain's refund policy that a cancellation follows, as CancelRules.Plan applied it.
type RefundRule struct {
	Percent int           // refunded of each seat's price net of its discount share
	Fees    bool          // fees are refunded at the same percentage
	Before  time.Duration // the tier: cancelled at least this long before the show (with Percent > 0)
	// RefundsUntil is the shortest time before the show that still refunds something; negative when the
	// policy refunds nothing at all.
	RefundsUntil time.Duration
	Full         bool // the cinema cancelled the show: everything comes back, fees included
	FeesKept     bool // the seats cancelled have fees that are not refunded
	BonusPercent int  // taken as store credit: the chain's bonus
}

// ruleOf is the rule of policy for a cancellation left before the show (full: the cinema's own).
func ruleOf(policy catalog.ChainPolicy, left time.Duration, full bool) RefundRule {
	tier, _ := policy.RefundTier(left)
	r := RefundRule{Percent: tier.Percent, Fees: policy.RefundFees, Before: tier.Before, RefundsUntil: -1, Full: full}
	for _, t := range policy.RefundTiers {
		if t.Percent > 0 && (r.RefundsUntil < 0 || t.Before < r.RefundsUntil) {
			r.RefundsUntil = t.Before
		}
	}
	return r
}

// Describe says the rule in words a moviegoer understands, for example "75% refund: cancelled 2 hours or more
// before the show; booking fees are not refunded".
func (r RefundRule) Describe() string {
	var s string
	switch {
	case r.Full:
		return "Full refund, fees included: the cinema cancelled the show"
	case r.Percent == 0 && r.RefundsUntil < 0:
		s = "No refund: this cinema does not refund cancellations"
	case r.Percent == 0:
		s = "No refund: cancelled less than " + span(r.RefundsUntil) + " before the show"
	case r.Before == 0:
		s = refund(r.Percent) + " until the show starts"
	default:
		s = refund(r.Percent) + ": cancelled " + span(r.Before) + " or more before the show"
	}
	switch {
	case r.Percent > 0 && r.Fees:
		s += ", fees included"
	case r.FeesKept:
		s += "; booking fees are not refunded"
	}
	if r.BonusPercent > 0 {
		s += fmt.Sprintf("; as store credit, with a %d%% bonus", r.BonusPercent)
	}
	return s
}

func refund(pct int) string {
	if pct == 100 {
		return "Full refund"
	}
	return fmt.Sprintf("%d%% refund", pct)
}

// span says a duration in whole days, hours or minutes.
func span(d time.Duration) string {
	unit, n := "minute", int64(d/time.Minute)
	switch day := 24 * time.Hour; {
	case d >= 2*day && d%day == 0:
		unit, n = "day", int64(d/day)
	case d >= time.Hour && d%time.Hour == 0:
		unit, n = "hour", int64(d/time.Hour)
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
