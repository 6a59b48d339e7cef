package s3server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/objstore"
	"github.com/marqueehq/marquee/internal/objstore/s3test"
	"github.com/marqueehq/marquee/internal/s3server"
)

func start(t *testing.T, o s3server.Options) *s3server.Server {
	t.Helper()
	s3test.Server(t) // installs versitygw when it is missing
	srv, err := s3server.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func client(t *testing.T, srv *s3server.Server) *objstore.Store {
	t.Helper()
	st, err := objstore.New(objstore.Config{Endpoint: srv.Endpoint(), AccessKey: srv.AccessKey(), SecretKey: srv.SecretKey()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRestartKeepsKeysAndObjects stops a server and starts another on the same directory: generated keys
// are kept (0600) and the objects and their protection are still there.
func TestRestartKeepsKeysAndObjects(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := start(t, s3server.Options{Dir: dir})
	if srv.AccessKey() == "" || srv.SecretKey() == "" {
		t.Fatal("no keys generated")
	}
	if fi, err := os.Stat(filepath.Join(dir, "credentials")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials: %v, %v; want mode 0600", fi, err)
	}
	st := client(t, srv)
	if err := st.EnsureBucket(ctx, "archive"); err != nil {
		t.Fatal(err)
	}
	v, err := st.Put(ctx, "archive", "k", []byte("kept"), "text/plain", time.Now().Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	pid := srv.PID()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("pid %d still there after Stop: %v", pid, err)
	}

	again := start(t, s3server.Options{Dir: dir})
	if again.AccessKey() != srv.AccessKey() || again.SecretKey() != srv.SecretKey() {
		t.Fatal("keys changed across a restart on the same directory")
	}
	st = client(t, again)
	if got, err := st.Get(ctx, "archive", "k"); err != nil || string(got) != "kept" {
		t.Fatalf("Get after restart: %q, %v", got, err)
	}
	if err := st.Delete(ctx, "archive", "k", v); !errors.Is(err, objstore.ErrLocked) {
		t.Fatalf("Delete after restart: %v, want ErrLocked", err)
	}
}

// TestGivenKeysAndAddress starts a server on a chosen port with chosen keys and checks that other keys are
// refused.
func TestGivenKeysAndAddress(t *testing.T) {
	ctx := context.Background()
	srv := start(t, s3server.Options{Dir: t.TempDir(), AccessKey: "marqueetest", SecretKey: "marqueetestsecret"})
	addr := srv.Endpoint()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	srv = start(t, s3server.Options{Dir: t.TempDir(), Addr: addr, AccessKey: "marqueetest", SecretKey: "marqueetestsecret"})
	if srv.Endpoint() != addr || srv.AccessKey() != "marqueetest" {
		t.Fatalf("endpoint %s key %s; want %s marqueetest", srv.Endpoint(), srv.AccessKey(), addr)
	}
	if err := client(t, srv).EnsureBucket(ctx, "given"); err != nil {
		t.Fatal(err)
	}
	bad, err := objstore.New(objstore.Config{Endpoint: addr, AccessKey: "marqueetest", SecretKey: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.EnsureBucket(ctx, "given"); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
}

// TestStartErrors checks that bad options and a port in use give clear errors.
func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	srv := start(t, s3server.Options{Dir: t.TempDir()})
	if _, err := s3server.Start(ctx, s3server.Options{Dir: t.TempDir(), AccessKey: "only-one"}); err == nil ||
		!strings.Contains(err.Error(), "both") {
		t.Errorf("only an access key: %v", err)
	}
	if _, err := s3server.Start(ctx, s3server.Options{Dir: t.TempDir(), Addr: srv.Endpoint()}); err == nil {
		t.Error("a second server on a port in use started")
	}
}

// TestBinPath checks $VERSITYGW and the error naming `make tools`.
func TestBinPath(t *testing.T) {
	t.Setenv("VERSITYGW", "/nonexistent/versitygw")
	if _, err := s3server.BinPath(); err == nil {
		t.Error("BinPath accepted a missing $VERSITYGW")
	}
	if !strings.Contains(s3server.ErrNoBinary.Error(), "make tools") {
		t.Errorf("ErrNoBinary %q does not name make tools", s3server.ErrNoBinary)
	}
	t.Setenv("VERSITYGW", "")
	p, err := s3server.BinPath()
	if err != nil || filepath.Base(p) != "versitygw" {
		t.Errorf("BinPath: %q, %v", p, err)
	}
}
