package rpc_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/app"
)

func TestRegister(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
		Email: "Grace@Example.com", Password: "hopper-1906", DisplayName: "Grace"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Msg.User.Email != "grace@example.com" || res.Msg.User.Id == "" || res.Msg.Token == "" {
		t.Fatalf("Register = %v", res.Msg)
	}
	var hash string
	if err := e.db.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, res.Msg.User.Id).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash == "hopper-1906" || len(hash) < 50 {
		t.Fatalf("password stored as %q, want a bcrypt hash", hash)
	}
	for name, tc := range map[string]struct {
		req  *marqueev1.RegisterRequest
		code connect.Code
	}{
		"ErrDuplicateEmail": {&marqueev1.RegisterRequest{Email: "grace@EXAMPLE.com", Password: "another-pass", DisplayName: "G"}, connect.CodeAlreadyExists},
		"ErrBadEmail":       {&marqueev1.RegisterRequest{Email: "not-an-email", Password: "another-pass", DisplayName: "G"}, connect.CodeInvalidArgument},
		"ErrShortPassword":  {&marqueev1.RegisterRequest{Email: "x@example.com", Password: "short", DisplayName: "G"}, connect.CodeInvalidArgument},
		"ErrNoName":         {&marqueev1.RegisterRequest{Email: "y@example.com", Password: "another-pass"}, connect.CodeInvalidArgument},
		"ErrBlankName":      {&marqueev1.RegisterRequest{Email: "z@example.com", Password: "another-pass", DisplayName: "   "}, connect.CodeInvalidArgument},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.accounts.Register(ctx, connect.NewRequest(tc.req))
			wantCode(t, err, tc.code)
		})
	}
	if n := e.count(t, `SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("users after bad registrations = %d, want 1", n)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reg, err := e.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
		Email: "alan@example.com", Password: "enigma-1912", DisplayName: "Alan"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		res, err := e.accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{Email: "ALAN@example.com", Password: "enigma-1912"}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Msg.User.Id != reg.Msg.User.Id || res.Msg.Token == "" {
			t.Fatalf("Login = %v", res.Msg)
		}
	})
	for name, req := range map[string]*marqueev1.LoginRequest{
		"ErrWrongPassword": {Email: "alan@example.com", Password: "wrong-password"},
		"ErrUnknownEmail":  {Email: "nobody@example.com", Password: "enigma-1912"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.accounts.Login(ctx, connect.NewRequest(req))
			ce := wantCode(t, err, connect.CodeUnauthenticated)
			if ce.Message() != "wrong email or password" {
				t.Fatalf("message = %q", ce.Message())
			}
		})
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := e.accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{}))
		wantCode(t, err, connect.CodeInvalidArgument)
	})
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	u := e.mustRegister(t)
	ctx := context.Background()
	list := func(token string) error {
		_, err := e.bookings.ListMyBookings(ctx, as(user{token: token}, &marqueev1.ListMyBookingsRequest{}))
		return err
	}
	if err := list(u.token); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		_, err := e.bookings.ListMyBookings(ctx, connect.NewRequest(&marqueev1.ListMyBookingsRequest{}))
		wantCode(t, err, connect.CodeUnauthenticated)
	})
	t.Run("ErrGarbageToken", func(t *testing.T) { wantCode(t, list("garbage"), connect.CodeUnauthenticated) })
	t.Run("ErrTamperedToken", func(t *testing.T) {
		// A character inside the signature, changed: the last ones may only carry unused bits, and may
		// already be the replacement.
		b := []byte(u.token)
		i := len(b) - 10
		b[i] = map[bool]byte{true: 'A', false: 'B'}[b[i] != 'A']
		wantCode(t, list(string(b)), connect.CodeUnauthenticated)
	})
	t.Run("ErrExpiredToken", func(t *testing.T) {
		e.clock.Advance(73 * time.Hour)
		wantCode(t, list(u.token), connect.CodeUnauthenticated)
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", res.StatusCode)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	e := newEnv(t)
	u := e.mustRegister(t)
	e.db.Close() // every database call now fails inside the handler
	_, err := e.bookings.ListMyBookings(context.Background(), as(u, &marqueev1.ListMyBookingsRequest{}))
	ce := wantCode(t, err, connect.CodeInternal)
	if ce.Message() != "internal error" {
		t.Fatalf("message = %q, want the generic one", ce.Message())
	}
}

// homeRegions is where a registration homed the account, as each place that records it tells.
type homeRegions struct {
	Response, RegisterToken, LoginToken, Database string
}

// homeRegionsOf registers email near a location (nil for none) and reads back its home region from the
// response, the claims of the Register and Login tokens, and users.home_region.
func (e *env) homeRegionsOf(t *testing.T, email string, near *marqueev1.GeoPoint) homeRegions {
	t.Helper()
	ctx := context.Background()
	reg, err := e.accounts.Register(ctx, connect.NewRequest(&marqueev1.RegisterRequest{
		Email: email, Password: "s3cret-pass", DisplayName: "Home", Near: near}))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	login, err := e.accounts.Login(ctx, connect.NewRequest(&marqueev1.LoginRequest{Email: email, Password: "s3cret-pass"}))
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	got := homeRegions{Response: reg.Msg.User.HomeRegion, RegisterToken: e.homeClaim(t, reg.Msg.Token),
		LoginToken: e.homeClaim(t, login.Msg.Token)}
	err = e.db.Pool.QueryRow(ctx, `SELECT home_region FROM users WHERE id = $1`, reg.Msg.User.Id).Scan(&got.Database)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// homeClaim returns the home region claim of a token the env's server signed.
func (e *env) homeClaim(t *testing.T, token string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return e.svcs.Accounts.Secret, nil },
		jwt.WithTimeFunc(e.clock.Now)); err != nil {
		t.Fatalf("token %q: %v", token, err)
	}
	home, _ := claims[account.HomeRegionClaim].(string)
	return home
}

// TestRegisterHomeRegion registers near a place or nowhere, on a process serving every region (whose fallback
// is the primary region, us-east1) and on one serving europe-west1.
func TestRegisterHomeRegion(t *testing.T) {
	every := newEnv(t)
	europe := newEnv(t, func(c *app.Config) { c.Region = "europe-west1" })
	mumbai := &marqueev1.GeoPoint{Latitude: 19.07, Longitude: 72.88}
	london := &marqueev1.GeoPoint{Latitude: 51.51, Longitude: -0.13}
	tests := []struct {
		name string
		e    *env
		near *marqueev1.GeoPoint
		want string
	}{
		{"OKNearMumbai", every, mumbai, "asia-south1"},
		{"OKNearLondon", every, london, "europe-west1"},
		{"OKNearMumbaiServedByEurope", europe, mumbai, "asia-south1"},
		{"OKNoLocationServedByEveryRegion", every, nil, "us-east1"},
		{"OKNoLocationServedByEurope", europe, nil, "europe-west1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.e.homeRegionsOf(t, "home"+strconv.Itoa(i)+"@example.com", tt.near)
			want := homeRegions{Response: tt.want, RegisterToken: tt.want, LoginToken: tt.want, Database: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("ErrLatitude91", func(t *testing.T) {
		_, err := every.accounts.Register(context.Background(), connect.NewRequest(&marqueev1.RegisterRequest{
			Email: "north@example.com", Password: "s3cret-pass", DisplayName: "North",
			Near: &marqueev1.GeoPoint{Latitude: 91, Longitude: 72.88}}))
		wantCode(t, err, connect.CodeInvalidArgument)
		if n := every.count(t, `SELECT count(*) FROM users WHERE email = 'north@example.com'`); n != 0 {
			t.Fatalf("users after an invalid location = %d, want 0", n)
		}
	})
}
