package inventory

import (
	"context"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/regions"
)

// PriceFacts is what the lowest price of a showtime's seats depends on now: the showtime, its theatre's time
// zone, its chain's pricing rules, how full it is, and which prices its available seats are sold at.
type PriceFacts struct {
	Showtime     catalog.Showtime
	Location     *time.Location
	Rules        []pricing.Rule
	Seats, Taken int  // seats of the screen, and of them held or booked
	FreeBase     bool // an available seat sells at the base price (standard, accessible, companion)
	FreePremium  bool // an available premium seat
}

var _ catalog.FromPrices = (*Service)(nil)

// FromPrices returns, for each showtime with a seat available, the lowest price one of its seats sells for
// now: the price the seat map shows and a hold would fix (the chain's rules at the current occupancy). It
// reads every showtime's facts in one round trip. IDs of no region are left out.
func (s *Service) FromPrices(ctx context.Context, showtimeIDs []string) (map[string]catalog.Price, error) {
	var rs, ids []string
	for _, id := range showtimeIDs {
		if r, ok := regions.OfID(id); ok {
			rs, ids = append(rs, r.Name), append(ids, id)
		}
	}
	out := map[string]catalog.Price{}
	if len(ids) == 0 {
		return out, nil
	}
	facts, err := s.Store.PriceFacts(ctx, rs, ids, s.Now())
	if err != nil {
		return nil, errs.E("inventory.FromPrices", err)
	}
	for _, f := range facts {
		if p, ok := f.fromPrice(); ok {
			out[f.Showtime.ID] = catalog.Price{Currency: f.Showtime.Currency, AmountMinor: p}
		}
	}
	return out, nil
}

// fromPrice is the lowest price among the seats available, false when there is none.
func (f PriceFacts) fromPrice() (int64, bool) {
	occupancy := 0
	if f.Seats > 0 {
		occupancy = f.Taken * 100 / f.Seats // as Occupancy counts a seat map
	}
	show := showOf(f.Showtime, f.Location, occupancy)
	var prices []int64
	if f.FreeBase {
		prices = append(prices, seatPrice(f.Showtime, catalog.SeatStandard, show, f.Rules))
	}
	if f.FreePremium {
		prices = append(prices, seatPrice(f.Showtime, catalog.SeatPremium, show, f.Rules))
	}
	if len(prices) == 0 {
		return 0, false
	}
	return slices.Min(prices), true
}

// fromPrice is the lowest price among a seat map's available seats, nil when there is none.
func (m SeatMap) fromPrice() *catalog.Price {
	var low *catalog.Price
	for _, s := range m.Seats {
		if s.Status == Available && (low == nil || s.PriceMinor < low.AmountMinor) {
			low = &catalog.Price{Currency: m.Showtime.Currency, AmountMinor: s.PriceMinor}
		}
	}
	return low
}

// showOf is how pricing sees a showtime at an occupancy.
func showOf(st catalog.Showtime, loc *time.Location, occupancy int) pricing.Show {
	return pricing.Show{StartsAt: st.StartsAt, Location: loc, Format: st.Format, OccupancyPercent: occupancy}
}

// seatPrice is what a seat of type t of st costs at show under the chain's rules: the one price of the seat
// map, the from-price and the hold.
func seatPrice(st catalog.Showtime, t catalog.SeatType, show pricing.Show, rules []pricing.Rule) int64 {
	return pricing.Price("", st.PriceOf(t), show, rules).AmountMinor
}
