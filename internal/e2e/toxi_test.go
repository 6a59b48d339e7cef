package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/marqueehq/marquee/internal/store/storetest"
)

// newToxiServer is an in-process toxiproxy server (no HTTP API: tests add toxics directly).
func newToxiServer() *toxiproxy.ApiServer {
	return toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
}

// startProxy runs a toxiproxy proxy on a free loopback port in front of upstream (host:port), stopped when t ends.
func startProxy(t testing.TB, srv *toxiproxy.ApiServer, name, upstream string) *toxiproxy.Proxy {
	t.Helper()
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// addToxic adds a toxic of type typ on stream ("upstream": client to server, or "downstream"), always applied.
func addToxic(t testing.TB, p *toxiproxy.Proxy, name, typ, stream string, attrs map[string]int) {
	t.Helper()
	var a []string
	for k, v := range attrs {
		a = append(a, fmt.Sprintf("%q:%d", k, v))
	}
	js := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":{%s}}`, name, typ, stream, strings.Join(a, ","))
	if _, err := p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatal(err)
	}
}

// unixForwarder accepts TCP on a free loopback port and joins each connection to the unix socket sock (the
// private PostgreSQL listens on a socket only; toxiproxy dials TCP).
func unixForwarder(t testing.TB, sock string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(u, c); u.Close() }()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return l.Addr().String()
}

// TestPostgresConnectionCutMidTransaction cuts a connection through toxiproxy (reset_peer on the way to the
// server, so COMMIT never arrives) inside a transaction: the commit fails, and the committed database has none
// of its writes.
func TestPostgresConnectionCutMidTransaction(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewURL(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
	p := startProxy(t, newToxiServer(), "postgres", unixForwarder(t, sock))
	direct, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `CREATE TABLE fault_probe (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	proxied, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", p.Listen, cfg.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer proxied.Close(ctx)
	tx, err := proxied.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO fault_probe VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	addToxic(t, p, "cut", "reset_peer", "upstream", map[string]int{"timeout": 0})
	if err := tx.Commit(ctx); err == nil {
		t.Fatal("commit through a cut connection succeeded")
	}
	var n int
	if err := direct.QueryRow(ctx, `SELECT count(*) FROM fault_probe`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows committed by the cut transaction: %d (%v), want 0", n, err)
	}
	t.Logf("faults injected: 1 (reset_peer mid-transaction); invariant violations: 0")
}
