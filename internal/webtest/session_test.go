package webtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestSessionRenewsAndSignsOut: the app renews a stale access token with the refresh token before a call,
// and again when a call is answered unauthenticated, so a signed-in person stays signed in; Sign out ends
// the session on the server, so neither of its tokens works afterwards.
func TestSessionRenewsAndSignsOut(t *testing.T) {
	s := env(t)
	c := s.api()
	ctx := s.tab(t, "renewer")
	first := s.signUp(t, ctx, "Rene Renewer", "/settings")
	if first.RefreshToken == "" || first.ExpiresAt <= time.Now().UnixMilli() {
		t.Fatalf("session after sign-up = %+v, want a refresh token and an access token that has not expired", first)
	}
	settingsShown := `document.querySelector("#phone") !== null`
	waitJS(t, ctx, 20*time.Second, "the settings", settingsShown)

	// An access token about to expire is renewed before the settings are read.
	eval[bool](t, ctx, `(() => { const s = JSON.parse(localStorage.getItem("marquee.session"));
		s.expiresAt = Date.now() - 1000; localStorage.setItem("marquee.session", JSON.stringify(s)); return true })()`)
	s.open(t, ctx, "/settings")
	waitJS(t, ctx, 20*time.Second, "the settings, with a renewed token", settingsShown)
	second := signedIn(t, ctx)
	if second.Token == first.Token || second.RefreshToken == first.RefreshToken || second.UserID != first.UserID {
		t.Fatalf("session after a stale token = %+v, want both tokens renewed for the same user (was %+v)", second, first)
	}
	// (Presenting first.RefreshToken again now would end the session: it is spent. Checked after Sign out.)

	// A token the server refuses (here a forged one) is renewed once and the call made again.
	eval[bool](t, ctx, `(() => { const s = JSON.parse(localStorage.getItem("marquee.session"));
		s.token = "forged"; localStorage.setItem("marquee.session", JSON.stringify(s)); return true })()`)
	s.open(t, ctx, "/settings")
	waitJS(t, ctx, 20*time.Second, "the settings, after an unauthenticated answer", settingsShown)
	third := signedIn(t, ctx)
	if third.Token == "forged" || third.RefreshToken == second.RefreshToken {
		t.Fatalf("session after a refused token = %+v, want it renewed", third)
	}

	click(t, ctx, button("Sign out"))
	waitJS(t, ctx, 10*time.Second, "signed out", `localStorage.getItem("marquee.session") === null && location.pathname === "/"`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.accounts.GetNotificationSettings(context.Background(), as(third.Token, &marqueev1.GetNotificationSettingsRequest{}))
		if connect.CodeOf(err) == connect.CodeUnauthenticated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the access token still works 10 s after Sign out (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	refusedRefresh(t, c, third.RefreshToken)
	refusedRefresh(t, c, first.RefreshToken)
}

// refusedRefresh fails unless RefreshToken refuses token as unauthenticated.
func refusedRefresh(t *testing.T, c *client, token string) {
	t.Helper()
	_, err := c.accounts.RefreshToken(context.Background(), connect.NewRequest(&marqueev1.RefreshTokenRequest{RefreshToken: token}))
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeUnauthenticated {
		t.Fatalf("RefreshToken with a spent or ended refresh token = %v, want unauthenticated", err)
	}
}
