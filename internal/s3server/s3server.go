// Package s3server runs a real S3 server, versitygw with its posix backend, as a child process: the S3 of
// `marquee dev` and of tests. Objects live as files under Dir/data/<bucket>/<key>, older versions under
// Dir/versions, and metadata (retention, legal hold, checksums) in extended attributes of those files.
//
// Versioning is always on, since versitygw's posix backend supports object lock only with a versioning
// directory.
//
// On disk (posix backend): the latest version of an object is the file Dir/data/<bucket>/<key>; older versions
// are Dir/versions/<bucket>/<h[0:2]>/<h[2:4]>/<h[4:6]>/<h>/<versionID> with h the hex SHA-256 of the key;
// deleting the latest version moves the previous one back into Dir/data. Metadata (ETag, checksum,
// retention, legal hold) is kept in extended attributes. Nothing is cached: a read after the file was
// damaged on disk returns the damaged bytes, with the stored ETag and checksum unchanged (nothing is
// verified on read).
//
// Quirks of versitygw v1.8.0, found by this package's and internal/objstore's tests:
//   - `--port 127.0.0.1:0` does not report the port it bound, so Start picks a free port itself (listening on
//     :0 and closing it) and retries with another if the child loses the race for it.
//   - A child that cannot bind its port exits only after a moment, while whoever holds the port answers:
//     Start waits on a health path (--health) with a random name given to this child only, so that it never
//     takes another versitygw's answer for its own child's.
//   - A legal hold does not protect a version whose retention date has passed: the server deletes it
//     (a hold on a version without retention is enforced). objstore.Store.Delete checks the hold itself.
//   - HEAD of a version that is no longer the latest omits its object lock headers (mode, retain-until date,
//     legal hold), though they are still enforced; objstore asks for them apart.
//   - GET ?retention answers with the root element ObjectLockRetention instead of S3's Retention, which
//     minio-go's GetObjectRetention cannot parse; objstore parses it itself.
//   - A signed chunked upload with a trailing checksum (minio-go's PutObjectOptions.Checksum over HTTP) is
//     refused ("The SHA256 you specified did not match the calculated checksum", CRC32C likewise) even when
//     the checksum is right; and any aws-chunked upload keeps "Content-Encoding: aws-chunked" as the object's
//     content encoding. objstore sends the checksums as plain headers on an unchunked body instead.
//   - HEAD answers carry X-Amz-Request-Id and X-Amz-Id-2 twice (harmless).
package s3server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

	"github.com/marqueehq/marquee/internal/gotool"
	"github.com/marqueehq/marquee/internal/objstore"
)

// Version is the versitygw release the Makefile's `tools` target and Install put into bin/. Keep it equal to
// VERSITYGW_VERSION in the Makefile.
const Version = "v1.8.0"

// ModulePath is the Go package of the versitygw command.
const ModulePath = "github.com/versity/versitygw/cmd/versitygw"

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3
)

// Options configure a server.
type Options struct {
	// Dir holds the objects (Dir/data), their older versions (Dir/versions), the keys (Dir/credentials) and
	// the server's output (Dir/versitygw.log). It is created if missing and kept on Stop.
	Dir string
	// Addr is the listen address, host:port; the default 127.0.0.1:0 picks a free loopback port.
	Addr string
	// AccessKey and SecretKey are the root user's keys. When both are empty, the keys kept in Dir/credentials
	// are used, or random ones are generated and kept there, so a server restarted on the same Dir accepts
	// the same keys. Setting only one of them is an error.
	AccessKey, SecretKey string
}

// Server is a running versitygw child process.
type Server struct {
	dir, addr string
	health    string // the path only this child answers 200 on
	access    string
	secret    string
	cmd       *exec.Cmd
	done      chan struct{} // closed once the process has exited
	log       *os.File
	stopOnce  sync.Once
	stopErr   error
}

// Start starts versitygw on opts.Dir and returns once it answers HTTP requests. The child runs in its own
// process group and is killed if the thread that started it (in practice, this process) dies.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinPath()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("s3server: %w", err)
	}
	for _, d := range []string{DataDir(dir), VersionsDir(dir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("s3server: %w", err)
		}
	}
	access, secret, err := keys(dir, opts.AccessKey, opts.SecretKey)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("s3server: address %q: %w", addr, err)
	}
	tries := 1
	if port == "0" {
		tries = startTries // a port we picked may be taken before the child binds it
	}
	var errs []error
	for range tries {
		a := addr
		if port == "0" {
			if a, err = freeAddr(host); err != nil {
				return nil, err
			}
		}
		s := &Server{dir: dir, addr: a, access: access, secret: secret}
		if err = s.start(ctx, bin); err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("s3server: starting versitygw in %s: %w", dir, errors.Join(errs...))
}

