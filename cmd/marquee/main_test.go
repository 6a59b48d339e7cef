package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/marqueehq/marquee/regions"
)

// TestDevStopsCleanlyOnSIGTERM builds the binary, runs `marquee dev` on port 0, waits until its edge answers,
// sends SIGTERM and checks that it exits 0 and that its region children and its PostgreSQL stopped too.
func TestDevStopsCleanlyOnSIGTERM(t *testing.T) {
	dir, err := os.MkdirTemp("", "marquee-cmd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cmd, addr := start(t, buildBinary(t, dir), "dev", "--addr", "127.0.0.1:0", "--data-dir", data,
		"--database-url", "", "--bcrypt-cost", "4")
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	files, err := filepath.Glob(filepath.Join(data, "run", "*.pid"))
	if err != nil || len(files) != len(regions.All()) {
		t.Fatalf("pid files %v (%v), want one per region", files, err)
	}
	pids := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pids[f], _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	stop(t, cmd, "marquee dev")
	for f, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("region child %s (pid %d) still running after marquee dev stopped (%v)", f, pid, err)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "pg", "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after marquee dev stopped (postmaster.pid: %v)", err)
	}
}

// buildBinary builds the marquee binary into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "marquee")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// start runs bin with args and returns once it prints the address it listens on.
func start(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(bin), stderr.String())
		}
	})
	return cmd, waitForAddr(t, bufio.NewScanner(stdout))
}

// syncBuffer is a bytes.Buffer safe to write from the command's output copier while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stop sends SIGTERM and checks that the command exits 0 within 30 s.
func stop(t *testing.T, cmd *exec.Cmd, name string) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s exited with %v after SIGTERM, want 0", name, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s of SIGTERM", name)
	}
}

var listening = regexp.MustCompile(`listening on http://(\S+)`)

func waitForAddr(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok || !strings.Contains(addr, ":") {
			t.Fatal("marquee dev exited before listening")
		}
		return addr
	case <-time.After(90 * time.Second):
		t.Fatal("marquee dev did not start within 90s")
	}
	return ""
}

// TestMigrateCockroachOverlayPrintsTheCommittedFile runs `marquee migrate --cockroach-overlay` without a database
// and checks that it prints exactly the committed schema/cockroach/multiregion.sql.
func TestMigrateCockroachOverlayPrintsTheCommittedFile(t *testing.T) {
	var out bytes.Buffer
	if err := migrate(context.Background(), []string{"--cockroach-overlay", "--database-url", ""}, &out); err != nil {
		t.Fatalf("migrate --cockroach-overlay: %v", err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "schema", "cockroach", "multiregion.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), committed) {
		t.Fatalf("schema/cockroach/multiregion.sql differs from the output of marquee migrate --cockroach-overlay: " +
			"run `go run ./cmd/marquee migrate --cockroach-overlay > schema/cockroach/multiregion.sql`")
	}
	if !strings.Contains(out.String(), "ALTER DATABASE marquee SET PRIMARY REGION") {
		t.Fatalf("the overlay sets no primary region:\n%s", out.String())
	}
}

// TestEdgeStopsCleanlyOnSIGTERM runs `marquee edge` in front of a region that does not answer: it listens,
// says on /healthz that no region answers, and exits 0 on SIGTERM.
func TestEdgeStopsCleanlyOnSIGTERM(t *testing.T) {
	cmd, addr := start(t, buildBinary(t, t.TempDir()), "edge", "--addr", "127.0.0.1:0", "--region-url",
		"us-east1=http://127.0.0.1:1")
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with no region up: %v %v, want 503", res, err)
	}
	res.Body.Close()
	stop(t, cmd, "marquee edge")
}
