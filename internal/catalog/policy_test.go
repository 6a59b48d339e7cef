package catalog_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// messageOf is an error's client-safe message when it is Invalid, "" for no error, and a marker otherwise.
func messageOf(err error) string {
	if err != nil && !errs.Is(err, errs.Invalid) {
		return "not Invalid: " + err.Error()
	}
	return errs.Message(err)
}

func tiers(ts ...catalog.RefundTier) []catalog.RefundTier { return ts }

func TestChainPolicyValidate(t *testing.T) {
	const badTiers = "refund tiers need distinct non-negative times and percentages 0-100"
	eleven := make([]catalog.RefundTier, 11)
	for i := range eleven {
		eleven[i] = catalog.RefundTier{Before: time.Duration(i) * time.Hour, Percent: 50}
	}
	tests := []struct {
		name string
		p    catalog.ChainPolicy
		want string
	}{
		{"OKDefault", catalog.DefaultChainPolicy("c1", 2*time.Hour), ""},
		{"OKNoTiers", catalog.ChainPolicy{}, ""},
		{"OKTenTiers", catalog.ChainPolicy{RefundTiers: eleven[:10]}, ""},
		{"OKBounds", catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Before: 0, Percent: 0},
			catalog.RefundTier{Before: time.Hour, Percent: 100}), StoreCreditBonusPercent: 100}, ""},
		{"ErrElevenTiers", catalog.ChainPolicy{RefundTiers: eleven}, "at most 10 refund tiers"},
		{"ErrSameTime", catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Before: time.Hour, Percent: 50},
			catalog.RefundTier{Before: time.Hour, Percent: 100})}, badTiers},
		{"ErrNegativeTime", catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Before: -time.Minute, Percent: 50})}, badTiers},
		{"ErrPercentOver100", catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Percent: 101})}, badTiers},
		{"ErrNegativePercent", catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Percent: -1})}, badTiers},
		{"ErrBonusOver100", catalog.ChainPolicy{StoreCreditBonusPercent: 101}, "store credit bonus must be 0-100 percent"},
		{"ErrNegativeBonus", catalog.ChainPolicy{StoreCreditBonusPercent: -5}, "store credit bonus must be 0-100 percent"},
		{"ErrNegativeFee", catalog.ChainPolicy{FeePerSeatMinor: -1}, "fee per seat cannot be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, messageOf(tt.p.Validate())); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultChainPolicy(t *testing.T) {
	want := catalog.ChainPolicy{ChainID: "c1", RefundTiers: tiers(catalog.RefundTier{Before: 2 * time.Hour, Percent: 100}),
		OrphanSeatRule: true}
	if diff := cmp.Diff(want, catalog.DefaultChainPolicy("c1", 2*time.Hour)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestRefundPercent(t *testing.T) {
	p := catalog.ChainPolicy{RefundTiers: tiers(catalog.RefundTier{Before: 2 * time.Hour, Percent: 50},
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
