package admin

import (
	"context"

	"github.com/marqueehq/marquee/internal/errs"
)

// Reindexer rebuilds a search index from the database, reporting progress.
type Reindexer interface {
	Reindex(ctx context.Context, progress func(done, total int)) error
}

// ReindexSearch rebuilds ix, the search index of the calling process, for a platform admin, reporting
// progress. The index is passed in because each process builds its own after the services. A nil ix (the
// process serves no search) is Unavailable.
func (s *Service) ReindexSearch(ctx context.Context, callerID string, ix Reindexer, progress func(done, total int)) error {
	const op = "admin.ReindexSearch"
	if err := s.RequireAdmin(ctx, callerID); err != nil {
		return err
	}
	if ix == nil {
		return errs.Errorf(op, errs.Unavailable, "search is not running in this process")
	}
	if err := ix.Reindex(ctx, progress); err != nil {
		return errs.E(op, err)
	}
	return nil
}
