package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
)

type seatHandler struct {
	svc   *inventory.Service
	rooms *onsale.Service
}

// NewSeatHandler serves SeatService: seats and holds through svc, waiting rooms through rooms.
func NewSeatHandler(svc *inventory.Service, rooms *onsale.Service) marqueev1connect.SeatServiceHandler {
	return &seatHandler{svc: svc, rooms: rooms}
}

func (h *seatHandler) GetSeatMap(ctx context.Context, req *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	m, err := h.svc.SeatMap(ctx, req.Msg.ShowtimeId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(seatMapToProto(m)), nil
}

func (h *seatHandler) HoldSeats(ctx context.Context, req *connect.Request[marqueev1.HoldSeatsRequest]) (*connect.Response[marqueev1.HoldSeatsResponse], error) {
	hold, err := h.svc.HoldWithPass(ctx, userID(ctx), req.Msg.ShowtimeId, req.Msg.SeatIds, req.Msg.AdmissionPass)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldSeatsResponse{Hold: holdToProto(hold)}), nil
}

func (h *seatHandler) ReleaseHold(ctx context.Context, req *connect.Request[marqueev1.ReleaseHoldRequest]) (*connect.Response[marqueev1.ReleaseHoldResponse], error) {
	if err := h.svc.Release(ctx, userID(ctx), req.Msg.HoldId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ReleaseHoldResponse{}), nil
}

func (h *seatHandler) BestAvailable(ctx context.Context, req *connect.Request[marqueev1.BestAvailableRequest]) (*connect.Response[marqueev1.BestAvailableResponse], error) {
	m := req.Msg
	ids, err := h.svc.Best(ctx, m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.BestAvailableResponse{SeatIds: ids}), nil
}

func (h *seatHandler) HoldBestAvailable(ctx context.Context, req *connect.Request[marqueev1.HoldBestAvailableRequest]) (*connect.Response[marqueev1.HoldBestAvailableResponse], error) {
	m := req.Msg
	hold, err := h.svc.HoldBestWithPass(ctx, userID(ctx), m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible),
		m.AdmissionPass)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldBestAvailableResponse{Hold: holdToProto(hold)}), nil
}

func (h *seatHandler) WatchSeatMap(ctx context.Context, req *connect.Request[marqueev1.WatchSeatMapRequest], stream *connect.ServerStream[marqueev1.WatchSeatMapResponse]) error {
	return h.svc.WatchSeatMap(ctx, req.Msg.ShowtimeId, func(m inventory.SeatMap, version uint64) error {
		return stream.Send(watchedSeatMapToProto(m, version))
	})
}
