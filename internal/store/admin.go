package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// AdminStore serves the admin service from the other stores.
type AdminStore struct {
	db *DB
	*PricingStore
}

var _ admin.Store = (*AdminStore)(nil)

// Admin returns the admin store.
func (db *DB) Admin() *AdminStore { return &AdminStore{db: db, PricingStore: db.Pricing()} }

// Principal returns a user's role.
func (s *AdminStore) Principal(ctx context.Context, userID string) (admin.Principal, error) {
	p := admin.Principal{UserID: userID}
	var chain *string
	err := s.db.Pool.QueryRow(ctx, `SELECT role, chain_id FROM users WHERE id = $1`, userID).Scan(&p.Role, &chain)
	if err != nil {
		return p, notFound("store.Principal", err, "user")
	}
	if chain != nil {
		p.ChainID = *chain
	}
	return p, nil
}

// SetRole changes a user's role.
func (s *AdminStore) SetRole(ctx context.Context, userID string, role admin.Role, chainID string) error {
	const op = "store.SetRole"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if chainID != "" {
			if err := chainExists(ctx, tx, chainID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET role = $2, chain_id = NULLIF($3, '') WHERE id = $1`, userID, string(role), chainID)
		if err != nil {
			return errs.E(op, err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Errorf(op, errs.NotFound, "user not found")
		}
		return nil
	})
}

// SetChainPolicy saves a chain's policy.
func (s *AdminStore) SetChainPolicy(ctx context.Context, p catalog.ChainPolicy) error {
	return s.db.Catalog().SetChainPolicy(ctx, p)
}

// ChainPolicy returns the policy a chain has stored, or nil when it has set none.
func (s *AdminStore) ChainPolicy(ctx context.Context, chainID string) (*catalog.ChainPolicy, error) {
	return s.db.Catalog().ChainPolicy(ctx, chainID)
}

// IssueGiftCard saves a new gift card.
func (s *AdminStore) IssueGiftCard(ctx context.Context, g admin.GiftCard, now time.Time) error {
	return s.db.Wallet().IssueGiftCard(ctx, g, now)
}

// DeadDeliveries lists deliveries that gave up.
func (s *AdminStore) DeadDeliveries(ctx context.Context, limit int) ([]admin.DeadDelivery, error) {
	ds, err := s.db.Deliveries().DeadDeliveries(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]admin.DeadDelivery, len(ds))
	for i, d := range ds {
		out[i] = admin.DeadDelivery{ID: d.ID, Channel: d.Channel, Recipient: d.To, Kind: d.Kind, LastError: d.LastError,
			Attempts: d.Attempts}
	}
	return out, nil
}

// RetryDelivery queues a dead delivery again.
func (s *AdminStore) RetryDelivery(ctx context.Context, id string, now time.Time) error {
	return s.db.Deliveries().RetryDelivery(ctx, id, now)
}
