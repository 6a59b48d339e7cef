// Package admin lets operators run their chain (pricing rules, promotions, policy, gift cards) and platform
// admins manage roles. Every call is authorized here: an operator of one chain may not touch another's.
package admin

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/internal/wallet"
)

// Role is what an account may do.
type Role string

// Roles.
const (
	Customer Role = "customer"
	Operator Role = "operator" // of one chain
	Admin    Role = "admin"    // of the platform
	Auditor  Role = "auditor"  // reads and acts on archived bookings of the regions granted; has no chain
)

// Principal is an authenticated account with its role.
type Principal struct {
	UserID  string
	Role    Role
	ChainID string // set for operators
}

// GiftCard is an issued gift card: the wallet's.
type GiftCard = wallet.GiftCard

// Store keeps what admins manage.
type Store interface {
	Principal(ctx context.Context, userID string) (Principal, error)
	SetRole(ctx context.Context, userID string, role Role, chainID string) error
	UpsertRule(ctx context.Context, r pricing.Rule) error
	ListRules(ctx context.Context, chainID string) ([]pricing.Rule, error)
	DeleteRule(ctx context.Context, chainID, id string) error
	UpsertPromotion(ctx context.Context, p pricing.Promotion) (pricing.Promotion, error)
	ListPromotions(ctx context.Context, chainID string) ([]pricing.Promotion, error)
	SetChainPolicy(ctx context.Context, p catalog.ChainPolicy) error
	// ChainPolicy returns the policy a chain has stored, or nil when it has set none.
	ChainPolicy(ctx context.Context, chainID string) (*catalog.ChainPolicy, error)
	IssueGiftCard(ctx context.Context, g GiftCard, now time.Time) error
	DeadDeliveries(ctx context.Context, limit int) ([]DeadDelivery, error)
	RetryDelivery(ctx context.Context, id string, now time.Time) error
}

// DeadDelivery is a notification that gave up after its retries.
type DeadDelivery struct {
	ID, Channel, Recipient, Kind, LastError string
	Attempts                                int
}

// Service authorizes and validates admin operations.
type Service struct {
	Store    Store
	IDs      *platform.IDs
	Now      platform.Clock
	Policies catalog.Policies // resolves a chain's policy (its own, or the default)
	// Invitations makes admin invitation codes (account.Service).
	Invitations Inviter
}

// Inviter makes the one-time code with which the account of email becomes a platform admin.
type Inviter interface {
	InviteAdmin(ctx context.Context, byUserID, email string) (code string, expires time.Time, err error)
}

// InviteAdmin makes an invitation for email to become a platform admin, for a caller who is one (Permission
// otherwise, checked before anything else).
func (s *Service) InviteAdmin(ctx context.Context, callerID, email string) (string, time.Time, error) {
	const op = "admin.InviteAdmin"
	if err := s.RequireAdmin(ctx, callerID); err != nil {
		return "", time.Time{}, err
	}
	code, exp, err := s.Invitations.InviteAdmin(ctx, callerID, email)
	if err != nil {
		return "", time.Time{}, errs.E(op, err)
	}
	return code, exp, nil
}

// MayRun checks that p may run chainID (its pricing, promotions, policy, gift cards, theatres and showtimes):
// platform admins may run every chain, operators their own; anyone else is refused (Permission).
func (p Principal) MayRun(chainID string) error {
	const op = "admin.MayRun"
	switch {
	case p.Role == Admin:
		return nil
	case p.Role == Operator && p.ChainID == chainID:
		return nil
	case p.Role == Operator:
		return errs.Errorf(op, errs.Permission, "you do not operate this chain")
	}
	return errs.Errorf(op, errs.Permission, "only operators and admins may do this")
}

// MayAdminister checks that p is a platform admin (Permission otherwise).
func (p Principal) MayAdminister() error {
	if p.Role != Admin {
		return errs.Errorf("admin.MayAdminister", errs.Permission, "only platform admins may do this")
	}
	return nil
}

