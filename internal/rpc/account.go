package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
)

type accountHandler struct {
	svc      *account.Service
	settings account.SettingsStore
}

// NewAccountHandler serves AccountService.
func NewAccountHandler(svc *account.Service, settings account.SettingsStore) marqueev1connect.AccountServiceHandler {
	return &accountHandler{svc: svc, settings: settings}
}

func (h *accountHandler) Register(ctx context.Context, req *connect.Request[marqueev1.RegisterRequest]) (*connect.Response[marqueev1.RegisterResponse], error) {
	u, tok, err := h.svc.Register(ctx, req.Msg.Email, req.Msg.Password, req.Msg.DisplayName)
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
	st, err := h.settings.NotificationSettings(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}

func (h *accountHandler) UpdateNotificationSettings(ctx context.Context, req *connect.Request[marqueev1.UpdateNotificationSettingsRequest]) (*connect.Response[marqueev1.UpdateNotificationSettingsResponse], error) {
	p := req.Msg.Settings
	st := account.Settings{Phone: p.Phone, PushToken: p.PushToken, Channels: map[string][]string{}}
	for _, pref := range p.Preferences {
		cs := []string{}
		for _, c := range pref.Channels {
			cs = append(cs, channelNames[c])
		}
		st.Channels[pref.Kind] = cs
	}
	st, err := account.UpdateSettings(ctx, h.settings, userID(ctx), st)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpdateNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}
