package natsserver_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/marqueehq/marquee/internal/natsserver"
)

func TestRestartKeepsPortAndStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	url := srv.URL()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"},
		Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.a", []byte("x")); err != nil {
		t.Fatal(err)
	}

	srv.Shutdown()
	if srv.Running() {
		t.Fatal("Running after Shutdown")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := srv.URL(); got != url {
		t.Fatalf("URL after Restart = %q, want %q", got, url)
	}
	info := streamInfo(ctx, t, js)
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after Restart, want 1", info.State.Msgs)
	}
}

// streamInfo waits for the client to reconnect and returns stream T's info.
func streamInfo(ctx context.Context, t *testing.T, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	for {
		s, err := js.Stream(ctx, "T")
		if err == nil {
			return s.CachedInfo()
		}
		if ctx.Err() != nil {
			t.Fatalf("stream T after Restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartOnGivenPortAndDir(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	srv, err := natsserver.Start(natsserver.Options{Port: port, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if want := "nats://127.0.0.1:" + strconv.Itoa(port); srv.URL() != want {
		t.Fatalf("URL = %q, want %q", srv.URL(), want)
	}
	if srv.StoreDir() != dir {
		t.Fatalf("StoreDir = %q, want %q", srv.StoreDir(), dir)
	}
}
