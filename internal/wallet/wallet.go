// Package wallet holds what a moviegoer pays with besides a card: gift cards, prepaid balances usable at one
// chain's theatres, and store credit, balances per currency that refunds taken as credit add to. Spending
// both happens inside the booking transaction (see internal/store); this package answers what is left.
package wallet

import (
	"cmp"
	"context"
	"slices"

	"github.com/marqueehq/marquee/internal/errs"
)

// GiftCard is a prepaid balance usable at one chain's theatres, in minor units of Currency.
type GiftCard struct {
	ID, Code, ChainID, Currency string
	BalanceMinor                int64
}

// Balance is an amount of store credit in minor units of Currency.
type Balance struct {
	Currency    string
	AmountMinor int64
}

// Store reads gift cards and store credit.
type Store interface {
	// GiftCard returns the card with this code, matched without regard to case; NotFound when there is none.
	GiftCard(ctx context.Context, code string) (GiftCard, error)
	// StoreCredit returns a user's store credit balances by currency code.
	StoreCredit(ctx context.Context, userID string) (map[string]int64, error)
}

// Service answers what is left on gift cards and in a person's store credit.
type Service struct {
	Store Store
}

// StoreCredit returns userID's store credit: the positive balances, by currency code.
func (s *Service) StoreCredit(ctx context.Context, userID string) ([]Balance, error) {
	byCurrency, err := s.Store.StoreCredit(ctx, userID)
	if err != nil {
		return nil, errs.E("wallet.StoreCredit", err)
	}
	var out []Balance
	for cur, amount := range byCurrency {
		if amount > 0 {
			out = append(out, Balance{Currency: cur, AmountMinor: amount})
		}
	}
	slices.SortFunc(out, func(a, b Balance) int { return cmp.Compare(a.Currency, b.Currency) })
	return out, nil
}

// GiftCard returns the gift card with this code (in any case) and its balance; NotFound when there is none.
func (s *Service) GiftCard(ctx context.Context, code string) (GiftCard, error) {
	g, err := s.Store.GiftCard(ctx, code)
	if err != nil {
		return GiftCard{}, errs.E("wallet.GiftCard", err)
	}
	return g, nil
}
