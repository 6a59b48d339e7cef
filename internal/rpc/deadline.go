package rpc

import (
	"context"
	"time"

	"connectrpc.com/connect"
)

// RequestTimeout bounds every unary call that brings no earlier deadline of its own (Connect-Timeout-Ms,
// grpc-timeout): a call stuck on a database connection that stopped answering fails (the connection is dropped
// with it) instead of holding its goroutine, its connection and its client forever. It is longer than any call
// takes when its parts answer, a charge's provider timeout included.
const RequestTimeout = time.Minute

// deadlineInterceptor applies RequestTimeout to unary calls; streams run as long as their client stays.
type deadlineInterceptor struct{}

var _ connect.Interceptor = deadlineInterceptor{}

func (deadlineInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
		defer cancel()
		return next(ctx, req)
	}
}

func (deadlineInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (deadlineInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
