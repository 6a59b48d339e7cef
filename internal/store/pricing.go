package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
)

// PricingStore keeps pricing rules and promotions.
type PricingStore struct{ db *DB }

// Pricing returns the pricing store.
func (db *DB) Pricing() *PricingStore { return &PricingStore{db: db} }

const ruleColumns = `id, chain_id, name, kind, start_minute, end_minute, days_of_week, formats, occupancy_percent,
	percent, amount_minor, cap_minor, priority`

func scanRule(r pgx.Row) (pricing.Rule, error) {
	var ru pricing.Rule
	var days []int32
	err := r.Scan(&ru.ID, &ru.ChainID, &ru.Name, &ru.Kind, &ru.StartMinute, &ru.EndMinute, &days, &ru.Formats,
		&ru.OccupancyPercent, &ru.Percent, &ru.AmountMinor, &ru.CapMinor, &ru.Priority)
	for _, d := range days {
		ru.Days = append(ru.Days, time.Weekday(d))
	}
	return ru, err
}

func pricingRules(ctx context.Context, db q, chainID string) ([]pricing.Rule, error) {
	rows, err := db.Query(ctx, `SELECT `+ruleColumns+` FROM pricing_rules WHERE chain_id = $1 ORDER BY priority, id`, chainID)
	if err != nil {
		return nil, errs.E("store.pricingRules", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Rule, error) { return scanRule(r) })
}

// ListRules returns a chain's pricing rules in the order they apply.
func (s *PricingStore) ListRules(ctx context.Context, chainID string) ([]pricing.Rule, error) {
	return pricingRules(ctx, s.db.Pool, chainID)
}

// UpsertRule creates or replaces a rule; it is refused (Invalid) if it would overlap another rule of the chain.
func (s *PricingStore) UpsertRule(ctx context.Context, r pricing.Rule) error {
	const op = "store.UpsertRule"
	defer s.db.holdConfig.clear()
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := chainExists(ctx, tx, r.ChainID); err != nil {
			return err
		}
		var owner string
		err := tx.QueryRow(ctx, `SELECT chain_id FROM pricing_rules WHERE id = $1`, r.ID).Scan(&owner)
		if err == nil && owner != r.ChainID {
			return errs.Errorf(op, errs.NotFound, "pricing rule not found")
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return errs.E(op, err)
		}
		rules, err := pricingRules(ctx, tx, r.ChainID)
		if err != nil {
			return err
		}
		others := []pricing.Rule{r}
		for _, o := range rules {
			if o.ID != r.ID {
				others = append(others, o)
			}
		}
		if err := pricing.CheckOverlap(others); err != nil {
			return err
		}
		days := make([]int32, len(r.Days))
		for i, d := range r.Days {
			days[i] = int32(d)
		}
		_, err = tx.Exec(ctx, `INSERT INTO pricing_rules (`+ruleColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
			start_minute = excluded.start_minute, end_minute = excluded.end_minute, days_of_week = excluded.days_of_week,
			formats = excluded.formats, occupancy_percent = excluded.occupancy_percent, percent = excluded.percent,
			amount_minor = excluded.amount_minor, cap_minor = excluded.cap_minor, priority = excluded.priority`,
			r.ID, r.ChainID, r.Name, string(r.Kind), r.StartMinute, r.EndMinute, days, nonNil(r.Formats),
			r.OccupancyPercent, r.Percent, r.AmountMinor, r.CapMinor, r.Priority)
		return wrap(op, err)
	})
}

// DeleteRule removes a chain's rule; another chain's rule or an unknown one is NotFound.
func (s *PricingStore) DeleteRule(ctx context.Context, chainID, id string) error {
	defer s.db.holdConfig.clear()
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM pricing_rules WHERE id = $1 AND chain_id = $2`, id, chainID)
		if err != nil {
			return errs.E("store.DeleteRule", err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf("store.DeleteRule", errs.NotFound, "pricing rule not found")
		}
		return nil
	})
}

const promotionColumns = `id, chain_id, code, description, kind, percent, amount_minor, currency, valid_from,
	valid_until, min_seats, per_user_limit, total_limit, theatre_ids, movie_ids, redemptions`

func scanPromotion(r pgx.Row) (pricing.Promotion, error) {
	var p pricing.Promotion
	err := r.Scan(&p.ID, &p.ChainID, &p.Code, &p.Description, &p.Kind, &p.Percent, &p.AmountMinor, &p.Currency,
		&p.ValidFrom, &p.ValidUntil, &p.MinSeats, &p.PerUserLimit, &p.TotalLimit, &p.TheatreIDs, &p.MovieIDs,
		&p.Redemptions)
	return p, err
}

