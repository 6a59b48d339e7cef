package rpc_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/rpc"
)

// signIn registers email and returns the whole response: the user and both tokens.
func (e *env) signIn(t *testing.T, email string) *marqueev1.RegisterResponse {
	t.Helper()
	res, err := e.accounts.Register(context.Background(), connect.NewRequest(&marqueev1.RegisterRequest{
		Email: email, Password: "s3cret-pass", DisplayName: "Session"}))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return res.Msg
}

// settingsWith calls an authenticated RPC with token and returns its error.
func settingsWith(c marqueev1connect.AccountServiceClient, token string) error {
	_, err := c.GetNotificationSettings(context.Background(), as(user{token: token}, &marqueev1.GetNotificationSettingsRequest{}))
	return err
}

// TestRefreshTokenRotates: RefreshToken spends the refresh token and returns a new pair; the spent token
// presented again ends the session, so the newer tokens stop working too; every refusal is unauthenticated,
// and a refusal changes nothing.
func TestRefreshTokenRotates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reg := e.signIn(t, "rotate@example.com")
	if reg.RefreshToken == "" || reg.TokenExpiresAt == nil || reg.RefreshTokenExpiresAt == nil {
		t.Fatalf("Register gave no refresh token or expiries: %+v", reg)
	}
	if got, want := reg.TokenExpiresAt.AsTime(), t0.Add(72*time.Hour); !got.Equal(want) {
		t.Errorf("access token expires %v, want %v (the env's access TTL)", got, want)
	}
	if got, want := reg.RefreshTokenExpiresAt.AsTime(), t0.Add(account.DefaultRefreshTTL); !got.Equal(want) {
		t.Errorf("refresh token expires %v, want %v", got, want)
	}
	var sid string
	if err := e.db.Pool.QueryRow(ctx, `SELECT id FROM sessions WHERE user_id = $1`, reg.User.Id).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT count(*) FROM refresh_tokens WHERE session_id = $1`, sid); n != 1 {
		t.Fatalf("refresh tokens stored = %d, want 1", n)
	}

	// An expired access token is refused; the refresh token still renews the session.
	e.clock.Advance(73 * time.Hour)
	wantCode(t, settingsWith(e.accounts, reg.Token), connect.CodeUnauthenticated)
	next, err := e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: reg.RefreshToken}))
	if err != nil {
		t.Fatalf("RefreshToken: %v", err)
	}
	if next.Msg.RefreshToken == reg.RefreshToken || next.Msg.User.GetId() != reg.User.Id {
		t.Fatalf("RefreshToken = %+v, want a new refresh token for the same user", next.Msg)
	}
	if err := settingsWith(e.accounts, next.Msg.Token); err != nil {
		t.Fatalf("refreshed access token refused: %v", err)
	}
	if n := e.count(t, `SELECT count(*) FROM refresh_tokens WHERE session_id = $1 AND spent_at IS NOT NULL`, sid); n != 1 {
		t.Errorf("spent refresh tokens = %d, want 1", n)
	}

	// Bad input: refused alike, nothing stored or revoked.
	for name, tok := range map[string]string{"Unknown": "mqr_nothing", "AccessTokenAsRefresh": next.Msg.Token} {
		_, err := e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: tok}))
		if ce := wantCode(t, err, connect.CodeUnauthenticated); ce.Message() != "invalid or expired refresh token: sign in again" {
			t.Errorf("%s: message %q", name, ce.Message())
		}
	}
	_, err = e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{}))
	wantCode(t, err, connect.CodeInvalidArgument)
	if n := e.count(t, `SELECT count(*) FROM sessions WHERE id = $1 AND revoked_at IS NULL`, sid); n != 1 {
		t.Fatal("a refused refresh revoked the session")
	}

	// Reuse of the spent token: refused, and the session ends.
	_, err = e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: reg.RefreshToken}))
	wantCode(t, err, connect.CodeUnauthenticated)
	if n := e.count(t, `SELECT count(*) FROM sessions WHERE id = $1 AND revoked_at IS NOT NULL`, sid); n != 1 {
		t.Fatal("reusing a spent refresh token did not revoke its session")
	}
	_, err = e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: next.Msg.RefreshToken}))
	wantCode(t, err, connect.CodeUnauthenticated)
	wantCode(t, settingsWith(e.accounts, next.Msg.Token), connect.CodeUnauthenticated)
}

// TestConcurrentRefreshesOfOneToken: of two refreshes racing with one token, at most one gets a new pair, and
// the other's reuse ends the session: a stolen copy raced against its owner never yields a working session
// for both.
func TestConcurrentRefreshesOfOneToken(t *testing.T) {
	e := newEnv(t)
	reg := e.signIn(t, "race@example.com")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.accounts.RefreshToken(context.Background(),
				connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: reg.RefreshToken}))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, err, connect.CodeUnauthenticated)
		}
	}
	if ok != 1 {
		t.Fatalf("refreshes that succeeded = %d (%v), want 1", ok, errs)
	}
	if n := e.count(t, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, reg.User.Id); n != 1 {
		t.Fatalf("revoked sessions = %d, want 1 (the loser's reuse ends it)", n)
	}
	if n := e.count(t, `SELECT count(*) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1`, reg.User.Id); n != 2 {
		t.Fatalf("refresh tokens = %d, want 2 (the first, spent, and the winner's)", n)
	}
}

// TestLogoutHoldsAcrossProcesses: after Logout on one server, the access token is refused there at once and
// on a second server of the same database within the cache window (checked by waiting on the condition), the
// refresh token is refused, the token's ID is recorded as denied until it expires, and other sessions live on
// until a logout everywhere.
func TestLogoutHoldsAcrossProcesses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := httptest.NewServer(rpc.NewMux(e.services(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(other.Close)
	elsewhere := marqueev1connect.NewAccountServiceClient(other.Client(), other.URL)

	reg := e.signIn(t, "logout@example.com")
	second, err := e.accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{Email: "logout@example.com", Password: "s3cret-pass"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []marqueev1connect.AccountServiceClient{e.accounts, elsewhere} { // both servers trust the tokens now
		for _, tok := range []string{reg.Token, second.Msg.Token} {
			if err := settingsWith(c, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.accounts.Logout(ctx, as(user{token: reg.Token}, &marqueev1.LogoutRequest{})); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	wantCode(t, settingsWith(e.accounts, reg.Token), connect.CodeUnauthenticated)
	deadline := time.Now().Add(15 * time.Second)
	for settingsWith(elsewhere, reg.Token) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the other server still accepts the logged-out token after 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantCode(t, settingsWith(elsewhere, reg.Token), connect.CodeUnauthenticated)
	_, err = elsewhere.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: reg.RefreshToken}))
	wantCode(t, err, connect.CodeUnauthenticated)
	if n := e.count(t, `SELECT count(*) FROM revoked_tokens WHERE expires_at = $1`, reg.TokenExpiresAt.AsTime()); n != 1 {
		t.Errorf("denied token IDs expiring with the token = %d, want 1", n)
	}
	if err := settingsWith(elsewhere, second.Msg.Token); err != nil {
		t.Fatalf("the other session was ended by a single logout: %v", err)
	}

	// Logout everywhere ends the other session too; a logged-out token cannot log out again.
	if _, err := elsewhere.Logout(ctx, as(user{token: second.Msg.Token}, &marqueev1.LogoutRequest{Everywhere: true})); err != nil {
		t.Fatal(err)
	}
	wantCode(t, settingsWith(elsewhere, second.Msg.Token), connect.CodeUnauthenticated)
	if n := e.count(t, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, reg.User.Id); n != 0 {
		t.Fatalf("live sessions after logout everywhere = %d", n)
	}
	_, err = e.accounts.Logout(ctx, as(user{token: reg.Token}, &marqueev1.LogoutRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
}

// TestTokenOfAGoneAccount: a correctly signed token of an account that was erased is refused on every call
// (within the cache window), never a 200 or a 500, and its refresh token renews nothing.
func TestTokenOfAGoneAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reg := e.signIn(t, "gone@example.com")
	if _, err := e.db.Pool.Exec(ctx, `UPDATE users SET erased_at = $2 WHERE id = $1`, reg.User.Id, t0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for settingsWith(e.accounts, reg.Token) == nil {
		if time.Now().After(deadline) {
			t.Fatal("a token of an erased account still works after 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantCode(t, settingsWith(e.accounts, reg.Token), connect.CodeUnauthenticated)
	_, err := e.bookings.ListMyBookings(ctx, as(user{token: reg.Token}, &marqueev1.ListMyBookingsRequest{}))
	wantCode(t, err, connect.CodeUnauthenticated)
	_, err = e.accounts.RefreshToken(ctx, connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: reg.RefreshToken}))
	wantCode(t, err, connect.CodeUnauthenticated)
}

// TestAdminFromCodes: a first-run code makes exactly one admin and then no other; a platform admin's
// invitation works for its email only, once; customers cannot invite; bad codes change nothing.
func TestAdminFromCodes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	adminSvc := e.adminSvc()
	admins := func() int { return e.count(t, `SELECT count(*) FROM users WHERE role = 'admin'`) }
	code1, _, err := e.svcs.Accounts.FirstRunCode(ctx)
	if err != nil || code1 == "" {
		t.Fatalf("FirstRunCode = %q, %v; want a code while there is no admin", code1, err)
	}
	code2, _, err := e.svcs.Accounts.FirstRunCode(ctx) // a second process starting
	if err != nil || code2 == "" || code2 == code1 {
		t.Fatalf("second FirstRunCode = %q, %v", code2, err)
	}
	ana, bob := e.signIn(t, "ana@example.com"), e.signIn(t, "bob@example.com")
	claim := func(token, code string) error {
		_, err := e.accounts.ClaimAdmin(ctx, as(user{token: token}, &marqueev1.ClaimAdminRequest{Code: code}))
		return err
	}
	for _, bad := range []string{"mqa_not-a-code", "garbage"} {
		wantCode(t, claim(ana.Token, bad), connect.CodePermissionDenied)
	}
	wantCode(t, claim(ana.Token, ""), connect.CodeInvalidArgument)
	wantCode(t, claim("", code1), connect.CodeUnauthenticated)
	_, err = adminSvc.InviteAdmin(ctx, as(user{token: ana.Token}, &marqueev1.InviteAdminRequest{Email: "carol@example.com"}))
	wantCode(t, err, connect.CodePermissionDenied)
	if admins() != 0 || e.count(t, `SELECT count(*) FROM admin_grants WHERE claimed_at IS NOT NULL OR kind = 'invitation'`) != 0 {
		t.Fatal("refused claims or invitations changed something")
	}

	if err := claim(ana.Token, code1); err != nil {
		t.Fatalf("ClaimAdmin with a first-run code: %v", err)
	}
	wantCode(t, claim(bob.Token, code1), connect.CodePermissionDenied) // used
	wantCode(t, claim(bob.Token, code2), connect.CodePermissionDenied) // every first-run code went with it
	if code, _, err := e.svcs.Accounts.FirstRunCode(ctx); err != nil || code != "" {
		t.Fatalf("FirstRunCode once an admin exists = %q, %v; want none", code, err)
	}
	if admins() != 1 || e.count(t, `SELECT count(*) FROM users WHERE role = 'admin' AND id = $1`, ana.User.Id) != 1 {
		t.Fatal("want exactly ana as the admin")
	}

	inv, err := adminSvc.InviteAdmin(ctx, as(user{token: ana.Token}, &marqueev1.InviteAdminRequest{Email: "Carol@Example.com"}))
	if err != nil {
		t.Fatalf("InviteAdmin: %v", err)
	}
	if got, want := inv.Msg.ExpiresAt.AsTime(), t0.Add(account.InvitationTTL); !got.Equal(want) {
		t.Errorf("invitation expires %v, want %v", got, want)
	}
	wantCode(t, claim(bob.Token, inv.Msg.Code), connect.CodePermissionDenied) // not bob's
	carol := e.signIn(t, "carol@example.com")                                 // registered after the invitation
	if err := claim(carol.Token, inv.Msg.Code); err != nil {
		t.Fatalf("ClaimAdmin with carol's invitation: %v", err)
	}
	wantCode(t, claim(carol.Token, inv.Msg.Code), connect.CodePermissionDenied)
	expired, err := adminSvc.InviteAdmin(ctx, as(user{token: ana.Token}, &marqueev1.InviteAdminRequest{Email: "bob@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(account.InvitationTTL)
	again, err := e.accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{Email: "bob@example.com", Password: "s3cret-pass"}))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, claim(again.Msg.Token, expired.Msg.Code), connect.CodePermissionDenied)
	if admins() != 2 {
		t.Fatalf("admins = %d, want ana and carol", admins())
	}
}

// TestConcurrentFirstRunClaims: two people redeeming two first-run codes at once make one admin, not two.
func TestConcurrentFirstRunClaims(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var codes, tokens [2]string
	for i := range codes {
		var err error
		if codes[i], _, err = e.svcs.Accounts.FirstRunCode(ctx); err != nil {
			t.Fatal(err)
		}
		tokens[i] = e.signIn(t, "first"+string(rune('a'+i))+"@example.com").Token
	}
	var wg sync.WaitGroup
	var errs [2]error
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.accounts.ClaimAdmin(ctx, as(user{token: tokens[i]}, &marqueev1.ClaimAdminRequest{Code: codes[i]}))
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("claims = %v; want exactly one to succeed", errs)
	}
	if n := e.count(t, `SELECT count(*) FROM users WHERE role = 'admin'`); n != 1 {
		t.Fatalf("admins = %d, want 1", n)
	}
}
