package pricing

// Fee is a charge on top of the seats.
type Fee struct {
	Description string
	AmountMinor int64
}

// Quote is what a booking will cost: its seats, their subtotal, a promotion's discount, fees and the total,
// all in Currency.
type Quote struct {
	Currency         string
	Lines            []SeatPrice
	SubtotalMinor    int64
	PromoCode        string // normalized; empty without a promotion
	PromoDescription string
	DiscountMinor    int64
	Fees             []Fee // nil when there are none
	TotalMinor       int64
}

// BookingFee describes the per-seat booking fee in a quote.
const BookingFee = "Booking fee"

// BuildQuote sums the lines, takes off discount (already computed by Promotion.Discount; ignored when promo is
// nil, and kept within 0..subtotal) and adds a booking fee of feePerSeat per seat when it is positive. The
// total is subtotal - discount + fees and never negative.
func BuildQuote(currency string, lines []SeatPrice, promo *Promotion, discount int64, feePerSeat int64) Quote {
	q := Quote{Currency: currency, Lines: lines}
	for _, l := range lines {
		q.SubtotalMinor += l.AmountMinor
	}
	if promo != nil {
		q.PromoCode, q.PromoDescription = NormalizeCode(promo.Code), promo.Description
		q.DiscountMinor = min(max(discount, 0), max(q.SubtotalMinor, 0))
	}
	var fees int64
	if feePerSeat > 0 && len(lines) > 0 {
		fees = feePerSeat * int64(len(lines))
		q.Fees = []Fee{{Description: BookingFee, AmountMinor: fees}}
	}
	q.TotalMinor = max(q.SubtotalMinor-q.DiscountMinor+fees, 0)
	return q
}

// Share splits total among parts in proportion to weights (evenly when they are all zero), the remainder going
// to the first parts, so that the shares add up to total exactly: how a booking's discount is spread over its
// seats by price, and its fees evenly.
func Share(total int64, weights []int64) []int64 {
	shares := make([]int64, len(weights))
	if len(weights) == 0 {
		return shares
	}
	var sum, given int64
	for _, w := range weights {
		sum += w
	}
	for i, w := range weights {
		if sum == 0 {
			shares[i] = total / int64(len(weights))
		} else {
			shares[i] = total * w / sum
		}
		given += shares[i]
	}
	for i := 0; given < total; i = (i + 1) % len(shares) {
		shares[i]++
		given++
	}
	return shares
}
