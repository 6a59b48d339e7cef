package rpc_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/rpc"
)

// wantExhausted fails unless err is resource_exhausted with a RetryInfo of at least a second.
func wantExhausted(t *testing.T, err error) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted {
		t.Fatalf("got %v, want resource_exhausted", err)
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if ri, ok := v.(*errdetails.RetryInfo); ok {
				if ri.GetRetryDelay().AsDuration().Seconds() < 1 {
					t.Fatalf("retry delay %v, want at least 1s", ri.GetRetryDelay().AsDuration())
				}
				return
			}
		}
	}
	t.Fatalf("resource_exhausted without a RetryInfo detail: %v", err)
}

// TestRateLimitHoldsPerUser: a person over the hold limit is refused with a retry hint and nothing is held;
// another person is not affected.
func TestRateLimitHoldsPerUser(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.RateLimits = rpc.DefaultRateLimits()
		c.RateLimits.Classes[rpc.ClassHold] = rpc.Limit{PerMinute: 1, Burst: 2}
	})
	alice, bob := e.mustRegister(t), e.mustRegister(t)
	e.mustHold(t, alice, "A1")
	e.mustHold(t, alice, "A2")
	_, err := e.seats.HoldSeats(context.Background(), as(alice, &marqueev1.HoldSeatsRequest{
		ShowtimeId: e.fix.Showtime.ID, SeatIds: []string{"A3"}}))
	wantExhausted(t, err)
	if n := e.activeHolds(t, alice); n != 2 {
		t.Fatalf("alice holds %d seats, want 2 (the refused hold changed something)", n)
	}
	e.mustHold(t, bob, "B1")
}

// TestRateLimitLoginPerClientIP: logins from one client address (named by the trusted edge's
// X-Forwarded-For) are limited, wrong or right password alike, while another address still signs in.
func TestRateLimitLoginPerClientIP(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.RateLimits = rpc.DefaultRateLimits()
		c.RateLimits.Classes[rpc.ClassLogin] = rpc.Limit{PerMinute: 1, Burst: 3}
	})
	e.mustRegister(t)
	email := "user" + strconv.Itoa(userSeq) + "@example.com"
	login := func(ip, password string) error {
		req := connect.NewRequest(&marqueev1.LoginRequest{Email: email, Password: password})
		req.Header().Set("X-Forwarded-For", ip)
		_, err := e.accounts.Login(context.Background(), req)
		return err
	}
	for i := range 3 {
		if err := login("203.0.113.7", "wrong-password"); connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("wrong password %d: %v, want unauthenticated", i, err)
		}
	}
	wantExhausted(t, login("203.0.113.7", "s3cret-pass"))
	if err := login("198.51.100.9", "s3cret-pass"); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
}

// TestLimitFlagValues: the flag syntax is checked and refuses nonsense.
func TestLimitFlagValues(t *testing.T) {
	var l rpc.Limit
	if err := l.Set("30:10"); err != nil || l.PerMinute != 30 || l.Burst != 10 {
		t.Fatalf("Set(30:10) = %v, %+v", err, l)
	}
	for _, bad := range []string{"", "30", "x:1", "-1:2", "1:0", "0:3", "NaN:1", "Inf:1"} {
		if err := l.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
