package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/devstack"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

// jobLease is the region job lease of the stack's processes (--job-lease).
const jobLease = 2 * time.Second

// stack is the multi-region deployment as real processes: devstack's PostgreSQL, supercluster and one
// `marquee region` child per region, with the edge in this test process in front of them.
type stack struct {
	dir  string
	ds   *devstack.Stack
	db   *store.DB
	edge *edge.Main
	api  *api // through the edge
}

// buildBinary builds cmd/marquee into a temporary directory, as cmd/marquee's own tests do.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "marquee")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/marqueehq/marquee/cmd/marquee").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startStack runs the binary's children under devstack (no demo catalog: tests make the showtimes they need)
// with a short job lease, and the edge in front of them with catalog events from us-east1's NATS.
func startStack(t testing.TB) *stack {
	t.Helper()
	return startStackWith(t, devstack.Options{})
}

// startStackWith is startStack with o's ChildURL and extra ChildArgs.
func startStackWith(t testing.TB, o devstack.Options) *stack {
	t.Helper()
	ctx := context.Background()
	s := &stack{dir: tempDir(t)}
	o.DataDir, o.Binary = s.dir, buildBinary(t)
	o.ChildArgs = append([]string{"--bcrypt-cost", "4", "--job-lease", jobLease.String()}, o.ChildArgs...)
	ds, err := devstack.Start(ctx, o)
	if err != nil {
		t.Fatalf("devstack.Start: %v", err)
	}
	s.ds = ds
	t.Cleanup(func() {
		if err := ds.Close(); err != nil {
			t.Errorf("devstack.Close: %v", err)
		}
		if t.Failed() {
			s.logTails(t, 60)
		}
	})
	if s.db, err = store.Open(ctx, ds.DatabaseURL(), 8, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.db.Close)
	cfg := edge.Config{Self: regions.Primary().Name, Regions: map[string][]string{}}
	for name, u := range ds.URLs() {
		cfg.Regions[name] = []string{u}
	}
	s.edge = &edge.Main{Config: cfg, Addr: "127.0.0.1:0", NATSURL: ds.NATS().Servers[regions.Primary().NATSCluster].URL()}
	if err := s.edge.Run(ctx); err != nil {
		_ = s.edge.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.edge.Close() })
	s.api = newAPI("http://" + s.edge.ListenAddr())
	return s
}

// logTails logs the last n lines of every region child's log, for a failed test.
func (s *stack) logTails(t testing.TB, n int) {
	files, _ := filepath.Glob(filepath.Join(s.dir, "log", "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		t.Logf("last lines of %s:\n%s", filepath.Base(f), strings.Join(lines[max(len(lines)-n, 0):], "\n"))
	}
}

// fixture makes a showtime two days ahead homed in region, on a screen of layout l.
func (s *stack) fixture(t testing.TB, region string, l seed.Layout) seed.Fixture {
	t.Helper()
	r, _ := regions.ByName(region)
	f, err := seed.NewFixture(context.Background(), s.db.Catalog(), s.db.IDs, r, l, time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// leaseHolder returns who holds region's job lease now: the process and the region it belongs to ("" when the
// lease lapsed or its holder is not a known process).
func (s *stack) leaseHolder(t testing.TB, region string) (process, of string) {
	t.Helper()
	err := s.db.Pool.QueryRow(context.Background(), `SELECT l.holder, p.region FROM job_leases l
		JOIN region_processes p ON p.process_id = l.holder
		WHERE l.region = $1 AND l.expires_at > now()`, region).Scan(&process, &of)
	if err != nil {
		return "", ""
	}
	return process, of
}
