package edge

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/grpchealth"

	"github.com/marqueehq/marquee/regions"
)

// backend is one URL serving a region's API.
type backend struct {
	region regions.Region
	url    *url.URL
	health *grpchealth.Client
	up     atomic.Bool
}

// pool holds every region's backends, which of them answer, and for each region the configured regions
// nearest first: where its calls go when it is down.
type pool struct {
	byRegion map[string][]*backend
	order    map[string][]string // every known region -> configured regions by distance from it, itself first
	next     atomic.Uint32       // spreads calls over a region's backends
	log      *slog.Logger
}

// newPool makes a pool of the backends at urls (region name -> base URLs), all down until checked.
func newPool(urls map[string][]*url.URL, client *http.Client, log *slog.Logger) *pool {
	p := &pool{byRegion: map[string][]*backend{}, order: map[string][]string{}, log: log}
	for name, us := range urls {
		r, _ := regions.ByName(name)
		for _, u := range us {
			p.byRegion[name] = append(p.byRegion[name], &backend{region: r, url: u,
				health: grpchealth.NewClient(client, u.String())})
		}
	}
	for _, from := range regions.All() {
		var names []string
		for name := range p.byRegion {
			names = append(names, name)
		}
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(distanceFrom(from, a), distanceFrom(from, b)), cmp.Compare(a, b))
		})
		p.order[from.Name] = names
	}
	return p
}

func distanceFrom(from regions.Region, name string) float64 {
	to, _ := regions.ByName(name)
	return from.DistanceTo(to)
}

// candidates returns the backends up that can serve a call owned by region target, best first: the target's own
// (starting at a rotating one), then those of the regions nearest it.
func (p *pool) candidates(target string) []*backend {
	var out []*backend
	n := int(p.next.Add(1))
	for _, name := range p.order[target] {
		bs := p.byRegion[name]
		for i := range bs {
			if b := bs[(n+i)%len(bs)]; b.up.Load() {
				out = append(out, b)
			}
		}
	}
	return out
}

// regionUp reports whether any backend of the region answers.
func (p *pool) regionUp(name string) bool {
	return slices.ContainsFunc(p.byRegion[name], func(b *backend) bool { return b.up.Load() })
}

// run checks every backend every interval, each check within timeout, until ctx is done.
func (p *pool) run(ctx context.Context, interval, timeout time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.checkAll(ctx, timeout)
		}
	}
}

// checkAll runs one round of health checks, concurrently, and returns when all have finished.
func (p *pool) checkAll(ctx context.Context, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, bs := range p.byRegion {
		for _, b := range bs {
			wg.Go(func() {
				if up := b.check(ctx, timeout); ctx.Err() == nil {
					p.set(b, up)
				}
			})
		}
	}
	wg.Wait()
}

// check asks the backend's gRPC health service whether the server is SERVING.
func (b *backend) check(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := b.health.Check(ctx, &grpchealth.CheckRequest{})
	return err == nil && res.Status == grpchealth.StatusServing
}

// set records whether b answers, logging changes.
func (p *pool) set(b *backend, up bool) {
	if b.up.Swap(up) != up {
		p.log.Info("edge: backend "+map[bool]string{true: "up", false: "down"}[up], "region", b.region.Name,
			"url", b.url.String())
	}
}
