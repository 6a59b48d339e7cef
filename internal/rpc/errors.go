// Package rpc holds the Connect handlers: each decodes a request, authorizes it, makes one domain call and
// encodes the answer. Errors are mapped to Connect codes in one table here.
package rpc

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
)

// codes maps every domain error kind to its Connect code. Other is absent: it becomes Internal.
var codes = map[errs.Kind]connect.Code{
	errs.Invalid:         connect.CodeInvalidArgument,
	errs.NotFound:        connect.CodeNotFound,
	errs.Conflict:        connect.CodeAlreadyExists,
	errs.Precondition:    connect.CodeFailedPrecondition,
	errs.Unauthenticated: connect.CodeUnauthenticated,
	errs.Permission:      connect.CodePermissionDenied,
	errs.Exhausted:       connect.CodeResourceExhausted,
	errs.Unavailable:     connect.CodeUnavailable,
}

// toConnect turns a domain error into a Connect error with a client-safe message. Unexpected errors are logged
// with their cause and reach the client only as "internal error".
func toConnect(ctx context.Context, log *slog.Logger, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("request cancelled"))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("deadline exceeded"))
	}
	code, ok := codes[errs.KindOf(err)]
	if !ok {
		log.ErrorContext(ctx, "internal error", "procedure", procedure, "err", err)
		return connect.NewError(connect.CodeInternal, errors.New("internal error"))
	}
	msg := errs.Message(err)
	if msg == "" {
		msg = errs.KindOf(err).String()
	}
	ce = connect.NewError(code, errors.New(msg))
	if r := holdRefused(err); r != nil {
		if d, derr := connect.NewErrorDetail(r); derr == nil {
			ce.AddDetail(d)
		}
	}
	return ce
}

// holdRefused is the detail a client can branch on when err refuses seats: taken, left alone, or past the
// per-person limit; nil for any other error.
func holdRefused(err error) *marqueev1.HoldRefused {
	var taken *inventory.SeatsUnavailableError
	var lone *inventory.LoneSeatError
	var limit *inventory.SeatLimitError
	switch {
	case errors.As(err, &taken):
		return &marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEATS_TAKEN, SeatIds: taken.SeatIDs}
	case errors.As(err, &lone):
		return &marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_LONE_SEAT, SeatIds: lone.SeatIDs}
	case errors.As(err, &limit):
		return &marqueev1.HoldRefused{Reason: marqueev1.HoldRefused_REASON_SEAT_LIMIT, Limit: int32(limit.Limit),
			Held: int32(limit.Held)}
	}
	return nil
}

// errorInterceptor applies toConnect to the error of every handler, unary and streaming, so no handler maps
// errors itself and no cause text reaches a client.
type errorInterceptor struct{ log *slog.Logger }

var _ connect.Interceptor = (*errorInterceptor)(nil)

// WrapUnary maps the error a unary handler returns.
func (i *errorInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		return res, toConnect(ctx, i.log, req.Spec().Procedure, err)
	}
}

// WrapStreamingClient leaves client streams alone: the interceptor serves handlers only.
func (i *errorInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler maps the error a streaming handler returns.
func (i *errorInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return toConnect(ctx, i.log, conn.Spec().Procedure, next(ctx, conn))
	}
}
