package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/store/storetest"
	"github.com/marqueehq/marquee/regions"
)

// adminEmail is the account made platform admin with a first-run code (registerAdmin).
const adminEmail = "admin@example.com"

// world is the multi-region deployment in one test process: one database with the demo catalog, the NATS
// supercluster, one app.Main per region (each its region's deployment) and the edge in front of them.
type world struct {
	dir   string
	dbURL string
	db    *store.DB
	nats  *natsserver.Supercluster
	mains map[string]*app.Main
	edge  *edge.Main
	api   *api // through the edge
	// standbyShow is a 4-seat showtime homed in europe-west1, for selling out.
	standbyShow seed.Fixture
}

// startWorld loads the demo and a small europe-west1 fixture into a fresh database, creates the secrets the
// regions share, starts the supercluster, a Main per region (concurrently) and the edge.
func startWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{dir: tempDir(t), mains: map[string]*app.Main{}}
	var err error
	w.dbURL = storetest.NewURL(t)
	if w.db, err = store.Open(ctx, w.dbURL, 8, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.db.Close)
	// The supercluster takes seconds to elect its JetStream meta leader, the demo seconds to load: side by side.
	natsErr := make(chan error, 1)
	go func() {
		var clusters []string
		for _, r := range regions.All() {
			clusters = append(clusters, r.NATSCluster)
		}
		var err error
		w.nats, err = natsserver.StartSupercluster(filepath.Join(w.dir, "nats"), clusters...)
		natsErr <- err
	}()
	_, demoErr := seed.Demo(ctx, w.db.Catalog(), w.db.IDs, time.Now())
	if err := errors.Join(demoErr, <-natsErr); err != nil {
		t.Fatalf("demo catalog and supercluster: %v", err)
	}
	t.Cleanup(w.nats.Close)
	eu, _ := regions.ByName("europe-west1")
	w.standbyShow, err = seed.NewFixture(ctx, w.db.Catalog(), w.db.IDs, eu, seed.Layout{Rows: 1, SeatsPerRow: 4},
		time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := platform.Secret("", filepath.Join(w.dir, "token-secret")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := notify.TicketKey(filepath.Join(w.dir, "keys", "ticket-ed25519.pem")); err != nil {
		t.Fatal(err)
	}
	w.startRegions(t)
	w.startEdge(t)
	return w
}

// startRegions runs one Main per region, side by side, and closes them when t ends.
func (w *world) startRegions(t *testing.T) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errList []error
	for _, r := range regions.All() {
		m := newRegionMain(w, r)
		w.mains[r.Name] = m
		wg.Go(func() {
			if err := m.Run(context.Background()); err != nil {
				mu.Lock()
				errList = append(errList, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for name, m := range w.mains {
			if err := m.Close(); err != nil {
				t.Errorf("closing %s: %v", name, err)
			}
		}
	})
	if err := errors.Join(errList...); err != nil {
		t.Fatalf("starting the regions: %v", err)
	}
}

// newRegionMain configures region r's deployment: the shared database and data directory, its own NATS
// cluster, no demo loading (it is loaded once, before), and background loops slowed to once an hour so that
// standby offers can only come from events.
func newRegionMain(w *world, r regions.Region) *app.Main {
	m := app.NewMain()
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	c := &m.Config
	c.Addr, c.Region, c.DataDir, c.DatabaseURL = "127.0.0.1:0", r.Name, w.dir, w.dbURL
	c.NATSURL, c.Seed, c.BcryptCost = w.nats.Servers[r.NATSCluster].URL(), false, 4
	c.TokenSecret, c.TicketKey, c.SMTPAddr, c.MaxConns = "", "", "", 8
	c.WorkerInterval, c.JobLease = time.Hour, 3*time.Second
	return m
}

// startEdge runs the edge (own region us-east1) in front of every region, with catalog events from us-east1's
// NATS cluster.
func (w *world) startEdge(t *testing.T) {
	t.Helper()
	cfg := edge.Config{Self: regions.Primary().Name, Regions: map[string][]string{}}
	for name, m := range w.mains {
		cfg.Regions[name] = []string{"http://" + m.Addr()}
	}
	w.edge = &edge.Main{Config: cfg, Addr: "127.0.0.1:0", NATSURL: w.nats.Servers[regions.Primary().NATSCluster].URL()}
	if err := w.edge.Run(context.Background()); err != nil {
		_ = w.edge.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.edge.Close() })
	w.api = newAPI("http://" + w.edge.ListenAddr())
}

// region returns the API of region name's process, called directly.
func (w *world) region(name string) *api { return newAPI("http://" + w.mains[name].Addr()) }

// ownJobsOnly reports whether every process runs exactly its own region's jobs.
func (w *world) ownJobsOnly() bool {
	for name, m := range w.mains {
		if !slices.Equal(m.HeldRegions(), []string{name}) {
			return false
		}
	}
	return true
}
