package search

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/errs"
)

// DefaultNowPlayingDays is the now-playing window of a Service's movie search without text that asks for
// none: what plays in the coming week.
const DefaultNowPlayingDays = 7

// Service answers moviegoers' searches over an Index as of now. Its movie search without text lists what
// is playing soon: movies with a showtime in the next NowPlayingDays days (DefaultNowPlayingDays when 0); with
// text, NowPlayingDays is ignored and every match counts. Theatre search and Suggest are the Index's.
type Service struct {
	*Index
	Now func() time.Time
	// Prices, when set, prices the hits' next showtimes (FromPrice) after the query, in one call for the page:
	// prices change with every hold, so they are not in the index.
	Prices catalog.FromPrices
}

// SearchMovies runs q at s.Now() with the now-playing window above (see Index.SearchMovies), and prices the
// next showtimes of the hits.
func (s *Service) SearchMovies(ctx context.Context, q MovieQuery) (hits []MovieHit, facets Facets, nextPageToken string, err error) {
	q.Now = s.Now()
	switch {
	case q.Query != "":
		q.NowPlayingDays = 0
	case q.NowPlayingDays == 0:
		q.NowPlayingDays = DefaultNowPlayingDays
	}
	if hits, facets, nextPageToken, err = s.Index.SearchMovies(q); err != nil {
		return nil, Facets{}, "", err
	}
	return hits, facets, nextPageToken, s.price(ctx, hits)
}

// price sets the FromPrice of every next showtime of hits, in one call to Prices.
func (s *Service) price(ctx context.Context, hits []MovieHit) error {
	if s.Prices == nil {
		return nil
	}
	var ids []string
	for _, h := range hits {
		for _, st := range h.NextShowtimes {
			ids = append(ids, st.ShowtimeID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	prices, err := s.Prices.FromPrices(ctx, ids)
	if err != nil {
		return errs.E("search.SearchMovies", err)
	}
	for _, h := range hits {
		for i, st := range h.NextShowtimes {
			if p, ok := prices[st.ShowtimeID]; ok {
				h.NextShowtimes[i].FromPrice = &p
			}
		}
	}
	return nil
}
