package rpc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// otherChain is a second chain for cross-chain tests; it has no theatres.
const otherChain = "chain-other"

func (e *env) adminSvc() marqueev1connect.AdminServiceClient {
	return marqueev1connect.NewAdminServiceClient(http.DefaultClient, e.url)
}

func (e *env) pricingSvc() marqueev1connect.PricingServiceClient {
	return marqueev1connect.NewPricingServiceClient(http.DefaultClient, e.url)
}

// exec runs a statement that must succeed.
func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// mustAddOtherChain creates otherChain.
func (e *env) mustAddOtherChain(t *testing.T) {
	t.Helper()
	e.exec(t, `INSERT INTO chains (id, name) VALUES ($1, 'Other')`, otherChain)
}

// mustOperator registers a user who operates chainID.
func (e *env) mustOperator(t *testing.T, chainID string) user {
	t.Helper()
	u := e.mustRegister(t)
	e.exec(t, `UPDATE users SET role = 'operator', chain_id = $2 WHERE id = $1`, u.id, chainID)
	return u
}

// mustPlatformAdmin registers a platform admin.
func (e *env) mustPlatformAdmin(t *testing.T) user {
	t.Helper()
	u := e.mustRegister(t)
	e.exec(t, `UPDATE users SET role = 'admin', chain_id = NULL WHERE id = $1`, u.id)
	return u
}

func (e *env) mustUpsertRule(t *testing.T, u user, r *marqueev1.PricingRule) *marqueev1.PricingRule {
	t.Helper()
	res, err := e.adminSvc().UpsertPricingRule(context.Background(), as(u, &marqueev1.UpsertPricingRuleRequest{Rule: r}))
	if err != nil {
		t.Fatalf("UpsertPricingRule(%v): %v", r, err)
	}
	return res.Msg.Rule
}

func (e *env) mustUpsertPromotion(t *testing.T, u user, p *marqueev1.Promotion) *marqueev1.Promotion {
	t.Helper()
	res, err := e.adminSvc().UpsertPromotion(context.Background(), as(u, &marqueev1.UpsertPromotionRequest{Promotion: p}))
	if err != nil {
		t.Fatalf("UpsertPromotion(%v): %v", p, err)
	}
	return res.Msg.Promotion
}

// stateQueries select every row that admin calls, holds and checkouts may change.
var stateQueries = map[string]string{
	"users":                 `SELECT id, role, chain_id FROM users`,
	"pricing_rules":         `SELECT * FROM pricing_rules`,
	"promotions":            `SELECT * FROM promotions`,
	"promotion_redemptions": `SELECT * FROM promotion_redemptions`,
	"chain_policies":        `SELECT * FROM chain_policies`,
	"gift_cards":            `SELECT * FROM gift_cards`,
	"holds":                 `SELECT * FROM holds`,
	"showtime_seats":        `SELECT * FROM showtime_seats`,
	"bookings":              `SELECT * FROM bookings`,
	"booking_seats":         `SELECT * FROM booking_seats`,
	"payments":              `SELECT * FROM payments`,
	"idempotency_keys":      `SELECT * FROM idempotency_keys`,
}

// dbState returns the rows of stateQueries, table by table, to show that a refused call changed nothing.
func (e *env) dbState(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	for table, q := range stateQueries {
		var raw []byte
		err := e.db.Pool.QueryRow(context.Background(), `SELECT coalesce(json_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text), '[]')
			FROM (`+q+`) x`).Scan(&raw)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var rows any
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		out[table] = rows
	}
	return out
}

// wantUnchanged fails if the database differs from before.
func (e *env) wantUnchanged(t *testing.T, before map[string]any) {
	t.Helper()
	if diff := cmp.Diff(before, e.dbState(t)); diff != "" {
		t.Errorf("database changed (-before +after):\n%s", diff)
	}
}

func timeRule(chain, name string, start, end, percent, priority int32) *marqueev1.PricingRule {
	return &marqueev1.PricingRule{ChainId: chain, Name: name, Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_TIME_OF_DAY,
		StartMinute: start, EndMinute: end, Percent: percent, Priority: priority}
}

func formatRule(chain, name string, amount int64, priority int32, formats ...string) *marqueev1.PricingRule {
	return &marqueev1.PricingRule{ChainId: chain, Name: name, Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_FORMAT,
		Formats: formats, AmountMinor: amount, Priority: priority}
}

// percentPromo is a promotion of chain valid from an hour before t0 for 30 days.
func percentPromo(chain, code string, percent int32) *marqueev1.Promotion {
	return &marqueev1.Promotion{ChainId: chain, Code: code, Description: code + " discount",
		Kind: marqueev1.PromotionKind_PROMOTION_KIND_PERCENT, Percent: percent,
		ValidFrom: timestamppb.New(t0.Add(-time.Hour)), ValidUntil: timestamppb.New(t0.Add(30 * 24 * time.Hour))}
}

func fixedPromo(chain, code string, amount int64) *marqueev1.Promotion {
	p := percentPromo(chain, code, 0)
	p.Kind, p.Amount = marqueev1.PromotionKind_PROMOTION_KIND_FIXED, &marqueev1.Money{CurrencyCode: "USD", AmountMinor: amount}
	return p
}

