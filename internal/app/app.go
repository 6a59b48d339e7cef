// Package app wires Marquee together: configuration, the database (a private PostgreSQL cluster when no
// DATABASE_URL is given), S3 (a private versitygw when no --s3-endpoint is given), NATS, the domain services, their background jobs and the HTTP server. `marquee dev`
// and the end-to-end tests both run it. It only wires: every rule and every job belongs to a domain package.
package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/config"
	"github.com/marqueehq/marquee/internal/events/hub"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/pgserver"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/s3server"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/internal/telemetry"
)

// Config is what flags and the environment set (see internal/config).
type Config = config.Config

// DefaultConfig is the configuration of `marquee dev` before flags.
func DefaultConfig() Config { return config.Default() }

// ParseFlags reads command-line flags into m.Config.
func (m *Main) ParseFlags(name string, args []string) error { return m.Config.Parse(name, args) }

// Main is a running Marquee process.
type Main struct {
	Config   Config
	Now      platform.Clock   // the system clock unless a test sets another
	Provider payment.Provider // the sandbox provider unless set
	Log      *slog.Logger
	// Telemetry is the process's metrics (its Registry is served at GET /metrics); made by Run when nil.
	Telemetry *telemetry.Region

	pg        *pgserver.Server
	db        *store.DB
	inventory *inventory.Service
	s3        *s3server.Server // the private versitygw, nil with --s3-endpoint
	objects   *objstore.Store
	natsSrv   *natsserver.Server // the embedded NATS, nil with --nats-url
	nc        *nats.Conn
	hub       *hub.Hub // the region events live watchers follow
	index     *search.Index
	jobs      jobs.Runner
	regional  *jobs.Regional
	server    *rpc.Server
	tracing   func(context.Context) error // flushes the trace exporter

	adminCode string // the first-run admin code printed at start, while the platform has no admin
}

// FirstRunAdminCode is the one-time code this process printed at start because the platform had no admin
// (AccountService.ClaimAdmin redeems it), or "" when it had one.
func (m *Main) FirstRunAdminCode() string { return m.adminCode }

// firstRunAdmin mints and prints a first-run admin code when the platform has no admin.
func (m *Main) firstRunAdmin(ctx context.Context, accounts *account.Service) error {
	code, exp, err := accounts.FirstRunCode(ctx)
	if err != nil || code == "" {
		return err
	}
	m.adminCode = code
	m.Log.Warn("no platform admin yet: sign in and redeem this one-time code with AccountService.ClaimAdmin to become one",
		"code", code, "expires", exp.Format(time.RFC3339))
	return nil
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Now: platform.SystemClock,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
}

// Run starts the database, migrates, seeds, starts NATS and the background jobs, builds the search index and
// starts serving; it returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	if m.Now == nil {
		m.Now = platform.SystemClock
	}
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := m.startTelemetry(ctx); err != nil {
		return err
	}
	m.jobs.Log = m.Log
	if err := m.openDB(ctx); err != nil {
		return err
	}
	if err := m.openObjects(ctx); err != nil {
		return err
	}
	if err := seed.Prepare(ctx, m.db, seed.PrepareOptions{Demo: m.Config.Seed, History: m.Config.History, Now: m.Now(), Log: m.Log}); err != nil {
		return err
	}
	secret, err := platform.Secret(m.Config.TokenSecret, filepath.Join(m.Config.DataDir, "token-secret"))
	if err != nil {
		return err
	}
	if m.Provider == nil {
		m.Provider = m.Config.Provider()
	}
	s := Services(m.db, m.Provider, m.Now, secret, m.Config)
	m.inventory = s.Inventory
	if err := m.firstRunAdmin(ctx, s.Accounts); err != nil {
		return err
	}
	if s.Compliance, err = Archive(m.db, m.objects, m.Config, m.Now); err != nil {
		return err
	}
	if m.index, err = search.New(); err != nil {
		return err
	}
	keeper := &search.Keeper{Index: m.index, Source: m.db.Catalog(), Now: m.Now, Regions: m.Config.Regions()}
	s.Search, s.Reindexer = m.index, keeper
	if err := m.startJobs(ctx, s, keeper); err != nil {
		return err
	}
	s.Interceptors = m.Telemetry.Interceptors()
	m.server, err = rpc.Listen(m.Config.Addr, m.Telemetry.Serve(rpc.NewMux(s, m.Log)))
	return err
}

