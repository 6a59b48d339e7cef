package rpc

import (
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/search"
)

type searchHandler struct{ svc *search.Service }

// NewSearchHandler serves SearchService.
func NewSearchHandler(svc *search.Service) marqueev1connect.SearchServiceHandler {
	return &searchHandler{svc: svc}
}

func (h *searchHandler) SearchMovies(ctx context.Context, req *connect.Request[marqueev1.SearchMoviesRequest]) (*connect.Response[marqueev1.SearchMoviesResponse], error) {
	hits, facets, next, err := h.svc.SearchMovies(ctx, movieQuery(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SearchMoviesResponse{Hits: mapSlice(hits, movieHitToProto),
		Facets: facetsToProto(facets), NextPageToken: next}), nil
}

func (h *searchHandler) SearchTheatres(ctx context.Context, req *connect.Request[marqueev1.SearchTheatresRequest]) (*connect.Response[marqueev1.SearchTheatresResponse], error) {
	hits, next, err := h.svc.SearchTheatres(theatreQuery(req.Msg))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SearchTheatresResponse{Hits: mapSlice(hits, theatreHitToProto),
		NextPageToken: next}), nil
}

func (h *searchHandler) Suggest(ctx context.Context, req *connect.Request[marqueev1.SuggestRequest]) (*connect.Response[marqueev1.SuggestResponse], error) {
	m := req.Msg
	ss, err := h.svc.Suggest(m.Prefix, point(m.Near), int(m.Limit))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&marqueev1.SuggestResponse{Suggestions: mapSlice(ss, suggestionToProto)}), nil
}
