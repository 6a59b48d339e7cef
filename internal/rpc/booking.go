package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/booking"
)

type bookingHandler struct{ svc *booking.Service }

// NewBookingHandler serves BookingService.
func NewBookingHandler(svc *booking.Service) marqueev1connect.BookingServiceHandler {
	return &bookingHandler{svc: svc}
}

func (h *bookingHandler) CreateBooking(ctx context.Context, req *connect.Request[marqueev1.CreateBookingRequest]) (*connect.Response[marqueev1.CreateBookingResponse], error) {
	b, err := h.svc.Create(ctx, createRequest(userID(ctx), req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.CreateBookingResponse{Booking: bookingToProto(b)}), nil
}

func (h *bookingHandler) GetBooking(ctx context.Context, req *connect.Request[marqueev1.GetBookingRequest]) (*connect.Response[marqueev1.GetBookingResponse], error) {
	b, err := h.svc.Get(ctx, userID(ctx), req.Msg.BookingId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetBookingResponse{Booking: bookingToProto(b)}), nil
}

func (h *bookingHandler) ListMyBookings(ctx context.Context, _ *connect.Request[marqueev1.ListMyBookingsRequest]) (*connect.Response[marqueev1.ListMyBookingsResponse], error) {
	bs, err := h.svc.List(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListMyBookingsResponse{Bookings: mapSlice(bs, bookingToProto)}), nil
}

func (h *bookingHandler) CancelBooking(ctx context.Context, req *connect.Request[marqueev1.CancelBookingRequest]) (*connect.Response[marqueev1.CancelBookingResponse], error) {
	c, err := h.svc.Cancel(ctx, cancelRequest(userID(ctx), req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(cancellationToProto(c)), nil
}

func (h *bookingHandler) AddSeats(ctx context.Context, req *connect.Request[marqueev1.AddSeatsRequest]) (*connect.Response[marqueev1.AddSeatsResponse], error) {
	b, charged, err := h.svc.AddSeats(ctx, addRequest(userID(ctx), req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.AddSeatsResponse{Booking: bookingToProto(b), Charged: money(b.Currency, charged)}), nil
}

func (h *bookingHandler) QuoteCancellation(ctx context.Context, req *connect.Request[marqueev1.QuoteCancellationRequest]) (*connect.Response[marqueev1.QuoteCancellationResponse], error) {
	q, err := h.svc.QuoteCancel(ctx, quoteCancelRequest(userID(ctx), req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(cancelQuoteToProto(q)), nil
}
