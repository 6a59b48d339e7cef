package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/catalog"
)

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
