package rpc

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/errs"
)

// Authenticator verifies an access token, and that it still stands (its account, its session, not denied),
// and returns what it says about the caller.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (account.Claims, error)
}

type claimsKey struct{}

// userID returns the authenticated caller, set by authInterceptor.
func userID(ctx context.Context) string {
	return claims(ctx).UserID
}

// claims returns what the caller's access token says, set by authInterceptor.
func claims(ctx context.Context) account.Claims {
	c, _ := ctx.Value(claimsKey{}).(account.Claims)
	return c
}

// authInterceptor checks "Authorization: Bearer <token>" on every procedure not in public, unary and
// streaming, and puts the caller's user ID in the context.
type authInterceptor struct {
	auth   Authenticator
	public map[string]bool
}

var _ connect.Interceptor = (*authInterceptor)(nil)

func (a *authInterceptor) authenticate(ctx context.Context, procedure string, h http.Header) (context.Context, error) {
	if a.public[procedure] {
		return ctx, nil
	}
	token, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("sign in first: send Authorization: Bearer <token>"))
	}
	c, err := a.auth.Authenticate(ctx, strings.TrimSpace(token))
	if errs.Is(err, errs.Unauthenticated) {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New(errs.Message(err)))
	}
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, claimsKey{}, c), nil
}

func (a *authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, err := a.authenticate(ctx, req.Spec().Procedure, req.Header())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a *authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a *authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := a.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
