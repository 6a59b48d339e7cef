package rpc

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/onsale"
)

type adminHandler struct {
	catalogAdminHandler
	svc        *admin.Service
	index      admin.Reindexer
	compliance *archive.Service
	onSales    *onsale.Service
}

// catalogAdminHandler serves the catalog management methods of AdminService through admin.Catalog.
type catalogAdminHandler struct{ svc *admin.Catalog }

// NewAdminHandler serves AdminService: catalog management through cat, auditors' regions through compliance
// (SetAuditorRegions answers unimplemented when it is nil), the rest through svc. index is this process's
// search index, which ReindexSearch rebuilds (nil when it serves no search). On-sales go through onSales.
func NewAdminHandler(svc *admin.Service, cat *admin.Catalog, index admin.Reindexer, compliance *archive.Service,
	onSales *onsale.Service) marqueev1connect.AdminServiceHandler {
	return &adminHandler{catalogAdminHandler: catalogAdminHandler{svc: cat}, svc: svc, index: index,
		compliance: compliance, onSales: onSales}
}

func (h *adminHandler) ReindexSearch(ctx context.Context, _ *connect.Request[marqueev1.ReindexSearchRequest], stream *connect.ServerStream[marqueev1.ReindexSearchResponse]) error {
	var sendErr error
	progress := func(done, total int) {
		if sendErr == nil {
			sendErr = stream.Send(&marqueev1.ReindexSearchResponse{Done: int32(done), Total: int32(total)})
		}
	}
	if err := h.svc.ReindexSearch(ctx, userID(ctx), h.index, progress); err != nil {
		return err
	}
	if sendErr != nil {
		return sendErr
	}
	return stream.Send(&marqueev1.ReindexSearchResponse{Finished: true})
}

func (h *adminHandler) SetUserRole(ctx context.Context, req *connect.Request[marqueev1.SetUserRoleRequest]) (*connect.Response[marqueev1.SetUserRoleResponse], error) {
	m := req.Msg
	if err := h.svc.SetUserRole(ctx, userID(ctx), m.UserId, roles[m.Role], m.ChainId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SetUserRoleResponse{}), nil
}

func (h *adminHandler) InviteAdmin(ctx context.Context, req *connect.Request[marqueev1.InviteAdminRequest]) (*connect.Response[marqueev1.InviteAdminResponse], error) {
	code, exp, err := h.svc.InviteAdmin(ctx, userID(ctx), req.Msg.Email)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.InviteAdminResponse{Code: code, ExpiresAt: timestamppb.New(exp)}), nil
}

func (h *adminHandler) SetAuditorRegions(ctx context.Context, req *connect.Request[marqueev1.SetAuditorRegionsRequest]) (*connect.Response[marqueev1.SetAuditorRegionsResponse], error) {
	if h.compliance == nil {
		return nil, noArchive
	}
	if err := h.compliance.SetAuditorRegions(ctx, staff(ctx), req.Msg.UserId, req.Msg.Regions); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SetAuditorRegionsResponse{}), nil
}

func (h *adminHandler) UpsertPricingRule(ctx context.Context, req *connect.Request[marqueev1.UpsertPricingRuleRequest]) (*connect.Response[marqueev1.UpsertPricingRuleResponse], error) {
	r, err := h.svc.UpsertPricingRule(ctx, userID(ctx), ruleFromProto(req.Msg.Rule))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertPricingRuleResponse{Rule: ruleToProto(r)}), nil
}

func (h *adminHandler) ListPricingRules(ctx context.Context, req *connect.Request[marqueev1.ListPricingRulesRequest]) (*connect.Response[marqueev1.ListPricingRulesResponse], error) {
	rs, err := h.svc.ListPricingRules(ctx, userID(ctx), req.Msg.ChainId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListPricingRulesResponse{Rules: mapSlice(rs, ruleToProto)}), nil
}

func (h *adminHandler) DeletePricingRule(ctx context.Context, req *connect.Request[marqueev1.DeletePricingRuleRequest]) (*connect.Response[marqueev1.DeletePricingRuleResponse], error) {
	if err := h.svc.DeletePricingRule(ctx, userID(ctx), req.Msg.ChainId, req.Msg.RuleId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.DeletePricingRuleResponse{}), nil
}

func (h *adminHandler) UpsertPromotion(ctx context.Context, req *connect.Request[marqueev1.UpsertPromotionRequest]) (*connect.Response[marqueev1.UpsertPromotionResponse], error) {
	p, err := h.svc.UpsertPromotion(ctx, userID(ctx), promotionFromProto(req.Msg.Promotion))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertPromotionResponse{Promotion: promotionToProto(p)}), nil
}

