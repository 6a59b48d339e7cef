// Package app wires Marquee together: configuration, the database (a private PostgreSQL cluster when no
// DATABASE_URL is given), NATS, the domain services, their background jobs and the HTTP server. `marquee dev`
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
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/config"
	"github.com/marqueehq/marquee/internal/events"
	"github.com/marqueehq/marquee/internal/events/consume"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/jobs"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/pgserver"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
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

	pg      *pgserver.Server
	db      *store.DB
	natsSrv *natsserver.Server // the embedded NATS, nil with --nats-url
	nc      *nats.Conn
	index   *search.Index
	jobs    jobs.Runner
	server  *rpc.Server
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
	m.jobs.Log = m.Log
	if err := m.openDB(ctx); err != nil {
		return err
	}
	if err := m.db.Prepare(ctx, m.Config.AdminEmail); err != nil {
		return err
	}
	if m.Config.Seed {
		if err := seed.DemoLogged(ctx, m.db, m.Now(), m.Log); err != nil {
			return err
		}
	}
	secret, err := platform.Secret(m.Config.TokenSecret, filepath.Join(m.Config.DataDir, "token-secret"))
	if err != nil {
		return err
	}
	if m.Provider == nil {
		m.Provider = m.Config.Provider()
	}
	s := Services(m.db, m.Provider, m.Now, secret, m.Config)
	if m.index, err = search.New(); err != nil {
		return err
	}
	keeper := &search.Keeper{Index: m.index, Source: m.db.Catalog(), Now: m.Now}
	s.Search, s.Reindexer = m.index, keeper
	if err := m.startEvents(s, keeper); err != nil {
		return err
	}
	start := time.Now()
	if err := keeper.Reindex(ctx, nil); err != nil {
		return err
	}
	m.Log.Info("built search index", "took", time.Since(start).Round(time.Millisecond))
	m.jobs.Start(s.Inventory.ExpireHoldsJob(m.Config.WorkerInterval), s.Bookings.RetryRefundsJob(time.Minute),
		m.db.PruneJob(time.Hour), keeper.PruneJob(time.Hour))
	m.jobs.Start(s.Standby.Jobs(m.Config.WorkerInterval)...)
	m.server, err = rpc.Listen(m.Config.Addr, rpc.NewMux(s, m.Log))
	return err
}

// startEvents connects to NATS (an embedded server under DataDir/nats unless --nats-url) and starts the jobs
// of the event path: the outbox relay, the consumers, and the notification deliveries and reminders.
func (m *Main) startEvents(s rpc.Services, keeper *search.Keeper) error {
	url := m.Config.NATSURL
	if url == "" {
		srv, err := natsserver.Start(natsserver.Options{StoreDir: filepath.Join(m.Config.DataDir, "nats")})
		if err != nil {
			return err
		}
		m.natsSrv, url = srv, srv.URL()
		m.Log.Info("started embedded NATS", "url", url, "dir", srv.StoreDir())
	}
	nc, err := relay.Connect(url, "marquee")
	if err != nil {
		return err
	}
	m.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	n, err := m.notifier()
	if err != nil {
		return err
	}
	startAt := time.Now().Add(-time.Second)
	id := m.db.IDs.New()
	for _, st := range m.streams() {
		r, err := relay.New(m.db.Outbox(), nc, relay.Options{Stream: st, Log: m.Log})
		if err != nil {
			return err
		}
		m.jobs.Start(r.Job(), consume.Search(keeper, st, id, startAt, m.Log).Job(js))
		if st.Region != events.GlobalRegion {
			m.jobs.Start(consume.Standby(s.Standby, st, m.Log).Job(js), consume.Notify(n, st, m.Log).Job(js))
		}
	}
	m.jobs.Start(n.Sender.Job(250*time.Millisecond), n.RemindersJob(time.Minute))
	return nil
}

// streams are the event streams of every region and of global rows, placed in their regions' NATS clusters
// when NATS is clustered (global rows' in the primary region's).
func (m *Main) streams() []relay.Stream {
	clustered := m.nc.ConnectedClusterName() != ""
	cluster := func(r regions.Region) string {
		if !clustered {
			return ""
		}
		return r.NATSCluster
	}
	var out []relay.Stream
	for _, r := range regions.All() {
		out = append(out, relay.Stream{Region: r.Name, Cluster: cluster(r)})
	}
	return append(out, relay.Stream{Region: events.GlobalRegion, Cluster: cluster(regions.Primary())})
}

// notifier builds the notification pipeline: the ticket key, the channels and the delivery sender.
func (m *Main) notifier() (*notify.Notifier, error) {
	c := m.Config
	keyPath := c.TicketKey
	if keyPath == "" {
		keyPath = filepath.Join(c.DataDir, "keys", "ticket-ed25519.pem")
	}
	key, pubPath, err := notify.TicketKey(keyPath)
	if err != nil {
		return nil, err
	}
	m.Log.Info("tickets are signed", "public_key", pubPath)
	channels, err := notify.NewChannels(notify.ChannelsConfig{SMTPAddr: c.SMTPAddr, MailFrom: c.MailFrom,
		MailDir: filepath.Join(c.DataDir, "mail"), SMSURL: c.SMSURL, PushURL: c.PushURL,
		Secret: []byte(c.NotifySecret), Now: m.Now})
	if err != nil {
		return nil, err
	}
	sender := notify.NewSender(m.db.Deliveries(), channels, m.Now)
	sender.Logger = m.Log
	return &notify.Notifier{Source: m.db, Settings: m.db.Accounts(), Sender: sender, Key: key, Now: m.Now,
		Log: m.Log}, nil
}

// openDB connects to --database-url, or starts the private cluster under DataDir/pg and its database.
func (m *Main) openDB(ctx context.Context) error {
	url := m.Config.DatabaseURL
	if url == "" {
		var err error
		m.pg, err = pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(m.Config.DataDir, "pg"),
			Settings: map[string]string{"synchronous_commit": "off"}})
		if err != nil {
			return err
		}
		m.Log.Info("started private PostgreSQL", "dir", m.pg.Dir())
		if url, err = m.pg.EnsureDatabase(ctx, "marquee"); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, url, int32(m.Config.MaxConns), m.Now)
	if err != nil {
		return err
	}
	m.db = db
	return db.Ping(ctx)
}

// Addr returns the address the server listens on.
func (m *Main) Addr() string { return m.server.Addr() }

// DB returns the database.
func (m *Main) DB() *store.DB { return m.db }

// PG returns the private PostgreSQL cluster, or nil when an external database is used.
func (m *Main) PG() *pgserver.Server { return m.pg }

// NATS returns the embedded NATS server, or nil with --nats-url.
func (m *Main) NATS() *natsserver.Server { return m.natsSrv }

// Jobs lists the names of the background jobs running.
func (m *Main) Jobs() []string { return m.jobs.Names() }

// Close stops serving (letting requests in flight finish), stops the jobs, closes NATS and the database, and
// stops a private cluster.
func (m *Main) Close() error {
	var errList []error
	if m.server != nil {
		errList = append(errList, m.server.Close(10*time.Second))
	}
	m.jobs.Stop()
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
	return errors.Join(errList...)
}
