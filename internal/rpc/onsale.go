package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/onsale"
)

func (h *adminHandler) SetOnSale(ctx context.Context, req *connect.Request[marqueev1.SetOnSaleRequest]) (*connect.Response[marqueev1.SetOnSaleResponse], error) {
	o, err := h.onSales.SetOnSale(ctx, userID(ctx), onSaleFromProto(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SetOnSaleResponse{OnSale: onSaleToProto(o)}), nil
}

func (h *adminHandler) ListOnSales(ctx context.Context, req *connect.Request[marqueev1.ListOnSalesRequest]) (*connect.Response[marqueev1.ListOnSalesResponse], error) {
	os, err := h.onSales.ListOnSales(ctx, userID(ctx), req.Msg.Region, req.Msg.ChainId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListOnSalesResponse{OnSales: mapSlice(os, onSaleToProto)}), nil
}

func (h *adminHandler) EndOnSale(ctx context.Context, req *connect.Request[marqueev1.EndOnSaleRequest]) (*connect.Response[marqueev1.EndOnSaleResponse], error) {
	if err := h.onSales.EndOnSale(ctx, userID(ctx), req.Msg.OnSaleId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.EndOnSaleResponse{}), nil
}

func (h *seatHandler) GetWaitingRoom(ctx context.Context, req *connect.Request[marqueev1.GetWaitingRoomRequest]) (*connect.Response[marqueev1.GetWaitingRoomResponse], error) {
	r, err := h.rooms.Room(ctx, userID(ctx), req.Msg.ShowtimeId)
	if err != nil {
		return nil, err
	}
	out := &marqueev1.GetWaitingRoomResponse{Place: placeToProto(r)}
	if r.OnSale.ID != "" {
		out.OnSale = onSaleToProto(r.OnSale)
	}
	return connect.NewResponse(out), nil
}

func (h *seatHandler) WaitForAdmission(ctx context.Context, req *connect.Request[marqueev1.WaitForAdmissionRequest], stream *connect.ServerStream[marqueev1.WaitForAdmissionResponse]) error {
	return h.rooms.Wait(ctx, userID(ctx), req.Msg.ShowtimeId, func(r onsale.Room) error {
		return stream.Send(&marqueev1.WaitForAdmissionResponse{Place: placeToProto(r)})
	})
}

func (h *seatHandler) LeaveWaitingRoom(ctx context.Context, req *connect.Request[marqueev1.LeaveWaitingRoomRequest]) (*connect.Response[marqueev1.LeaveWaitingRoomResponse], error) {
	if err := h.rooms.Leave(ctx, userID(ctx), req.Msg.ShowtimeId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LeaveWaitingRoomResponse{}), nil
}
