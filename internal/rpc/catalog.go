package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/catalog"
)

type catalogHandler struct{ svc *catalog.Service }

// NewCatalogHandler serves CatalogService.
func NewCatalogHandler(svc *catalog.Service) marqueev1connect.CatalogServiceHandler {
	return &catalogHandler{svc: svc}
}

func (h *catalogHandler) ListCities(ctx context.Context, _ *connect.Request[marqueev1.ListCitiesRequest]) (*connect.Response[marqueev1.ListCitiesResponse], error) {
	cs, err := h.svc.ListCities(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListCitiesResponse{Cities: mapSlice(cs, cityToProto)}), nil
}

func (h *catalogHandler) ListMovies(ctx context.Context, req *connect.Request[marqueev1.ListMoviesRequest]) (*connect.Response[marqueev1.ListMoviesResponse], error) {
	ms, err := h.svc.ListMovies(ctx, req.Msg.City)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListMoviesResponse{Movies: mapSlice(ms, movieToProto)}), nil
}

func (h *catalogHandler) ListTheatres(ctx context.Context, req *connect.Request[marqueev1.ListTheatresRequest]) (*connect.Response[marqueev1.ListTheatresResponse], error) {
	ts, err := h.svc.ListTheatres(ctx, req.Msg.City)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListTheatresResponse{Theatres: mapSlice(ts, theatreToProto)}), nil
}

func (h *catalogHandler) ListShowtimes(ctx context.Context, req *connect.Request[marqueev1.ListShowtimesRequest]) (*connect.Response[marqueev1.ListShowtimesResponse], error) {
	p, err := h.svc.ListShowtimes(ctx, showtimeQuery(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.ListShowtimesResponse{Showtimes: mapSlice(p.Showtimes, showtimeToProto),
		NextPageToken: p.NextPageToken}), nil
}
