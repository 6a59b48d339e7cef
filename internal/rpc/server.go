package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/validate"

	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/admin"
	"github.com/marqueehq/marquee/internal/archive"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/onsale"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/standby"
	"github.com/marqueehq/marquee/internal/wallet"
)

// Services are the domain services the handlers call.
type Services struct {
	Accounts  *account.Service
	Catalog   *catalog.Service
	Inventory *inventory.Service
	Bookings  *booking.Service
	Admin     *admin.Service
	// CatalogAdmin manages movies, theatres, screens and showtimes.
	CatalogAdmin *admin.Catalog
	// Reindexer rebuilds the search index; Search answers SearchService as of Now (not mounted when nil).
	// Both are set by the process after Services is built, so NewMux makes the search.Service.
	Reindexer admin.Reindexer
	Search    *search.Index
	Standby   *standby.Service
	Wallet    *wallet.Service
	// OnSale runs on-sales (AdminService) and their waiting rooms (SeatService).
	OnSale *onsale.Service
	// Compliance is the compliance archive: ComplianceService, AdminService.SetAuditorRegions and
	// AccountService's ExportMyData and EraseMyData. When nil, ComplianceService is not mounted and those
	// methods answer unimplemented.
	Compliance *archive.Service
	// Webhooks, when set, serves POST /webhooks/stripe.
	Webhooks *payment.Webhooks
	Now      platform.Clock
	// Ping checks the database for /healthz and gRPC health.
	Ping func(context.Context) error
	// Reflection mounts gRPC server reflection (off by default: it lists the whole API to anyone).
	Reflection bool
	// Interceptors run outside every other interceptor (tracing, metrics).
	Interceptors []connect.Interceptor
	// RateLimits, when set, limits logins, registrations, holds, bookings, quotes and standby joins per
	// client IP and per user (see DefaultRateLimits).
	RateLimits *RateLimits
}

// public lists the procedures callable without signing in.
var public = map[string]bool{
	marqueev1connect.AccountServiceRegisterProcedure:      true,
	marqueev1connect.AccountServiceLoginProcedure:         true,
	marqueev1connect.AccountServiceRefreshTokenProcedure:  true,
	marqueev1connect.CatalogServiceListCitiesProcedure:    true,
	marqueev1connect.CatalogServiceListMoviesProcedure:    true,
	marqueev1connect.CatalogServiceListTheatresProcedure:  true,
	marqueev1connect.CatalogServiceListShowtimesProcedure: true,
	marqueev1connect.SeatServiceGetSeatMapProcedure:       true,
	marqueev1connect.SeatServiceWatchSeatMapProcedure:     true,
	marqueev1connect.SeatServiceBestAvailableProcedure:    true,
	marqueev1connect.SearchServiceSearchMoviesProcedure:   true,
	marqueev1connect.SearchServiceSearchTheatresProcedure: true,
	marqueev1connect.SearchServiceSuggestProcedure:        true,
}

// NewMux mounts every service with validation, authentication and error mapping, plus gRPC health, reflection
// (with Services.Reflection) and GET /healthz.
func NewMux(s Services, log *slog.Logger) *http.ServeMux {
	ics := []connect.Interceptor{deadlineInterceptor{}, &errorInterceptor{log: log}, &authInterceptor{auth: s.Accounts, public: public}}
	if s.RateLimits != nil {
		ics = append(ics, newRateInterceptor(*s.RateLimits, nil))
	}
	ics = append(ics, textInterceptor{}, validate.NewInterceptor())
	opts := connect.WithHandlerOptions(append(append(codecs(), compression()...), connect.WithInterceptors(s.Interceptors...),
		connect.WithInterceptors(ics...), connect.WithReadMaxBytes(MaxMessageBytes))...)
	mux := http.NewServeMux()
	mux.Handle(marqueev1connect.NewAccountServiceHandler(NewAccountHandler(s.Accounts, s.Compliance), opts))
	mux.Handle(marqueev1connect.NewCatalogServiceHandler(NewCatalogHandler(s.Catalog), opts))
	mux.Handle(marqueev1connect.NewSeatServiceHandler(NewSeatHandler(s.Inventory, s.OnSale), opts))
	mux.Handle(marqueev1connect.NewBookingServiceHandler(NewBookingHandler(s.Bookings), opts))
	mux.Handle(marqueev1connect.NewPricingServiceHandler(NewPricingHandler(s.Bookings), opts))
	mux.Handle(marqueev1connect.NewWalletServiceHandler(NewWalletHandler(s.Wallet), opts))
	mux.Handle(marqueev1connect.NewAdminServiceHandler(NewAdminHandler(s.Admin, s.CatalogAdmin, s.Reindexer, s.Compliance, s.OnSale), opts))
	mux.Handle(marqueev1connect.NewStandbyServiceHandler(NewStandbyHandler(s.Standby), opts))
	if s.Search != nil {
		svc := &search.Service{Index: s.Search, Now: s.Now, Prices: s.Inventory}
		mux.Handle(marqueev1connect.NewSearchServiceHandler(NewSearchHandler(svc), opts))
	}
	if s.Compliance != nil {
		mux.Handle(marqueev1connect.NewComplianceServiceHandler(NewComplianceHandler(s.Compliance), opts))
	}
	if s.Webhooks != nil {
		mux.Handle("POST /webhooks/stripe", NewStripeWebhook(s.Webhooks, log))
	}
	names := []string{marqueev1connect.AccountServiceName, marqueev1connect.CatalogServiceName,
		marqueev1connect.SeatServiceName, marqueev1connect.BookingServiceName, marqueev1connect.PricingServiceName,
		marqueev1connect.WalletServiceName, marqueev1connect.AdminServiceName, marqueev1connect.StandbyServiceName,
		marqueev1connect.SearchServiceName}
	if s.Compliance != nil {
		names = append(names, marqueev1connect.ComplianceServiceName)
	}
	mux.Handle(grpchealth.NewHandler(&healthChecker{ping: s.Ping}))
	if s.Reflection {
		reflector := grpcreflect.NewStaticReflector(names...)
		mux.Handle(grpcreflect.NewHandlerV1(reflector))
		mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			log.WarnContext(ctx, "health check failed", "err", err)
			http.Error(w, "database unreachable\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// healthChecker reports SERVING while the database answers.
type healthChecker struct{ ping func(context.Context) error }

func (c *healthChecker) Check(ctx context.Context, _ *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.ping(ctx); err != nil {
		return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
	}
	return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
}