// openDB connects to --database-url, or starts the private cluster under DataDir/pg and its database.
func (m *Main) openDB(ctx context.Context) error {
	url := m.Config.DatabaseURL
	if url == "" {
		var err error
		if m.pg, url, err = pgserver.StartDatabase(ctx, filepath.Join(m.Config.DataDir, "pg"), "marquee"); err != nil {
			return err
		}
		m.Log.Info("started private PostgreSQL", "dir", m.pg.Dir())
	}
	db, err := store.OpenTraced(ctx, url, int32(m.Config.MaxConns), m.Now, telemetry.SQLTracer{})
	if err != nil {
		return err
	}
	m.db, db.OnRetry = db, m.Telemetry.Retries.Observe
	m.Telemetry.WatchDB(db.Pool, db.Outbox().Lag, m.Now, m.Config.Regions())
	return db.Ping(ctx)
}

// openObjects connects to --s3-endpoint, or starts versitygw under DataDir/s3, and creates the archive
// buckets of the regions this process serves.
func (m *Main) openObjects(ctx context.Context) (err error) {
	m.objects, m.s3, err = s3server.Ensure(ctx, m.Config.S3(), filepath.Join(m.Config.DataDir, "s3"), m.Config.Buckets()...)
	if m.s3 != nil {
		m.Log.Info("started private S3 (versitygw)", "dir", m.s3.Dir(), "endpoint", m.s3.Endpoint())
	}
	return err
}

// Objects returns the S3 store holding the regions' archive buckets.
func (m *Main) Objects() *objstore.Store { return m.objects }

// Addr returns the address the server listens on.
func (m *Main) Addr() string { return m.server.Addr() }

// DB returns the database.
func (m *Main) DB() *store.DB { return m.db }

// Inventory returns the running process's seat service (nil before Run).
func (m *Main) Inventory() *inventory.Service { return m.inventory }

// PG returns the private PostgreSQL cluster, or nil when an external database is used.
func (m *Main) PG() *pgserver.Server { return m.pg }

// NATS returns the embedded NATS server, or nil with --nats-url.
func (m *Main) NATS() *natsserver.Server { return m.natsSrv }

// Jobs lists the names of the background jobs running, a region's as "<region>/<job>".
func (m *Main) Jobs() []string { return m.jobs.Names() }

// HeldRegions lists the regions whose jobs this process runs now (its own, and any it adopted).
func (m *Main) HeldRegions() []string { return m.regional.Held() }

// Close stops serving (letting requests in flight finish), stops the jobs, closes NATS and the database, and
// stops a private cluster and a private versitygw.
func (m *Main) Close() error {
	var errList []error
	m.hub.Close() // first, so that open streams end instead of holding the server's shutdown
	if m.server != nil {
		errList = append(errList, m.server.Close(10*time.Second))
	}
	m.jobs.Stop()
	if m.regional != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errList = append(errList, m.regional.ReleaseAll(ctx))
	}
	if m.nc != nil {
		m.nc.Close()
	}
	if m.natsSrv != nil {
		m.natsSrv.Shutdown()
	}
	if m.index != nil {
		_ = m.index.Close()
	}
	if m.db != nil {
		m.db.Close()
	}
	if m.pg != nil {
		errList = append(errList, m.pg.Stop())
	}
	if m.tracing != nil {
		errList = append(errList, m.tracing(context.Background()))
	}
	if m.s3 != nil {
		errList = append(errList, m.s3.Stop())
	}
	return errors.Join(errList...)
}
