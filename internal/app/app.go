// Package app wires Marquee together: configuration, the database (a private PostgreSQL cluster when no
// DATABASE_URL is given), the domain services and the HTTP server. `marquee dev` and the end-to-end tests both
// run it.
package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/inventory"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/ticket"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/pgserver"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/search"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/standby"
	"github.com/marqueehq/marquee/internal/store"
)

// Config is what flags and the environment set.
type Config struct {
	Addr             string        // listen address; port 0 picks one
	DataDir          string        // holds the private PostgreSQL cluster and the dev token secret
	DatabaseURL      string        // an existing database; empty starts a private cluster under DataDir
	HoldTTL          time.Duration // how long a seat hold lasts
	RefundFullBefore time.Duration // full refund until this long before the show, none after
	Seed             bool          // load the demo catalog into an empty database
	BcryptCost       int
	TokenSecret      string // HMAC key for bearer tokens; generated and kept in DataDir when empty
	MaxConns         int    // database pool size
	// StripeSecretKey selects the Stripe provider (else the sandbox); StripeAPIBase points it elsewhere than
	// Stripe's API (stripe-mock); StripeWebhookSecret enables POST /webhooks/stripe.
	StripeSecretKey, StripeAPIBase, StripeWebhookSecret string
	// AdminEmail makes the account with this email a platform admin when it registers or at start.
	AdminEmail string
	// WorkerInterval is how often the background loop sweeps expired holds and serves standby lines.
	WorkerInterval time.Duration
	// NATSURL is a NATS server with JetStream; empty starts an embedded one under DataDir/nats.
	NATSURL string
	// SMTPAddr is the mail submission server; empty writes emails as .eml files under DataDir/mail.
	SMTPAddr, MailFrom string
	// TicketKey is the Ed25519 key (PKCS#8 PEM) that signs QR tickets; created under DataDir/keys when empty.
	TicketKey string
	// OfferWindowMin and OfferWindowMax bound a standby offer's window, which is the time left before the show
	// divided by 96 (15 minutes a day ahead) within those bounds.
	OfferWindowMin, OfferWindowMax time.Duration
	// SMSURL and PushURL are the SMS and push providers' endpoints; requests are signed with NotifySecret.
	SMSURL, PushURL, NotifySecret string
}

// DefaultConfig is the configuration of `marquee dev` before flags.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: ".marquee", DatabaseURL: os.Getenv("DATABASE_URL"),
		HoldTTL: inventory.DefaultHoldTTL, RefundFullBefore: 2 * time.Hour, Seed: true, BcryptCost: 10,
		TokenSecret: os.Getenv("MARQUEE_TOKEN_SECRET"), MaxConns: 32, StripeSecretKey: os.Getenv("STRIPE_SECRET_KEY"),
		StripeWebhookSecret: os.Getenv("STRIPE_WEBHOOK_SECRET"), AdminEmail: os.Getenv("MARQUEE_ADMIN_EMAIL"),
		WorkerInterval: 500 * time.Millisecond, OfferWindowMin: standby.DefaultWindow.Min, OfferWindowMax: standby.DefaultWindow.Max, NATSURL: os.Getenv("NATS_URL"), SMTPAddr: os.Getenv("SMTP_ADDR"),
		MailFrom: "Marquee <tickets@marquee.local>", TicketKey: os.Getenv("MARQUEE_TICKET_KEY"),
		SMSURL: os.Getenv("SMS_URL"), PushURL: os.Getenv("PUSH_URL"), NotifySecret: os.Getenv("NOTIFY_SIGNING_SECRET")}
}

// Main is a running Marquee process.
type Main struct {
	Config   Config
	Now      platform.Clock   // the system clock unless a test sets another
	Provider payment.Provider // the sandbox provider unless set
	Log      *slog.Logger

	pg     *pgserver.Server
	db     *store.DB
	server *http.Server
	// stopWorker stops the background loop and waits for it.
	stopWorker func()
	search     *searcher
	natsSrv    *natsserver.Server // the embedded NATS, nil with --nats-url
	nc         *nats.Conn
	stopRelay  func() // stops the outbox relay and waits for it
	ln         net.Listener
	done       chan error
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Now: platform.SystemClock,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
}

