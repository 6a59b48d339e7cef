package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
)

// TestRefreshRotates: a refresh token works once and returns the next pair; the access token it gives works.
func TestRefreshRotates(t *testing.T) {
	svc, _, clock := newService(t)
	ctx := context.Background()
	u, first, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(account.DefaultAccessTTL + time.Minute) // the access token has expired
	if _, err := svc.Authenticate(ctx, first.Access); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("expired access token: %v, want unauthenticated", err)
	}
	got, next, err := svc.Refresh(ctx, first.Refresh)
	if err != nil || got.ID != u.ID || next.Refresh == first.Refresh || next.Access == "" {
		t.Fatalf("Refresh = %v, %+v, %v; want the user and a new pair", got.ID, next, err)
	}
	if !next.AccessExpires.Equal(clock.Now().Add(account.DefaultAccessTTL).Truncate(time.Second)) {
		t.Errorf("access expires %v, want %v after now", next.AccessExpires, account.DefaultAccessTTL)
	}
	if c, err := svc.Authenticate(ctx, next.Access); err != nil || c.UserID != u.ID {
		t.Fatalf("refreshed access token: %+v, %v", c, err)
	}
	// The first one is spent: presenting it again is a theft signal that ends the session, so the pair the
	// legitimate client got stops working too.
	if _, _, err := svc.Refresh(ctx, first.Refresh); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("reused refresh token: %v, want unauthenticated", err)
	}
	if _, _, err := svc.Refresh(ctx, next.Refresh); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("refresh token of a session ended by reuse: %v, want unauthenticated", err)
	}
	if _, err := svc.Authenticate(ctx, next.Access); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("access token of a session ended by reuse: %v, want unauthenticated", err)
	}
}

func TestRefreshRefused(t *testing.T) {
	svc, _, clock := newService(t)
	ctx := context.Background()
	_, tok, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"Empty": "", "Unknown": "mqr_nope", "AccessToken": tok.Access,
		"TooLong": strings.Repeat("x", 2049)} {
		t.Run(name, func(t *testing.T) {
			_, _, err := svc.Refresh(ctx, token)
			if !errs.Is(err, errs.Unauthenticated) || errs.Message(err) != "invalid or expired refresh token: sign in again" {
				t.Fatalf("Refresh(%s) = %v, want the one unauthenticated answer", name, err)
			}
		})
	}
	clock.Advance(account.DefaultRefreshTTL)
	if _, _, err := svc.Refresh(ctx, tok.Refresh); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("expired refresh token: %v, want unauthenticated", err)
	}
}

// TestLogout: logout ends the session's access and refresh tokens and leaves other sessions alone; logout
// everywhere ends them all.
func TestLogout(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	if _, _, err := svc.Register(ctx, "ana@example.com", "s3cret-pass", "Ana", nil); err != nil {
		t.Fatal(err)
	}
	login := func() account.Tokens {
		_, tok, err := svc.Login(ctx, "ana@example.com", "s3cret-pass")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	phone, laptop, tablet := login(), login(), login()
	for _, tok := range []account.Tokens{phone, laptop, tablet} { // cached as live in this process
		if _, err := svc.Authenticate(ctx, tok.Access); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := svc.Authenticate(ctx, phone.Access)
	if err := svc.Logout(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, phone.Access); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("access token after logout: %v, want unauthenticated at once", err)
	}
	if _, _, err := svc.Refresh(ctx, phone.Refresh); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("refresh token after logout: %v, want unauthenticated", err)
	}
	if _, err := svc.Authenticate(ctx, laptop.Access); err != nil {
		t.Errorf("another session's access token after logout: %v", err)
	}
	c, _ = svc.Authenticate(ctx, laptop.Access)
	if err := svc.Logout(ctx, c, true); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]account.Tokens{"laptop": laptop, "tablet": tablet} {
		if _, err := svc.Authenticate(ctx, tok.Access); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("%s access token after logout everywhere: %v, want unauthenticated", name, err)
		}
		if _, _, err := svc.Refresh(ctx, tok.Refresh); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("%s refresh token after logout everywhere: %v, want unauthenticated", name, err)
		}
	}
}

func TestClaimRule(t *testing.T) {
	now := t0
	ana := account.User{ID: "u1", Email: "ana@example.com"}
	live := func(k account.GrantKind, email string) account.AdminGrant {
		return account.AdminGrant{Kind: k, Email: email, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}
	}
	claimed := live(account.FirstRun, "")
	claimed.ClaimedAt = now.Add(-time.Minute)
	expired := live(account.Invitation, "ana@example.com")
	expired.ExpiresAt = now
	tests := []struct {
		name        string
		g           account.AdminGrant
		u           account.User
		adminExists bool
		ok          bool
	}{
		{"OKFirstRun", live(account.FirstRun, ""), ana, false, true},
		{"OKInvitation", live(account.Invitation, "ANA@example.com"), ana, true, true},
		{"ErrFirstRunOnceAnAdminExists", live(account.FirstRun, ""), ana, true, false},
		{"ErrInvitationForAnotherEmail", live(account.Invitation, "bob@example.com"), ana, true, false},
		{"ErrClaimed", claimed, ana, false, false},
		{"ErrExpired", expired, ana, true, false},
		{"ErrErased", live(account.FirstRun, ""), account.User{ID: "u2", Erased: true}, false, false},
		{"ErrUnknownKind", live("other", ""), ana, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := account.ClaimRule(now)(tt.g, tt.u, tt.adminExists)
			if (err == nil) != tt.ok || (err != nil && !errs.Is(err, errs.Permission)) {
				t.Fatalf("ClaimRule = %v, want ok %v (else permission denied)", err, tt.ok)
			}
		})
	}
}
