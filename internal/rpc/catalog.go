package rpc

import (
	"context"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/platform"
)

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
