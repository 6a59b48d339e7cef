package pricing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
)

var (
	promoFrom  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	promoUntil = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

// spring returns a valid 20% promotion of chain c1, changed by each f.
func spring(fs ...func(*pricing.Promotion)) pricing.Promotion {
	p := pricing.Promotion{ID: "p1", ChainID: "c1", Code: "SPRING20", Description: "20% off in spring",
		Kind: pricing.PromotionPercent, Percent: 20, ValidFrom: promoFrom, ValidUntil: promoUntil}
	for _, f := range fs {
		f(&p)
	}
	return p
}

// fixed makes p a discount of amount minor units of currency.
func fixed(amount int64, currency string) func(*pricing.Promotion) {
	return func(p *pricing.Promotion) {
		p.Kind, p.Percent, p.AmountMinor, p.Currency = pricing.PromotionFixed, 0, amount, currency
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"spring20": "SPRING20", "  Half-Off_2 ": "HALF-OFF_2", "": ""} {
		if got := pricing.NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPromotionValidate(t *testing.T) {
	tests := []struct {
		name  string
		promo pricing.Promotion
		want  string
	}{
		{"OKPercent", spring(), ""},
		{"OKFixed", spring(fixed(500, "USD")), ""},
		{"OKLowerCaseCode", spring(func(p *pricing.Promotion) { p.Code = " half-off_2 " }), ""},
		{"OKThreeChars", spring(func(p *pricing.Promotion) { p.Code = "ABC" }), ""},
		{"OKThirtyTwoChars", spring(func(p *pricing.Promotion) { p.Code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" }), ""},
		{"OKFullPercent", spring(func(p *pricing.Promotion) { p.Percent = 100 }), ""},
		{"OKLimits", spring(func(p *pricing.Promotion) { p.MinSeats, p.PerUserLimit, p.TotalLimit = 2, 1, 100 }), ""},
		{"ErrShortCode", spring(func(p *pricing.Promotion) { p.Code = "AB" }), "code must be 3 to 32 characters"},
		{"ErrLongCode", spring(func(p *pricing.Promotion) { p.Code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456" }),
			"code must be 3 to 32 characters"},
		{"ErrNoCode", spring(func(p *pricing.Promotion) { p.Code = "  " }), "code must be 3 to 32 characters"},
		{"ErrCodeSpace", spring(func(p *pricing.Promotion) { p.Code = "SPRING 20" }),
			"code may contain only letters A-Z, digits, '_' and '-'"},
		{"ErrCodeAccent", spring(func(p *pricing.Promotion) { p.Code = "ÉTÉ20" }),
			"code may contain only letters A-Z, digits, '_' and '-'"},
		{"ErrNoKind", spring(func(p *pricing.Promotion) { p.Kind = "" }), "kind is required"},
		{"ErrUnknownKind", spring(func(p *pricing.Promotion) { p.Kind = "bogo" }), `unknown promotion kind "bogo"`},
		{"ErrPercentZero", spring(func(p *pricing.Promotion) { p.Percent = 0 }), "percent must be between 1 and 100"},
		{"ErrPercentOver100", spring(func(p *pricing.Promotion) { p.Percent = 101 }), "percent must be between 1 and 100"},
		{"ErrFixedZero", spring(fixed(0, "USD")), "amount must be positive"},
		{"ErrFixedNegative", spring(fixed(-5, "USD")), "amount must be positive"},
		{"ErrFixedNoCurrency", spring(fixed(500, "")), "currency is required for a fixed discount"},
		{"ErrEmptyWindow", spring(func(p *pricing.Promotion) { p.ValidUntil = p.ValidFrom }),
			"valid_until must be after valid_from"},
		{"ErrNoWindow", spring(func(p *pricing.Promotion) { p.ValidFrom, p.ValidUntil = time.Time{}, time.Time{} }),
			"valid_until must be after valid_from"},
		{"ErrNegativeMinSeats", spring(func(p *pricing.Promotion) { p.MinSeats = -1 }),
			"min_seats, per_user_limit and total_limit must not be negative"},
		{"ErrNegativePerUser", spring(func(p *pricing.Promotion) { p.PerUserLimit = -1 }),
			"min_seats, per_user_limit and total_limit must not be negative"},
		{"ErrNegativeTotal", spring(func(p *pricing.Promotion) { p.TotalLimit = -1 }),
			"min_seats, per_user_limit and total_limit must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.promo.Validate(), errs.Invalid, tt.want)
		})
	}
}

func TestDiscount(t *testing.T) {
	use := func(fs ...func(*pricing.Use)) pricing.Use {
		u := pricing.Use{Now: promoFrom.Add(48 * time.Hour), ChainID: "c1", TheatreID: "t1", MovieID: "m1",
			Seats: 2, SubtotalMinor: 2499, Currency: "USD"}
		for _, f := range fs {
			f(&u)
		}
		return u
	}
	tests := []struct {
		name    string
		promo   pricing.Promotion
		use     pricing.Use
		want    int64
		wantErr string
	}{
		{"OKPercentRoundsDown", spring(), use(), 499, ""}, // 499.8
		{"OKFullPercent", spring(func(p *pricing.Promotion) { p.Percent = 100 }), use(), 2499, ""},
		{"OKFixed", spring(fixed(500, "USD")), use(), 500, ""},
		{"OKFixedCurrencyAnyCase", spring(fixed(500, "usd")), use(), 500, ""},
		{"OKFixedCappedAtSubtotal", spring(fixed(5000, "USD")), use(), 2499, ""},
		{"OKZeroSubtotal", spring(fixed(500, "USD")), use(func(u *pricing.Use) { u.SubtotalMinor = 0 }), 0, ""},
		{"OKValidFromInclusive", spring(), use(func(u *pricing.Use) { u.Now = promoFrom }), 499, ""},
		{"OKLastMoment", spring(), use(func(u *pricing.Use) { u.Now = promoUntil.Add(-time.Nanosecond) }), 499, ""},
		{"OKMinSeatsMet", spring(func(p *pricing.Promotion) { p.MinSeats = 2 }), use(), 499, ""},
		{"OKUnderPerUserLimit", spring(func(p *pricing.Promotion) { p.PerUserLimit = 2 }),
			use(func(u *pricing.Use) { u.UserRedemptions = 1 }), 499, ""},
		{"OKUnderTotalLimit", spring(func(p *pricing.Promotion) { p.TotalLimit, p.Redemptions = 100, 99 }), use(), 499, ""},
		{"OKTheatreInScope", spring(func(p *pricing.Promotion) { p.TheatreIDs = []string{"t0", "t1"} }), use(), 499, ""},
		{"OKMovieInScope", spring(func(p *pricing.Promotion) { p.MovieIDs = []string{"m1"} }), use(), 499, ""},
		{"ErrNotYetValid", spring(), use(func(u *pricing.Use) { u.Now = promoFrom.Add(-time.Nanosecond) }), 0,
			"this code is not valid yet"},
		{"ErrExpiredAtValidUntil", spring(), use(func(u *pricing.Use) { u.Now = promoUntil }), 0, "this code has expired"},
		{"ErrExpired", spring(), use(func(u *pricing.Use) { u.Now = promoUntil.AddDate(0, 1, 0) }), 0,
			"this code has expired"},
		{"ErrOtherChain", spring(), use(func(u *pricing.Use) { u.ChainID = "c2" }), 0,
			"this code is not valid for this cinema"},
		{"ErrOtherTheatre", spring(func(p *pricing.Promotion) { p.TheatreIDs = []string{"t2"} }), use(), 0,
			"this code is not valid for this cinema"},
		{"ErrOtherMovie", spring(func(p *pricing.Promotion) { p.MovieIDs = []string{"m2", "m3"} }), use(), 0,
			"this code is not valid for this movie"},
		{"ErrMinSeats", spring(func(p *pricing.Promotion) { p.MinSeats = 3 }), use(), 0, "this code needs at least 3 seats"},
		{"ErrUsedOnce", spring(func(p *pricing.Promotion) { p.PerUserLimit = 1 }),
			use(func(u *pricing.Use) { u.UserRedemptions = 1 }), 0, "you have already used this code"},
		{"ErrUsedTwice", spring(func(p *pricing.Promotion) { p.PerUserLimit = 2 }),
			use(func(u *pricing.Use) { u.UserRedemptions = 2 }), 0, "you have already used this code 2 times"},
		{"ErrFullyRedeemed", spring(func(p *pricing.Promotion) { p.TotalLimit, p.Redemptions = 100, 100 }), use(), 0,
			"this code has been fully redeemed"},
		{"ErrFixedOtherCurrency", spring(fixed(500, "EUR")), use(), 0, "this code is only valid for bookings in EUR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.promo.Discount(tt.use)
			// Every refusal tells the customer the same; its cause says why.
			if tt.wantErr != "" {
				checkErr(t, err, errs.Precondition, pricing.CodeRefused)
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want its cause to say %q", err, tt.wantErr)
				}
			} else {
				checkErr(t, err, errs.Precondition, "")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
