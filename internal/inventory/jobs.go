package inventory

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/jobs"
)

// ExpireHoldsJob releases region's expired holds every interval (see Sweep), so their seats reach standby
// lines.
func (s *Service) ExpireHoldsJob(region string, every time.Duration) jobs.Job {
	return jobs.Job{Name: "inventory.expire-holds", Every: every, Run: func(ctx context.Context) error {
		_, err := s.Sweep(ctx, region)
		return err
	}}
}
