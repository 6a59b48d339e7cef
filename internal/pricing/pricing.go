// Package pricing decides what seats cost: a chain's pricing rules adjust each seat's base price, a promotion
// code discounts a booking, and a quote adds fees. It is pure domain logic with no storage, transport or
// clock: callers pass the show, the time and the rules. Money is int64 minor units of one currency.
package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// RuleKind says which property of a show a rule looks at.
type RuleKind string

// Rule kinds.
const (
	RuleTimeOfDay RuleKind = "time_of_day" // local start time in [StartMinute, EndMinute)
	RuleDayOfWeek RuleKind = "day_of_week" // local start day in Days
	RuleFormat    RuleKind = "format"      // show format in Formats, case-insensitively
	RuleDemand    RuleKind = "demand"      // occupancy at least OccupancyPercent
)

const minutesPerDay = 24 * 60

// Rule changes the price of seats of a chain's shows that meet its condition, by a percentage of the price so
// far or by a fixed amount. Only the condition fields of its Kind are consulted.
type Rule struct {
	ID, ChainID, Name string
	Kind              RuleKind
	StartMinute       int            // time_of_day: local minutes after midnight, inclusive
	EndMinute         int            // time_of_day: local minutes after midnight, exclusive
	Days              []time.Weekday // day_of_week
	Formats           []string       // format, case-insensitive ("IMAX", "3D")
	OccupancyPercent  int            // demand: applies when occupancy >= this
	Percent           int            // percentage change, e.g. -25 or +15
	AmountMinor       int64          // or a fixed change; exactly one of Percent and AmountMinor is non-zero
	CapMinor          int64          // demand: the most demand rules together may raise a seat (0 = no cap)
	Priority          int            // lower applies first
}

// Validate returns an Invalid error whose message names the first problem with r, or nil when r is usable.
func (r Rule) Validate() error {
	const op = "pricing.Rule.Validate"
	msg := r.conditionProblem()
	if msg == "" {
		msg = r.changeProblem()
	}
	if msg != "" {
		return errs.E(op, errs.Invalid, msg)
	}
	return nil
}

// conditionProblem describes what is wrong with r's kind and condition, or returns "".
func (r Rule) conditionProblem() string {
	switch r.Kind {
	case RuleTimeOfDay:
		if r.StartMinute < 0 || r.EndMinute > minutesPerDay {
			return "start_minute and end_minute must be between 0 and 1440"
		}
		if r.StartMinute >= r.EndMinute {
			return "start_minute must be before end_minute"
		}
	case RuleDayOfWeek:
		if len(r.Days) == 0 {
			return "days_of_week must name at least one day"
		}
		if slices.ContainsFunc(r.Days, func(d time.Weekday) bool { return d < time.Sunday || d > time.Saturday }) {
			return "days_of_week must be between 0 (Sunday) and 6 (Saturday)"
		}
	case RuleFormat:
		if len(r.Formats) == 0 {
			return "formats must name at least one format"
		}
		if slices.ContainsFunc(r.Formats, func(f string) bool { return strings.TrimSpace(f) == "" }) {
			return "formats must not be blank"
		}
	case RuleDemand:
		if r.OccupancyPercent < 1 || r.OccupancyPercent > 100 {
			return "occupancy_percent must be between 1 and 100"
		}
	case "":
		return "kind is required"
	default:
		return fmt.Sprintf("unknown rule kind %q", r.Kind)
	}
	return ""
}

// changeProblem describes what is wrong with r's price change and cap, or returns "".
func (r Rule) changeProblem() string {
	switch {
	case r.Percent != 0 && r.AmountMinor != 0:
		return "set percent or amount_minor, not both"
	case r.Percent == 0 && r.AmountMinor == 0:
		return "set a non-zero percent or amount_minor"
	case r.Percent < -100 || r.Percent > 500:
		return "percent must be between -100 and 500"
	case r.CapMinor < 0:
		return "cap_minor must not be negative"
	case r.CapMinor != 0 && r.Kind != RuleDemand:
		return "cap_minor applies only to demand rules"
	}
	return ""
}

// Show is what rules look at: when a show starts (read in Location, UTC when nil), its format, and how full it
// is.
type Show struct {
	StartsAt         time.Time
	Location         *time.Location
	Format           string
	OccupancyPercent int
}

// local returns the show's start in its theatre's time zone.
func (s Show) local() time.Time {
	if s.Location == nil {
		return s.StartsAt.UTC()
	}
	return s.StartsAt.In(s.Location)
}

// Adjustment is one rule's effect on a seat's price.
type Adjustment struct {
	RuleID, Description string
	AmountMinor         int64
}

// SeatPrice is a seat's price with how it was reached: AmountMinor is BaseMinor plus every adjustment.
type SeatPrice struct {
	SeatID      string
	SeatType    string // set by the caller that knows the seat, for display
	BaseMinor   int64
	Adjustments []Adjustment
	AmountMinor int64
}

