package booking

import (
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
)

// CheckoutRules decide a checkout, and a quote, inside the store's transaction on what the store read there.
// The store applies them in order, Hold, CheckTarget (adding seats), Quote, Tenders, and writes what they
// decided.
type CheckoutRules struct {
	Now      time.Time // the time of the checkout, read once
	Policies catalog.Policies
}

// Hold checks the request's hold: it must be userID's (else NotFound) and still hold its seats (else
// Precondition).
func (r CheckoutRules) Hold(h inventory.Hold, userID string) error {
	return inventory.CheckLive(h, userID, r.Now)
}

// CheckTarget checks that seats of showtimeID may be added to b for userID: b must be userID's (else
// NotFound), confirmed, and of that showtime.
func CheckTarget(b Booking, userID, showtimeID string) error {
	const op = "booking.CheckTarget"
	if err := checkOwner(b, userID); err != nil {
		return errs.E(op, err)
	}
	switch {
	case b.Status != Confirmed:
		return errs.Errorf(op, errs.Precondition, "the booking is %s", b.Status)
	case b.ShowtimeID != showtimeID:
		return errs.Errorf(op, errs.Precondition, "the seats are for a different showtime than the booking")
	}
	return nil
}

// QuoteFacts is what pricing a hold needs, read inside the transaction.
type QuoteFacts struct {
	Hold     inventory.Hold
	Showtime catalog.Showtime
	ChainID  string
	Policy   *catalog.ChainPolicy // the chain's policy as stored; nil when it has set none
	// Promotion is the promotion of the request's code: nil when no code was given or no promotion has it.
	Promotion   *pricing.Promotion
	Redemptions int // how often the user has redeemed Promotion before
}

// Quote prices the hold: its seats at the prices fixed when it was made, less the discount of the promotion
// of code (checked, not reserved), plus the chain's fee per seat. The showtime must still take bookings, and
// a code no promotion has is Precondition.
func (r CheckoutRules) Quote(code string, f QuoteFacts) (pricing.Quote, error) {
	const op = "booking.CheckoutRules.Quote"
	if err := inventory.Holdable(f.Showtime, r.Now); err != nil {
		return pricing.Quote{}, errs.E(op, err)
	}
	h, policy := f.Hold, r.Policies.For(f.ChainID, f.Policy)
	if pricing.NormalizeCode(code) == "" {
		return pricing.BuildQuote(h.Currency, h.Lines, nil, 0, policy.FeePerSeatMinor), nil
	}
	if f.Promotion == nil {
		return pricing.Quote{}, pricing.Refused(op, "unknown promotion code")
	}
	discount, err := f.Promotion.Discount(pricing.Use{Now: r.Now, ChainID: f.ChainID, TheatreID: f.Showtime.TheatreID,
		MovieID: f.Showtime.MovieID, Seats: len(h.SeatIDs), SubtotalMinor: h.SubtotalMinor(), Currency: h.Currency,
		UserRedemptions: f.Redemptions})
	if err != nil {
		return pricing.Quote{}, errs.E(op, err)
	}
	return pricing.BuildQuote(h.Currency, h.Lines, f.Promotion, discount, policy.FeePerSeatMinor), nil
}

// GiftCardBalance is a gift card as a checkout sees it: where it can be used and what is left on it.
type GiftCardBalance struct {
	ID, ChainID, Currency string
	BalanceMinor          int64
}

// Wallet is what a checkout may pay with besides the card, read inside its transaction.
type Wallet struct {
	GiftCard         *GiftCardBalance // the request's gift card: nil when it named none or no card has the code
	StoreCreditMinor int64            // the user's store credit in the quote's currency, read when the request uses it
}

// TenderSplit is how a checkout pays its total: what each method takes.
type TenderSplit struct {
	GiftCardMinor, StoreCreditMinor, CardMinor int64
}

// Tenders pays the quote's total with the request's gift card first (it must be of the chain, in the quote's
// currency, and have a balance), then the user's store credit when the request uses it, and leaves the rest
// to the card, which then needs a payment token. Every refusal is Precondition.
func (r CheckoutRules) Tenders(req Request, chainID string, q pricing.Quote, w Wallet) (TenderSplit, error) {
	const op = "booking.CheckoutRules.Tenders"
	var t TenderSplit
	left := q.TotalMinor
	if req.GiftCardCode != "" && left > 0 {
		took, err := giftCardShare(w.GiftCard, chainID, q.Currency, left)
		if err != nil {
			return TenderSplit{}, errs.E(op, err)
		}
		t.GiftCardMinor, left = took, left-took
	}
	if req.UseStoreCredit && left > 0 {
		t.StoreCreditMinor = max(min(w.StoreCreditMinor, left), 0)
		left -= t.StoreCreditMinor
	}
	t.CardMinor = left
	if left > 0 && req.PaymentToken == "" {
		return TenderSplit{}, errs.Errorf(op, errs.Precondition, "a payment token is needed to pay the remaining %d", left)
	}
	return t, nil
}

// giftCardShare returns what gift card g pays of left: as much as its balance allows.
func giftCardShare(g *GiftCardBalance, chainID, currency string, left int64) (int64, error) {
	const op = "booking.giftCardShare"
	switch {
	case g == nil:
		return 0, errs.Errorf(op, errs.Precondition, "gift card not found")
	case g.ChainID != chainID || g.Currency != currency:
		return 0, errs.Errorf(op, errs.Precondition, "this gift card cannot be used at this cinema")
	case g.BalanceMinor <= 0:
		return 0, errs.Errorf(op, errs.Precondition, "this gift card has no balance left")
	}
	return min(g.BalanceMinor, left), nil
}
