// Package stripetest runs a real stripe-mock (Stripe's official API mock, which validates every request against
// Stripe's OpenAPI specification) for tests. It installs the pinned version into <module root>/bin when the
// binary is missing: tests never skip for want of it.
//
// Two ways to use it:
//
//   - Start(t) alone: every call starts a private stripe-mock that t.Cleanup stops. It composes with any
//     TestMain, including one that calls storetest.Main(m).
//   - Run(m) (or Main(m)) from TestMain, then Start(t): the first Start launches one stripe-mock that the whole
//     test binary shares, and Run stops it once m.Run returns.
//
// stripe-mock keeps no state: it does not honour idempotency keys, decline cards or confirm PaymentIntents.
// Transport records requests and can patch PaymentIntent statuses for the last of these.
package stripetest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/gotool"
)

// Version is the stripe-mock release this package installs.
const Version = "v0.203.0"

// Key is a secret key that stripe-mock accepts.
const Key = "sk_test_123"

const (
	modulePath   = "github.com/stripe/stripe-mock"
	startTries   = 3
	readyTimeout = 30 * time.Second
)

var (
	inRun      atomic.Bool
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Run runs m's tests and then stops the stripe-mock they shared, if any started, and returns m.Run's code.
// Call it from TestMain: os.Exit(stripetest.Run(m)).
func Run(m *testing.M) int {
	inRun.Store(true)
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stripetest:", err)
		}
	}
	return code
}

// Main runs m's tests with Run and exits with their code.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Start returns the base URL of a running stripe-mock, such as "http://127.0.0.1:40123". Under Run the
// server is shared and started once; otherwise it is private to t and stops when t ends. Start fails t when
// stripe-mock cannot be installed or started.
func Start(t testing.TB) string {
	t.Helper()
	if inRun.Load() {
		sharedOnce.Do(func() { shared, sharedErr = StartServer() })
		if sharedErr != nil {
			t.Fatalf("stripetest: %v", sharedErr)
		}
		return shared.URL
	}
	s, err := StartServer()
	if err != nil {
		t.Fatalf("stripetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stripetest: %v", err)
		}
	})
	return s.URL
}

// Server is a running stripe-mock process.
type Server struct {
	URL  string // the HTTP base URL
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *gotool.Tail
}

// StartServer installs stripe-mock if needed, starts it on free loopback ports and waits until it answers.
// Ports are picked by listening on :0; if another process takes one first, it retries with new ports.
func StartServer() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	for range startTries {
		s, err := start(bin)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start stripe-mock: %w", errors.Join(errs...))
}

// Stop kills the process and waits for it to exit. It is safe to call more than once.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop stripe-mock: %w", err)
	}
	<-s.done
	return nil
}

func start(bin string) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s := &Server{URL: "http://" + httpAddr, done: make(chan struct{}), out: &gotool.Tail{Max: 16 << 10}}
	s.cmd = exec.Command(bin, "-http-addr", httpAddr,
		"-https-addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%w; output:\n%s", err, s.out.String())
	}
	return s, nil
}

// waitReady polls until stripe-mock answers any HTTP request, exits, or readyTimeout passes.
func (s *Server) waitReady() error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/balance", nil)
		req.SetBasicAuth(Key, "")
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			// Another process may hold the port we picked; only stripe-mock's answer counts.
			if resp.Header.Get("Stripe-Mock-Version") != "" {
				return nil
			}
		}
		select {
		case <-s.done:
			return errors.New("stripe-mock exited before answering")
		case <-time.After(25 * time.Millisecond):
		}
	}
	return fmt.Errorf("stripe-mock did not answer within %v", readyTimeout)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of <module root>/bin/stripe-mock, installing Version there first when it is missing.
func Binary() (string, error) {
	binOnce.Do(func() { binPath, binErr = binary() })
	return binPath, binErr
}

func binary() (string, error) {
	root, err := gotool.ModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bin")
	bin := filepath.Join(dir, "stripe-mock")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	return gotool.Install(modulePath, Version, "stripe-mock", dir)
}
