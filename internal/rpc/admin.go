package rpc

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/pricing"
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

var roles = map[marqueev1.Role]admin.Role{
	marqueev1.Role_ROLE_CUSTOMER:       admin.Customer,
	marqueev1.Role_ROLE_OPERATOR:       admin.Operator,
	marqueev1.Role_ROLE_PLATFORM_ADMIN: admin.Admin,
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

var ruleKinds = map[marqueev1.PricingRuleKind]pricing.RuleKind{
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_TIME_OF_DAY: pricing.RuleTimeOfDay,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_DAY_OF_WEEK: pricing.RuleDayOfWeek,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_FORMAT:      pricing.RuleFormat,
	marqueev1.PricingRuleKind_PRICING_RULE_KIND_DEMAND:      pricing.RuleDemand,
}

func ruleFromProto(p *marqueev1.PricingRule) pricing.Rule {
	r := pricing.Rule{ID: p.Id, ChainID: p.ChainId, Name: p.Name, Kind: ruleKinds[p.Kind], StartMinute: int(p.StartMinute),
		EndMinute: int(p.EndMinute), Formats: p.Formats, OccupancyPercent: int(p.OccupancyPercent),
		Percent: int(p.Percent), AmountMinor: p.AmountMinor, CapMinor: p.CapMinor, Priority: int(p.Priority)}
	for _, d := range p.DaysOfWeek {
		r.Days = append(r.Days, time.Weekday(d))
	}
	return r
}

func ruleToProto(r pricing.Rule) *marqueev1.PricingRule {
	p := &marqueev1.PricingRule{Id: r.ID, ChainId: r.ChainID, Name: r.Name, StartMinute: int32(r.StartMinute),
		EndMinute: int32(r.EndMinute), Formats: r.Formats, OccupancyPercent: int32(r.OccupancyPercent),
		Percent: int32(r.Percent), AmountMinor: r.AmountMinor, CapMinor: r.CapMinor, Priority: int32(r.Priority)}
	for k, v := range ruleKinds {
		if v == r.Kind {
			p.Kind = k
		}
	}
	for _, d := range r.Days {
		p.DaysOfWeek = append(p.DaysOfWeek, int32(d))
	}
	return p
}

func promotionFromProto(p *marqueev1.Promotion) pricing.Promotion {
	out := pricing.Promotion{ID: p.Id, ChainID: p.ChainId, Code: p.Code, Description: p.Description,
		Percent: int(p.Percent), ValidFrom: p.ValidFrom.AsTime(), ValidUntil: p.ValidUntil.AsTime(),
		MinSeats: int(p.MinSeats), PerUserLimit: int(p.PerUserLimit), TotalLimit: int(p.TotalLimit),
		TheatreIDs: p.TheatreIds, MovieIDs: p.MovieIds}
	switch p.Kind {
	case marqueev1.PromotionKind_PROMOTION_KIND_PERCENT:
		out.Kind = pricing.PromotionPercent
	case marqueev1.PromotionKind_PROMOTION_KIND_FIXED:
		out.Kind = pricing.PromotionFixed
	}
	if p.Amount != nil {
		out.AmountMinor, out.Currency = p.Amount.AmountMinor, p.Amount.CurrencyCode
	}
	return out
}

func promotionToProto(p pricing.Promotion) *marqueev1.Promotion {
	out := &marqueev1.Promotion{Id: p.ID, ChainId: p.ChainID, Code: p.Code, Description: p.Description,
		Percent: int32(p.Percent), ValidFrom: timestamppb.New(p.ValidFrom), ValidUntil: timestamppb.New(p.ValidUntil),
		MinSeats: int32(p.MinSeats), PerUserLimit: int32(p.PerUserLimit), TotalLimit: int32(p.TotalLimit),
		TheatreIds: p.TheatreIDs, MovieIds: p.MovieIDs, Redemptions: int32(p.Redemptions),
		Kind: marqueev1.PromotionKind_PROMOTION_KIND_PERCENT}
	if p.Kind == pricing.PromotionFixed {
		out.Kind, out.Amount = marqueev1.PromotionKind_PROMOTION_KIND_FIXED, money(p.Currency, p.AmountMinor)
	}
	return out
}

func policyFromProto(p *marqueev1.ChainPolicy) catalog.ChainPolicy {
	out := catalog.ChainPolicy{ChainID: p.ChainId, RefundFees: p.RefundFees,
		StoreCreditBonusPercent: int(p.StoreCreditBonusPercent), OrphanSeatRule: p.OrphanSeatRule,
		FeePerSeatMinor: p.FeePerSeatMinor}
	for _, t := range p.RefundTiers {
		out.RefundTiers = append(out.RefundTiers, catalog.RefundTier{Before: time.Duration(t.MinutesBefore) * time.Minute,
			Percent: int(t.Percent)})
	}
	return out
}

func policyToProto(p catalog.ChainPolicy) *marqueev1.ChainPolicy {
	out := &marqueev1.ChainPolicy{ChainId: p.ChainID, RefundFees: p.RefundFees,
		StoreCreditBonusPercent: int32(p.StoreCreditBonusPercent), OrphanSeatRule: p.OrphanSeatRule,
		FeePerSeatMinor: p.FeePerSeatMinor}
	for _, t := range p.RefundTiers {
		out.RefundTiers = append(out.RefundTiers, &marqueev1.RefundTier{MinutesBefore: int32(t.Before / time.Minute),
			Percent: int32(t.Percent)})
	}
	return out
}
