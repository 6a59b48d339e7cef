package pricing_test

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York must load even without /usr/share/zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
)

// Rules of one chain, as an operator might set them up.
var (
	matinee = pricing.Rule{ID: "r-matinee", ChainID: "c1", Name: "Matinee", Kind: pricing.RuleTimeOfDay,
		StartMinute: 10 * 60, EndMinute: 17 * 60, Percent: -25, Priority: 10}
	twilight = pricing.Rule{ID: "r-twilight", ChainID: "c1", Name: "Twilight", Kind: pricing.RuleTimeOfDay,
		StartMinute: 18 * 60, EndMinute: 19 * 60, AmountMinor: -200, Priority: 10}
	weekend = pricing.Rule{ID: "r-weekend", ChainID: "c1", Name: "Weekend", Kind: pricing.RuleDayOfWeek,
		Days: []time.Weekday{time.Saturday, time.Sunday}, Percent: 10, Priority: 20}
	imax = pricing.Rule{ID: "r-imax", ChainID: "c1", Name: "IMAX", Kind: pricing.RuleFormat,
		Formats: []string{"IMAX"}, AmountMinor: 300, Priority: 30}
	busy = pricing.Rule{ID: "r-busy", ChainID: "c1", Name: "Busy", Kind: pricing.RuleDemand,
		OccupancyPercent: 70, Percent: 10, Priority: 40}
	packed = pricing.Rule{ID: "r-packed", ChainID: "c1", Name: "Packed", Kind: pricing.RuleDemand,
		OccupancyPercent: 90, Percent: 20, CapMinor: 250, Priority: 41}
)

// mustLoad returns the named time zone.
func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// checkErr fails t unless err has kind k and client message msg, or both are zero.
func checkErr(t *testing.T, err error, k errs.Kind, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if errs.KindOf(err) != k || errs.Message(err) != msg {
		t.Fatalf("err = %v, want kind %v with message %q", err, k, msg)
	}
}

// adj is an adjustment by rule r.
func adj(r pricing.Rule, amount int64) pricing.Adjustment {
	return pricing.Adjustment{RuleID: r.ID, Description: r.Name, AmountMinor: amount}
}

