package account

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
)

// GrantKind is how a one-time admin code came to be.
type GrantKind string

// The kinds of admin codes.
const (
	// FirstRun codes are minted at start while the platform has no admin, and printed on the console for
	// whoever runs it. Any signed-in account may redeem one, and only while there is still no admin.
	FirstRun GrantKind = "first_run"
	// Invitation codes are made by a platform admin for one email; only the account with that email may
	// redeem one.
	Invitation GrantKind = "invitation"
)

// The lifetimes of admin codes.
const (
	FirstRunTTL   = 24 * time.Hour
	InvitationTTL = 7 * 24 * time.Hour
)

// AdminGrant is a stored one-time code that makes its redeemer a platform admin: only its hash is kept.
type AdminGrant struct {
	Hash      []byte
	Kind      GrantKind
	Email     string // for an invitation, the only account that may redeem it
	CreatedBy string // the inviting admin's user ID; empty for a first-run code
	CreatedAt time.Time
	ExpiresAt time.Time
	ClaimedBy string
	ClaimedAt time.Time // zero until redeemed
}

// AdminStore keeps the one-time codes that make platform admins.
type AdminStore interface {
	// AdminExists reports whether the platform has an admin.
	AdminExists(ctx context.Context) (bool, error)
	// AddAdminGrant stores a new code.
	AddAdminGrant(ctx context.Context, g AdminGrant) error
	// ClaimAdminGrant finds, in one transaction, the code with this hash (NotFound when there is none), the user
	// userID and whether an admin exists, and applies rule to them. When rule returns nil, the user becomes a
	// platform admin and the code is marked claimed by them at at (a first-run code takes every other
	// first-run code with it); otherwise nothing changes.
	ClaimAdminGrant(ctx context.Context, hash []byte, userID string, at time.Time, rule func(g AdminGrant, u User, adminExists bool) error) error
}

// errBadCode is the one answer to a code that makes no admin, whatever the reason.
func errBadCode(op string) error {
	return errs.Errorf(op, errs.Permission, "this admin code is not valid: it is unknown, used, expired or not yours")
}

// ClaimRule is the rule applied when u redeems g at now: the code must be unclaimed and unexpired; a
// first-run code works only while the platform has no admin; an invitation only for the email it was made
// for. Every failure gives the same answer, so a code's state is not disclosed.
func ClaimRule(now time.Time) func(g AdminGrant, u User, adminExists bool) error {
	return func(g AdminGrant, u User, adminExists bool) error {
		const op = "account.ClaimRule"
		switch {
		case !g.ClaimedAt.IsZero(), !now.Before(g.ExpiresAt), u.Erased:
			return errBadCode(op)
		case g.Kind == FirstRun && adminExists:
			return errBadCode(op)
		case g.Kind == Invitation && !strings.EqualFold(g.Email, u.Email):
			return errBadCode(op)
		case g.Kind != FirstRun && g.Kind != Invitation:
			return errBadCode(op)
		}
		return nil
	}
}

// FirstRunCode mints a first-run admin code when the platform has no admin, for the caller to print on the
// console, and returns it with its expiry; it returns "" when an admin exists. Each start mints its own code;
// every one of them stops working once any is redeemed.
func (s *Service) FirstRunCode(ctx context.Context) (string, time.Time, error) {
	const op = "account.FirstRunCode"
	exists, err := s.Admins.AdminExists(ctx)
	if err != nil {
		return "", time.Time{}, errs.E(op, err)
	}
	if exists {
		return "", time.Time{}, nil
	}
	now := s.Now()
	code := "mqa_" + rand.Text()
	g := AdminGrant{Hash: hashToken(code), Kind: FirstRun, CreatedAt: now, ExpiresAt: now.Add(FirstRunTTL)}
	if err := s.Admins.AddAdminGrant(ctx, g); err != nil {
		return "", time.Time{}, errs.E(op, err)
	}
	return code, g.ExpiresAt, nil
}

// InviteAdmin makes an invitation code with which the account registered with email (now or later) can
// become a platform admin, made by the admin byUserID; the caller checks that byUserID is one. The code is
// returned once, to be passed on to the person; only its hash is kept.
func (s *Service) InviteAdmin(ctx context.Context, byUserID, email string) (string, time.Time, error) {
	const op = "account.InviteAdmin"
	email, err := normalizeEmail(email)
	if err != nil {
		return "", time.Time{}, errs.E(op, err)
	}
	now := s.Now()
	code := "mqa_" + rand.Text()
	g := AdminGrant{Hash: hashToken(code), Kind: Invitation, Email: email, CreatedBy: byUserID, CreatedAt: now,
		ExpiresAt: now.Add(InvitationTTL)}
	if err := s.Admins.AddAdminGrant(ctx, g); err != nil {
		return "", time.Time{}, errs.E(op, err)
	}
	return code, g.ExpiresAt, nil
}

// ClaimAdmin redeems a first-run or invitation code for the signed-in user userID, who becomes a platform
// admin. A code that is unknown, malformed, used, expired, another person's, or a first-run code once an
// admin exists is refused (Permission), and nothing changes.
func (s *Service) ClaimAdmin(ctx context.Context, userID, code string) error {
	const op = "account.ClaimAdmin"
	if !strings.HasPrefix(code, "mqa_") || len(code) > 64 {
		return errBadCode(op)
	}
	err := s.Admins.ClaimAdminGrant(ctx, hashToken(code), userID, s.Now(), ClaimRule(s.Now()))
	if errs.Is(err, errs.NotFound) {
		return errBadCode(op)
	}
	if err != nil {
		return errs.E(op, err)
	}
	return nil
}
