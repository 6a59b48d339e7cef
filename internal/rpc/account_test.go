package rpc_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
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
		wantCode(t, list(u.token[:len(u.token)-2]+"xx"), connect.CodeUnauthenticated)
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
