package app

import (
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/standby"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/wallet"
)

// Services wires the domain services on db; app and tests share it.
func Services(db *store.DB, provider payment.Provider, now platform.Clock, secret []byte, c Config) rpc.Services {
	ids := db.IDs
	policies := catalog.Policies{Default: catalog.DefaultChainPolicy("", c.RefundFullBefore)}
	inv := &inventory.Service{Store: db.Inventory(), Now: now, IDs: ids, HoldTTL: c.HoldTTL, Policies: policies}
	bookings := &booking.Service{Store: db.Bookings(), Provider: provider, Now: now, IDs: ids,
		Policies: policies, Seats: inv}
	accounts := &account.Service{Store: db.Accounts(), Settings: db.Accounts(), Sessions: db.Accounts(),
		Admins: db.Accounts(), Now: now, IDs: ids, BcryptCost: c.BcryptCost, Secret: secret,
		AccessTTL: c.AccessTokenTTL, Region: c.ServingRegion()}
	hooks := c.Webhooks(db, now)
	if hooks != nil {
		hooks.Settler = bookings // a payment event settles its checkout attempt at once
	}
	adm := &admin.Service{Store: db.Admin(), IDs: ids, Now: now, Policies: policies, Invitations: accounts}
	rooms := &onsale.Service{Store: db.OnSales(), Operators: adm, Now: now, IDs: ids, Secret: secret}
	inv.Gate = rooms // holds of a showtime on sale need its waiting room's pass
	return rpc.Services{
		Accounts:  accounts,
		Catalog:   &catalog.Service{Store: db.Catalog(), Now: now, Prices: inv},
		Inventory: inv,
		Bookings:  bookings,
		Standby: &standby.Service{Store: db.Standby(), Seats: inv, Bookings: bookings, Now: now, IDs: ids,
			Window: c.OfferWindow()},
		Admin:        adm,
		CatalogAdmin: &admin.Catalog{Service: adm, Store: db.Catalog(), Bookings: bookings},
		Wallet:       &wallet.Service{Store: db.Wallet()},
		OnSale:       rooms,
		Webhooks:     hooks,
		Now:          now,
		Ping:         db.Ping,
		Reflection:   c.GRPCReflection,
		RateLimits:   &c.RateLimits,
	}
}
