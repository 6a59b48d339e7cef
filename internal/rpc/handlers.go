package rpc

import (
	"context"
	"maps"
	"slices"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/booking"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/platform"
)

type accountHandler struct {
	svc      *account.Service
	settings account.SettingsStore
}

// NewAccountHandler serves AccountService.
func NewAccountHandler(svc *account.Service, settings account.SettingsStore) marqueev1connect.AccountServiceHandler {
	return &accountHandler{svc: svc, settings: settings}
}

func (h *accountHandler) Register(ctx context.Context, req *connect.Request[marqueev1.RegisterRequest]) (*connect.Response[marqueev1.RegisterResponse], error) {
	u, tok, err := h.svc.Register(ctx, req.Msg.Email, req.Msg.Password, req.Msg.DisplayName)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.RegisterResponse{User: userToProto(u), Token: tok}), nil
}

func (h *accountHandler) Login(ctx context.Context, req *connect.Request[marqueev1.LoginRequest]) (*connect.Response[marqueev1.LoginResponse], error) {
	u, tok, err := h.svc.Login(ctx, req.Msg.Email, req.Msg.Password)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.LoginResponse{User: userToProto(u), Token: tok}), nil
}

var channelNames = map[marqueev1.NotificationChannel]string{
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_EMAIL: account.Email,
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_SMS:   account.SMS,
	marqueev1.NotificationChannel_NOTIFICATION_CHANNEL_PUSH:  account.Push,
}

func (h *accountHandler) GetNotificationSettings(ctx context.Context, _ *connect.Request[marqueev1.GetNotificationSettingsRequest]) (*connect.Response[marqueev1.GetNotificationSettingsResponse], error) {
	st, err := h.settings.NotificationSettings(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}

func (h *accountHandler) UpdateNotificationSettings(ctx context.Context, req *connect.Request[marqueev1.UpdateNotificationSettingsRequest]) (*connect.Response[marqueev1.UpdateNotificationSettingsResponse], error) {
	p := req.Msg.Settings
	st := account.Settings{Phone: p.Phone, PushToken: p.PushToken, Channels: map[string][]string{}}
	for _, pref := range p.Preferences {
		cs := []string{}
		for _, c := range pref.Channels {
			cs = append(cs, channelNames[c])
		}
		st.Channels[pref.Kind] = cs
	}
	st, err := account.UpdateSettings(ctx, h.settings, userID(ctx), st)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.UpdateNotificationSettingsResponse{Settings: settingsToProto(st)}), nil
}

func settingsToProto(st account.Settings) *marqueev1.NotificationSettings {
	p := &marqueev1.NotificationSettings{Phone: st.Phone, PushToken: st.PushToken}
	for _, kind := range slices.Sorted(maps.Keys(st.Channels)) {
		pref := &marqueev1.NotificationPreference{Kind: kind}
		for _, c := range st.Channels[kind] {
			for pc, name := range channelNames {
				if name == c {
					pref.Channels = append(pref.Channels, pc)
				}
			}
		}
		p.Preferences = append(p.Preferences, pref)
	}
	return p
}

type catalogHandler struct {
	store catalog.Store
	now   platform.Clock
}

// NewCatalogHandler serves CatalogService.
func NewCatalogHandler(store catalog.Store, now platform.Clock) marqueev1connect.CatalogServiceHandler {
	return &catalogHandler{store: store, now: now}
}

func (h *catalogHandler) ListCities(ctx context.Context, _ *connect.Request[marqueev1.ListCitiesRequest]) (*connect.Response[marqueev1.ListCitiesResponse], error) {
	cs, err := h.store.ListCities(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListCitiesResponse{Cities: mapSlice(cs, cityToProto)}), nil
}

func (h *catalogHandler) ListMovies(ctx context.Context, req *connect.Request[marqueev1.ListMoviesRequest]) (*connect.Response[marqueev1.ListMoviesResponse], error) {
	ms, err := h.store.ListMovies(ctx, req.Msg.City, h.now())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListMoviesResponse{Movies: mapSlice(ms, movieToProto)}), nil
}

func (h *catalogHandler) ListTheatres(ctx context.Context, req *connect.Request[marqueev1.ListTheatresRequest]) (*connect.Response[marqueev1.ListTheatresResponse], error) {
	ts, err := h.store.ListTheatres(ctx, req.Msg.City)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListTheatresResponse{Theatres: mapSlice(ts, theatreToProto)}), nil
}

func (h *catalogHandler) ListShowtimes(ctx context.Context, req *connect.Request[marqueev1.ListShowtimesRequest]) (*connect.Response[marqueev1.ListShowtimesResponse], error) {
	f, err := showtimeFilter(req.Msg, h.now())
	if err != nil {
		return nil, err
	}
	ls, err := h.store.ListShowtimes(ctx, f)
	if err != nil {
		return nil, err
	}
	res := &marqueev1.ListShowtimesResponse{}
	if size := f.Limit - 1; len(ls) > size {
		ls = ls[:size]
		last := ls[len(ls)-1]
		res.NextPageToken = encodeCursor(catalog.Cursor{StartsAt: last.StartsAt, ID: last.ID})
	}
	res.Showtimes = mapSlice(ls, showtimeToProto)
	return connect.NewResponse(res), nil
}

