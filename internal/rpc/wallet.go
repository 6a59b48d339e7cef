package rpc

import (
	"context"
	"maps"
	"slices"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/store"
)

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
