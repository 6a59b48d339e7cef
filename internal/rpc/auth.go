package rpc

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
)

// Authenticator verifies a bearer token and returns the user it belongs to.
type Authenticator interface {
	Authenticate(token string) (userID string, err error)
}

type userKey struct{}

// userID returns the authenticated caller, set by authInterceptor.
func userID(ctx context.Context) string {
	id, _ := ctx.Value(userKey{}).(string)
	return id
}

// authInterceptor checks "Authorization: Bearer <token>" on every procedure not in public, and puts the
// caller's user ID in the context.
func authInterceptor(auth Authenticator, public map[string]bool) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if public[req.Spec().Procedure] {
				return next(ctx, req)
			}
			h := req.Header().Get("Authorization")
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || token == "" {
				return nil, connect.NewError(connect.CodeUnauthenticated,
					errors.New("sign in first: send Authorization: Bearer <token>"))
			}
			id, err := auth.Authenticate(strings.TrimSpace(token))
			if err != nil {
				return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("invalid or expired token"))
			}
			return next(context.WithValue(ctx, userKey{}, id), req)
		}
	}
}
