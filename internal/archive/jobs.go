package archive

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/jobs"
)

// DefaultJobEvery is how often a region's archive job runs: daily.
const DefaultJobEvery = 24 * time.Hour

// System is the actor of the archive job in the audit log.
var System = Actor{UserID: "system:archive-job", Role: RoleAdmin}

// Job is region's daily archive job: it archives what is old enough, then purges what has outlived its
// retention and no hold covers; each run is in the audit log.
func (s *Service) Job(region string, every time.Duration) jobs.Job {
	return jobs.Job{Name: "archive.daily", Every: every, Run: func(ctx context.Context) error {
		if _, err := s.RunArchive(ctx, System, region, nil); err != nil {
			return err
		}
		_, err := s.Purge(ctx, System, region, nil)
		return err
	}}
}
