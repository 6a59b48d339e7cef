package standby

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
)

// DefaultJobInterval is how often the standby jobs look for work. Events (a cancellation, released seats)
// serve a line at once; the jobs are the safety net that also works while NATS is down.
const DefaultJobInterval = 500 * time.Millisecond

// Jobs are standby's background work in region: closing the lines of shows that started (people are told, by
// StandbyClosed) and serving every line that has free seats.
func (s *Service) Jobs(region string, every time.Duration) []jobs.Job {
	return []jobs.Job{
		{Name: "standby.close-started-lines", Every: every, Run: func(ctx context.Context) error { return s.CloseStarted(ctx, region) }},
		{Name: "standby.serve-lines", Every: every, Run: func(ctx context.Context) error { return s.ServeLines(ctx, region) }},
	}
}

// CloseStarted closes the lines of region's shows that have started.
func (s *Service) CloseStarted(ctx context.Context, region string) error {
	if _, err := s.Store.CloseStarted(ctx, region, s.Now()); err != nil {
		return errs.E("standby.CloseStarted", err)
	}
	return nil
}

// ServeLines serves every line of region: each gets offers for the seats now free (see Serve).
func (s *Service) ServeLines(ctx context.Context, region string) error {
	const op = "standby.ServeLines"
	ids, err := s.Store.ShowtimesWithLine(ctx, region)
	if err != nil {
		return errs.E(op, err)
	}
	for _, id := range ids {
		if _, err := s.Serve(ctx, id); err != nil {
			return errs.E(op, err)
		}
	}
	return nil
}
