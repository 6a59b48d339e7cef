package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/marqueehq/marquee/regions"
)

// DefaultLease is how long a region's job lease lasts without renewal: when every process of a region has been
// gone this long, the nearest live region adopts its jobs.
const DefaultLease = 10 * time.Second

// LeaseStore keeps job leases and the presence of processes; store.Leases implements it.
type LeaseStore interface {
	// Heartbeat records that process of region is alive at now and forgets processes not seen since forget.
	Heartbeat(ctx context.Context, region, process string, now, forget time.Time) error
	// Live returns the regions with a process seen at or after since.
	Live(ctx context.Context, since time.Time) (map[string]bool, error)
	// Acquire takes or renews region's lease for holder until expires, if holder has it or it lapsed by now.
	Acquire(ctx context.Context, region, holder string, now, expires time.Time) (bool, error)
	// Release gives up holder's lease of region.
	Release(ctx context.Context, region, holder string) error
}

// Regional runs each region's jobs in exactly one process at a time, through a lease per region in the
// database. A process belongs to its Home regions and runs their jobs while it holds their leases; other
// processes of the same region stand by. When no process of a region has been seen for a lease, the live
// region nearest to it adopts its jobs, and hands them back as soon as one of its processes is seen again.
type Regional struct {
	Runner  *Runner
	Leases  LeaseStore
	Process string           // this process's unique ID
	Home    []string         // the regions this process belongs to
	All     []regions.Region // every region, for adoption distances
	Jobs    func(region string) []Job
	Lease   time.Duration    // DefaultLease when 0
	Now     func() time.Time // time.Now when nil: leases coordinate processes, so they use the wall clock

	held    map[string]bool
	start   time.Time // of the first round
	renewed time.Time // when a round last succeeded
}

// Job is the lease keeper itself: it renews, takes, adopts and hands back leases every third of a lease, and
// starts and stops the regions' jobs accordingly. Call ReleaseAll after the runner stopped, so that another
// process takes over at once rather than after a lease.
func (g *Regional) Job() Job {
	return Job{Name: "jobs.leases", Every: g.lease() / 3, Run: g.tick}
}

// Held lists the regions whose jobs this process runs now.
func (g *Regional) Held() []string { return g.Runner.Groups() }

func (g *Regional) lease() time.Duration {
	if g.Lease == 0 {
		return DefaultLease
	}
	return g.Lease
}

func (g *Regional) now() time.Time {
	if g.Now == nil {
		return time.Now()
	}
	return g.Now()
}

// tick runs one round. When rounds have failed (the database unreachable) for half a lease, it stops the
// regions' jobs it runs: their leases are about to lapse, and another process may take them.
func (g *Regional) tick(ctx context.Context) error {
	now := g.now()
	if g.held == nil {
		g.held, g.start = map[string]bool{}, now
	}
	err := g.round(ctx, now)
	if err == nil {
		g.renewed = now
	} else if now.Sub(g.renewed) > g.lease()/2 {
		for region := range g.held {
			g.stop(region)
		}
	}
	return err
}

// round heartbeats, then takes, keeps or lets go of each region's lease.
func (g *Regional) round(ctx context.Context, now time.Time) error {
	for _, h := range g.Home {
		if err := g.Leases.Heartbeat(ctx, h, g.Process, now, now.Add(-10*g.lease())); err != nil {
			return err
		}
	}
	live, err := g.Leases.Live(ctx, now.Add(-g.lease()))
	if err != nil {
		return err
	}
	for _, r := range g.All {
		if err := g.consider(ctx, r.Name, live, now); err != nil {
			return err
		}
	}
	return nil
}

// consider takes or keeps region's lease when this process should run its jobs, and lets it go otherwise. A
// process adopts a region only once it has itself been up for a lease: until then, a region it has not seen
// may just be starting too (a whole deployment starting would otherwise adopt and hand back regions at once).
func (g *Regional) consider(ctx context.Context, region string, live map[string]bool, now time.Time) error {
	settled := now.Sub(g.start) >= g.lease()
	want := slices.Contains(g.Home, region) || (settled && !live[region] && g.adopter(region, live))
	if !want {
		if g.held[region] {
			g.stop(region)
			return g.Leases.Release(ctx, region, g.Process)
		}
		return nil
	}
	got, err := g.Leases.Acquire(ctx, region, g.Process, now, now.Add(g.lease()))
	if err != nil {
		return err
	}
	switch {
	case got && !g.held[region]:
		g.held[region] = true
		g.Runner.StartGroup(region, g.Jobs(region))
	case !got && g.held[region]:
		g.stop(region)
	}
	return nil
}

// adopter reports whether this process's region is the live region nearest to the dead region, and this
// process holds its own region's lease (so one process per adopting region competes).
func (g *Regional) adopter(dead string, live map[string]bool) bool {
	d, ok := regions.ByName(dead)
	if !ok {
		return false
	}
	var candidates []regions.Region
	for _, r := range g.All {
		if live[r.Name] && r.Name != dead {
			candidates = append(candidates, r)
		}
	}
	near, ok := regions.Nearest(d.Location.Latitude, d.Location.Longitude, candidates)
	return ok && slices.Contains(g.Home, near.Name) && g.held[near.Name]
}

func (g *Regional) stop(region string) {
	delete(g.held, region)
	g.Runner.StopGroup(region)
}

// ReleaseAll stops the regions' jobs and gives up their leases. Call it once the runner has stopped (the lease
// job no longer runs).
func (g *Regional) ReleaseAll(ctx context.Context) error {
	var err error
	for region := range g.held {
		g.stop(region)
		if rerr := g.Leases.Release(ctx, region, g.Process); rerr != nil {
			err = rerr
		}
	}
	return err
}