// ParseFlags reads command-line flags into m.Config.
func (m *Main) ParseFlags(name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &m.Config
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (HTTP/1.1 and h2c)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the private PostgreSQL cluster and secrets")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL/CockroachDB URL (default $DATABASE_URL; empty starts a private cluster)")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", c.HoldTTL, "how long seats stay held (5m to 10m)")
	fs.DurationVar(&c.RefundFullBefore, "refund-full-before", c.RefundFullBefore, "full refund until this long before the show, none after")
	fs.BoolVar(&c.Seed, "seed", c.Seed, "load the demo catalog into an empty database")
	fs.IntVar(&c.BcryptCost, "bcrypt-cost", c.BcryptCost, "bcrypt cost of password hashes (4 to 31)")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "database connection pool size")
	fs.StringVar(&c.StripeAPIBase, "stripe-api-base", c.StripeAPIBase, "Stripe API base URL (default Stripe's; for stripe-mock)")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "NATS server URL (default $NATS_URL; empty starts an embedded server under --data-dir)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", c.SMTPAddr, "SMTP server host:port (default $SMTP_ADDR; empty writes .eml files under --data-dir/mail)")
	fs.DurationVar(&c.OfferWindowMin, "offer-window-min", c.OfferWindowMin, "shortest standby offer window (close to the show)")
	fs.DurationVar(&c.OfferWindowMax, "offer-window-max", c.OfferWindowMax, "longest standby offer window (a day or more ahead)")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender of notification emails")
	fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL, "SMS provider endpoint (default $SMS_URL; requests signed with $NOTIFY_SIGNING_SECRET)")
	fs.StringVar(&c.PushURL, "push-url", c.PushURL, "push provider endpoint (default $PUSH_URL)")
	fs.StringVar(&c.TicketKey, "ticket-key", c.TicketKey, "Ed25519 PEM key signing QR tickets (default $MARQUEE_TICKET_KEY; created under --data-dir/keys)")
	fs.StringVar(&c.AdminEmail, "admin-email", c.AdminEmail, "make the account with this email a platform admin (default $MARQUEE_ADMIN_EMAIL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.HoldTTL < 5*time.Minute || c.HoldTTL > 10*time.Minute {
		return fmt.Errorf("--hold-ttl must be between 5m and 10m, got %v", c.HoldTTL)
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		return fmt.Errorf("--bcrypt-cost must be between 4 and 31")
	}
	return nil
}

// Run starts the database, migrates, seeds and starts serving; it returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	if m.Now == nil {
		m.Now = platform.SystemClock
	}
	if m.Log == nil {
		m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := m.openDB(ctx); err != nil {
		return err
	}
	if err := m.prepareDB(ctx); err != nil {
		return err
	}
	services, err := m.services()
	if err != nil {
		return err
	}
	if err := m.startEvents(services); err != nil {
		return err
	}
	start := time.Now()
	if err := m.search.Reindex(ctx, nil); err != nil {
		return err
	}
	m.Log.Info("built search index", "took", time.Since(start).Round(time.Millisecond))
	m.startWorker(services)
	return m.serve(rpc.NewMux(services, m.Log))
}