func (h *adminHandler) ListPromotions(ctx context.Context, req *connect.Request[marqueev1.ListPromotionsRequest]) (*connect.Response[marqueev1.ListPromotionsResponse], error) {
	ps, err := h.svc.ListPromotions(ctx, userID(ctx), req.Msg.ChainId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListPromotionsResponse{Promotions: mapSlice(ps, promotionToProto)}), nil
}

func (h *adminHandler) SetChainPolicy(ctx context.Context, req *connect.Request[marqueev1.SetChainPolicyRequest]) (*connect.Response[marqueev1.SetChainPolicyResponse], error) {
	p, err := h.svc.SetChainPolicy(ctx, userID(ctx), policyFromProto(req.Msg.Policy))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SetChainPolicyResponse{Policy: policyToProto(p)}), nil
}

func (h *adminHandler) GetChainPolicy(ctx context.Context, req *connect.Request[marqueev1.GetChainPolicyRequest]) (*connect.Response[marqueev1.GetChainPolicyResponse], error) {
	p, err := h.svc.GetChainPolicy(ctx, userID(ctx), req.Msg.ChainId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetChainPolicyResponse{Policy: policyToProto(p)}), nil
}

func (h *adminHandler) IssueGiftCard(ctx context.Context, req *connect.Request[marqueev1.IssueGiftCardRequest]) (*connect.Response[marqueev1.IssueGiftCardResponse], error) {
	m := req.Msg
	g, err := h.svc.IssueGiftCard(ctx, userID(ctx), m.ChainId, m.Amount.CurrencyCode, m.Amount.AmountMinor)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.IssueGiftCardResponse{Code: g.Code, Balance: money(g.Currency, g.BalanceMinor)}), nil
}

func (h *adminHandler) ListDeadDeliveries(ctx context.Context, req *connect.Request[marqueev1.ListDeadDeliveriesRequest]) (*connect.Response[marqueev1.ListDeadDeliveriesResponse], error) {
	ds, err := h.svc.DeadDeliveries(ctx, userID(ctx), int(req.Msg.Limit))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListDeadDeliveriesResponse{Deliveries: mapSlice(ds, deadDeliveryToProto)}), nil
}

func (h *adminHandler) RetryDelivery(ctx context.Context, req *connect.Request[marqueev1.RetryDeliveryRequest]) (*connect.Response[marqueev1.RetryDeliveryResponse], error) {
	if err := h.svc.RetryDelivery(ctx, userID(ctx), req.Msg.DeliveryId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RetryDeliveryResponse{}), nil
}

func (h *catalogAdminHandler) UpsertMovie(ctx context.Context, req *connect.Request[marqueev1.UpsertMovieRequest]) (*connect.Response[marqueev1.UpsertMovieResponse], error) {
	m, err := h.svc.UpsertMovie(ctx, userID(ctx), movieFromProto(req.Msg.Movie))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertMovieResponse{Movie: movieToProto(m)}), nil
}

func (h *catalogAdminHandler) UpsertTheatre(ctx context.Context, req *connect.Request[marqueev1.UpsertTheatreRequest]) (*connect.Response[marqueev1.UpsertTheatreResponse], error) {
	t, err := h.svc.UpsertTheatre(ctx, userID(ctx), theatreFromProto(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertTheatreResponse{Theatre: theatreToProto(t)}), nil
}

func (h *catalogAdminHandler) UpsertScreen(ctx context.Context, req *connect.Request[marqueev1.UpsertScreenRequest]) (*connect.Response[marqueev1.UpsertScreenResponse], error) {
	m := req.Msg
	seats := seatsFromProto(m.Rows)
	id, err := h.svc.UpsertScreen(ctx, userID(ctx), m.TheatreId, m.ScreenId, m.Name, seats)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertScreenResponse{ScreenId: id, Seats: int32(len(seats))}), nil
}

func (h *catalogAdminHandler) ScheduleShowtime(ctx context.Context, req *connect.Request[marqueev1.ScheduleShowtimeRequest]) (*connect.Response[marqueev1.ScheduleShowtimeResponse], error) {
	st, err := h.svc.ScheduleShowtime(ctx, userID(ctx), scheduledShowtime(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ScheduleShowtimeResponse{Showtime: showtimeToProto(catalog.ShowtimeListing{Showtime: st})}), nil
}

func (h *catalogAdminHandler) CancelShowtime(ctx context.Context, req *connect.Request[marqueev1.CancelShowtimeRequest]) (*connect.Response[marqueev1.CancelShowtimeResponse], error) {
	n, err := h.svc.CancelShowtime(ctx, userID(ctx), req.Msg.ShowtimeId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.CancelShowtimeResponse{CancelledBookings: int32(n)}), nil
}
