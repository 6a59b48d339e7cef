package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
)

type accountHandler struct{ svc *account.Service }

// NewAccountHandler serves AccountService.
func NewAccountHandler(svc *account.Service) marqueev1connect.AccountServiceHandler {
	return &accountHandler{svc: svc}
}

func (h *accountHandler) Register(ctx context.Context, req *connect.Request[marqueev1.RegisterRequest]) (*connect.Response[marqueev1.RegisterResponse], error) {
	m := req.Msg
	u, tok, err := h.svc.Register(ctx, m.Email, m.Password, m.DisplayName, accountPoint(m.Near))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RegisterResponse{User: userToProto(u), Token: tok}), nil
}

func (h *accountHandler) Login(ctx context.Context, req *connect.Request[marqueev1.LoginRequest]) (*connect.Response[marqueev1.LoginResponse], error) {
	u, tok, err := h.svc.Login(ctx, req.Msg.Email, req.Msg.Password)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LoginResponse{User: userToProto(u), Token: tok}), nil
}

func (h *accountHandler) GetNotificationSettings(ctx context.Context, _ *connect.Request[marqueev1.GetNotificationSettingsRequest]) (*connect.Response[marqueev1.GetNotificationSettingsResponse], error) {
	st, err := h.svc.NotificationSettings(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}

func (h *accountHandler) UpdateNotificationSettings(ctx context.Context, req *connect.Request[marqueev1.UpdateNotificationSettingsRequest]) (*connect.Response[marqueev1.UpdateNotificationSettingsResponse], error) {
	st, err := h.svc.UpdateNotificationSettings(ctx, userID(ctx), settingsFromProto(req.Msg.Settings))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpdateNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}