func TestPrice(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// Thursday 15 January 2026, New York is UTC-5.
	thu := func(h, m int) time.Time { return time.Date(2026, 1, 15, h, m, 0, 0, ny) }
	tests := []struct {
		name  string
		base  int64
		show  pricing.Show
		rules []pricing.Rule
		want  pricing.SeatPrice
	}{
		{"OKNoRules", 1000, pricing.Show{StartsAt: thu(14, 0), Location: ny}, nil,
			pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKMatinee", 1000, pricing.Show{StartsAt: thu(14, 0), Location: ny}, []pricing.Rule{matinee},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(matinee, -250)}, AmountMinor: 750}},
		{"OKMatineeStartInclusive", 1000, pricing.Show{StartsAt: thu(10, 0), Location: ny}, []pricing.Rule{matinee},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(matinee, -250)}, AmountMinor: 750}},
		{"OKMatineeEndExclusive", 1000, pricing.Show{StartsAt: thu(17, 0), Location: ny}, []pricing.Rule{matinee},
			pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKMatineeInLocalTime", 1000, // 20:00 UTC is 15:00 in New York
			pricing.Show{StartsAt: time.Date(2026, 1, 15, 20, 0, 0, 0, time.UTC), Location: ny}, []pricing.Rule{matinee},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(matinee, -250)}, AmountMinor: 750}},
		{"OKEveningInLocalTime", 1000, // 23:30 UTC is 18:30 in New York: twilight, not a night show
			pricing.Show{StartsAt: time.Date(2026, 1, 15, 23, 30, 0, 0, time.UTC), Location: ny},
			[]pricing.Rule{matinee, twilight},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(twilight, -200)}, AmountMinor: 800}},
		{"OKUTCWithoutLocation", 1000,
			pricing.Show{StartsAt: time.Date(2026, 1, 15, 23, 30, 0, 0, time.UTC)}, []pricing.Rule{matinee, twilight},
			pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKWeekend", 1000, pricing.Show{StartsAt: time.Date(2026, 1, 17, 19, 0, 0, 0, ny), Location: ny},
			[]pricing.Rule{weekend},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(weekend, 100)}, AmountMinor: 1100}},
		{"OKWeekendByLocalDay", 1000, // Sunday 02:00 UTC is Saturday 21:00 in New York
			pricing.Show{StartsAt: time.Date(2026, 1, 18, 2, 0, 0, 0, time.UTC), Location: ny}, []pricing.Rule{weekend},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(weekend, 100)}, AmountMinor: 1100}},
		{"OKFridayNightIsNotWeekend", 1000, // Saturday 03:00 UTC is Friday 22:00 in New York
			pricing.Show{StartsAt: time.Date(2026, 1, 17, 3, 0, 0, 0, time.UTC), Location: ny}, []pricing.Rule{weekend},
			pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKIMAXSurcharge", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "imax"},
			[]pricing.Rule{imax},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(imax, 300)}, AmountMinor: 1300}},
		{"OKOtherFormat", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "2D"},
			[]pricing.Rule{imax}, pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKDemandBelowThreshold", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, OccupancyPercent: 69},
			[]pricing.Rule{busy, packed}, pricing.SeatPrice{BaseMinor: 1000, AmountMinor: 1000}},
		{"OKDemandAt70", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, OccupancyPercent: 70},
			[]pricing.Rule{busy, packed}, // packed's cap does not apply: packed does not match
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(busy, 100)}, AmountMinor: 1100}},
		{"OKDemandAt90Capped", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, OccupancyPercent: 90},
			[]pricing.Rule{packed, busy}, // +100, then +20% of 1100 = +220 capped to the 150 left of 250
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(busy, 100), adj(packed, 150)},
				AmountMinor: 1250}},
		{"OKDemandSmallestCap", 1000, pricing.Show{StartsAt: thu(20, 0), Location: ny, OccupancyPercent: 95},
			[]pricing.Rule{withCap(busy, 80), packed},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(busy, 80)}, AmountMinor: 1080}},
		{"OKCapLeavesOtherRules", 1000,
			pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "IMAX", OccupancyPercent: 95},
			[]pricing.Rule{withCap(busy, 50), imax},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(imax, 300), adj(busy, 50)},
				AmountMinor: 1350}},
		{"OKPriorityOrderCompounds", 1000, // -25% of 1000, then +300, then +10% of 1050
			pricing.Show{StartsAt: time.Date(2026, 1, 17, 14, 0, 0, 0, ny), Location: ny, Format: "IMAX"},
			[]pricing.Rule{withPriority(weekend, 40), imax, matinee},
			pricing.SeatPrice{BaseMinor: 1000,
				Adjustments: []pricing.Adjustment{adj(matinee, -250), adj(imax, 300), adj(withPriority(weekend, 40), 105)},
				AmountMinor: 1155}},
		{"OKReversedPriority", 1000, // +300, then -25% of 1300
			pricing.Show{StartsAt: thu(14, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{matinee, withPriority(imax, 5)},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(imax, 300), adj(matinee, -325)},
				AmountMinor: 975}},
		{"OKSamePriorityByID", 1000, // "r-imax" sorts before "r-matinee"
			pricing.Show{StartsAt: thu(14, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{matinee, withPriority(imax, 10)},
			pricing.SeatPrice{BaseMinor: 1000, Adjustments: []pricing.Adjustment{adj(imax, 300), adj(matinee, -325)},
				AmountMinor: 975}},
		{"OKRoundsHalfAwayFromZeroUp", 1010, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{percentFormat(15)}, // 151.5
			pricing.SeatPrice{BaseMinor: 1010, Adjustments: []pricing.Adjustment{adj(percentFormat(15), 152)},
				AmountMinor: 1162}},
		{"OKRoundsHalfAwayFromZeroDown", 1010, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{percentFormat(-15)}, // -151.5
			pricing.SeatPrice{BaseMinor: 1010, Adjustments: []pricing.Adjustment{adj(percentFormat(-15), -152)},
				AmountMinor: 858}},
		{"OKRoundsToNearest", 1005, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{percentFormat(-25)}, // -251.25
			pricing.SeatPrice{BaseMinor: 1005, Adjustments: []pricing.Adjustment{adj(percentFormat(-25), -251)},
				AmountMinor: 754}},
		{"OKFloorAtZero", 500, pricing.Show{StartsAt: thu(20, 0), Location: ny, Format: "IMAX", OccupancyPercent: 80},
			[]pricing.Rule{withAmount(imax, -800), busy}, // nothing left for busy to raise
			pricing.SeatPrice{BaseMinor: 500, Adjustments: []pricing.Adjustment{adj(imax, -500)}}},
		{"OKFloorThenSurcharge", 500, pricing.Show{StartsAt: thu(14, 0), Location: ny, Format: "IMAX"},
			[]pricing.Rule{withAmount(matinee, -800), imax},
			pricing.SeatPrice{BaseMinor: 500, Adjustments: []pricing.Adjustment{adj(matinee, -500), adj(imax, 300)},
				AmountMinor: 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.SeatID = "F12"
			got := pricing.Price("F12", tt.base, tt.show, tt.rules)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func withCap(r pricing.Rule, c int64) pricing.Rule    { r.CapMinor = c; return r }
func withPriority(r pricing.Rule, p int) pricing.Rule { r.Priority = p; return r }
func withAmount(r pricing.Rule, a int64) pricing.Rule { r.Percent, r.AmountMinor = 0, a; return r }

// percentFormat is an IMAX rule changing the price by pct percent.
func percentFormat(pct int) pricing.Rule {
	r := imax
	r.Percent, r.AmountMinor = pct, 0
	return r
}

func TestRuleValidate(t *testing.T) {
	tests := []struct {
		name string
		rule pricing.Rule
		want string
	}{
		{"OKTimeOfDay", matinee, ""},
		{"OKWholeDay", with(matinee, func(r *pricing.Rule) { r.StartMinute, r.EndMinute = 0, 1440 }), ""},
		{"OKDayOfWeek", weekend, ""},
		{"OKFormat", imax, ""},
		{"OKDemand", packed, ""},
		{"OKDemandFull", with(packed, func(r *pricing.Rule) { r.OccupancyPercent = 100 }), ""},
		{"OKFree", with(matinee, func(r *pricing.Rule) { r.Percent = -100 }), ""},
		{"OKQuintuple", with(imax, func(r *pricing.Rule) { r.Percent, r.AmountMinor = 500, 0 }), ""},
		{"ErrNoKind", with(imax, func(r *pricing.Rule) { r.Kind = "" }), "kind is required"},
		{"ErrUnknownKind", with(imax, func(r *pricing.Rule) { r.Kind = "moon_phase" }), `unknown rule kind "moon_phase"`},
		{"ErrNegativeStart", with(matinee, func(r *pricing.Rule) { r.StartMinute = -1 }),
			"start_minute and end_minute must be between 0 and 1440"},
		{"ErrEndPastMidnight", with(matinee, func(r *pricing.Rule) { r.EndMinute = 1441 }),
			"start_minute and end_minute must be between 0 and 1440"},
		{"ErrStartAfterEnd", with(matinee, func(r *pricing.Rule) { r.StartMinute, r.EndMinute = 1200, 600 }),
			"start_minute must be before end_minute"},
		{"ErrEmptyRange", with(matinee, func(r *pricing.Rule) { r.EndMinute = r.StartMinute }),
			"start_minute must be before end_minute"},
		{"ErrNoDays", with(weekend, func(r *pricing.Rule) { r.Days = nil }), "days_of_week must name at least one day"},
		{"ErrBadDay", with(weekend, func(r *pricing.Rule) { r.Days = []time.Weekday{7} }),
			"days_of_week must be between 0 (Sunday) and 6 (Saturday)"},
		{"ErrNoFormats", with(imax, func(r *pricing.Rule) { r.Formats = nil }), "formats must name at least one format"},
		{"ErrBlankFormat", with(imax, func(r *pricing.Rule) { r.Formats = []string{"IMAX", " "} }),
			"formats must not be blank"},
		{"ErrOccupancyZero", with(packed, func(r *pricing.Rule) { r.OccupancyPercent = 0 }),
			"occupancy_percent must be between 1 and 100"},
		{"ErrOccupancyOver100", with(packed, func(r *pricing.Rule) { r.OccupancyPercent = 101 }),
			"occupancy_percent must be between 1 and 100"},
		{"ErrBothChanges", with(imax, func(r *pricing.Rule) { r.Percent = 10 }), "set percent or amount_minor, not both"},
		{"ErrNoChange", with(imax, func(r *pricing.Rule) { r.AmountMinor = 0 }), "set a non-zero percent or amount_minor"},
		{"ErrPercentBelow", with(matinee, func(r *pricing.Rule) { r.Percent = -101 }),
			"percent must be between -100 and 500"},
		{"ErrPercentAbove", with(matinee, func(r *pricing.Rule) { r.Percent = 501 }), "percent must be between -100 and 500"},
		{"ErrNegativeCap", with(packed, func(r *pricing.Rule) { r.CapMinor = -1 }), "cap_minor must not be negative"},
		{"ErrCapOnFormat", with(imax, func(r *pricing.Rule) { r.CapMinor = 100 }), "cap_minor applies only to demand rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.rule.Validate(), errs.Invalid, tt.want)
		})
	}
}

// with returns a copy of r changed by f.
func with(r pricing.Rule, f func(*pricing.Rule)) pricing.Rule {
	r.Days = append([]time.Weekday(nil), r.Days...)
	r.Formats = append([]string(nil), r.Formats...)
	f(&r)
	return r
}

func TestCheckOverlap(t *testing.T) {
	const msg = "rules %q and %q have the same kind and priority (%d) and overlapping conditions; " +
		"give one a different priority"
	// other is a second rule like r, changed by f.
	other := func(r pricing.Rule, f func(*pricing.Rule)) pricing.Rule {
		return with(r, func(r *pricing.Rule) { r.ID, r.Name = r.ID+"-2", r.Name+" 2"; f(r) })
	}
	minutes := func(s, e int) func(*pricing.Rule) { return func(r *pricing.Rule) { r.StartMinute, r.EndMinute = s, e } }
	days := func(d ...time.Weekday) func(*pricing.Rule) { return func(r *pricing.Rule) { r.Days = d } }
	formats := func(f ...string) func(*pricing.Rule) { return func(r *pricing.Rule) { r.Formats = f } }
	occupancy := func(o int) func(*pricing.Rule) { return func(r *pricing.Rule) { r.OccupancyPercent = o } }
	tests := []struct {
		name  string
		rules []pricing.Rule
		want  string
	}{
		{"OKDistinctKinds", []pricing.Rule{matinee, weekend, imax, busy, packed}, ""},
		{"OKAdjacentMinutes", []pricing.Rule{matinee, other(matinee, minutes(1020, 1200))}, ""},
		{"OKDifferentDays", []pricing.Rule{weekend, other(weekend, days(time.Tuesday))}, ""},
		{"OKDifferentFormats", []pricing.Rule{imax, other(imax, formats("3D"))}, ""},
		{"OKDifferentThresholds", []pricing.Rule{busy, other(busy, occupancy(90))}, ""},
		{"OKDifferentPriority", []pricing.Rule{matinee, other(matinee, func(r *pricing.Rule) { r.Priority = 11 })}, ""},
		{"OKDifferentChain", []pricing.Rule{matinee, other(matinee, func(r *pricing.Rule) { r.ChainID = "c2" })}, ""},
		{"OKSameRuleReplaced", []pricing.Rule{matinee, with(matinee, func(r *pricing.Rule) { r.Percent = -30 })}, ""},
		{"ErrOverlappingMinutes", []pricing.Rule{matinee, other(matinee, minutes(1000, 1200))},
			fmt.Sprintf(msg, "Matinee", "Matinee 2", 10)},
		{"ErrSharedDay", []pricing.Rule{imax, weekend, other(weekend, days(time.Friday, time.Saturday))},
			fmt.Sprintf(msg, "Weekend", "Weekend 2", 20)},
		{"ErrSharedFormatAnyCase", []pricing.Rule{imax, other(imax, formats("3D", "imax"))},
			fmt.Sprintf(msg, "IMAX", "IMAX 2", 30)},
		{"ErrSameThreshold", []pricing.Rule{busy, other(busy, func(r *pricing.Rule) { r.Percent = 5 })},
			fmt.Sprintf(msg, "Busy", "Busy 2", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, pricing.CheckOverlap(tt.rules), errs.Invalid, tt.want)
		})
	}
}
