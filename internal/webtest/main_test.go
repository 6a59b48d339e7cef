package webtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/s3server"

	"github.com/chromedp/chromedp"
)

// adminEmail is the account setup registers and makes a platform admin with the first-run code `marquee dev`
// prints.
const adminEmail = "admin@example.test"

// holdTTL is how long a hold lasts in this stack: short, so a test can watch one run out.
const holdTTL = 15 * time.Second

// stack is the one `marquee dev` and the one Chromium every test and benchmark of the package shares.
type stack struct {
	root   string // the repository root
	dir    string // temporary: the binary and the data directory
	url    string // the edge: the app and the API, e.g. http://127.0.0.1:41234
	cmd    *exec.Cmd
	exited chan struct{}
	log    *syncBuffer // the dev command's stdout and stderr
	// adminCode is the first-run admin code `marquee dev` printed, read before it says where it listens.
	adminCode string
	browser   context.Context
	closers   []func()
}

var (
	sharedOnce sync.Once
	shared     *stack
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.close()
	}
	os.Exit(code)
}

// env returns the shared stack, starting it on first use; a test fails (never skips) when it cannot start.
// When the test fails, what `marquee dev` logged during it is printed.
func env(t testing.TB) *stack {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = start() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	mark, regionMarks := shared.log.Len(), shared.regionLogSizes()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("marquee dev output during %s:\n%s", t.Name(), shared.log.Since(mark, 64<<10))
			shared.printRegionLogs(t, regionMarks)
		}
	})
	return shared
}

// regionLogSizes returns the size of each region child's log (data/log/REGION.log) by path.
func (s *stack) regionLogSizes() map[string]int64 {
	files, _ := filepath.Glob(filepath.Join(s.dir, "data", "log", "*.log"))
	sizes := map[string]int64{}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			sizes[f] = st.Size()
		}
	}
	return sizes
}

// printRegionLogs prints what each region child logged after marks (at most its last 16 KB).
func (s *stack) printRegionLogs(t testing.TB, marks map[string]int64) {
	t.Helper()
	for f := range s.regionLogSizes() {
		b, err := os.ReadFile(f)
		if err != nil || int64(len(b)) <= marks[f] {
			continue
		}
		b = b[marks[f]:]
		if len(b) > 16<<10 {
			b = b[len(b)-16<<10:]
		}
		t.Logf("%s during %s:\n%s", filepath.Base(f), t.Name(), b)
	}
}

// start builds the binary, runs `marquee dev` on a free port and starts Chromium. On an error it undoes what it
// started.
func start() (s *stack, err error) {
	s = &stack{log: &syncBuffer{}}
	defer func() {
		if err != nil {
			s.close()
			s = nil
		}
	}()
	if s.root, err = repoRoot(); err != nil {
		return s, err
	}
	if _, err := os.Stat(filepath.Join(s.root, "web", "dist", "index.html")); err != nil {
		return s, fmt.Errorf("web/dist/index.html is missing: run make web first (%v)", err)
	}
	chromium, err := findChromium()
	if err != nil {
		return s, err
	}
	if s.dir, err = os.MkdirTemp("", "marquee-webtest-"); err != nil {
		return s, err
	}
	s.closers = append(s.closers, func() { os.RemoveAll(s.dir) })
	if err := os.Chmod(s.dir, 0o755); err != nil { // the private PostgreSQL runs as postgres when we are root
		return s, err
	}
	bin := filepath.Join(s.dir, "marquee")
	build := exec.Command("go", "build", "-o", bin, "./cmd/marquee")
	build.Dir = s.root
	if out, err := build.CombinedOutput(); err != nil {
		return s, fmt.Errorf("go build ./cmd/marquee: %v\n%s", err, out)
	}
	if err := s.runDev(bin); err != nil {
		return s, err
	}
	return s, s.startBrowser(chromium)
}

// repoRoot is the directory of go.mod, two levels above this package.
func repoRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root not found above the test package: %v", err)
	}
	return root, nil
}

// findChromium finds Debian's chromium, which `make browser` installs.
func findChromium() (string, error) {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("chromium not found: run make browser (it runs apt-get install -y chromium)")
}

var (
	listening     = regexp.MustCompile(`listening on http://(\S+)`)
	adminCodeLine = regexp.MustCompile(`admin code: (\S+)`)
)

// runDev starts `marquee dev` and waits until it says where it listens.
func (s *stack) runDev(bin string) error {
	s.cmd = exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(s.dir, "data"),
		"--database-url", "", "--bcrypt-cost", "4",
		"--hold-ttl", holdTTL.String(), "--allow-short-holds", "--history=false") // the flows need no past
	s.cmd.Dir = s.dir
	// The stack's S3 server: the binary runs outside the module, where it would not find bin/versitygw.
	gw, err := s3server.BinPath()
	if err != nil {
		return err
	}
	s.cmd.Env = append(os.Environ(), "VERSITYGW="+gw)
	s.cmd.Stderr = s.log
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	s.closers = append(s.closers, s.stopDev)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(s.log, sc.Text())
			if m := adminCodeLine.FindStringSubmatch(sc.Text()); m != nil {
				s.adminCode = m[1] // printed before the listening line, so read before found is sent
			}
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	select {
	case addr := <-found:
		s.url = "http://" + addr
	case <-s.exited:
		return fmt.Errorf("marquee dev exited before listening:\n%s", s.log.Since(0, 64<<10))
	case <-time.After(3 * time.Minute):
		return fmt.Errorf("marquee dev did not listen within 3 minutes:\n%s", s.log.Since(0, 64<<10))
	}
	return s.waitHealthy()
}

// waitHealthy waits until the edge answers /healthz with 200.
func (s *stack) waitHealthy() error {
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("edge /healthz not 200 within a minute (%v, %v)", res, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopDev sends SIGTERM to the dev command's PID and waits for it (it stops its children and PostgreSQL); after
// 30 s it kills it.
func (s *stack) stopDev() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// startBrowser starts one headless Chromium; each test opens its own browser contexts in it.
func (s *stack) startBrowser(path string) error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	s.closers = append(s.closers, cancelAlloc, cancelBrowser) // run in reverse: the browser, then the allocator
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("start chromium (%s): %w", path, err)
	}
	s.browser = browser
	return nil
}

// close stops what start started, last first.
func (s *stack) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// syncBuffer collects a command's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Len is how many bytes have been written.
func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Since returns what was written after offset mark, at most the last limit bytes of it.
func (b *syncBuffer) Since(mark, limit int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.buf.Bytes()[mark:]
	if len(out) > limit {
		return fmt.Sprintf("[... %d bytes left out ...]\n%s", len(out)-limit, out[len(out)-limit:])
	}
	return string(out)
}