// ListPromotions returns a chain's promotions by code.
func (s *PricingStore) ListPromotions(ctx context.Context, chainID string) ([]pricing.Promotion, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+promotionColumns+` FROM promotions WHERE chain_id = $1 ORDER BY code`, chainID)
	if err != nil {
		return nil, errs.E("store.ListPromotions", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (pricing.Promotion, error) { return scanPromotion(r) })
}

// UpsertPromotion creates or replaces a promotion, keeping its redemption count. A code taken by another
// promotion is a Conflict.
func (s *PricingStore) UpsertPromotion(ctx context.Context, p pricing.Promotion) (pricing.Promotion, error) {
	const op = "store.UpsertPromotion"
	var out pricing.Promotion
	err := s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := chainExists(ctx, tx, p.ChainID); err != nil {
			return err
		}
		if err := scopeExists(ctx, tx, p); err != nil {
			return err
		}
		var owner string
		err := tx.QueryRow(ctx, `SELECT chain_id FROM promotions WHERE id = $1`, p.ID).Scan(&owner)
		if err == nil && owner != p.ChainID {
			return errs.Errorf(op, errs.NotFound, "promotion not found")
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return errs.E(op, err)
		}
		out, err = scanPromotion(tx.QueryRow(ctx, `INSERT INTO promotions (`+promotionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0)
			ON CONFLICT (id) DO UPDATE SET code = excluded.code, description = excluded.description,
			kind = excluded.kind, percent = excluded.percent, amount_minor = excluded.amount_minor,
			currency = excluded.currency, valid_from = excluded.valid_from, valid_until = excluded.valid_until,
			min_seats = excluded.min_seats, per_user_limit = excluded.per_user_limit,
			total_limit = excluded.total_limit, theatre_ids = excluded.theatre_ids, movie_ids = excluded.movie_ids
			RETURNING `+promotionColumns,
			p.ID, p.ChainID, p.Code, p.Description, string(p.Kind), p.Percent, p.AmountMinor, p.Currency, p.ValidFrom,
			p.ValidUntil, p.MinSeats, p.PerUserLimit, p.TotalLimit, nonNil(p.TheatreIDs), nonNil(p.MovieIDs)))
		switch {
		case isUniqueViolation(err, "promotions_code_key"):
			return errs.E(op, errs.Conflict, "another promotion already uses this code", err)
		case isCheckViolation(err, "promotions_total_limit"):
			return errs.E(op, errs.Invalid, "the total limit is below the redemptions already made", err)
		}
		return wrap(op, err)
	})
	return out, err
}

// scopeExists refuses (Invalid) a promotion whose theatres are not all the chain's own or whose movies do not
// all exist: IDs of another chain's theatres are never stored in a scope.
func scopeExists(ctx context.Context, tx pgx.Tx, p pricing.Promotion) error {
	const op = "store.UpsertPromotion"
	var theatre, movie string
	err := tx.QueryRow(ctx, `SELECT
			COALESCE((SELECT t FROM unnest(CAST($2 AS TEXT[])) AS t
				WHERE NOT EXISTS (SELECT 1 FROM theatres WHERE id = t AND chain_id = $1) LIMIT 1), ''),
			COALESCE((SELECT m FROM unnest(CAST($3 AS TEXT[])) AS m
				WHERE NOT EXISTS (SELECT 1 FROM movies WHERE id = m) LIMIT 1), '')`,
		p.ChainID, nonNil(p.TheatreIDs), nonNil(p.MovieIDs)).Scan(&theatre, &movie)
	switch {
	case err != nil:
		return errs.E(op, err)
	case theatre != "":
		return errs.Errorf(op, errs.Invalid, "theatre %q is not a theatre of this chain", theatre)
	case movie != "":
		return errs.Errorf(op, errs.Invalid, "movie %q does not exist", movie)
	}
	return nil
}

// promotionByCode returns the promotion with that (normalized) code, or nil when none has it, and how often
// userID has redeemed it.
func promotionByCode(ctx context.Context, db q, code, userID string) (*pricing.Promotion, int, error) {
	p, err := scanPromotion(db.QueryRow(ctx, `SELECT `+promotionColumns+` FROM promotions WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, errs.E("store.promotionByCode", err)
	}
	var used int
	err = db.QueryRow(ctx, `SELECT count(*) FROM promotion_redemptions WHERE promotion_id = $1 AND user_id = $2`,
		p.ID, userID).Scan(&used)
	return &p, used, wrap("store.promotionByCode", err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
