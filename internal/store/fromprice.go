package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/pricing"
)

// PriceFacts reads what the lowest price of each showtime of ids (in regions rs) depends on at now, in one
// round trip: per showtime its seats counted (all, held or booked at now) and whether an available seat sells
// at the base or the premium price, with its theatre's time zone; and the pricing rules of their chains.
func (s *InventoryStore) PriceFacts(ctx context.Context, rs, ids []string, now time.Time) ([]inventory.PriceFacts, error) {
	const op = "store.PriceFacts"
	const taken = `(ss.status = 'booked' OR (ss.status = 'held' AND ss.held_until > $3))`
	b := &pgx.Batch{}
	// Each showtime's seats are read as primary-key range scans inside LATERAL subqueries (its screen's
	// premium seats, its inventory), so the plan stays cheap whatever the planner's statistics say: a join of
	// every showtime's inventory to the seats, planned on stale statistics, took seconds.
	b.Queue(`SELECT `+prefixed("s.", showtimeColumns)+`, t.time_zone, t.chain_id, a.seats, a.taken, a.free_premium
		FROM showtimes s JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		CROSS JOIN LATERAL (SELECT coalesce(array_agg(se.id), ARRAY[]::TEXT[]) AS ids FROM seats se
			WHERE se.region = s.region AND se.screen_id = s.screen_id AND se.seat_type = 'premium') p
		CROSS JOIN LATERAL (SELECT count(*) AS seats, count(*) FILTER (WHERE `+taken+`) AS taken,
				count(*) FILTER (WHERE NOT `+taken+` AND ss.seat_id = ANY(p.ids)) AS free_premium
			FROM showtime_seats ss WHERE ss.region = s.region AND ss.showtime_id = s.id) a
		WHERE s.region = ANY($1) AND s.id = ANY($2)`, rs, ids, now)
	b.Queue(`SELECT `+prefixed("r.", ruleColumns)+` FROM pricing_rules r WHERE r.chain_id IN (SELECT t.chain_id
		FROM showtimes s JOIN theatres t ON t.region = s.region AND t.id = s.theatre_id
		WHERE s.region = ANY($1) AND s.id = ANY($2)) ORDER BY r.priority, r.id`, rs, ids)
	br := s.db.Pool.SendBatch(ctx, b)
	defer br.Close()
	facts, chains, err := readPriceFacts(br)
	if err != nil {
		return nil, errs.E(op, err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errs.E(op, err)
	}
	rules, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Rule, error) { return scanRule(r) })
	if err != nil {
		return nil, errs.E(op, err)
	}
	for i := range facts {
		for _, r := range rules {
			if r.ChainID == chains[i] {
				facts[i].Rules = append(facts[i].Rules, r)
			}
		}
	}
	return facts, nil
}

// readPriceFacts reads the first statement of PriceFacts: the facts, and each one's chain.
func readPriceFacts(br pgx.BatchResults) ([]inventory.PriceFacts, []string, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var facts []inventory.PriceFacts
	var chains []string
	zones := map[string]*time.Location{}
	for rows.Next() {
		var f inventory.PriceFacts
		var zone, chain string
		var freePremium int
		st := &f.Showtime
		if err := rows.Scan(&st.Region, &st.ID, &st.MovieID, &st.TheatreID, &st.ScreenID, &st.StartsAt, &st.EndsAt,
			&st.Format, &st.Language, &st.Currency, &st.BasePriceMinor, &st.PremiumPriceMinor, &st.Status, &zone, &chain,
			&f.Seats, &f.Taken, &freePremium); err != nil {
			return nil, nil, err
		}
		f.FreePremium, f.FreeBase = freePremium > 0, f.Seats-f.Taken > freePremium
		if zones[zone] == nil {
			if zones[zone], err = time.LoadLocation(zone); err != nil {
				return nil, nil, err
			}
		}
		f.Location = zones[zone]
		facts, chains = append(facts, f), append(chains, chain)
	}
	return facts, chains, rows.Err()
}
