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

// HoldInputs reads, outside any transaction, the configuration pricing needs to hold seatIDs: the showtime
// with its chain, time zone and stored policy, the chain's pricing rules, and the asked seats (statuses
// unknown). It is one round trip, cached per showtime (see configCache).
func (s *InventoryStore) HoldInputs(ctx context.Context, region, showtimeID string, seatIDs []string) (inventory.HoldInputs, error) {
	c, err := s.config(ctx, region, showtimeID)
	if err != nil {
		return inventory.HoldInputs{}, errs.E("store.HoldInputs", err)
	}
	in := c.in
	in.Seats = nil
	for _, id := range seatIDs {
		if seat, ok := c.types[id]; ok {
			in.Seats = append(in.Seats, seat)
		}
	}
	return in, nil
}

// SeatStates returns every seat of the showtime's screen with its status at now: the layout from the cached
// configuration, the statuses in one query.
func (s *InventoryStore) SeatStates(ctx context.Context, region, showtimeID string, now time.Time) ([]inventory.SeatState, error) {
	const op = "store.SeatStates"
	c, err := s.config(ctx, region, showtimeID)
	if err != nil {
		return nil, errs.E(op, err)
	}
	seats := slices.Clone(c.in.Seats)
	rows, err := s.db.Pool.Query(ctx, statusesSQL, region, showtimeID, now)
	if err := fillStatuses(rows, err, seats); err != nil {
		return nil, errs.E(op, err)
	}
	return seats, nil
}

// config returns a showtime's hold configuration from the cache, reading it on a miss.
func (s *InventoryStore) config(ctx context.Context, region, showtimeID string) (cachedConfig, error) {
	if c, ok := s.db.holdConfig.get(showtimeID); ok {
		return c, nil
	}
	in, err := s.holdConfig(ctx, region, showtimeID)
	if err != nil {
		return cachedConfig{}, err
	}
	c := cachedConfig{in: in, types: make(map[string]inventory.SeatState, len(in.Seats))}
	for _, seat := range in.Seats {
		c.types[seat.ID] = seat
	}
	s.db.holdConfig.put(showtimeID, c)
	return c, nil
}

// holdConfig reads a showtime's hold configuration in one round trip.
func (s *InventoryStore) holdConfig(ctx context.Context, region, showtimeID string) (inventory.HoldInputs, error) {
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
	return readHoldInputs(s.db.Pool.SendBatch(ctx, b))
}

func readHoldInputs(br pgx.BatchResults) (in inventory.HoldInputs, err error) {
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	if in, err = scanHoldShow(br.QueryRow()); err != nil {
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

// scanHoldShow reads the showtime with its chain, time zone and the chain's stored policy (nil when none).
func scanHoldShow(row pgx.Row) (inventory.HoldInputs, error) {
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
	in.Location = loc
	if tiers == nil {
		return in, nil
	}
	p := catalog.ChainPolicy{ChainID: in.ChainID, RefundFees: *fees, StoreCreditBonusPercent: *bonus,
		OrphanSeatRule: *orphan, FeePerSeatMinor: *fee}
	p.RefundTiers, err = decodeTiers(tiers)
	in.Policy = &p
	return in, err
}

func prefixed(p, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
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
