package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDevStopsCleanlyOnSIGTERM builds the binary, runs `marquee dev` on port 0, waits until it answers, sends
// SIGTERM and checks that it exits 0 and that its PostgreSQL stopped too.
func TestDevStopsCleanlyOnSIGTERM(t *testing.T) {
	dir, err := os.MkdirTemp("", "marquee-cmd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "marquee")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--database-url", "", "--bcrypt-cost", "4")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	addr := waitForAddr(t, bufio.NewScanner(stdout))
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("marquee dev exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("marquee dev did not stop within 30s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "pg", "data", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after marquee dev stopped (postmaster.pid: %v)", err)
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
	bin := filepath.Join(t.TempDir(), "marquee")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "edge", "--addr", "127.0.0.1:0", "--region-url", "us-east1=http://127.0.0.1:1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	addr := waitForAddr(t, bufio.NewScanner(stdout))
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with no region up: %v %v, want 503", res, err)
	}
	res.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("marquee edge exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("marquee edge did not stop within 30s of SIGTERM")
	}
}
