package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/wallet"
)

// GiftCard is the wallet's gift card, named here too for the store's own files.
type GiftCard = wallet.GiftCard

// WalletStore keeps gift cards and store credit.
type WalletStore struct{ db *DB }

var _ wallet.Store = (*WalletStore)(nil)

// Wallet returns the wallet store.
func (db *DB) Wallet() *WalletStore { return &WalletStore{db: db} }

// IssueGiftCard creates a gift card with an opening balance.
func (s *WalletStore) IssueGiftCard(ctx context.Context, g GiftCard, now time.Time) error {
	const op = "store.IssueGiftCard"
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := chainExists(ctx, tx, g.ChainID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO gift_cards (id, code, chain_id, currency, initial_minor, balance_minor,
			created_at) VALUES ($1, $2, $3, $4, $5, $5, $6)`, g.ID, g.Code, g.ChainID, g.Currency, g.BalanceMinor, now)
		return wrap(op, err)
	})
}

// GiftCard returns a gift card by code.
func (s *WalletStore) GiftCard(ctx context.Context, code string) (GiftCard, error) {
	return giftCard(ctx, s.db.Pool, code)
}

func giftCard(ctx context.Context, db q, code string) (GiftCard, error) {
	var g GiftCard
	err := db.QueryRow(ctx, `SELECT id, code, chain_id, currency, balance_minor FROM gift_cards WHERE code = upper($1)`,
		code).Scan(&g.ID, &g.Code, &g.ChainID, &g.Currency, &g.BalanceMinor)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, errs.Errorf("store.giftCard", errs.NotFound, "gift card not found")
	}
	return g, wrap("store.giftCard", err)
}

// StoreCredit returns a user's store credit balances by currency.
func (s *WalletStore) StoreCredit(ctx context.Context, userID string) (map[string]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT currency, balance_minor FROM store_credit_balances
		WHERE user_id = $1 AND balance_minor > 0 ORDER BY currency`, userID)
	if err != nil {
		return nil, errs.E("store.StoreCredit", err)
	}
	out := map[string]int64{}
	var cur string
	var bal int64
	_, err = pgx.ForEachRow(rows, []any{&cur, &bal}, func() error { out[cur] = bal; return nil })
	return out, wrap("store.StoreCredit", err)
}

// debitGiftCard takes amount from gift card id. The conditional update and the table's CHECK keep the balance
// from going negative under concurrency.
func debitGiftCard(ctx context.Context, tx pgx.Tx, id string, amount int64) error {
	tag, err := tx.Exec(ctx, `UPDATE gift_cards SET balance_minor = balance_minor - $2 WHERE id = $1 AND balance_minor >= $2`,
		id, amount)
	if err == nil && tag.RowsAffected() != 1 {
		err = errors.New("gift card balance changed during the transaction")
	}
	return wrap("store.debitGiftCard", err)
}

func creditGiftCard(ctx context.Context, tx pgx.Tx, id string, amount int64) error {
	_, err := tx.Exec(ctx, `UPDATE gift_cards SET balance_minor = balance_minor + $2 WHERE id = $1`, id, amount)
	return wrap("store.creditGiftCard", err)
}

// moveStoreCredit changes a user's store credit by amount (negative to spend) and records why. Spending more
// than the balance fails the table's CHECK, which surfaces as a Precondition error.
func (db *DB) moveStoreCredit(ctx context.Context, tx pgx.Tx, userID, currency string, amount int64, reason,
	bookingID string, now time.Time) error {
	const op = "store.moveStoreCredit"
	// PostgreSQL checks the CHECK on the row an INSERT proposes before ON CONFLICT turns it into an update, so a
	// debit (a negative row) must be a plain UPDATE.
	var err error
	if amount >= 0 {
		_, err = tx.Exec(ctx, `INSERT INTO store_credit_balances (user_id, currency, balance_minor) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, currency) DO UPDATE SET balance_minor = store_credit_balances.balance_minor + excluded.balance_minor`,
			userID, currency, amount)
	} else {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, `UPDATE store_credit_balances SET balance_minor = balance_minor + $3
			WHERE user_id = $1 AND currency = $2`, userID, currency, amount)
		if err == nil && tag.RowsAffected() == 0 {
			return errs.Errorf(op, errs.Precondition, "not enough store credit")
		}
	}
	if isCheckViolation(err, "store_credit_nonnegative") {
		return errs.E(op, errs.Precondition, "not enough store credit", err)
	}
	if err != nil {
		return errs.E(op, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO store_credit_entries (id, user_id, currency, amount_minor, reason, booking_id,
		created_at) VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7)`, db.IDs.New(), userID, currency, amount, reason,
		bookingID, now)
	return wrap(op, err)
}

func storeCreditBalance(ctx context.Context, tx pgx.Tx, userID, currency string) (int64, error) {
	var bal int64
	err := tx.QueryRow(ctx, `SELECT balance_minor FROM store_credit_balances WHERE user_id = $1 AND currency = $2`,
		userID, currency).Scan(&bal)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return bal, wrap("store.storeCreditBalance", err)
}
