package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// tierJSON is how refund tiers are kept in chain_policies.refund_tiers.
type tierJSON struct {
	MinutesBefore int `json:"minutesBefore"`
	Percent       int `json:"percent"`
}

// ChainPolicy returns the policy a chain has stored, or nil when it has set none.
func (s *CatalogStore) ChainPolicy(ctx context.Context, chainID string) (*catalog.ChainPolicy, error) {
	return storedPolicy(ctx, s.db.Pool, chainID)
}

// storedPolicy returns the policy chainID has stored, or nil when it has set none.
func storedPolicy(ctx context.Context, db q, chainID string) (*catalog.ChainPolicy, error) {
	p := catalog.ChainPolicy{ChainID: chainID}
	var tiers []byte
	err := db.QueryRow(ctx, `SELECT refund_tiers, refund_fees, store_credit_bonus_percent, orphan_seat_rule,
		fee_per_seat_minor FROM chain_policies WHERE chain_id = $1`, chainID).Scan(&tiers, &p.RefundFees,
		&p.StoreCreditBonusPercent, &p.OrphanSeatRule, &p.FeePerSeatMinor)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.E("store.storedPolicy", err)
	}
	if p.RefundTiers, err = decodeTiers(tiers); err != nil {
		return nil, errs.E("store.storedPolicy", err)
	}
	return &p, nil
}

func decodeTiers(b []byte) ([]catalog.RefundTier, error) {
	var ts []tierJSON
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, err
	}
	out := make([]catalog.RefundTier, len(ts))
	for i, t := range ts {
		out[i] = catalog.RefundTier{Before: time.Duration(t.MinutesBefore) * time.Minute, Percent: t.Percent}
	}
	return out, nil
}

// SetChainPolicy creates or replaces a chain's policy; an unknown chain is NotFound.
func (s *CatalogStore) SetChainPolicy(ctx context.Context, p catalog.ChainPolicy) error {
	const op = "store.SetChainPolicy"
	ts := make([]tierJSON, len(p.RefundTiers))
	for i, t := range p.RefundTiers {
		ts[i] = tierJSON{MinutesBefore: int(t.Before / time.Minute), Percent: t.Percent}
	}
	tiers, err := json.Marshal(ts)
	if err != nil {
		return errs.E(op, err)
	}
	defer s.db.holdConfig.clear()
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := chainExists(ctx, tx, p.ChainID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO chain_policies (chain_id, refund_tiers, refund_fees,
			store_credit_bonus_percent, orphan_seat_rule, fee_per_seat_minor) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (chain_id) DO UPDATE SET refund_tiers = excluded.refund_tiers, refund_fees = excluded.refund_fees,
			store_credit_bonus_percent = excluded.store_credit_bonus_percent,
			orphan_seat_rule = excluded.orphan_seat_rule, fee_per_seat_minor = excluded.fee_per_seat_minor`,
			p.ChainID, tiers, p.RefundFees, p.StoreCreditBonusPercent, p.OrphanSeatRule, p.FeePerSeatMinor)
		return wrap(op, err)
	})
}

func chainExists(ctx context.Context, tx pgx.Tx, chainID string) error {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chains WHERE id = $1)`, chainID).Scan(&ok); err != nil {
		return errs.E("store.chainExists", err)
	}
	if !ok {
		return errs.Errorf("store.chainExists", errs.NotFound, "chain not found")
	}
	return nil
}

// ShowInfo is what pricing and policies need to know about a showtime.
type ShowInfo struct {
	Showtime catalog.Showtime
	ChainID  string
	TimeZone string
}

func showInfo(ctx context.Context, db q, region, showtimeID string) (ShowInfo, error) {
	var si ShowInfo
	st, err := getShowtime(ctx, db, region, showtimeID)
	if err != nil {
		return si, err
	}
	si.Showtime = st
	err = db.QueryRow(ctx, `SELECT chain_id, time_zone FROM theatres WHERE region = $1 AND id = $2`,
		region, st.TheatreID).Scan(&si.ChainID, &si.TimeZone)
	return si, wrap("store.showInfo", err)
}
