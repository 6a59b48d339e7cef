package app

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/store"
)

// searcher keeps this process's search index: built from the database at start (and on ReindexSearch) and
// kept fresh from CatalogChanged events.
type searcher struct {
	ix  *search.Index
	cat *store.CatalogStore
	now platform.Clock
}

// Reindex rebuilds the index from the database, reporting progress.
func (s *searcher) Reindex(ctx context.Context, progress func(done, total int)) error {
	movies, err := s.cat.AllMovies(ctx)
	if err != nil {
		return err
	}
	ts, err := s.cat.AllTheatres(ctx)
	if err != nil {
		return err
	}
	shows, err := s.cat.ShowtimesFrom(ctx, s.now().Add(-3*time.Hour))
	if err != nil {
		return err
	}
	docs := make([]search.TheatreDoc, len(ts))
	for i, t := range ts {
		docs[i] = search.TheatreDoc{Theatre: t.Theatre, CityName: t.CityName}
	}
	return s.ix.Build(movies, docs, shows, progress)
}

// handle applies a CatalogChanged event by reloading the row it names.
func (s *searcher) handle(ctx context.Context, m relay.Msg) error {
	if !strings.HasSuffix(m.Subject, ".catalog.changed") {
		return nil
	}
	var ev marqueev1.CatalogChanged
	if proto.Unmarshal(m.Data, &ev) != nil {
		return nil
	}
	region := regionOfSubject(m.Subject)
	switch ev.Kind {
	case "movie":
		mv, err := s.cat.Movie(ctx, ev.Id)
		if err != nil {
			return err
		}
		return s.ix.UpsertMovie(mv)
	case "theatre":
		t, err := s.cat.TheatreWithCityName(ctx, region, ev.Id)
		if err != nil {
			return err
		}
		return s.ix.UpsertTheatre(t.Theatre, t.CityName)
	case "showtime":
		st, err := s.cat.Showtime(ctx, region, ev.Id)
		if err != nil {
			return err
		}
		if st.Status != catalog.ShowtimeScheduled {
			return s.ix.DeleteShowtime(st.ID)
		}
		return s.ix.UpsertShowtime(st)
	}
	return nil
}

// prune drops showtimes that have ended from the index.
func (s *searcher) prune() error { return s.ix.PruneBefore(s.now().Add(-3 * time.Hour)) }
