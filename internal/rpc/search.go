package rpc

import (
	"cmp"
	"context"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/search"
)

type searchHandler struct {
	ix  *search.Index
	now platform.Clock
}

// NewSearchHandler serves SearchService from a search index.
func NewSearchHandler(ix *search.Index, now platform.Clock) marqueev1connect.SearchServiceHandler {
	return &searchHandler{ix: ix, now: now}
}

func (h *searchHandler) SearchMovies(ctx context.Context, req *connect.Request[marqueev1.SearchMoviesRequest]) (*connect.Response[marqueev1.SearchMoviesResponse], error) {
	m := req.Msg
	q := search.MovieQuery{Query: m.Query, Near: point(m.Near), RadiusKm: m.RadiusKm, City: m.City, Genres: m.Genres,
		Languages: m.Languages, Formats: m.Formats, Day: m.Day, Now: h.now(), PageSize: int(m.PageSize), PageToken: m.PageToken}
	if m.Query == "" {
		q.NowPlayingDays = cmp.Or(int(m.NowPlayingDays), 7) // with no text: what is playing soon
	}
	hits, facets, next, err := h.ix.SearchMovies(q)
	if err != nil {
		return nil, err
	}
	res := &marqueev1.SearchMoviesResponse{NextPageToken: next, Facets: &marqueev1.Facets{Genres: counts(facets.Genres),
		Languages: counts(facets.Languages), Formats: counts(facets.Formats), Ratings: counts(facets.Ratings)}}
	for _, hit := range hits {
		mh := &marqueev1.MovieHit{Movie: movieToProto(hit.Movie), Score: hit.Score}
		for _, s := range hit.NextShowtimes {
			mh.NextShowtimes = append(mh.NextShowtimes, refToProto(hit.Movie.Title, s))
		}
		res.Hits = append(res.Hits, mh)
	}
	return connect.NewResponse(res), nil
}

func (h *searchHandler) SearchTheatres(ctx context.Context, req *connect.Request[marqueev1.SearchTheatresRequest]) (*connect.Response[marqueev1.SearchTheatresResponse], error) {
	m := req.Msg
	hits, next, err := h.ix.SearchTheatres(search.TheatreQuery{Query: m.Query, Near: *point(m.Near), RadiusKm: m.RadiusKm,
		Amenities: m.Amenities, PageSize: int(m.PageSize), PageToken: m.PageToken})
	if err != nil {
		return nil, err
	}
	res := &marqueev1.SearchTheatresResponse{NextPageToken: next}
	for _, t := range hits {
		res.Hits = append(res.Hits, &marqueev1.TheatreHit{Theatre: theatreToProto(t.Theatre), DistanceKm: t.DistanceKm})
	}
	return connect.NewResponse(res), nil
}

func (h *searchHandler) Suggest(ctx context.Context, req *connect.Request[marqueev1.SuggestRequest]) (*connect.Response[marqueev1.SuggestResponse], error) {
	m := req.Msg
	ss, err := h.ix.Suggest(m.Prefix, point(m.Near), cmp.Or(int(m.Limit), 10))
	if err != nil {
		return nil, err
	}
	res := &marqueev1.SuggestResponse{}
	for _, s := range ss {
		res.Suggestions = append(res.Suggestions, &marqueev1.Suggestion{Kind: s.Kind, Text: s.Text, Id: s.ID})
	}
	return connect.NewResponse(res), nil
}