// Price applies the rules that match show to a seat's base price (non-negative), in priority order and then by
// ID. A percentage applies to the price so far, rounded half away from zero to a minor unit. The increases of
// demand rules together are capped at the smallest non-zero CapMinor among the matching demand rules. The
// price never goes below 0. Rules are assumed valid and of the show's chain; rules with no effect on this
// seat are left out of the adjustments.
func Price(seatID string, base int64, show Show, rules []Rule) SeatPrice {
	matched := matching(show, rules)
	p := SeatPrice{SeatID: seatID, BaseMinor: base, AmountMinor: base}
	budget, capped := demandCap(matched)
	for _, r := range matched {
		delta := r.change(p.AmountMinor)
		if capped && r.Kind == RuleDemand && delta > 0 {
			delta = min(delta, budget)
			budget -= delta
		}
		delta = max(delta, -p.AmountMinor)
		if delta == 0 {
			continue
		}
		p.Adjustments = append(p.Adjustments, Adjustment{RuleID: r.ID, Description: r.Name, AmountMinor: delta})
		p.AmountMinor += delta
	}
	return p
}

// matching returns the rules that match s, sorted by priority and then ID.
func matching(s Show, rules []Rule) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.matches(s) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.ID, b.ID))
	})
	return out
}

// matches reports whether r's condition holds for s.
func (r Rule) matches(s Show) bool {
	local := s.local()
	switch r.Kind {
	case RuleTimeOfDay:
		m := local.Hour()*60 + local.Minute()
		return r.StartMinute <= m && m < r.EndMinute
	case RuleDayOfWeek:
		return slices.Contains(r.Days, local.Weekday())
	case RuleFormat:
		return hasFormat(r.Formats, s.Format)
	case RuleDemand:
		return s.OccupancyPercent >= r.OccupancyPercent
	}
	return false
}

// hasFormat reports whether formats holds f, ignoring case and surrounding space.
func hasFormat(formats []string, f string) bool {
	f = strings.TrimSpace(f)
	return slices.ContainsFunc(formats, func(g string) bool { return strings.EqualFold(strings.TrimSpace(g), f) })
}

// demandCap returns the smallest non-zero cap among the demand rules of rules, and whether there is one.
func demandCap(rules []Rule) (int64, bool) {
	var c int64
	for _, r := range rules {
		if r.Kind == RuleDemand && r.CapMinor > 0 && (c == 0 || r.CapMinor < c) {
			c = r.CapMinor
		}
	}
	return c, c > 0
}

// change returns how r changes a price of price.
func (r Rule) change(price int64) int64 {
	if r.Percent != 0 {
		return roundHalfAway(price*int64(r.Percent), 100)
	}
	return r.AmountMinor
}

// roundHalfAway returns n/d (d > 0) rounded to the nearest integer, halves away from zero.
func roundHalfAway(n, d int64) int64 {
	q, rem := n/d, n%d
	if rem < 0 {
		rem = -rem
	}
	if 2*rem >= d {
		if n < 0 {
			return q - 1
		}
		return q + 1
	}
	return q
}

// CheckOverlap returns an Invalid error naming the first two rules of the same chain, kind and priority whose
// conditions overlap (a shared day, overlapping minute ranges, a shared format, the same occupancy threshold),
// since which of them applies first would rest on their IDs alone. Entries with the same non-empty ID are one
// rule (an old and a new version) and never conflict.
func CheckOverlap(rules []Rule) error {
	const op = "pricing.CheckOverlap"
	for i, a := range rules {
		for _, b := range rules[i+1:] {
			if a.overlaps(b) {
				return errs.Errorf(op, errs.Invalid,
					"rules %q and %q have the same kind and priority (%d) and overlapping conditions; give one a different priority",
					a.label(), b.label(), a.Priority)
			}
		}
	}
	return nil
}

// overlaps reports whether r and o are distinct rules of the same chain, kind and priority that can match the
// same show.
func (r Rule) overlaps(o Rule) bool {
	if r.ChainID != o.ChainID || r.Kind != o.Kind || r.Priority != o.Priority || (r.ID != "" && r.ID == o.ID) {
		return false
	}
	switch r.Kind {
	case RuleTimeOfDay:
		return r.StartMinute < o.EndMinute && o.StartMinute < r.EndMinute
	case RuleDayOfWeek:
		return slices.ContainsFunc(r.Days, func(d time.Weekday) bool { return slices.Contains(o.Days, d) })
	case RuleFormat:
		return slices.ContainsFunc(r.Formats, func(f string) bool { return hasFormat(o.Formats, f) })
	case RuleDemand:
		return r.OccupancyPercent == o.OccupancyPercent
	}
	return false
}

// label names r for an operator: its name, or its ID when it has none.
func (r Rule) label() string {
	return cmp.Or(r.Name, r.ID)
}