// CheckRole checks a role to give an account: operators need a chain, and only operators have one (Invalid).
func CheckRole(role Role, chainID string) error {
	if (role == Operator) != (chainID != "") {
		return errs.Errorf("admin.CheckRole", errs.Invalid, "operators need a chain, and only operators have one")
	}
	return nil
}

// CheckGiftCardAmount checks a gift card's opening balance: 0.01 to 100000.00 (Invalid otherwise).
func CheckGiftCardAmount(amountMinor int64) error {
	if amountMinor <= 0 || amountMinor > 100_000_00 {
		return errs.Errorf("admin.CheckGiftCardAmount", errs.Invalid, "a gift card holds between 0.01 and 100000.00")
	}
	return nil
}

// operator returns the caller as a principal who runs some chain (an operator or a platform admin), checked
// before anything is looked up for them, so a caller without the role learns nothing of which IDs exist
// (Permission otherwise); Principal.MayRun then checks the chain of what was found.
func (s *Service) operator(ctx context.Context, userID string) (Principal, error) {
	const op = "admin.operator"
	p, err := s.Store.Principal(ctx, userID)
	if err != nil {
		return p, errs.E(op, err)
	}
	if p.Role != Operator && p.Role != Admin {
		return p, errs.Errorf(op, errs.Permission, "only operators and admins may do this")
	}
	return p, nil
}

// Operator returns the caller as a principal who runs some chain (see operator), for other domain packages
// whose rows belong to a chain (on-sales), which then check the chain with Principal.MayRun.
func (s *Service) Operator(ctx context.Context, userID string) (Principal, error) {
	return s.operator(ctx, userID)
}

// authorize allows the caller to run chainID by Principal.MayRun.
func (s *Service) authorize(ctx context.Context, userID, chainID string) error {
	const op = "admin.authorize"
	p, err := s.Store.Principal(ctx, userID)
	if err == nil {
		err = p.MayRun(chainID)
	}
	if err != nil {
		return errs.E(op, err)
	}
	return nil
}

// SetUserRole gives a user a role; only platform admins may.
func (s *Service) SetUserRole(ctx context.Context, callerID, userID string, role Role, chainID string) error {
	const op = "admin.SetUserRole"
	if err := s.RequireAdmin(ctx, callerID); err != nil {
		return err
	}
	if err := CheckRole(role, chainID); err != nil {
		return errs.E(op, err)
	}
	if err := s.Store.SetRole(ctx, userID, role, chainID); err != nil {
		return errs.E(op, err)
	}
	return nil
}

// UpsertPricingRule validates and saves a rule of the caller's chain; a rule without ID is new.
func (s *Service) UpsertPricingRule(ctx context.Context, callerID string, r pricing.Rule) (pricing.Rule, error) {
	const op = "admin.UpsertPricingRule"
	if err := s.authorize(ctx, callerID, r.ChainID); err != nil {
		return r, err
	}
	if r.ID == "" {
		r.ID = s.IDs.New()
	}
	if err := r.Validate(); err != nil {
		return r, errs.E(op, err)
	}
	if err := s.Store.UpsertRule(ctx, r); err != nil {
		return r, errs.E(op, err)
	}
	return r, nil
}

// ListPricingRules lists a chain's rules.
func (s *Service) ListPricingRules(ctx context.Context, callerID, chainID string) ([]pricing.Rule, error) {
	if err := s.authorize(ctx, callerID, chainID); err != nil {
		return nil, err
	}
	return s.Store.ListRules(ctx, chainID)
}

// DeletePricingRule removes a chain's rule.
func (s *Service) DeletePricingRule(ctx context.Context, callerID, chainID, ruleID string) error {
	if err := s.authorize(ctx, callerID, chainID); err != nil {
		return err
	}
	return s.Store.DeleteRule(ctx, chainID, ruleID)
}

