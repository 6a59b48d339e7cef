package catalog_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// verdict is what a check returned, comparable in one cmp.Diff: nothing, or the error's kind and message.
type verdict struct {
	Kind errs.Kind
	Msg  string
}

func verdictOf(err error) *verdict {
	if err == nil {
		return nil
	}
	return &verdict{Kind: errs.KindOf(err), Msg: errs.Message(err)}
}

func TestChainPolicyValidate(t *testing.T) {
	tiers := func(ts ...catalog.RefundTier) []catalog.RefundTier { return ts }
	tier := func(before time.Duration, pct int) catalog.RefundTier {
		return catalog.RefundTier{Before: before, Percent: pct}
	}
	eleven := make([]catalog.RefundTier, 11)
	for i := range eleven {
		eleven[i] = tier(time.Duration(i)*time.Hour, 50)
	}
	badTiers := &verdict{errs.Invalid, "refund tiers need distinct non-negative times and percentages 0-100"}
	for _, tc := range []struct {
		name string
		p    catalog.ChainPolicy
		want *verdict
	}{
		{"OK", catalog.ChainPolicy{RefundTiers: tiers(tier(20*time.Minute, 50), tier(24*time.Hour, 100),
			tier(2*time.Hour, 75))}, nil},
		{"OKNoTiers", catalog.ChainPolicy{}, nil},
		{"OKDefault", catalog.DefaultChainPolicy("chain1", 2*time.Hour), nil},
		{"ErrPercentOver100", catalog.ChainPolicy{RefundTiers: tiers(tier(time.Hour, 101))}, badTiers},
		{"ErrNegativePercent", catalog.ChainPolicy{RefundTiers: tiers(tier(time.Hour, -1))}, badTiers},
		{"ErrNegativeTime", catalog.ChainPolicy{RefundTiers: tiers(tier(-time.Hour, 50))}, badTiers},
		{"ErrDuplicateTimes", catalog.ChainPolicy{RefundTiers: tiers(tier(time.Hour, 50), tier(time.Hour, 20))},
			badTiers},
		{"ErrTooManyTiers", catalog.ChainPolicy{RefundTiers: eleven}, &verdict{errs.Invalid, "at most 10 refund tiers"}},
		{"ErrBonusOver100", catalog.ChainPolicy{StoreCreditBonusPercent: 150},
			&verdict{errs.Invalid, "store credit bonus must be 0-100 percent"}},
		{"ErrNegativeFee", catalog.ChainPolicy{FeePerSeatMinor: -1},
			&verdict{errs.Invalid, "fee per seat cannot be negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(tc.p.Validate())); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPoliciesFor(t *testing.T) {
	def := catalog.DefaultChainPolicy("", 2*time.Hour)
	stored := catalog.ChainPolicy{ChainID: "chain1", FeePerSeatMinor: 150,
		RefundTiers: []catalog.RefundTier{{Before: 24 * time.Hour, Percent: 50}}}
	defaultOfChain2 := def
	defaultOfChain2.ChainID = "chain2"
	for _, tc := range []struct {
		name   string
		chain  string
		stored *catalog.ChainPolicy
		want   catalog.ChainPolicy
	}{
		{"OKStored", "chain1", &stored, stored},
		{"OKDefaultWhenNoneStored", "chain2", nil, defaultOfChain2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := catalog.Policies{Default: def}.For(tc.chain, tc.stored)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("For mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// messageOf is an error's client-safe message when it is Invalid, "" for no error, and a marker otherwise.
func messageOf(err error) string {
	if err != nil && !errs.Is(err, errs.Invalid) {
		return "not Invalid: " + err.Error()
	}
	return errs.Message(err)
}

func refundTiers(ts ...catalog.RefundTier) []catalog.RefundTier { return ts }

func TestDefaultChainPolicy(t *testing.T) {
	want := catalog.ChainPolicy{ChainID: "c1", RefundTiers: refundTiers(catalog.RefundTier{Before: 2 * time.Hour, Percent: 100}),
		OrphanSeatRule: true}
	if diff := cmp.Diff(want, catalog.DefaultChainPolicy("c1", 2*time.Hour)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestRefundPercent(t *testing.T) {
	p := catalog.ChainPolicy{RefundTiers: refundTiers(catalog.RefundTier{Before: 2 * time.Hour, Percent: 50},
		catalog.RefundTier{Before: 24 * time.Hour, Percent: 100}, catalog.RefundTier{Before: 30 * time.Minute, Percent: 10})}
	tests := []struct {
		name string
		p    catalog.ChainPolicy
		left time.Duration
		want int
	}{
		{"OKDayAhead", p, 48 * time.Hour, 100},
		{"OKExactlyADay", p, 24 * time.Hour, 100},
		{"OKJustUnderADay", p, 24*time.Hour - time.Second, 50},
		{"OKHalfHour", p, 30 * time.Minute, 10},
		{"OKTooLate", p, 29 * time.Minute, 0},
		{"OKStarted", p, -time.Minute, 0},
		{"OKNoTiers", catalog.ChainPolicy{}, 48 * time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.p.RefundPercent(tt.left)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