// adminCall is one chain-scoped AdminService call.
type adminCall struct {
	name string
	call func(u user, chain string) error
}

var promoSeq atomic.Int64

// chainCalls returns a valid call of every chain-scoped AdminService procedure; in this order, they succeed for
// someone allowed to manage chain (the delete removes the rule the upsert made).
func (e *env) chainCalls() []adminCall {
	ctx, a := context.Background(), e.adminSvc()
	return []adminCall{
		{"UpsertPricingRule", func(u user, chain string) error {
			r := formatRule(chain, "IMAX surcharge", 300, 1, "IMAX")
			r.Id = "rule-" + chain
			_, err := a.UpsertPricingRule(ctx, as(u, &marqueev1.UpsertPricingRuleRequest{Rule: r}))
			return err
		}},
		{"ListPricingRules", func(u user, chain string) error {
			_, err := a.ListPricingRules(ctx, as(u, &marqueev1.ListPricingRulesRequest{ChainId: chain}))
			return err
		}},
		{"DeletePricingRule", func(u user, chain string) error {
			_, err := a.DeletePricingRule(ctx, as(u, &marqueev1.DeletePricingRuleRequest{ChainId: chain, RuleId: "rule-" + chain}))
			return err
		}},
		{"UpsertPromotion", func(u user, chain string) error {
			p := percentPromo(chain, "ROLES"+strconv.FormatInt(promoSeq.Add(1), 10), 10)
			_, err := a.UpsertPromotion(ctx, as(u, &marqueev1.UpsertPromotionRequest{Promotion: p}))
			return err
		}},
		{"ListPromotions", func(u user, chain string) error {
			_, err := a.ListPromotions(ctx, as(u, &marqueev1.ListPromotionsRequest{ChainId: chain}))
			return err
		}},
		{"SetChainPolicy", func(u user, chain string) error {
			_, err := a.SetChainPolicy(ctx, as(u, &marqueev1.SetChainPolicyRequest{Policy: &marqueev1.ChainPolicy{
				ChainId: chain, RefundTiers: []*marqueev1.RefundTier{{MinutesBefore: 60, Percent: 50}}, FeePerSeatMinor: 99}}))
			return err
		}},
		{"GetChainPolicy", func(u user, chain string) error {
			_, err := a.GetChainPolicy(ctx, as(u, &marqueev1.GetChainPolicyRequest{ChainId: chain}))
			return err
		}},
		{"IssueGiftCard", func(u user, chain string) error {
			_, err := a.IssueGiftCard(ctx, as(u, &marqueev1.IssueGiftCardRequest{ChainId: chain,
				Amount: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 5000}}))
			return err
		}},
	}
}

