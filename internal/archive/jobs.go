package archive

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/errs"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/regions"
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

// RegionArchivers makes Service.Archiver: each region's archiver on st, objs and keys, archiving after after.
func RegionArchivers(st Store, objs Objects, keys *Keyring, now platform.Clock, after time.Duration) func(string) (*Archiver, error) {
	return func(name string) (*Archiver, error) {
		r, ok := regions.ByName(name)
		if !ok {
			return nil, errs.Errorf("archive.RegionArchivers", errs.Invalid, "no region %q in regions/", name)
		}
		return &Archiver{Store: st, Objects: objs, Keys: keys, Region: r, Now: now, After: after}, nil
	}
}
