// Package devstack runs the whole multi-region shape on one machine, for `marquee dev`: one private
// PostgreSQL, one S3 server (versitygw, holding every region's archive bucket), a NATS supercluster (one embedded JetStream server per region, joined by gateways), one
// `marquee region` child process per region, and the edge in front of them. It is the same binary and the same
// wiring as a deployment across continents, on loopback.
package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/marqueehq/marquee/internal/account"
	"github.com/marqueehq/marquee/internal/natsserver"
	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/payment"
	"github.com/marqueehq/marquee/internal/pgserver"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/s3server"
	"github.com/marqueehq/marquee/internal/seed"
	"github.com/marqueehq/marquee/internal/store"
	"github.com/marqueehq/marquee/regions"
)

// Options configure a stack.
type Options struct {
	DataDir   string   // holds pg/, s3/, nats/, run/<region>.pid, log/<region>.log, and the shared secrets
	Regions   []string // the regions to run; default every region of regions/
	Binary    string   // the marquee executable the children run; default this process's own
	ChildArgs []string // extra flags for every `marquee region` child
	// ChildURL, when set, is given each URL a child is about to be given (kind "postgres" for the database,
	// "nats" for its region's NATS server, "payments" for the payment sandbox) and returns the one it is given instead: a fault-injection test puts
	// a proxy there.
	ChildURL func(kind, url string) string
	Seed     bool // load the demo catalog into an empty database
	History  bool // with Seed, load the demo's booking history (seed.DevHistory) into a database without one
	Log      *slog.Logger
}

// Region is a running region child.
type Region struct {
	Name, URL string
	PID       int
	cmd       *exec.Cmd
	done      chan struct{}
}

// Stack is a running multi-region stack.
type Stack struct {
	opts     Options
	pg       *pgserver.Server
	s3       *s3server.Server
	nats     *natsserver.Supercluster
	dbURL    string
	mu       sync.Mutex
	children map[string]*Region
	// adminCode is the first-run admin code minted at start (see AdminCode).
	adminCode string
	// payments serves the payment sandbox every child charges and refunds through (see startPayments).
	payments    *http.Server
	paymentsURL string
}

// Start starts the database (migrated and seeded here, once, before any region starts), S3 with every
// region's bucket, the supercluster and a region child per region, and returns once every child answers its health check.
func Start(ctx context.Context, o Options) (*Stack, error) {
	// World-searchable, made first: the cluster under it runs as the postgres user, and NATS or the secrets
	// would otherwise create it 0750 or 0700.
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	if len(o.Regions) == 0 {
		for _, r := range regions.All() {
			o.Regions = append(o.Regions, r.Name)
		}
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.Binary = exe
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Stack{opts: o, children: map[string]*Region{}}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	var clusters []string
	for _, name := range s.opts.Regions {
		r, ok := regions.ByName(name)
		if !ok {
			return fmt.Errorf("devstack: no region %q in regions/", name)
		}
		clusters = append(clusters, r.NATSCluster)
	}
	if err := s.makeSecrets(); err != nil {
		return err
	}
	// The supercluster takes seconds to elect a JetStream meta leader, the demo catalog seconds to load: the
	// two start side by side.
	natsErr := make(chan error, 1)
	go func() {
		sc, err := natsserver.StartSupercluster(filepath.Join(s.opts.DataDir, "nats"), clusters...)
		if err == nil {
			s.nats = sc
			s.opts.Log.Info("started NATS supercluster", "clusters", clusters)
		}
		natsErr <- err
	}()
	s3Err := make(chan error, 1)
	go func() { s3Err <- s.startS3(ctx) }()
	if err := errors.Join(s.startDB(ctx), <-natsErr, <-s3Err); err != nil {
		return err
	}
	if err := s.writeConnection(); err != nil {
		return err
	}
	if err := s.startPayments(); err != nil {
		return err
	}
	for _, name := range s.opts.Regions {
		if err := s.StartRegion(name); err != nil {
			return err
		}
	}
	return s.WaitHealthy(ctx)
}

// startPayments serves one payment sandbox on a loopback port for every child (--sandbox-url), as regions share
// one Stripe account: a charge made by one region's process can be refunded or looked up by another's, and
// survives the process that made it.
func (s *Stack) startPayments() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.payments = &http.Server{Handler: payment.SandboxHandler(payment.NewSandbox()), ReadHeaderTimeout: 5 * time.Second}
	s.paymentsURL = "http://" + l.Addr().String()
	go func() { _ = s.payments.Serve(l) }()
	s.opts.Log.Info("started the payment sandbox", "url", s.paymentsURL)
	return nil
}

// pgOptions are the private cluster's.
func (s *Stack) pgOptions() pgserver.Options {
	return pgserver.Options{Dir: filepath.Join(s.opts.DataDir, "pg"), Settings: map[string]string{"synchronous_commit": "off"}}
}

