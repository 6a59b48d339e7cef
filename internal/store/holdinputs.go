package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
)

// HoldInputs reads, outside any transaction, what pricing and the orphan-seat rule need to hold seatIDs. The
// configuration part (the showtime with its chain, time zone and policy, the chain's pricing rules, the
// screen's seats) is one round trip, cached per showtime; seat statuses are read, in one more query, only when
// the orphan rule or a demand rule needs them.
func (s *InventoryStore) HoldInputs(ctx context.Context, region, showtimeID string, seatIDs []string, now time.Time,
	def catalog.ChainPolicy) (inventory.HoldInputs, error) {
	const op = "store.HoldInputs"
	c, ok := s.db.holdConfig.get(showtimeID)
	if !ok {
		in, err := s.holdConfig(ctx, region, showtimeID, def)
		if err != nil {
			return in, errs.E(op, err)
		}
		c = cachedConfig{in: in, types: make(map[string]inventory.SeatState, len(in.Seats))}
		for _, seat := range in.Seats {
			c.types[seat.ID] = seat
		}
		s.db.holdConfig.put(showtimeID, c)
	}
	in := c.in
	if !in.Policy.OrphanSeatRule && !hasDemandRule(in.Rules) {
		in.Seats = nil
		for _, id := range seatIDs {
			if seat, ok := c.types[id]; ok {
				in.Seats = append(in.Seats, seat)
			}
		}
		return in, nil
	}
	in.Seats = slices.Clone(c.in.Seats)
	rows, err := s.db.Pool.Query(ctx, statusesSQL, region, showtimeID, now)
	if err := fillStatuses(rows, err, in.Seats); err != nil {
		return in, errs.E(op, err)
	}
	in.Occupancy = inventory.Occupancy(in.Seats)
	return in, nil
}

// holdConfig reads a showtime's hold configuration in one round trip.
func (s *InventoryStore) holdConfig(ctx context.Context, region, showtimeID string, def catalog.ChainPolicy) (inventory.HoldInputs, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT `+prefixed("s.", showtimeColumns)+`, t.chain_id, t.time_zone, p.refund_tiers, p.refund_fees,
			p.store_credit_bonus_percent, p.orphan_seat_rule, p.fee_per_seat_minor
		FROM showtimes s JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		LEFT JOIN chain_policies p ON p.chain_id = t.chain_id
		WHERE s.region = $1 AND s.id = $2`, region, showtimeID)
	b.Queue(`SELECT `+prefixed("r.", ruleColumns)+` FROM pricing_rules r
		JOIN theatres t ON t.chain_id = r.chain_id JOIN showtimes s ON s.region = t.region AND s.theatre_id = t.id
		WHERE s.region = $1 AND s.id = $2 ORDER BY r.priority, r.id`, region, showtimeID)
	b.Queue(`SELECT se.id, se.row_label, se.number, se.seat_type, se.x, se.y FROM seats se
		JOIN showtimes s ON s.region = se.region AND s.screen_id = se.screen_id
		WHERE s.region = $1 AND s.id = $2 ORDER BY se.y, se.x`, region, showtimeID)
	return readHoldInputs(s.db.Pool.SendBatch(ctx, b), def)
}

func readHoldInputs(br pgx.BatchResults, def catalog.ChainPolicy) (in inventory.HoldInputs, err error) {
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	if in, err = scanHoldShow(br.QueryRow(), def); err != nil {
		return in, notFound("store.HoldInputs", err, "showtime")
	}
	rows, err := br.Query()
	if err != nil {
		return in, err
	}
	if in.Rules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Rule, error) { return scanRule(r) }); err != nil {
		return in, err
	}
	if rows, err = br.Query(); err != nil {
		return in, err
	}
	in.Seats, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ss inventory.SeatState, err error) {
		err = r.Scan(&ss.ID, &ss.Row, &ss.Number, &ss.Type, &ss.X, &ss.Y)
		return ss, err
	})
	return in, err
}

func scanHoldShow(row pgx.Row, def catalog.ChainPolicy) (inventory.HoldInputs, error) {
	var in inventory.HoldInputs
	st := &in.Showtime
	var tz string
	var tiers []byte
	var fees, orphan *bool
	var bonus *int
	var fee *int64
	if err := row.Scan(&st.Region, &st.ID, &st.MovieID, &st.TheatreID, &st.ScreenID, &st.StartsAt, &st.EndsAt,
		&st.Format, &st.Language, &st.Currency, &st.BasePriceMinor, &st.PremiumPriceMinor, &st.Status,
		&in.ChainID, &tz, &tiers, &fees, &bonus, &orphan, &fee); err != nil {
		return in, err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return in, err
	}
	in.Location, in.Policy = loc, def
	in.Policy.ChainID = in.ChainID
	if tiers != nil {
		in.Policy = catalog.ChainPolicy{ChainID: in.ChainID, RefundFees: *fees, StoreCreditBonusPercent: *bonus,
			OrphanSeatRule: *orphan, FeePerSeatMinor: *fee}
		in.Policy.RefundTiers, err = decodeTiers(tiers)
	}
	return in, err
}

func prefixed(p, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func hasDemandRule(rules []pricing.Rule) bool {
	for _, r := range rules {
		if r.Kind == pricing.RuleDemand {
			return true
		}
	}
	return false
}

// lineJSON is how a held seat's price is kept in holds.price_lines.
type lineJSON struct {
	SeatID      string    `json:"seatId"`
	SeatType    string    `json:"seatType,omitempty"`
	BaseMinor   int64     `json:"base"`
	AmountMinor int64     `json:"amount"`
	Adjustments []adjJSON `json:"adjustments,omitempty"`
}

type adjJSON struct {
	RuleID      string `json:"ruleId"`
	Description string `json:"description"`
	AmountMinor int64  `json:"amount"`
}

func encodeLines(lines []pricing.SeatPrice) ([]byte, error) {
	out := make([]lineJSON, len(lines))
	for i, l := range lines {
		out[i] = lineJSON{SeatID: l.SeatID, SeatType: l.SeatType, BaseMinor: l.BaseMinor, AmountMinor: l.AmountMinor}
		for _, a := range l.Adjustments {
			out[i].Adjustments = append(out[i].Adjustments, adjJSON{a.RuleID, a.Description, a.AmountMinor})
		}
	}
	return json.Marshal(out)
}

func decodeLines(b []byte) ([]pricing.SeatPrice, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var in []lineJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]pricing.SeatPrice, len(in))
	for i, l := range in {
		out[i] = pricing.SeatPrice{SeatID: l.SeatID, SeatType: l.SeatType, BaseMinor: l.BaseMinor, AmountMinor: l.AmountMinor}
		for _, a := range l.Adjustments {
			out[i].Adjustments = append(out[i].Adjustments, pricing.Adjustment{RuleID: a.RuleID,
				Description: a.Description, AmountMinor: a.AmountMinor})
		}
	}
	return out, nil
}