// startEvents connects to NATS (an embedded server under DataDir/nats unless --nats-url) and starts the outbox
// relay, which publishes every committed outbox row to JetStream, and the consumers.
func (m *Main) startEvents(s rpc.Services) error {
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
	r, err := relay.New(m.db, nc, relay.Options{Log: m.Log})
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	n, err := m.notifier()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	run(func() { _ = r.Run(ctx) })
	standbyConsumer := &relay.Consumer{Durable: "standby", Filter: "marquee.>", Handle: standbyTrigger(s.Standby), Log: m.Log}
	run(func() { _ = standbyConsumer.Run(ctx, js) })
	notifyConsumer := &relay.Consumer{Durable: "notify", Filter: "marquee.>", Handle: n.handle, Log: m.Log}
	run(func() { _ = notifyConsumer.Run(ctx, js) })
	// Each process keeps its own search index, so each has its own consumer. It starts at the events stored
	// from just before the index is built from the database, so no change falls between the two, and the
	// server deletes it an hour after the process is gone.
	searchConsumer := &relay.Consumer{Durable: "search-" + m.db.IDs.New(), Filter: "marquee.*.catalog.changed",
		Handle: m.search.handle, Log: m.Log, StartAt: time.Now().Add(-time.Second), InactiveThreshold: time.Hour}
	run(func() { _ = searchConsumer.Run(ctx, js) })
	run(func() { every(ctx, time.Hour, func() { logErr(m.Log, "search prune", m.search.prune()) }) })
	run(func() {
		every(ctx, time.Hour, func() {
			_, err := m.db.Prune(ctx, m.Now(), store.DefaultRetention)
			logErr(m.Log, "pruning bookkeeping rows", err)
		})
	})
	run(func() { _ = n.sender.Run(ctx, 250*time.Millisecond) })
	run(func() { every(ctx, time.Minute, func() { logErr(m.Log, "reminders", n.remind(ctx)) }) })
	run(func() {
		every(ctx, time.Minute, func() {
			_, err := s.Bookings.RetryRefunds(ctx, time.Minute)
			logErr(m.Log, "retrying refunds", err)
		})
	})
	m.stopRelay = func() { cancel(); wg.Wait() }
	return nil
}

// notifier builds the notification pipeline: the ticket key, the email channel and the delivery sender.
func (m *Main) notifier() (*notifier, error) {
	keyPath := m.Config.TicketKey
	if keyPath == "" {
		keyPath = filepath.Join(m.Config.DataDir, "keys", "ticket-ed25519.pem")
	}
	key, err := ticket.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, err
	}
	pub, err := ticket.PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	pubPath := strings.TrimSuffix(keyPath, ".pem") + ".pub.pem"
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return nil, err
	}
	m.Log.Info("tickets are signed", "public_key", pubPath)
	var email notify.Channel = mailbox{dir: filepath.Join(m.Config.DataDir, "mail"), from: m.Config.MailFrom, now: m.Now}
	if m.Config.SMTPAddr != "" {
		if email, err = notify.NewSMTP(notify.SMTPConfig{Addr: m.Config.SMTPAddr, From: m.Config.MailFrom}); err != nil {
			return nil, err
		}
	}
	channels := map[string]notify.Channel{notify.ChannelEmail: email}
	if err := m.httpChannels(channels); err != nil {
		return nil, err
	}
	sender := notify.NewSender(m.db.Deliveries(), channels, m.Now)
	sender.Logger = m.Log
	return &notifier{db: m.db, settings: m.db.Accounts(), sender: sender, key: key, now: m.Now, log: m.Log}, nil
}

// httpChannels adds the SMS and push providers that are configured.
func (m *Main) httpChannels(channels map[string]notify.Channel) error {
	cfg := notify.HTTPConfig{Secret: []byte(m.Config.NotifySecret), Timeout: 10 * time.Second, Now: m.Now}
	for name, url := range map[string]string{notify.ChannelSMS: m.Config.SMSURL, notify.ChannelPush: m.Config.PushURL} {
		if url == "" {
			continue
		}
		cfg.Endpoint = url
		newChannel := notify.NewSMS
		if name == notify.ChannelPush {
			newChannel = notify.NewPush
		}
		ch, err := newChannel(cfg)
		if err != nil {
			return err
		}
		channels[name] = ch
	}
	return nil
}

// every runs f now and then every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func logErr(log *slog.Logger, what string, err error) {
	if err != nil {
		log.Warn(what, "err", err)
	}
}

// NATS returns the embedded NATS server, or nil with --nats-url.
func (m *Main) NATS() *natsserver.Server { return m.natsSrv }