// startDB starts the private cluster under DataDir/pg, and migrates and seeds its database.
func (s *Stack) startDB(ctx context.Context) error {
	pg, err := pgserver.Start(ctx, s.pgOptions())
	if err != nil {
		return err
	}
	s.pg = pg
	s.opts.Log.Info("started private PostgreSQL", "dir", pg.Dir())
	if s.dbURL, err = pg.EnsureDatabase(ctx, "marquee"); err != nil {
		return err
	}
	db, err := store.Open(ctx, s.dbURL, 4, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := seed.Prepare(ctx, db, seed.PrepareOptions{Demo: s.opts.Seed, History: s.opts.History,
		Now: time.Now().UTC().Truncate(time.Microsecond), Log: s.opts.Log}); err != nil {
		return err
	}
	s.adminCode, _, err = (&account.Service{Admins: db.Accounts(), Now: platform.SystemClock}).FirstRunCode(ctx)
	return err
}

// AdminCode is the first-run admin code the stack minted at start because the platform had no admin
// (AccountService.ClaimAdmin redeems it), or "" when it had one. The region children mint and log their own.
func (s *Stack) AdminCode() string { return s.adminCode }

// startS3 starts versitygw under DataDir/s3 and creates the archive bucket of every region of the stack.
func (s *Stack) startS3(ctx context.Context) error {
	srv, err := s3server.Start(ctx, s3server.Options{Dir: filepath.Join(s.opts.DataDir, "s3")})
	if err != nil {
		return err
	}
	s.s3 = srv
	s.opts.Log.Info("started S3 (versitygw)", "dir", srv.Dir(), "endpoint", srv.Endpoint(), "pid", srv.PID())
	st, err := objstore.New(objstore.Config{Endpoint: srv.Endpoint(), AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey()})
	if err != nil {
		return err
	}
	var buckets []string
	for _, name := range s.opts.Regions {
		r, _ := regions.ByName(name) // start checked the names
		buckets = append(buckets, r.S3Bucket)
	}
	return st.EnsureBuckets(ctx, buckets...)
}

// makeSecrets creates the token secret, the archive key and the ticket key the children share, before any starts (several
// creating them at once would each make their own).
func (s *Stack) makeSecrets() error {
	if _, err := platform.Secret(os.Getenv("MARQUEE_TOKEN_SECRET"), filepath.Join(s.opts.DataDir, "token-secret")); err != nil {
		return err
	}
	if _, err := platform.Secret(os.Getenv("MARQUEE_ARCHIVE_KEY"), filepath.Join(s.opts.DataDir, "keys", "archive-key")); err != nil {
		return err
	}
	_, _, err := notify.TicketKey(filepath.Join(s.opts.DataDir, "keys", "ticket-ed25519.pem"))
	return err
}

// childURL is the URL of kind a child is given for url (see Options.ChildURL).
func (s *Stack) childURL(kind, url string) string {
	if s.opts.ChildURL == nil {
		return url
	}
	return s.opts.ChildURL(kind, url)
}

// RestartPostgres stops the stack's PostgreSQL (a fast shutdown: connections are cut, transactions under way
// roll back) and starts it again on the same data; the children reconnect by themselves.
func (s *Stack) RestartPostgres(ctx context.Context) error {
	if err := s.pg.Stop(); err != nil {
		return err
	}
	pg, err := pgserver.Start(ctx, s.pgOptions())
	if err != nil {
		return err
	}
	s.pg = pg
	return nil
}

// DatabaseURL is the URL of the stack's database.
func (s *Stack) DatabaseURL() string { return s.dbURL }

// S3 returns the stack's S3 server, which every region child uses.
func (s *Stack) S3() *s3server.Server { return s.s3 }

// NATS returns the supercluster.
func (s *Stack) NATS() *natsserver.Supercluster { return s.nats }

// StartRegion starts (or starts again) the child of region name: `marquee region` on a free loopback port
// (on a restart, the address it had before, so that an edge given URLs() finds it again), its PID in
// DataDir/run/<name>.pid and its output in DataDir/log/<name>.log. It refuses a region whose child is still
// running. A child that exits is reported and not restarted; it is killed if this process dies.
func (s *Stack) StartRegion(name string) error {
	r, ok := regions.ByName(name)
	if !ok {
		return fmt.Errorf("devstack: no region %q in regions/", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	addr, err := s.addrFor(name)
	if err != nil {
		return err
	}
	args := []string{"region", "--region", name, "--addr", addr, "--data-dir", s.opts.DataDir,
		"--database-url", s.childURL("postgres", s.dbURL), "--nats-url", s.childURL("nats", s.nats.Servers[r.NATSCluster].URL()),
		"--sandbox-url", s.childURL("payments", s.paymentsURL),
		"--s3-endpoint", s.s3.Endpoint(), "--s3-access-key", s.s3.AccessKey(), "--s3-secret-key", s.s3.SecretKey()}
	args = append(args, s.opts.ChildArgs...)
	cmd := exec.Command(s.opts.Binary, args...)
	logFile, err := openIn(filepath.Join(s.opts.DataDir, "log"), name+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group (a terminal's Ctrl-C reaches the stack, which stops the children in order), and
	// killed with its parent, so a crashed stack or test leaves no region running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("devstack: starting region %s: %w", name, err)
	}
	child := &Region{Name: name, URL: "http://" + addr, PID: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	s.children[name] = child
	go s.watch(child, logFile)
	s.opts.Log.Info("started region", "region", name, "url", child.URL, "pid", child.PID,
		"log", logFile.Name())
	return writePID(s.opts.DataDir, name, child.PID)
}

// addrFor is the listen address of region name's next child: its last child's, or a free loopback port for
// the first. It fails while the last child runs. s.mu is held.
func (s *Stack) addrFor(name string) (string, error) {
	if last := s.children[name]; last != nil {
		if !last.Exited() {
			return "", fmt.Errorf("devstack: region %s is running (pid %d)", name, last.PID)
		}
		return strings.TrimPrefix(last.URL, "http://"), nil
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// watch reports a child's exit on the console and removes its PID file.
func (s *Stack) watch(child *Region, logFile *os.File) {
	err := child.cmd.Wait()
	logFile.Close()
	_ = os.Remove(filepath.Join(s.opts.DataDir, "run", child.Name+".pid"))
	close(child.done)
	s.opts.Log.Warn("region process exited; not restarted (its calls go to the nearest healthy region)",
		"region", child.Name, "pid", child.PID, "err", err)
}

// Regions returns the region children by name, as last started.
func (s *Stack) Regions() map[string]*Region {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*Region{}
	for k, v := range s.children {
		out[k] = v
	}
	return out
}

// URLs returns each region's URL by name, for the edge.
func (s *Stack) URLs() map[string]string {
	out := map[string]string{}
	for name, r := range s.Regions() {
		out[name] = r.URL
	}
	return out
}

// Exited reports whether the region's child has exited.
func (r *Region) Exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Close stops the children (SIGTERM, then SIGKILL after 10 s), NATS, S3 and the database.
func (s *Stack) Close() error {
	var errList []error
	for _, r := range s.Regions() {
		errList = append(errList, r.stop(10*time.Second))
	}
	if s.nats != nil {
		s.nats.Close()
	}
	if s.payments != nil {
		_ = s.payments.Close()
	}
	_ = os.Remove(connectionPath(s.opts.DataDir))
	if s.s3 != nil {
		errList = append(errList, s.s3.Stop())
	}
	if s.pg != nil {
		errList = append(errList, s.pg.Stop())
	}
	return errors.Join(errList...)
}

// stop sends SIGTERM and waits up to grace for the child to exit, then kills it.
func (r *Region) stop(grace time.Duration) error {
	if r.Exited() {
		return nil
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-r.PID, syscall.SIGKILL)
		<-r.done
		return fmt.Errorf("devstack: region %s did not stop in %v and was killed", r.Name, grace)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func openIn(dir, name string, flag int) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, name), flag, 0o644)
}

func writePID(dataDir, name string, pid int) error {
	f, err := openIn(filepath.Join(dataDir, "run"), name+".pid", os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, pid)
	return errors.Join(err, f.Close())
}

// Connection is how to reach a running stack's database and S3 server, written to DataDir/run/stack.json
// (0600) while it runs, so that `marquee archive` on the same data dir needs no flags.
type Connection struct {
	DatabaseURL string `json:"database_url"`
	S3Endpoint  string `json:"s3_endpoint"`
	S3AccessKey string `json:"s3_access_key"`
	S3SecretKey string `json:"s3_secret_key"`
}

func connectionPath(dataDir string) string { return filepath.Join(dataDir, "run", "stack.json") }

// writeConnection writes the stack's Connection.
func (s *Stack) writeConnection() error {
	b, err := json.Marshal(Connection{DatabaseURL: s.dbURL, S3Endpoint: s.s3.Endpoint(), S3AccessKey: s.s3.AccessKey(),
		S3SecretKey: s.s3.SecretKey()})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(connectionPath(s.opts.DataDir)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(connectionPath(s.opts.DataDir), b, 0o600)
}

// ReadConnection reads the Connection of the stack running on dataDir; false when none runs there.
func ReadConnection(dataDir string) (Connection, bool) {
	var c Connection
	b, err := os.ReadFile(connectionPath(dataDir))
	return c, err == nil && json.Unmarshal(b, &c) == nil && c.DatabaseURL != ""
}
