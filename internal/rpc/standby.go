package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/standby"
)

type standbyHandler struct{ svc *standby.Service }

// NewStandbyHandler serves StandbyService.
func NewStandbyHandler(svc *standby.Service) marqueev1connect.StandbyServiceHandler {
	return &standbyHandler{svc: svc}
}

func (h *standbyHandler) JoinStandby(ctx context.Context, req *connect.Request[marqueev1.JoinStandbyRequest]) (*connect.Response[marqueev1.JoinStandbyResponse], error) {
	e, err := h.svc.Join(ctx, standbyEntry(userID(ctx), req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.JoinStandbyResponse{Entry: entryToProto(e)}), nil
}

func (h *standbyHandler) LeaveStandby(ctx context.Context, req *connect.Request[marqueev1.LeaveStandbyRequest]) (*connect.Response[marqueev1.LeaveStandbyResponse], error) {
	if err := h.svc.Leave(ctx, userID(ctx), req.Msg.EntryId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LeaveStandbyResponse{}), nil
}

func (h *standbyHandler) GetStandby(ctx context.Context, req *connect.Request[marqueev1.GetStandbyRequest]) (*connect.Response[marqueev1.GetStandbyResponse], error) {
	e, err := h.svc.Get(ctx, userID(ctx), req.Msg.EntryId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetStandbyResponse{Entry: entryToProto(e)}), nil
}

func (h *standbyHandler) ListMyStandby(ctx context.Context, _ *connect.Request[marqueev1.ListMyStandbyRequest]) (*connect.Response[marqueev1.ListMyStandbyResponse], error) {
	es, err := h.svc.List(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListMyStandbyResponse{Entries: mapSlice(es, entryToProto)}), nil
}

func (h *standbyHandler) AcceptOffer(ctx context.Context, req *connect.Request[marqueev1.AcceptOfferRequest]) (*connect.Response[marqueev1.AcceptOfferResponse], error) {
	m := req.Msg
	b, err := h.svc.Accept(ctx, userID(ctx), m.OfferId, m.PaymentToken, m.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.AcceptOfferResponse{Booking: bookingToProto(b)}), nil
}

func (h *standbyHandler) DeclineOffer(ctx context.Context, req *connect.Request[marqueev1.DeclineOfferRequest]) (*connect.Response[marqueev1.DeclineOfferResponse], error) {
	if err := h.svc.Decline(ctx, userID(ctx), req.Msg.OfferId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.DeclineOfferResponse{}), nil
}

func (h *standbyHandler) WatchStandby(ctx context.Context, req *connect.Request[marqueev1.WatchStandbyRequest], stream *connect.ServerStream[marqueev1.WatchStandbyResponse]) error {
	return h.svc.Watch(ctx, userID(ctx), req.Msg.EntryId, func(e standby.Entry) error {
		return stream.Send(&marqueev1.WatchStandbyResponse{Entry: entryToProto(e)})
	})
}