// DataDir is where a server on dir keeps the latest version of each object: DataDir(dir)/<bucket>/<key>.
func DataDir(dir string) string { return filepath.Join(dir, "data") }

// VersionsDir is where a server on dir keeps the older versions of objects.
func VersionsDir(dir string) string { return filepath.Join(dir, "versions") }

// Endpoint is the host:port the server listens on.
func (s *Server) Endpoint() string { return s.addr }

// AccessKey is the root user's access key.
func (s *Server) AccessKey() string { return s.access }

// SecretKey is the root user's secret key.
func (s *Server) SecretKey() string { return s.secret }

// PID is the process ID of the versitygw child.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Dir is the server's directory (absolute).
func (s *Server) Dir() string { return s.dir }

// Stop sends SIGTERM to the child, waits for it to exit, and kills its process group if it has not exited
// after 10 s. It is safe to call more than once; later calls return the first one's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(stopTimeout) })
	return s.stopErr
}

func (s *Server) stop(grace time.Duration) error {
	defer s.log.Close()
	if s.exited() {
		return nil
	}
	if err := syscall.Kill(s.PID(), syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("s3server: stopping versitygw (pid %d): %w", s.PID(), err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-s.PID(), syscall.SIGKILL)
		<-s.done
		return fmt.Errorf("s3server: versitygw (pid %d) did not stop in %v and was killed", s.PID(), grace)
	}
}

func (s *Server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// start runs the child on s.addr and waits until it answers.
func (s *Server) start(ctx context.Context, bin string) error {
	logPath := filepath.Join(s.dir, "versitygw.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.log = log
	tail := &gotool.Tail{Max: 8 << 10}
	s.health = "/.marquee-ready-" + randomHex(8) // a bucket name cannot start with '.'; no bucket is shadowed
	// The keys go in the environment rather than on the command line, where any user could read them in ps.
	s.cmd = exec.Command(bin, "--port", s.addr, "--quiet", "--health", s.health,
		"posix", "--versioning-dir", VersionsDir(s.dir), DataDir(s.dir))
	s.cmd.Env = append(childEnv(), "ROOT_ACCESS_KEY_ID="+s.access, "ROOT_SECRET_ACCESS_KEY="+s.secret)
	s.cmd.Stdout = io.MultiWriter(log, tail)
	s.cmd.Stderr = s.cmd.Stdout
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return err
	}
	s.done = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.stop(time.Second)
		return fmt.Errorf("%w; output (%s):\n%s", err, logPath, tail)
	}
	return nil
}

// waitReady polls until the child answers on its health path, exits, or readyTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+s.health, nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("versitygw exited before answering on %s", s.addr)
		case <-ctx.Done():
			return fmt.Errorf("versitygw did not answer on %s within %v: %w", s.addr, readyTimeout, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// childEnv is this process's environment without the variables versitygw would read its keys from.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ROOT_") && !strings.HasPrefix(name, "VGW_") {
			out = append(out, kv)
		}
	}
	return out
}

// keys returns the configured keys, else those kept in dir/credentials, else new random ones kept there.
func keys(dir, access, secret string) (string, string, error) {
	if (access == "") != (secret == "") {
		return "", "", errors.New("s3server: set both the access key and the secret key, or neither")
	}
	if access != "" {
		return access, secret, nil
	}
	path := filepath.Join(dir, "credentials")
	if b, err := os.ReadFile(path); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			return f[0], f[1], nil
		}
		return "", "", fmt.Errorf("s3server: %s should hold an access key and a secret key", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("s3server: %w", err)
	}
	access, secret = "marquee"+randomHex(8), randomHex(20)
	if err := os.WriteFile(path, []byte(access+"\n"+secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("s3server: keeping the keys: %w", err)
	}
	return access, secret, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// freeAddr returns host with a port that was free a moment ago.
func freeAddr(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("s3server: finding a free port: %w", err)
	}
	defer l.Close()
	return net.JoinHostPort(host, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)), nil
}

// Ensure connects to the S3 server of c, or, when c has no endpoint, starts versitygw under dir (returned, for
// the caller to stop), and creates buckets (with object lock) where missing.
func Ensure(ctx context.Context, c objstore.Config, dir string, buckets ...string) (*objstore.Store, *Server, error) {
	var srv *Server
	if c.Endpoint == "" {
		var err error
		if srv, err = Start(ctx, Options{Dir: dir}); err != nil {
			return nil, nil, err
		}
		c = objstore.Config{Endpoint: srv.Endpoint(), AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey()}
	}
	st, err := objstore.New(c)
	if err == nil {
		err = st.EnsureBuckets(ctx, buckets...)
	}
	if err != nil && srv != nil {
		_ = srv.Stop()
	}
	return st, srv, err
}