// UpsertPromotion validates and saves a promotion of the caller's chain; one without ID is new.
func (s *Service) UpsertPromotion(ctx context.Context, callerID string, p pricing.Promotion) (pricing.Promotion, error) {
	const op = "admin.UpsertPromotion"
	if err := s.authorize(ctx, callerID, p.ChainID); err != nil {
		return p, err
	}
	if p.ID == "" {
		p.ID = s.IDs.New()
	}
	p.Code = pricing.NormalizeCode(p.Code)
	if err := p.Validate(); err != nil {
		return p, errs.E(op, err)
	}
	out, err := s.Store.UpsertPromotion(ctx, p)
	if err != nil {
		return p, errs.E(op, err)
	}
	return out, nil
}

// ListPromotions lists a chain's promotions.
func (s *Service) ListPromotions(ctx context.Context, callerID, chainID string) ([]pricing.Promotion, error) {
	if err := s.authorize(ctx, callerID, chainID); err != nil {
		return nil, err
	}
	return s.Store.ListPromotions(ctx, chainID)
}

// SetChainPolicy validates and saves a chain's policy.
func (s *Service) SetChainPolicy(ctx context.Context, callerID string, p catalog.ChainPolicy) (catalog.ChainPolicy, error) {
	const op = "admin.SetChainPolicy"
	if err := s.authorize(ctx, callerID, p.ChainID); err != nil {
		return p, err
	}
	if err := p.Validate(); err != nil {
		return p, errs.E(op, err)
	}
	if err := s.Store.SetChainPolicy(ctx, p); err != nil {
		return p, errs.E(op, err)
	}
	return p, nil
}

// GetChainPolicy returns a chain's policy (the default when it set none).
func (s *Service) GetChainPolicy(ctx context.Context, callerID, chainID string) (catalog.ChainPolicy, error) {
	if err := s.authorize(ctx, callerID, chainID); err != nil {
		return catalog.ChainPolicy{}, err
	}
	p, err := s.Store.ChainPolicy(ctx, chainID)
	if err != nil {
		return catalog.ChainPolicy{}, errs.E("admin.GetChainPolicy", err)
	}
	return s.Policies.For(chainID, p), nil
}

// IssueGiftCard creates a gift card of the caller's chain with a positive balance.
func (s *Service) IssueGiftCard(ctx context.Context, callerID, chainID, currency string, amount int64) (GiftCard, error) {
	const op = "admin.IssueGiftCard"
	if err := s.authorize(ctx, callerID, chainID); err != nil {
		return GiftCard{}, err
	}
	if err := CheckGiftCardAmount(amount); err != nil {
		return GiftCard{}, errs.E(op, err)
	}
	g := GiftCard{ID: s.IDs.New(), Code: NewGiftCardCode(), ChainID: chainID, Currency: strings.ToUpper(currency),
		BalanceMinor: amount}
	if err := s.Store.IssueGiftCard(ctx, g, s.Now()); err != nil {
		return GiftCard{}, errs.E(op, err)
	}
	return g, nil
}

const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewGiftCardCode returns a random code like "7KQ2-M9XD-4HPA-Z3RT" (80 bits).
func NewGiftCardCode() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	code := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			code = append(code, '-')
		}
		code = append(code, codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return string(code)
}

// RequireAdmin allows platform admins only (Principal.MayAdminister).
func (s *Service) RequireAdmin(ctx context.Context, callerID string) error {
	p, err := s.Store.Principal(ctx, callerID)
	if err == nil {
		err = p.MayAdminister()
	}
	if err != nil {
		return errs.E("admin.RequireAdmin", err)
	}
	return nil
}

// DeadDeliveries lists notifications that gave up, newest first.
func (s *Service) DeadDeliveries(ctx context.Context, callerID string, limit int) ([]DeadDelivery, error) {
	if err := s.RequireAdmin(ctx, callerID); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	return s.Store.DeadDeliveries(ctx, limit)
}

// RetryDelivery queues a dead notification again.
func (s *Service) RetryDelivery(ctx context.Context, callerID, id string) error {
	if err := s.RequireAdmin(ctx, callerID); err != nil {
		return err
	}
	return s.Store.RetryDelivery(ctx, id, s.Now())
}
