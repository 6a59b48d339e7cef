package pricing_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/pricing"
)

func TestBuildQuote(t *testing.T) {
	lines := []pricing.SeatPrice{
		{SeatID: "F11", BaseMinor: 1000, AmountMinor: 1000},
		{SeatID: "F12", BaseMinor: 1500, Adjustments: []pricing.Adjustment{adj(imax, 300)}, AmountMinor: 1800},
	}
	promo := spring(func(p *pricing.Promotion) { p.Code = " spring20 " })
	fee := func(amount int64) []pricing.Fee {
		return []pricing.Fee{{Description: pricing.BookingFee, AmountMinor: amount}}
	}
	tests := []struct {
		name       string
		lines      []pricing.SeatPrice
		promo      *pricing.Promotion
		discount   int64
		feePerSeat int64
		want       pricing.Quote
	}{
		{"OKNoPromoNoFee", lines, nil, 0, 0,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, TotalMinor: 2800}},
		{"OKFeePerSeat", lines, nil, 0, 150,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, Fees: fee(300), TotalMinor: 3100}},
		{"OKPromoAndFee", lines, &promo, 560, 150,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, PromoCode: "SPRING20",
				PromoDescription: "20% off in spring", DiscountMinor: 560, Fees: fee(300), TotalMinor: 2540}},
		{"OKDiscountCappedAtSubtotal", lines, &promo, 5000, 150,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, PromoCode: "SPRING20",
				PromoDescription: "20% off in spring", DiscountMinor: 2800, Fees: fee(300), TotalMinor: 300}},
		{"OKNegativeDiscountIgnored", lines, &promo, -100, 0,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, PromoCode: "SPRING20",
				PromoDescription: "20% off in spring", TotalMinor: 2800}},
		{"OKDiscountWithoutPromoIgnored", lines, nil, 500, 0,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, TotalMinor: 2800}},
		{"OKFreeSeats", []pricing.SeatPrice{{SeatID: "A1", BaseMinor: 500}}, &promo, 0, 0,
			pricing.Quote{Currency: "USD", Lines: []pricing.SeatPrice{{SeatID: "A1", BaseMinor: 500}},
				PromoCode: "SPRING20", PromoDescription: "20% off in spring"}},
		{"OKNoSeatsNoFee", nil, nil, 0, 150, pricing.Quote{Currency: "USD"}},
		{"OKNegativeFeeIgnored", lines, nil, 0, -50,
			pricing.Quote{Currency: "USD", Lines: lines, SubtotalMinor: 2800, TotalMinor: 2800}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pricing.BuildQuote("USD", tt.lines, tt.promo, tt.discount, tt.feePerSeat)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{100, []int64{0, 0, 0}, []int64{34, 33, 33}},
		{1000, []int64{1500, 1000, 500}, []int64{501, 333, 166}},
		{7, []int64{3}, []int64{7}},
		{0, []int64{5, 5}, []int64{0, 0}},
		{5, nil, []int64{}},
	} {
		got := pricing.Share(tc.total, tc.weights)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Share(%d, %v) = %v, want %v", tc.total, tc.weights, got, tc.want)
		}
	}
}
