package rpc

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// Authenticator verifies a bearer token and returns the user it belongs to; Active says whether that user's
// account still exists (a valid token outlives a deleted or erased account).
type Authenticator interface {
	Authenticate(token string) (userID string, err error)
	Active(ctx context.Context, userID string) (bool, error)
}

type userKey struct{}

// userID returns the authenticated caller, set by authInterceptor.
func userID(ctx context.Context) string {
	id, _ := ctx.Value(userKey{}).(string)
	return id
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
	id, err := a.auth.Authenticate(strings.TrimSpace(token))
	if err != nil {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("invalid or expired token"))
	}
	live, err := a.auth.Active(ctx, id)
	if err != nil {
		return ctx, err
	}
	if !live {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("this account no longer exists: sign in again"))
	}
	return context.WithValue(ctx, userKey{}, id), nil
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
