package rpc

import (
	"context"
	"maps"
	"slices"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/pricing"
	"github.com/marqueehq/marquee/internal/store"
)

type pricingHandler struct{ svc *booking.Service }

// NewPricingHandler serves PricingService.
func NewPricingHandler(svc *booking.Service) marqueev1connect.PricingServiceHandler {
	return &pricingHandler{svc: svc}
}

func (h *pricingHandler) Quote(ctx context.Context, req *connect.Request[marqueev1.QuoteRequest]) (*connect.Response[marqueev1.QuoteResponse], error) {
	q, err := h.svc.Quote(ctx, userID(ctx), req.Msg.HoldId, req.Msg.PromoCode)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.QuoteResponse{Quote: quoteToProto(req.Msg.HoldId, q)}), nil
}

func quoteToProto(holdID string, q pricing.Quote) *marqueev1.Quote {
	cur := q.Currency
	p := &marqueev1.Quote{HoldId: holdID, Subtotal: money(cur, q.SubtotalMinor), Total: money(cur, q.TotalMinor)}
	for _, l := range q.Lines {
		li := &marqueev1.LineItem{SeatId: l.SeatID, SeatType: seatTypes[catalog.SeatType(l.SeatType)],
			Base: money(cur, l.BaseMinor), Amount: money(cur, l.AmountMinor)}
		for _, a := range l.Adjustments {
			li.Adjustments = append(li.Adjustments, &marqueev1.PriceAdjustment{RuleId: a.RuleID,
				Description: a.Description, Amount: money(cur, a.AmountMinor)})
		}
		p.LineItems = append(p.LineItems, li)
	}
	if q.PromoCode != "" {
		p.Discounts = []*marqueev1.Discount{{Code: q.PromoCode, Description: q.PromoDescription, Amount: money(cur, q.DiscountMinor)}}
	}
	for _, f := range q.Fees {
		p.Fees = append(p.Fees, &marqueev1.Fee{Description: f.Description, Amount: money(cur, f.AmountMinor)})
	}
	return p
}

type walletHandler struct{ wallet *store.WalletStore }

// NewWalletHandler serves WalletService.
func NewWalletHandler(w *store.WalletStore) marqueev1connect.WalletServiceHandler {
	return &walletHandler{wallet: w}
}

func (h *walletHandler) GetWallet(ctx context.Context, _ *connect.Request[marqueev1.GetWalletRequest]) (*connect.Response[marqueev1.GetWalletResponse], error) {
	bal, err := h.wallet.StoreCredit(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	res := &marqueev1.GetWalletResponse{}
	for _, cur := range slices.Sorted(maps.Keys(bal)) {
		res.StoreCredit = append(res.StoreCredit, money(cur, bal[cur]))
	}
	return connect.NewResponse(res), nil
}

func (h *walletHandler) CheckGiftCard(ctx context.Context, req *connect.Request[marqueev1.CheckGiftCardRequest]) (*connect.Response[marqueev1.CheckGiftCardResponse], error) {
	g, err := h.wallet.GiftCard(ctx, req.Msg.Code)
	if err != nil {
		return nil, errs.E("rpc.CheckGiftCard", err)
	}
	return connect.NewResponse(&marqueev1.CheckGiftCardResponse{Balance: money(g.Currency, g.BalanceMinor)}), nil
}
