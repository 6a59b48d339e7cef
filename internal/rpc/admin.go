package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/catalog"
)

type adminHandler struct {
	svc     *admin.Service
	catalog *admin.Catalog
	reindex Reindexer
}

// Reindexer rebuilds the search index, reporting progress.
type Reindexer interface {
	Reindex(ctx context.Context, progress func(done, total int)) error
}

// NewAdminHandler serves AdminService.
func NewAdminHandler(svc *admin.Service, cat *admin.Catalog, reindex Reindexer) marqueev1connect.AdminServiceHandler {
	return &adminHandler{svc: svc, catalog: cat, reindex: reindex}
}

func (h *adminHandler) ReindexSearch(ctx context.Context, _ *connect.Request[marqueev1.ReindexSearchRequest], stream *connect.ServerStream[marqueev1.ReindexSearchResponse]) error {
	if err := h.svc.RequireAdmin(ctx, userID(ctx)); err != nil {
		return err
	}
	if h.reindex == nil {
		return connect.NewError(connect.CodeUnavailable, errors.New("search is not running in this process"))
	}
	var sendErr error
	err := h.reindex.Reindex(ctx, func(done, total int) {
		if sendErr == nil {
			sendErr = stream.Send(&marqueev1.ReindexSearchResponse{Done: int32(done), Total: int32(total)})
		}
	})
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return err
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
	res := &marqueev1.ListDeadDeliveriesResponse{}
	for _, d := range ds {
		res.Deliveries = append(res.Deliveries, &marqueev1.DeadDelivery{Id: d.ID, Channel: d.Channel, Recipient: d.Recipient,
			Kind: d.Kind, Attempts: int32(d.Attempts), LastError: d.LastError})
	}
	return connect.NewResponse(res), nil
}

func (h *adminHandler) RetryDelivery(ctx context.Context, req *connect.Request[marqueev1.RetryDeliveryRequest]) (*connect.Response[marqueev1.RetryDeliveryResponse], error) {
	if err := h.svc.RetryDelivery(ctx, userID(ctx), req.Msg.DeliveryId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RetryDeliveryResponse{}), nil
}

func (h *adminHandler) UpsertMovie(ctx context.Context, req *connect.Request[marqueev1.UpsertMovieRequest]) (*connect.Response[marqueev1.UpsertMovieResponse], error) {
	p := req.Msg.Movie
	m, err := h.catalog.UpsertMovie(ctx, userID(ctx), catalog.Movie{ID: p.Id, Title: p.Title,
		RuntimeMinutes: int(p.RuntimeMinutes), Genres: p.Genres, Rating: p.Rating, Language: p.Language,
		Synopsis: p.Synopsis, Cast: p.Cast})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertMovieResponse{Movie: movieToProto(m)}), nil
}

func (h *adminHandler) UpsertTheatre(ctx context.Context, req *connect.Request[marqueev1.UpsertTheatreRequest]) (*connect.Response[marqueev1.UpsertTheatreResponse], error) {
	p := req.Msg.Theatre
	t, err := h.catalog.UpsertTheatre(ctx, userID(ctx), catalog.Theatre{ID: p.Id, ChainID: p.Chain, CityID: p.City,
		Name: p.Name, Address: p.Address, Latitude: p.Latitude, Longitude: p.Longitude, Amenities: p.Amenities,
		TimeZone: req.Msg.TimeZone, Currency: req.Msg.Currency})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertTheatreResponse{Theatre: theatreToProto(t)}), nil
}

func (h *adminHandler) UpsertScreen(ctx context.Context, req *connect.Request[marqueev1.UpsertScreenRequest]) (*connect.Response[marqueev1.UpsertScreenResponse], error) {
	m := req.Msg
	var seats []catalog.Seat
	for y, row := range m.Rows {
		for _, s := range row.Seats {
			seats = append(seats, catalog.Seat{ID: catalog.SeatID(row.Label, int(s.Number)), Row: row.Label,
				Number: int(s.Number), Type: seatTypeOf(s.Type), X: int(s.X), Y: y})
		}
	}
	id, err := h.catalog.UpsertScreen(ctx, userID(ctx), m.TheatreId, m.ScreenId, m.Name, seats)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpsertScreenResponse{ScreenId: id, Seats: int32(len(seats))}), nil
}

func (h *adminHandler) ScheduleShowtime(ctx context.Context, req *connect.Request[marqueev1.ScheduleShowtimeRequest]) (*connect.Response[marqueev1.ScheduleShowtimeResponse], error) {
	m := req.Msg
	st, err := h.catalog.ScheduleShowtime(ctx, userID(ctx), catalog.Showtime{ScreenID: m.ScreenId, MovieID: m.MovieId,
		StartsAt: m.StartsAt.AsTime(), Format: m.Format, Language: m.Language, Currency: m.BasePrice.CurrencyCode,
		BasePriceMinor: m.BasePrice.AmountMinor, PremiumPriceMinor: m.PremiumPrice.AmountMinor})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ScheduleShowtimeResponse{Showtime: showtimeToProto(catalog.ShowtimeListing{Showtime: st})}), nil
}

func (h *adminHandler) CancelShowtime(ctx context.Context, req *connect.Request[marqueev1.CancelShowtimeRequest]) (*connect.Response[marqueev1.CancelShowtimeResponse], error) {
	n, err := h.catalog.CancelShowtime(ctx, userID(ctx), req.Msg.ShowtimeId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.CancelShowtimeResponse{CancelledBookings: int32(n)}), nil
}
