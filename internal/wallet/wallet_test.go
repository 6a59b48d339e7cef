package wallet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/wallet"
)

// memStore is a wallet in memory, for tests of what the Service makes of the store's answers; the store's
// queries are tested against PostgreSQL.
type memStore struct {
	cards  map[string]wallet.GiftCard // by upper-case code
	credit map[string]map[string]int64
}

func (m *memStore) GiftCard(_ context.Context, code string) (wallet.GiftCard, error) {
	g, ok := m.cards[strings.ToUpper(code)]
	if !ok {
		return g, errs.Errorf("memStore.GiftCard", errs.NotFound, "gift card not found")
	}
	return g, nil
}

func (m *memStore) StoreCredit(_ context.Context, userID string) (map[string]int64, error) {
	return m.credit[userID], nil
}

func newService() *wallet.Service {
	return &wallet.Service{Store: &memStore{
		cards: map[string]wallet.GiftCard{"GC-ABC": {ID: "g1", Code: "GC-ABC", ChainID: "c1", Currency: "USD", BalanceMinor: 2500}},
		credit: map[string]map[string]int64{
			"ana": {"USD": 1200, "EUR": 300, "GBP": 0, "CAD": 50},
		},
	}}
}

func TestStoreCredit(t *testing.T) {
	tests := []struct {
		name, user string
		want       []wallet.Balance
	}{
		{"OKByCurrencyPositiveOnly", "ana", []wallet.Balance{{"CAD", 50}, {"EUR", 300}, {"USD", 1200}}},
		{"OKNone", "bob", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newService().StoreCredit(context.Background(), tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGiftCard(t *testing.T) {
	card := wallet.GiftCard{ID: "g1", Code: "GC-ABC", ChainID: "c1", Currency: "USD", BalanceMinor: 2500}
	tests := []struct {
		name, code string
		want       wallet.GiftCard
		kind       errs.Kind
	}{
		{"OK", "GC-ABC", card, errs.Other},
		{"ErrUnknown", "GC-XYZ", wallet.GiftCard{}, errs.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newService().GiftCard(context.Background(), tt.code)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if errs.KindOf(err) != tt.kind || (err == nil) != (tt.kind == errs.Other) {
				t.Errorf("GiftCard(%q) error = %v, want kind %v", tt.code, err, tt.kind)
			}
		})
	}
}
