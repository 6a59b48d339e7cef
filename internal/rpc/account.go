package rpc

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/archive"
)

type accountHandler struct {
	svc      *account.Service
	personal *archive.Service
}

// NewAccountHandler serves AccountService: accounts through svc, the caller's own data (ExportMyData,
// EraseMyData) through personal, which answer unimplemented when it is nil.
func NewAccountHandler(svc *account.Service, personal *archive.Service) marqueev1connect.AccountServiceHandler {
	return &accountHandler{svc: svc, personal: personal}
}

func (h *accountHandler) Register(ctx context.Context, req *connect.Request[marqueev1.RegisterRequest]) (*connect.Response[marqueev1.RegisterResponse], error) {
	m := req.Msg
	u, tok, err := h.svc.Register(ctx, m.Email, m.Password, m.DisplayName, accountPoint(m.Near))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RegisterResponse{User: userToProto(u), Token: tok.Access,
		RefreshToken: tok.Refresh, TokenExpiresAt: timestamppb.New(tok.AccessExpires),
		RefreshTokenExpiresAt: timestamppb.New(tok.RefreshExpires)}), nil
}

func (h *accountHandler) Login(ctx context.Context, req *connect.Request[marqueev1.LoginRequest]) (*connect.Response[marqueev1.LoginResponse], error) {
	u, tok, err := h.svc.Login(ctx, req.Msg.Email, req.Msg.Password)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LoginResponse{User: userToProto(u), Token: tok.Access,
		RefreshToken: tok.Refresh, TokenExpiresAt: timestamppb.New(tok.AccessExpires),
		RefreshTokenExpiresAt: timestamppb.New(tok.RefreshExpires)}), nil
}

func (h *accountHandler) RefreshToken(ctx context.Context, req *connect.Request[marqueev1.RefreshTokenRequest]) (*connect.Response[marqueev1.RefreshTokenResponse], error) {
	u, tok, err := h.svc.Refresh(ctx, req.Msg.RefreshToken)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RefreshTokenResponse{User: userToProto(u), Token: tok.Access,
		RefreshToken: tok.Refresh, TokenExpiresAt: timestamppb.New(tok.AccessExpires),
		RefreshTokenExpiresAt: timestamppb.New(tok.RefreshExpires)}), nil
}

func (h *accountHandler) Logout(ctx context.Context, req *connect.Request[marqueev1.LogoutRequest]) (*connect.Response[marqueev1.LogoutResponse], error) {
	if err := h.svc.Logout(ctx, claims(ctx), req.Msg.Everywhere); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LogoutResponse{}), nil
}

func (h *accountHandler) ClaimAdmin(ctx context.Context, req *connect.Request[marqueev1.ClaimAdminRequest]) (*connect.Response[marqueev1.ClaimAdminResponse], error) {
	if err := h.svc.ClaimAdmin(ctx, userID(ctx), req.Msg.Code); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ClaimAdminResponse{}), nil
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

// self is the caller acting on their own data.
func self(ctx context.Context) archive.Actor { return archive.Actor{UserID: userID(ctx), Self: true} }

// selfErasure is the reason recorded in the audit log for an erasure the person asked for themself.
const selfErasure = "requested by the person (AccountService.EraseMyData)"

func (h *accountHandler) ExportMyData(ctx context.Context, _ *connect.Request[marqueev1.ExportMyDataRequest], stream *connect.ServerStream[marqueev1.ExportMyDataResponse]) error {
	if h.personal == nil {
		return noArchive
	}
	return h.personal.Export(ctx, self(ctx), userID(ctx), func(b []byte) error {
		return stream.Send(&marqueev1.ExportMyDataResponse{Chunk: b})
	})
}

func (h *accountHandler) EraseMyData(ctx context.Context, req *connect.Request[marqueev1.EraseMyDataRequest]) (*connect.Response[marqueev1.EraseMyDataResponse], error) {
	if h.personal == nil {
		return nil, noArchive
	}
	if err := h.svc.CheckPassword(ctx, userID(ctx), req.Msg.Password); err != nil {
		return nil, err
	}
	if err := h.personal.Erase(ctx, self(ctx), userID(ctx), selfErasure); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.EraseMyDataResponse{}), nil
}
