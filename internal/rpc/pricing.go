package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/booking"
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
