package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/wallet"
)

type walletHandler struct{ svc *wallet.Service }

// NewWalletHandler serves WalletService.
func NewWalletHandler(svc *wallet.Service) marqueev1connect.WalletServiceHandler {
	return &walletHandler{svc: svc}
}

func (h *walletHandler) GetWallet(ctx context.Context, _ *connect.Request[marqueev1.GetWalletRequest]) (*connect.Response[marqueev1.GetWalletResponse], error) {
	bs, err := h.svc.StoreCredit(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetWalletResponse{StoreCredit: mapSlice(bs, balanceToProto)}), nil
}

func (h *walletHandler) CheckGiftCard(ctx context.Context, req *connect.Request[marqueev1.CheckGiftCardRequest]) (*connect.Response[marqueev1.CheckGiftCardResponse], error) {
	g, err := h.svc.GiftCard(ctx, req.Msg.Code)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.CheckGiftCardResponse{Balance: money(g.Currency, g.BalanceMinor)}), nil
}