// startWorker runs the background loop: expired holds released, standby lines closed and served.
func (m *Main) startWorker(s rpc.Services) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &standby.Worker{Service: s.Standby, Sweeper: s.Inventory, Lines: m.db.Standby(), Interval: m.Config.WorkerInterval,
		Log: m.Log}
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	m.stopWorker = func() { cancel(); <-done }
}

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
		if url, err = ensureDatabase(ctx, m.pg, "marquee"); err != nil {
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

// ensureDatabase creates database name in the private cluster if missing and returns its URL.
func ensureDatabase(ctx context.Context, pg *pgserver.Server, name string) (string, error) {
	c, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	return pg.URL(name), nil
}

func (m *Main) prepareDB(ctx context.Context) error {
	if err := m.db.Migrate(ctx); err != nil {
		return err
	}
	if err := m.db.Catalog().EnsureRegions(ctx); err != nil {
		return err
	}
	if m.Config.AdminEmail != "" {
		if err := m.db.Accounts().MakeAdmin(ctx, m.Config.AdminEmail); err != nil {
			return err
		}
	}
	if !m.Config.Seed {
		return nil
	}
	start := time.Now()
	sum, err := seed.Demo(ctx, m.db.Catalog(), m.db.IDs, m.Now())
	if err != nil {
		return err
	}
	if !sum.AlreadySeeded {
		m.Log.Info("loaded demo catalog", "cities", sum.Cities, "theatres", sum.Theatres, "movies", sum.Movies,
			"showtimes", sum.Showtimes, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func (m *Main) services() (rpc.Services, error) {
	secret, err := m.tokenSecret()
	if err != nil {
		return rpc.Services{}, err
	}
	if m.Provider == nil {
		m.Provider = payment.NewSandbox()
		if m.Config.StripeSecretKey != "" {
			m.Provider = payment.NewStripe(m.Config.StripeSecretKey, m.Config.StripeAPIBase)
		}
	}
	s := Services(m.db, m.Provider, m.Now, secret, m.Config)
	ix, err := search.New()
	if err != nil {
		return s, err
	}
	m.search = &searcher{ix: ix, cat: m.db.Catalog(), now: m.Now}
	s.Search, s.Reindexer = ix, m.search
	return s, nil
}

// tokenSecret returns the configured secret, or one generated once and kept in the data dir.
func (m *Main) tokenSecret() ([]byte, error) {
	if m.Config.TokenSecret != "" {
		if len(m.Config.TokenSecret) < 32 {
			return nil, errors.New("MARQUEE_TOKEN_SECRET must be at least 32 bytes")
		}
		return []byte(m.Config.TokenSecret), nil
	}
	path := filepath.Join(m.Config.DataDir, "token-secret")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

func (m *Main) serve(h http.Handler) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.ln = ln
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	m.server = &http.Server{Handler: h, Protocols: p, ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	m.done = make(chan error, 1)
	go func() { m.done <- m.server.Serve(ln) }()
	return nil
}

// Addr returns the address the server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// DB returns the database.
func (m *Main) DB() *store.DB { return m.db }

// PG returns the private PostgreSQL cluster, or nil when an external database is used.
func (m *Main) PG() *pgserver.Server { return m.pg }

// Close stops serving (letting requests in flight finish), closes the database and stops a private cluster.
func (m *Main) Close() error {
	var errList []error
	if m.stopWorker != nil {
		m.stopWorker()
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errList = append(errList, m.server.Shutdown(ctx))
		if err := <-m.done; !errors.Is(err, http.ErrServerClosed) {
			errList = append(errList, err)
		}
	}
	if m.stopRelay != nil {
		m.stopRelay()
	}
	if m.nc != nil {
		m.nc.Close()
	}
	if m.natsSrv != nil {
		m.natsSrv.Shutdown()
	}
	if m.search != nil {
		_ = m.search.ix.Close()
	}
	if m.db != nil {
		m.db.Close()
	}
	if m.pg != nil {
		errList = append(errList, m.pg.Stop())
	}
	return errors.Join(errList...)
}
