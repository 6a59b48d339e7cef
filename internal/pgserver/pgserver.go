// Package pgserver starts a private PostgreSQL cluster from the machine's PostgreSQL binaries, for `marquee dev`
// and for tests. The cluster listens only on a Unix socket inside its own directory.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configures a cluster.
type Options struct {
	// Dir holds the cluster (Dir/data), its socket and its log. It is created if missing and kept on Stop.
	Dir string
	// Settings are extra server settings, name to value, for example {"fsync": "off"}.
	Settings map[string]string
}

// Server is a running private cluster.
type Server struct {
	dir  string
	bin  string
	cred *syscall.Credential
}

// ErrNoBinaries is returned when no PostgreSQL server binaries are installed.
var ErrNoBinaries = errors.New("pgserver: PostgreSQL server binaries not found; on Debian run `sudo apt-get install -y postgresql` (or `make deps`), or set DATABASE_URL")

// BinDir finds the directory holding initdb and pg_ctl: $PG_BIN, then the newest /usr/lib/postgresql/*/bin,
// then the PATH.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises the cluster in opts.Dir if needed and starts it. As root, the cluster runs as the
// `postgres` user, since initdb refuses root, and opts.Dir is handed to that user.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		if err := s.run(ctx, "initdb", "-D", s.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
			"--no-locale", "--no-sync"); err != nil {
			return nil, err
		}
	}
	_ = s.run(ctx, "pg_ctl", "-D", s.dataDir(), "-m", "immediate", "stop") // a cluster left by a killed run
	if err := s.run(ctx, "pg_ctl", "-D", s.dataDir(), "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", serverFlags(dir, opts.Settings), "start"); err != nil {
		return nil, fmt.Errorf("%w; see %s", err, filepath.Join(dir, "log"))
	}
	return s, nil
}

func serverFlags(dir string, settings map[string]string) string {
	all := map[string]string{"listen_addresses": "''", "unix_socket_directories": "'" + dir + "'",
		"max_connections": "400", "shared_buffers": "256MB"}
	for k, v := range settings {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "-c %s=%s ", k, all[k])
	}
	return b.String()
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// prepareDir creates the directory and, when running as root, gives it to the postgres user.
func (s *Server) prepareDir() error {
	// Parents must be traversable by the postgres user; the cluster directory itself is private to it.
	if err := os.MkdirAll(filepath.Dir(s.dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("pgserver: running as root needs a `postgres` user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	for d := filepath.Dir(s.dir); d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgserver: the postgres user cannot enter %s (mode %v); use a data directory whose parents are world-searchable", d, fi.Mode().Perm())
		}
	}
	return filepath.Walk(s.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func (s *Server) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgserver: %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// URL returns a connection URL for database db as the postgres superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", db, s.dir)
}

// Dir returns the cluster's directory, which also holds its socket.
func (s *Server) Dir() string { return s.dir }

// BinDir returns the directory of the PostgreSQL binaries in use (for pgbench).
func (s *Server) BinDir() string { return s.bin }

// Stop shuts the cluster down, waiting for it to finish.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.run(ctx, "pg_ctl", "-D", s.dataDir(), "-m", "fast", "-w", "stop")
}

// EnsureDatabase creates database name in the cluster if it is missing and returns its URL.
func (s *Server) EnsureDatabase(ctx context.Context, name string) (string, error) {
	c, err := pgx.Connect(ctx, s.URL("postgres"))
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
	return s.URL(name), nil
}

// StartDatabase starts (or restarts) the private cluster under dir and creates database name in it if
// missing, for `marquee dev`: it returns the cluster and the database's URL.
func StartDatabase(ctx context.Context, dir, name string) (*Server, string, error) {
	s, err := Start(ctx, Options{Dir: dir, Settings: map[string]string{"synchronous_commit": "off"}})
	if err != nil {
		return nil, "", err
	}
	url, err := s.EnsureDatabase(ctx, name)
	if err != nil {
		_ = s.Stop()
		return nil, "", err
	}
	return s, url, nil
}
