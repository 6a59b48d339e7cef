package admin_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// verdict is what a check returned, comparable in one cmp.Diff: nothing, or the error's kind and message.
type verdict struct {
	Kind errs.Kind
	Msg  string
}

func verdictOf(err error) *verdict {
	if err == nil {
		return nil
	}
	return &verdict{Kind: errs.KindOf(err), Msg: errs.Message(err)}
}

var (
	root     = admin.Principal{UserID: "root", Role: admin.Admin}
	operator = admin.Principal{UserID: "op", Role: admin.Operator, ChainID: "chain1"}
	customer = admin.Principal{UserID: "alice", Role: admin.Customer}
)

func TestPrincipalMayRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     admin.Principal
		chain string
		want  *verdict
	}{
		{"OKAdminAnyChain", root, "chain2", nil},
		{"OKOperatorOwnChain", operator, "chain1", nil},
		{"ErrOperatorOtherChain", operator, "chain2", &verdict{errs.Permission, "you do not operate this chain"}},
		{"ErrOperatorNoChainGiven", operator, "", &verdict{errs.Permission, "you do not operate this chain"}},
		{"ErrCustomer", customer, "chain1", &verdict{errs.Permission, "only operators and admins may do this"}},
		{"ErrNoRole", admin.Principal{UserID: "x"}, "chain1", &verdict{errs.Permission, "only operators and admins may do this"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(tc.p.MayRun(tc.chain))); diff != "" {
				t.Errorf("MayRun mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrincipalMayAdminister(t *testing.T) {
	refused := &verdict{errs.Permission, "only platform admins may do this"}
	for _, tc := range []struct {
		name string
		p    admin.Principal
		want *verdict
	}{
		{"OK", root, nil},
		{"ErrOperator", operator, refused},
		{"ErrCustomer", customer, refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(tc.p.MayAdminister())); diff != "" {
				t.Errorf("MayAdminister mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRole(t *testing.T) {
	invalid := &verdict{errs.Invalid, "operators need a chain, and only operators have one"}
	for _, tc := range []struct {
		name  string
		role  admin.Role
		chain string
		want  *verdict
	}{
		{"OKOperator", admin.Operator, "chain1", nil},
		{"OKAdmin", admin.Admin, "", nil},
		{"OKCustomer", admin.Customer, "", nil},
		{"OKAuditor", admin.Auditor, "", nil},
		{"ErrOperatorWithoutChain", admin.Operator, "", invalid},
		{"ErrAdminWithChain", admin.Admin, "chain1", invalid},
		{"ErrCustomerWithChain", admin.Customer, "chain1", invalid},
		{"ErrAuditorWithChain", admin.Auditor, "chain1", invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(admin.CheckRole(tc.role, tc.chain))); diff != "" {
				t.Errorf("CheckRole mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckGiftCardAmount(t *testing.T) {
	invalid := &verdict{errs.Invalid, "a gift card holds between 0.01 and 100000.00"}
	for _, tc := range []struct {
		name   string
		amount int64
		want   *verdict
	}{
		{"OKSmallest", 1, nil},
		{"OKLargest", 100_000_00, nil},
		{"ErrZero", 0, invalid},
		{"ErrNegative", -500, invalid},
		{"ErrTooMuch", 100_000_01, invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(admin.CheckGiftCardAmount(tc.amount))); diff != "" {
				t.Errorf("CheckGiftCardAmount mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckShowtime(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	theatre := catalog.Theatre{ID: "use1_t1", ChainID: "chain1", Currency: "USD"}
	show := func(change func(*catalog.Showtime)) catalog.Showtime {
		st := catalog.Showtime{StartsAt: now.Add(48 * time.Hour), Currency: "USD", BasePriceMinor: 1200,
			PremiumPriceMinor: 1800}
		if change != nil {
			change(&st)
		}
		return st
	}
	prices := &verdict{errs.Invalid, "prices must be positive, premium at least base"}
	for _, tc := range []struct {
		name string
		st   catalog.Showtime
		want *verdict
	}{
		{"OK", show(nil), nil},
		{"OKFree", show(func(st *catalog.Showtime) { st.BasePriceMinor, st.PremiumPriceMinor = 0, 0 }), nil},
		{"OKPremiumAtBase", show(func(st *catalog.Showtime) { st.PremiumPriceMinor = 1200 }), nil},
		{"ErrStartsNow", show(func(st *catalog.Showtime) { st.StartsAt = now }),
			&verdict{errs.Invalid, "a showtime must start in the future"}},
		{"ErrInThePast", show(func(st *catalog.Showtime) { st.StartsAt = now.Add(-time.Hour) }),
			&verdict{errs.Invalid, "a showtime must start in the future"}},
		{"ErrOtherCurrency", show(func(st *catalog.Showtime) { st.Currency = "EUR" }),
			&verdict{errs.Invalid, "prices must be in the theatre's currency, USD"}},
		{"ErrNegativePrice", show(func(st *catalog.Showtime) { st.BasePriceMinor = -1 }), prices},
		{"ErrPremiumBelowBase", show(func(st *catalog.Showtime) { st.PremiumPriceMinor = 1000 }), prices},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verdictOf(admin.CheckShowtime(tc.st, theatre, now))); diff != "" {
				t.Errorf("CheckShowtime mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