func TestAdminRoles(t *testing.T) {
	e := newEnv(t)
	e.mustAddOtherChain(t)
	ctx, a := context.Background(), e.adminSvc()
	chainA := e.fix.Chain.ID
	customer, opA, root := e.mustRegister(t), e.mustOperator(t, chainA), e.mustPlatformAdmin(t)
	setRole := func(caller user, userID string, role marqueev1.Role, chain string) error {
		_, err := a.SetUserRole(ctx, as(caller, &marqueev1.SetUserRoleRequest{UserId: userID, Role: role, ChainId: chain}))
		return err
	}
	t.Run("ErrCustomer", func(t *testing.T) {
		before := e.dbState(t)
		for _, c := range e.chainCalls() {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.call(customer, chainA), connect.CodePermissionDenied)
			})
		}
		t.Run("SetUserRole", func(t *testing.T) {
			wantCode(t, setRole(customer, customer.id, marqueev1.Role_ROLE_PLATFORM_ADMIN, ""), connect.CodePermissionDenied)
		})
		e.wantUnchanged(t, before)
	})
	t.Run("ErrOperatorOfAnotherChain", func(t *testing.T) {
		before := e.dbState(t)
		for _, c := range e.chainCalls() {
			t.Run(c.name, func(t *testing.T) {
				ce := wantCode(t, c.call(opA, otherChain), connect.CodePermissionDenied)
				if !strings.Contains(ce.Message(), "chain") {
					t.Errorf("message = %q, want it to say the chain is not theirs", ce.Message())
				}
			})
		}
		e.wantUnchanged(t, before)
	})
	t.Run("ErrOperatorSetsRoles", func(t *testing.T) {
		before := e.dbState(t)
		wantCode(t, setRole(opA, customer.id, marqueev1.Role_ROLE_OPERATOR, chainA), connect.CodePermissionDenied)
		wantCode(t, setRole(opA, opA.id, marqueev1.Role_ROLE_PLATFORM_ADMIN, ""), connect.CodePermissionDenied)
		e.wantUnchanged(t, before)
	})
	t.Run("OKOperatorManagesOwnChain", func(t *testing.T) {
		for _, c := range e.chainCalls() {
			if err := c.call(opA, chainA); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for table, want := range map[string]int{"pricing_rules": 0, "promotions": 1, "chain_policies": 1, "gift_cards": 1} {
			if n := e.count(t, `SELECT count(*) FROM `+table+` WHERE chain_id = $1`, chainA); n != want {
				t.Errorf("%s of chain A = %d, want %d", table, n, want)
			}
		}
	})
	t.Run("OKAdminManagesEveryChain", func(t *testing.T) {
		for _, chain := range []string{chainA, otherChain} {
			for _, c := range e.chainCalls() {
				if err := c.call(root, chain); err != nil {
					t.Fatalf("%s(%s): %v", c.name, chain, err)
				}
			}
		}
	})
	t.Run("OKAdminSetsRoles", func(t *testing.T) {
		u := e.mustRegister(t)
		if err := setRole(root, u.id, marqueev1.Role_ROLE_OPERATOR, otherChain); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT count(*) FROM users WHERE id = $1 AND role = 'operator' AND chain_id = $2`, u.id, otherChain); n != 1 {
			t.Fatalf("user is not an operator of %s in the database", otherChain)
		}
		if _, err := a.ListPricingRules(ctx, as(u, &marqueev1.ListPricingRulesRequest{ChainId: otherChain})); err != nil {
			t.Fatalf("new operator listing their chain: %v", err)
		}
		_, err := a.ListPricingRules(ctx, as(u, &marqueev1.ListPricingRulesRequest{ChainId: chainA}))
		wantCode(t, err, connect.CodePermissionDenied)
		if err := setRole(root, u.id, marqueev1.Role_ROLE_CUSTOMER, ""); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT count(*) FROM users WHERE id = $1 AND role = 'customer' AND chain_id IS NULL`, u.id); n != 1 {
			t.Fatal("user is not a customer without a chain in the database")
		}
		_, err = a.ListPricingRules(ctx, as(u, &marqueev1.ListPricingRulesRequest{ChainId: otherChain}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
	t.Run("OKAdminMakesAuditor", func(t *testing.T) {
		u := e.mustRegister(t)
		if err := setRole(root, u.id, marqueev1.Role_ROLE_AUDITOR, ""); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT count(*) FROM users WHERE id = $1 AND role = 'auditor' AND chain_id IS NULL`, u.id); n != 1 {
			t.Fatal("user is not an auditor without a chain in the database")
		}
		_, err := a.ListPricingRules(ctx, as(u, &marqueev1.ListPricingRulesRequest{ChainId: chainA}))
		wantCode(t, err, connect.CodePermissionDenied)
	})
	for _, tc := range []struct {
		name   string
		userID string
		role   marqueev1.Role
		chain  string
		want   connect.Code
	}{
		{"ErrOperatorWithoutChain", customer.id, marqueev1.Role_ROLE_OPERATOR, "", connect.CodeInvalidArgument},
		{"ErrCustomerWithChain", customer.id, marqueev1.Role_ROLE_CUSTOMER, chainA, connect.CodeInvalidArgument},
		{"ErrAdminWithChain", customer.id, marqueev1.Role_ROLE_PLATFORM_ADMIN, chainA, connect.CodeInvalidArgument},
		{"ErrAuditorWithChain", customer.id, marqueev1.Role_ROLE_AUDITOR, chainA, connect.CodeInvalidArgument},
		{"ErrUnknownUser", "no-such-user", marqueev1.Role_ROLE_OPERATOR, chainA, connect.CodeNotFound},
		{"ErrUnknownChain", customer.id, marqueev1.Role_ROLE_OPERATOR, "chain-nope", connect.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dbState(t)
			wantCode(t, setRole(root, tc.userID, tc.role, tc.chain), tc.want)
			e.wantUnchanged(t, before)
		})
	}
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		_, err := a.ListPricingRules(ctx, connect.NewRequest(&marqueev1.ListPricingRulesRequest{ChainId: chainA}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
}

func TestAdminInvalidRules(t *testing.T) {
	e := newEnv(t)
	ctx, a := context.Background(), e.adminSvc()
	op := e.mustOperator(t, e.fix.Chain.ID)
	const (
		days   = marqueev1.PricingRuleKind_PRICING_RULE_KIND_DAY_OF_WEEK
		format = marqueev1.PricingRuleKind_PRICING_RULE_KIND_FORMAT
		demand = marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND
	)
	type rule = marqueev1.PricingRule
	for _, tc := range []struct {
		name string
		edit func(r *rule) // of a valid time-of-day rule, 360 to 720, -10%
		msg  string
	}{
		{"ErrNegativeStart", func(r *rule) { r.StartMinute = -1 }, "between 0 and 1440"},
		{"ErrEndPastMidnight", func(r *rule) { r.EndMinute = 1441 }, "between 0 and 1440"},
		{"ErrStartNotBeforeEnd", func(r *rule) { r.StartMinute = 720 }, "before end_minute"},
		{"ErrNoKind", func(r *rule) { r.Kind = marqueev1.PricingRuleKind_PRICING_RULE_KIND_UNSPECIFIED }, "kind"},
		{"ErrNoDays", func(r *rule) { r.Kind = days }, "days_of_week"},
		{"ErrBadDay", func(r *rule) { r.Kind, r.DaysOfWeek = days, []int32{1, 7} }, "days_of_week"},
		{"ErrNoFormats", func(r *rule) { r.Kind = format }, "formats"},
		{"ErrBlankFormat", func(r *rule) { r.Kind, r.Formats = format, []string{"IMAX", " "} }, "formats"},
		{"ErrNoOccupancy", func(r *rule) { r.Kind = demand }, "occupancy_percent"},
		{"ErrOccupancyOver100", func(r *rule) { r.Kind, r.OccupancyPercent = demand, 101 }, "occupancy_percent"},
		{"ErrPercentAndAmount", func(r *rule) { r.AmountMinor = 100 }, "not both"},
		{"ErrNoChange", func(r *rule) { r.Percent = 0 }, "non-zero"},
		{"ErrPercentBelow100", func(r *rule) { r.Percent = -101 }, "percent"},
		{"ErrCapOnNonDemandRule", func(r *rule) { r.CapMinor = 300 }, "only to demand"},
		{"ErrNegativeCap", func(r *rule) { r.Kind, r.OccupancyPercent, r.CapMinor = demand, 50, -1 }, "cap_minor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := timeRule(e.fix.Chain.ID, "Matinee", 360, 720, -10, 1)
			tc.edit(r)
			before := e.dbState(t)
			_, err := a.UpsertPricingRule(ctx, as(op, &marqueev1.UpsertPricingRuleRequest{Rule: r}))
			ce := wantCode(t, err, connect.CodeInvalidArgument)
			if !strings.Contains(ce.Message(), tc.msg) {
				t.Errorf("message = %q, want it to mention %q", ce.Message(), tc.msg)
			}
			e.wantUnchanged(t, before)
		})
	}
	if n := e.count(t, `SELECT count(*) FROM pricing_rules`); n != 0 {
		t.Fatalf("pricing_rules = %d, want 0", n)
	}
}

func TestAdminOverlappingRules(t *testing.T) {
	e := newEnv(t)
	ctx, a := context.Background(), e.adminSvc()
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	evening := e.mustUpsertRule(t, op, timeRule(chain, "Evening", 600, 900, 10, 1))
	e.mustUpsertRule(t, op, formatRule(chain, "IMAX", 300, 1, "IMAX"))
	late := e.mustUpsertRule(t, op, timeRule(chain, "Late", 900, 1000, 5, 1)) // adjacent: no overlap
	upsert := func(r *marqueev1.PricingRule) error {
		_, err := a.UpsertPricingRule(ctx, as(op, &marqueev1.UpsertPricingRuleRequest{Rule: r}))
		return err
	}
	for _, tc := range []struct {
		name string
		rule *marqueev1.PricingRule
	}{
		{"ErrOverlappingMinutes", timeRule(chain, "Prime", 800, 1000, 20, 1)},
		{"ErrInsideAnother", timeRule(chain, "Prime", 650, 700, 20, 1)},
		{"ErrOverlappingFormats", formatRule(chain, "Premium formats", 200, 1, "3D", "imax")},
		{"ErrUpdateIntoOverlap", func() *marqueev1.PricingRule {
			r := timeRule(chain, "Late", 850, 1000, 5, 1)
			r.Id = late.Id
			return r
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dbState(t)
			ce := wantCode(t, upsert(tc.rule), connect.CodeInvalidArgument)
			if !strings.Contains(ce.Message(), "overlapping") {
				t.Errorf("message = %q, want it to say the rules overlap", ce.Message())
			}
			e.wantUnchanged(t, before)
		})
	}
	for _, tc := range []struct {
		name string
		rule *marqueev1.PricingRule
	}{
		{"OKOtherPriority", timeRule(chain, "Prime", 800, 1000, 20, 2)},
		{"OKOtherFormat", formatRule(chain, "3D", 200, 1, "3D")},
		{"OKUpdateItself", func() *marqueev1.PricingRule {
			r := timeRule(chain, "Evening", 500, 900, 15, 1)
			r.Id = evening.Id
			return r
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := upsert(tc.rule); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM pricing_rules`); n != 5 {
		t.Fatalf("pricing_rules = %d, want 5", n)
	}
	if n := e.count(t, `SELECT count(*) FROM pricing_rules WHERE id = $1 AND start_minute = 500 AND percent = 15`, evening.Id); n != 1 {
		t.Fatal("the updated rule was not saved")
	}
}

func TestAdminInvalidPromotions(t *testing.T) {
	e := newEnv(t)
	e.mustAddOtherChain(t)
	ctx, a := context.Background(), e.adminSvc()
	chain := e.fix.Chain.ID
	op, opOther, root := e.mustOperator(t, chain), e.mustOperator(t, otherChain), e.mustPlatformAdmin(t)
	save10 := e.mustUpsertPromotion(t, op, percentPromo(chain, "SAVE10", 10))
	other5 := e.mustUpsertPromotion(t, op, fixedPromo(chain, "OTHER5", 500))
	upsert := func(u user, p *marqueev1.Promotion) error {
		_, err := a.UpsertPromotion(ctx, as(u, &marqueev1.UpsertPromotionRequest{Promotion: p}))
		return err
	}
	valid := func(edit func(p *marqueev1.Promotion)) *marqueev1.Promotion {
		p := percentPromo(chain, "GOOD10", 10)
		edit(p)
		return p
	}
	for _, tc := range []struct {
		name string
		u    user
		p    *marqueev1.Promotion
		want connect.Code
	}{
		{"ErrCodeTooShort", op, valid(func(p *marqueev1.Promotion) { p.Code = "AB" }), connect.CodeInvalidArgument},
		{"ErrCodeTooLong", op, valid(func(p *marqueev1.Promotion) { p.Code = strings.Repeat("A", 33) }), connect.CodeInvalidArgument},
		{"ErrCodeEmpty", op, valid(func(p *marqueev1.Promotion) { p.Code = "" }), connect.CodeInvalidArgument},
		{"ErrCodeWithSpace", op, valid(func(p *marqueev1.Promotion) { p.Code = "TWO WORDS" }), connect.CodeInvalidArgument},
		{"ErrCodeWithSymbol", op, valid(func(p *marqueev1.Promotion) { p.Code = "SAVE$5" }), connect.CodeInvalidArgument},
		{"ErrUntilBeforeFrom", op, valid(func(p *marqueev1.Promotion) {
			p.ValidFrom, p.ValidUntil = timestamppb.New(t0.Add(time.Hour)), timestamppb.New(t0)
		}), connect.CodeInvalidArgument},
		{"ErrUntilEqualsFrom", op, valid(func(p *marqueev1.Promotion) { p.ValidUntil = p.ValidFrom }), connect.CodeInvalidArgument},
		{"ErrNoValidity", op, valid(func(p *marqueev1.Promotion) { p.ValidFrom, p.ValidUntil = nil, nil }), connect.CodeInvalidArgument},
		{"ErrNegativeMinSeats", op, valid(func(p *marqueev1.Promotion) { p.MinSeats = -1 }), connect.CodeInvalidArgument},
		{"ErrNegativePerUserLimit", op, valid(func(p *marqueev1.Promotion) { p.PerUserLimit = -1 }), connect.CodeInvalidArgument},
		{"ErrNegativeTotalLimit", op, valid(func(p *marqueev1.Promotion) { p.TotalLimit = -1 }), connect.CodeInvalidArgument},
		{"ErrNoKind", op, valid(func(p *marqueev1.Promotion) { p.Kind = marqueev1.PromotionKind_PROMOTION_KIND_UNSPECIFIED }), connect.CodeInvalidArgument},
		{"ErrPercentZero", op, valid(func(p *marqueev1.Promotion) { p.Percent = 0 }), connect.CodeInvalidArgument},
		{"ErrPercentOver100", op, valid(func(p *marqueev1.Promotion) { p.Percent = 101 }), connect.CodeInvalidArgument},
		{"ErrFixedWithoutAmount", op, valid(func(p *marqueev1.Promotion) { p.Kind = marqueev1.PromotionKind_PROMOTION_KIND_FIXED }), connect.CodeInvalidArgument},
		{"ErrFixedZero", op, fixedPromo(chain, "GOOD10", 0), connect.CodeInvalidArgument},
		{"ErrFixedNegative", op, fixedPromo(chain, "GOOD10", -100), connect.CodeInvalidArgument},
		{"ErrFixedBadCurrency", op, valid(func(p *marqueev1.Promotion) {
			p.Kind, p.Amount = marqueev1.PromotionKind_PROMOTION_KIND_FIXED, &marqueev1.Money{CurrencyCode: "usd", AmountMinor: 100}
		}), connect.CodeInvalidArgument},
		{"ErrDuplicateCode", op, percentPromo(chain, "save10", 20), connect.CodeAlreadyExists},
		{"ErrDuplicateCodeInAnotherChain", root, percentPromo(otherChain, " SAVE10 ", 20), connect.CodeAlreadyExists},
		{"ErrRenameToTakenCode", op, func() *marqueev1.Promotion {
			p := fixedPromo(chain, "SAVE10", 500)
			p.Id = other5.Id
			return p
		}(), connect.CodeAlreadyExists},
		{"ErrAnotherChainsPromotionID", opOther, func() *marqueev1.Promotion {
			p := percentPromo(otherChain, "STOLEN", 90)
			p.Id = save10.Id
			return p
		}(), connect.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dbState(t)
			wantCode(t, upsert(tc.u, tc.p), tc.want)
			e.wantUnchanged(t, before)
		})
	}
	t.Run("OKCodeNormalized", func(t *testing.T) {
		got := e.mustUpsertPromotion(t, op, percentPromo(chain, " good-10_x ", 10))
		if got.Code != "GOOD-10_X" {
			t.Fatalf("code = %q, want GOOD-10_X", got.Code)
		}
	})
}

func TestAdminInvalidPolicyAndGiftCards(t *testing.T) {
	e := newEnv(t)
	ctx, a := context.Background(), e.adminSvc()
	chain := e.fix.Chain.ID
	op := e.mustOperator(t, chain)
	tiers := func(ts ...int32) []*marqueev1.RefundTier { // minutes, percent, minutes, percent...
		var out []*marqueev1.RefundTier
		for i := 0; i < len(ts); i += 2 {
			out = append(out, &marqueev1.RefundTier{MinutesBefore: ts[i], Percent: ts[i+1]})
		}
		return out
	}
	var eleven []int32
	for i := range int32(11) {
		eleven = append(eleven, 60*(i+1), 50)
	}
	for _, tc := range []struct {
		name string
		p    *marqueev1.ChainPolicy
	}{
		{"ErrPercentOver100", &marqueev1.ChainPolicy{RefundTiers: tiers(120, 101)}},
		{"ErrNegativePercent", &marqueev1.ChainPolicy{RefundTiers: tiers(120, -1)}},
		{"ErrDuplicateTiers", &marqueev1.ChainPolicy{RefundTiers: tiers(120, 100, 1440, 100, 120, 50)}},
		{"ErrNegativeMinutes", &marqueev1.ChainPolicy{RefundTiers: tiers(-5, 100)}},
		{"ErrTooManyTiers", &marqueev1.ChainPolicy{RefundTiers: tiers(eleven...)}},
		{"ErrBonusOver100", &marqueev1.ChainPolicy{RefundTiers: tiers(120, 100), StoreCreditBonusPercent: 101}},
		{"ErrNegativeFee", &marqueev1.ChainPolicy{RefundTiers: tiers(120, 100), FeePerSeatMinor: -1}},
	} {
		t.Run("SetChainPolicy/"+tc.name, func(t *testing.T) {
			tc.p.ChainId = chain
			before := e.dbState(t)
			_, err := a.SetChainPolicy(ctx, as(op, &marqueev1.SetChainPolicyRequest{Policy: tc.p}))
			wantCode(t, err, connect.CodeInvalidArgument)
			e.wantUnchanged(t, before)
		})
	}
	for _, tc := range []struct {
		name   string
		amount *marqueev1.Money
	}{
		{"ErrZero", &marqueev1.Money{CurrencyCode: "USD"}},
		{"ErrNegative", &marqueev1.Money{CurrencyCode: "USD", AmountMinor: -100}},
		{"ErrTooLarge", &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 100_000_01}},
		{"ErrLowercaseCurrency", &marqueev1.Money{CurrencyCode: "usd", AmountMinor: 100}},
		{"ErrNoCurrency", &marqueev1.Money{AmountMinor: 100}},
		{"ErrNoAmount", nil},
	} {
		t.Run("IssueGiftCard/"+tc.name, func(t *testing.T) {
			before := e.dbState(t)
			_, err := a.IssueGiftCard(ctx, as(op, &marqueev1.IssueGiftCardRequest{ChainId: chain, Amount: tc.amount}))
			wantCode(t, err, connect.CodeInvalidArgument)
			e.wantUnchanged(t, before)
		})
	}
}

func TestAdminMissingFields(t *testing.T) {
	e := newEnv(t)
	ctx, a := context.Background(), e.adminSvc()
	root, chain := e.mustPlatformAdmin(t), e.fix.Chain.ID
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"ErrSetUserRoleNoUser", func() error {
			_, err := a.SetUserRole(ctx, as(root, &marqueev1.SetUserRoleRequest{Role: marqueev1.Role_ROLE_CUSTOMER}))
			return err
		}},
		{"ErrSetUserRoleNoRole", func() error {
			_, err := a.SetUserRole(ctx, as(root, &marqueev1.SetUserRoleRequest{UserId: root.id}))
			return err
		}},
		{"ErrSetUserRoleUndefinedRole", func() error {
			_, err := a.SetUserRole(ctx, as(root, &marqueev1.SetUserRoleRequest{UserId: root.id, Role: 42}))
			return err
		}},
		{"ErrUpsertPricingRuleNoRule", func() error {
			_, err := a.UpsertPricingRule(ctx, as(root, &marqueev1.UpsertPricingRuleRequest{}))
			return err
		}},
		{"ErrListPricingRulesNoChain", func() error {
			_, err := a.ListPricingRules(ctx, as(root, &marqueev1.ListPricingRulesRequest{}))
			return err
		}},
		{"ErrDeletePricingRuleNoRule", func() error {
			_, err := a.DeletePricingRule(ctx, as(root, &marqueev1.DeletePricingRuleRequest{ChainId: chain}))
			return err
		}},
		{"ErrDeletePricingRuleNoChain", func() error {
			_, err := a.DeletePricingRule(ctx, as(root, &marqueev1.DeletePricingRuleRequest{RuleId: "r"}))
			return err
		}},
		{"ErrUpsertPromotionNoPromotion", func() error {
			_, err := a.UpsertPromotion(ctx, as(root, &marqueev1.UpsertPromotionRequest{}))
			return err
		}},
		{"ErrListPromotionsNoChain", func() error {
			_, err := a.ListPromotions(ctx, as(root, &marqueev1.ListPromotionsRequest{}))
			return err
		}},
		{"ErrSetChainPolicyNoPolicy", func() error {
			_, err := a.SetChainPolicy(ctx, as(root, &marqueev1.SetChainPolicyRequest{}))
			return err
		}},
		{"ErrGetChainPolicyNoChain", func() error {
			_, err := a.GetChainPolicy(ctx, as(root, &marqueev1.GetChainPolicyRequest{}))
			return err
		}},
		{"ErrIssueGiftCardNoChain", func() error {
			_, err := a.IssueGiftCard(ctx, as(root, &marqueev1.IssueGiftCardRequest{Amount: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 100}}))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dbState(t)
			wantCode(t, tc.call(), connect.CodeInvalidArgument)
			e.wantUnchanged(t, before)
		})
	}
}