// showtimeFilter reads a ListShowtimes request; it asks the store for one row more than a page to know
// whether another page follows.
func showtimeFilter(m *marqueev1.ListShowtimesRequest, now time.Time) (catalog.ShowtimeFilter, error) {
	after, err := decodeCursor(m.PageToken)
	if err != nil {
		return catalog.ShowtimeFilter{}, err
	}
	if m.Day != "" {
		if _, err := time.Parse(time.DateOnly, m.Day); err != nil {
			return catalog.ShowtimeFilter{}, errs.Errorf("rpc.ListShowtimes", errs.Invalid, "day must be a date YYYY-MM-DD")
		}
	}
	size := int(m.PageSize)
	if size == 0 {
		size = 20
	}
	return catalog.ShowtimeFilter{CityID: m.City, MovieID: m.MovieId, TheatreID: m.TheatreId, Day: m.Day,
		From: now, After: after, Limit: size + 1}, nil
}

type seatHandler struct{ svc *inventory.Service }

// NewSeatHandler serves SeatService.
func NewSeatHandler(svc *inventory.Service) marqueev1connect.SeatServiceHandler {
	return &seatHandler{svc: svc}
}

func (h *seatHandler) GetSeatMap(ctx context.Context, req *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	m, err := h.svc.SeatMap(ctx, req.Msg.ShowtimeId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(seatMapToProto(m)), nil
}

func (h *seatHandler) HoldSeats(ctx context.Context, req *connect.Request[marqueev1.HoldSeatsRequest]) (*connect.Response[marqueev1.HoldSeatsResponse], error) {
	hold, err := h.svc.Hold(ctx, userID(ctx), req.Msg.ShowtimeId, req.Msg.SeatIds)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldSeatsResponse{Hold: holdToProto(hold)}), nil
}

func (h *seatHandler) ReleaseHold(ctx context.Context, req *connect.Request[marqueev1.ReleaseHoldRequest]) (*connect.Response[marqueev1.ReleaseHoldResponse], error) {
	if err := h.svc.Release(ctx, userID(ctx), req.Msg.HoldId); err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ReleaseHoldResponse{}), nil
}

func (h *seatHandler) BestAvailable(ctx context.Context, req *connect.Request[marqueev1.BestAvailableRequest]) (*connect.Response[marqueev1.BestAvailableResponse], error) {
	m := req.Msg
	ids, err := h.svc.Best(ctx, m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.BestAvailableResponse{SeatIds: ids}), nil
}

func (h *seatHandler) HoldBestAvailable(ctx context.Context, req *connect.Request[marqueev1.HoldBestAvailableRequest]) (*connect.Response[marqueev1.HoldBestAvailableResponse], error) {
	m := req.Msg
	hold, err := h.svc.HoldBest(ctx, userID(ctx), m.ShowtimeId, seatRequest(m.Count, m.SeatType, m.Accessible))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.HoldBestAvailableResponse{Hold: holdToProto(hold)}), nil
}

type bookingHandler struct{ svc *booking.Service }

// NewBookingHandler serves BookingService.
func NewBookingHandler(svc *booking.Service) marqueev1connect.BookingServiceHandler {
	return &bookingHandler{svc: svc}
}

func (h *bookingHandler) CreateBooking(ctx context.Context, req *connect.Request[marqueev1.CreateBookingRequest]) (*connect.Response[marqueev1.CreateBookingResponse], error) {
	m := req.Msg
	b, err := h.svc.Create(ctx, booking.Request{UserID: userID(ctx), HoldID: m.HoldId, PaymentToken: m.PaymentToken,
		Key: m.IdempotencyKey, PromoCode: m.PromoCode, GiftCardCode: m.GiftCardCode, UseStoreCredit: m.UseStoreCredit})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.CreateBookingResponse{Booking: bookingToProto(b)}), nil
}

func (h *bookingHandler) GetBooking(ctx context.Context, req *connect.Request[marqueev1.GetBookingRequest]) (*connect.Response[marqueev1.GetBookingResponse], error) {
	b, err := h.svc.Get(ctx, userID(ctx), req.Msg.BookingId)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.GetBookingResponse{Booking: bookingToProto(b)}), nil
}

func (h *bookingHandler) ListMyBookings(ctx context.Context, _ *connect.Request[marqueev1.ListMyBookingsRequest]) (*connect.Response[marqueev1.ListMyBookingsResponse], error) {
	bs, err := h.svc.List(ctx, userID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListMyBookingsResponse{Bookings: mapSlice(bs, bookingToProto)}), nil
}

func (h *bookingHandler) CancelBooking(ctx context.Context, req *connect.Request[marqueev1.CancelBookingRequest]) (*connect.Response[marqueev1.CancelBookingResponse], error) {
	m := req.Msg
	c, err := h.svc.Cancel(ctx, booking.CancelRequest{BookingID: m.BookingId, UserID: userID(ctx),
		Key: m.IdempotencyKey, SeatIDs: m.SeatIds, ToStoreCredit: m.RefundTo == marqueev1.RefundMethod_REFUND_METHOD_STORE_CREDIT})
	if err != nil {
		return nil, err
	}
	cur := c.Booking.Currency
	return connect.NewResponse(&marqueev1.CancelBookingResponse{Booking: bookingToProto(c.Booking),
		Refund: money(cur, c.RefundMinor), StoreCredit: money(cur, c.StoreCreditMinor)}), nil
}

func (h *bookingHandler) AddSeats(ctx context.Context, req *connect.Request[marqueev1.AddSeatsRequest]) (*connect.Response[marqueev1.AddSeatsResponse], error) {
	m := req.Msg
	b, charged, err := h.svc.AddSeats(ctx, booking.AddRequest{Request: booking.Request{UserID: userID(ctx),
		PaymentToken: m.PaymentToken, Key: m.IdempotencyKey, PromoCode: m.PromoCode, GiftCardCode: m.GiftCardCode,
		UseStoreCredit: m.UseStoreCredit, BookingID: m.BookingId}, SeatIDs: m.SeatIds, Count: int(m.Count)})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.AddSeatsResponse{Booking: bookingToProto(b), Charged: money(b.Currency, charged)}), nil
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
