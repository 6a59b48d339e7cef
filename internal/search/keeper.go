package search

import (
	"context"
	"slices"
	"time"

	"github.com/marqueehq/marquee/internal/catalog"
	"github.com/marqueehq/marquee/internal/jobs"
)

// ShowtimeGrace is how long after it starts a showtime stays in the index: late-comers may still look it up.
const ShowtimeGrace = 3 * time.Hour

// Source is the catalog an index is built from and refreshed by; store.CatalogStore implements it.
type Source interface {
	AllMovies(ctx context.Context) ([]catalog.Movie, error)
	AllTheatres(ctx context.Context) ([]TheatreDoc, error)
	// ShowtimesFrom returns the scheduled showtimes starting at or after from.
	ShowtimesFrom(ctx context.Context, from time.Time) ([]catalog.Showtime, error)
	Movie(ctx context.Context, id string) (catalog.Movie, error)
	TheatreDoc(ctx context.Context, region, id string) (TheatreDoc, error)
	Showtime(ctx context.Context, region, id string) (catalog.Showtime, error)
}

// Keeper keeps a process's index in step with the catalog: built from Source at start (and on
// ReindexSearch), refreshed row by row as catalog changes are announced, and pruned of ended showtimes. The
// index holds every movie (they are global) and the theatres and showtimes of Regions (all when empty).
type Keeper struct {
	Index   *Index
	Source  Source
	Now     func() time.Time
	Regions []string
}

// serves reports whether the index holds rows of region.
func (k *Keeper) serves(region string) bool {
	return len(k.Regions) == 0 || slices.Contains(k.Regions, region)
}

// Reindex rebuilds the index from the catalog, reporting progress.
func (k *Keeper) Reindex(ctx context.Context, progress func(done, total int)) error {
	movies, err := k.Source.AllMovies(ctx)
	if err != nil {
		return err
	}
	theatres, err := k.Source.AllTheatres(ctx)
	if err != nil {
		return err
	}
	shows, err := k.Source.ShowtimesFrom(ctx, k.Now().Add(-ShowtimeGrace))
	if err != nil {
		return err
	}
	theatres = slices.DeleteFunc(theatres, func(t TheatreDoc) bool { return !k.serves(t.Theatre.Region) })
	shows = slices.DeleteFunc(shows, func(s catalog.Showtime) bool { return !k.serves(s.Region) })
	return k.Index.Build(movies, theatres, shows, progress)
}

// Changed reloads the row a catalog change names (what is one of the catalog.Kind* constants) into the index; a
// showtime no longer scheduled leaves it. Other kinds of change, and rows of regions the index does not hold,
// do not concern it.
func (k *Keeper) Changed(ctx context.Context, region, what, id string) error {
	if what != catalog.KindMovie && !k.serves(region) {
		return nil
	}
	switch what {
	case catalog.KindMovie:
		m, err := k.Source.Movie(ctx, id)
		if err != nil {
			return err
		}
		return k.Index.UpsertMovie(m)
	case catalog.KindTheatre:
		t, err := k.Source.TheatreDoc(ctx, region, id)
		if err != nil {
			return err
		}
		return k.Index.UpsertTheatre(t.Theatre, t.CityName)
	case catalog.KindShowtime:
		st, err := k.Source.Showtime(ctx, region, id)
		if err != nil {
			return err
		}
		if st.Status != catalog.ShowtimeScheduled {
			return k.Index.DeleteShowtime(st.ID)
		}
		return k.Index.UpsertShowtime(st)
	}
	return nil
}

// PruneJob drops showtimes that ended from the index every interval.
func (k *Keeper) PruneJob(every time.Duration) jobs.Job {
	return jobs.Job{Name: "search.prune", Every: every, Run: func(context.Context) error {
		return k.Index.PruneBefore(k.Now().Add(-ShowtimeGrace))
	}}
}