func TestAdminRoundTrips(t *testing.T) {
	e := newEnv(t)
	e.mustAddOtherChain(t)
	ctx, a := context.Background(), e.adminSvc()
	chain := e.fix.Chain.ID
	op, opOther := e.mustOperator(t, chain), e.mustOperator(t, otherChain)
	t.Run("PricingRules", func(t *testing.T) {
		demand := &marqueev1.PricingRule{ChainId: chain, Name: "Busy", Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND,
			OccupancyPercent: 80, Percent: 20, CapMinor: 400, Priority: 5}
		weekend := &marqueev1.PricingRule{ChainId: chain, Name: "Weekend", Kind: marqueev1.PricingRuleKind_PRICING_RULE_KIND_DAY_OF_WEEK,
			DaysOfWeek: []int32{0, 6}, AmountMinor: 200, Priority: 2}
		want := []*marqueev1.PricingRule{timeRule(chain, "Matinee", 0, 960, -25, 1), weekend,
			formatRule(chain, "Premium formats", 300, 3, "IMAX", "4DX"), demand}
		for _, r := range want {
			got := e.mustUpsertRule(t, op, r)
			if got.Id == "" {
				t.Fatalf("UpsertPricingRule(%v) gave no ID", r)
			}
			r.Id = got.Id
			if diff := cmp.Diff(r, got, protocmp.Transform()); diff != "" {
				t.Errorf("UpsertPricingRule mismatch (-want +got):\n%s", diff)
			}
		}
		list := func() []*marqueev1.PricingRule {
			t.Helper()
			res, err := a.ListPricingRules(ctx, as(op, &marqueev1.ListPricingRulesRequest{ChainId: chain}))
			if err != nil {
				t.Fatal(err)
			}
			return res.Msg.Rules
		}
		if diff := cmp.Diff(want, list(), protocmp.Transform()); diff != "" {
			t.Errorf("ListPricingRules mismatch (-want +got):\n%s", diff)
		}
		weekend.AmountMinor, weekend.DaysOfWeek = 250, []int32{5, 6}
		e.mustUpsertRule(t, op, weekend)
		if diff := cmp.Diff(want, list(), protocmp.Transform()); diff != "" {
			t.Errorf("ListPricingRules after an update mismatch (-want +got):\n%s", diff)
		}
		if _, err := a.DeletePricingRule(ctx, as(op, &marqueev1.DeletePricingRuleRequest{ChainId: chain, RuleId: weekend.Id})); err != nil {
			t.Fatal(err)
		}
		want = []*marqueev1.PricingRule{want[0], want[2], want[3]}
		if diff := cmp.Diff(want, list(), protocmp.Transform()); diff != "" {
			t.Errorf("ListPricingRules after a delete mismatch (-want +got):\n%s", diff)
		}
		t.Run("ErrDeleteAgain", func(t *testing.T) {
			_, err := a.DeletePricingRule(ctx, as(op, &marqueev1.DeletePricingRuleRequest{ChainId: chain, RuleId: weekend.Id}))
			wantCode(t, err, connect.CodeNotFound)
		})
		t.Run("ErrDeleteAnotherChainsRule", func(t *testing.T) {
			before := e.dbState(t)
			_, err := a.DeletePricingRule(ctx, as(opOther, &marqueev1.DeletePricingRuleRequest{ChainId: otherChain, RuleId: want[0].Id}))
			wantCode(t, err, connect.CodeNotFound)
			e.wantUnchanged(t, before)
		})
		t.Run("ErrReplaceAnotherChainsRule", func(t *testing.T) {
			before := e.dbState(t)
			r := timeRule(otherChain, "Stolen", 0, 60, 50, 1)
			r.Id = want[0].Id
			_, err := a.UpsertPricingRule(ctx, as(opOther, &marqueev1.UpsertPricingRuleRequest{Rule: r}))
			wantCode(t, err, connect.CodeNotFound)
			e.wantUnchanged(t, before)
		})
	})
	t.Run("Promotions", func(t *testing.T) {
		fixed := fixedPromo(chain, "TAKE5", 500)
		fixed.MinSeats, fixed.PerUserLimit, fixed.TotalLimit = 2, 1, 100
		fixed.TheatreIds, fixed.MovieIds = []string{e.fix.Theatre.ID}, []string{e.fix.Movie.ID}
		want := []*marqueev1.Promotion{percentPromo(chain, "SPRING20", 20), fixed}
		for _, p := range want {
			got := e.mustUpsertPromotion(t, op, p)
			p.Id = got.Id
			if diff := cmp.Diff(p, got, protocmp.Transform()); diff != "" {
				t.Errorf("UpsertPromotion mismatch (-want +got):\n%s", diff)
			}
		}
		alice := e.mustRegister(t)
		h := e.mustHold(t, alice, "A1", "A2")
		if _, err := e.bookings.CreateBooking(ctx, as(alice, &marqueev1.CreateBookingRequest{HoldId: h.Id,
			PaymentToken: "tok_visa", IdempotencyKey: "roundtrip-0001", PromoCode: "take5"})); err != nil {
			t.Fatal(err)
		}
		fixed.Redemptions = 1
		list := func() []*marqueev1.Promotion {
			t.Helper()
			res, err := a.ListPromotions(ctx, as(op, &marqueev1.ListPromotionsRequest{ChainId: chain}))
			if err != nil {
				t.Fatal(err)
			}
			return res.Msg.Promotions
		}
		if diff := cmp.Diff(want, list(), protocmp.Transform()); diff != "" {
			t.Errorf("ListPromotions mismatch (-want +got):\n%s", diff)
		}
		fixed.Description = "Five off, now for longer"
		fixed.ValidUntil = timestamppb.New(t0.Add(60 * 24 * time.Hour))
		if got := e.mustUpsertPromotion(t, op, fixed); got.Redemptions != 1 {
			t.Errorf("redemptions after an update = %d, want 1 (kept)", got.Redemptions)
		}
		if diff := cmp.Diff(want, list(), protocmp.Transform()); diff != "" {
			t.Errorf("ListPromotions after an update mismatch (-want +got):\n%s", diff)
		}
		res, err := a.ListPromotions(ctx, as(opOther, &marqueev1.ListPromotionsRequest{ChainId: otherChain}))
		if err != nil || len(res.Msg.Promotions) != 0 {
			t.Fatalf("ListPromotions of the other chain = %v, %v; want none", res, err)
		}
		t.Run("ErrTotalLimitBelowRedemptions", func(t *testing.T) {
			bob := e.mustRegister(t)
			if _, err := e.bookings.CreateBooking(ctx, as(bob, &marqueev1.CreateBookingRequest{HoldId: e.mustHold(t, bob, "A3", "A4").Id,
				PaymentToken: "tok_visa", IdempotencyKey: "roundtrip-0002", PromoCode: "TAKE5"})); err != nil {
				t.Fatal(err)
			}
			before := e.dbState(t)
			lower := proto.Clone(fixed).(*marqueev1.Promotion)
			lower.TotalLimit = 1
			_, err := a.UpsertPromotion(ctx, as(op, &marqueev1.UpsertPromotionRequest{Promotion: lower}))
			wantCode(t, err, connect.CodeInvalidArgument)
			e.wantUnchanged(t, before)
		})
	})
	t.Run("ChainPolicy", func(t *testing.T) {
		want := &marqueev1.ChainPolicy{ChainId: chain, RefundTiers: []*marqueev1.RefundTier{
			{MinutesBefore: 2880, Percent: 100}, {MinutesBefore: 120, Percent: 50}, {MinutesBefore: 0, Percent: 0}},
			RefundFees: true, StoreCreditBonusPercent: 10, OrphanSeatRule: true, FeePerSeatMinor: 150}
		res, err := a.SetChainPolicy(ctx, as(op, &marqueev1.SetChainPolicyRequest{Policy: want}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, res.Msg.Policy, protocmp.Transform()); diff != "" {
			t.Errorf("SetChainPolicy mismatch (-want +got):\n%s", diff)
		}
		got, err := a.GetChainPolicy(ctx, as(op, &marqueev1.GetChainPolicyRequest{ChainId: chain}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Msg.Policy, protocmp.Transform()); diff != "" {
			t.Errorf("GetChainPolicy mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("GiftCard", func(t *testing.T) {
		res, err := a.IssueGiftCard(ctx, as(op, &marqueev1.IssueGiftCardRequest{ChainId: chain,
			Amount: &marqueev1.Money{CurrencyCode: "USD", AmountMinor: 2500}}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&marqueev1.Money{CurrencyCode: "USD", AmountMinor: 2500}, res.Msg.Balance, protocmp.Transform()); diff != "" {
			t.Errorf("balance mismatch (-want +got):\n%s", diff)
		}
		if len(res.Msg.Code) != 19 {
			t.Errorf("code = %q, want XXXX-XXXX-XXXX-XXXX", res.Msg.Code)
		}
		if n := e.count(t, `SELECT count(*) FROM gift_cards WHERE code = $1 AND chain_id = $2 AND currency = 'USD'
			AND initial_minor = 2500 AND balance_minor = 2500`, res.Msg.Code, chain); n != 1 {
			t.Fatalf("gift card rows = %d, want 1", n)
		}
	})
}
