// Package storetest gives tests fresh, migrated databases on a real PostgreSQL: the server named by
// DATABASE_URL, or else a private throwaway cluster that this package starts and stops. Tests never skip for
// want of a database.
package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/marqueehq/marquee/internal/pgserver"
	"github.com/marqueehq/marquee/internal/platform"
	"github.com/marqueehq/marquee/internal/store"
)

var (
	adminURL string // a URL of the server's maintenance database
	server   *pgserver.Server
	tplOnce  sync.Once
	tplErr   error
	tplName  string
	createMu sync.Mutex
	dbSeq    atomic.Int64
)

// Main runs the package's tests with a PostgreSQL server and exits. Call it from TestMain.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "storetest:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		adminURL = u
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "marquee-pg-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	server, err = pgserver.Start(context.Background(), pgserver.Options{Dir: dir, Settings: map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}})
	if err != nil {
		return 0, err
	}
	adminURL = server.URL("postgres")
	code := m.Run()
	return code, server.Stop()
}

// URLFor returns adminURL with its database replaced by name.
func URLFor(name string) string {
	u, err := url.Parse(adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewURL creates a fresh migrated database and returns its URL; it is dropped when t ends.
func NewURL(t testing.TB) string {
	t.Helper()
	if adminURL == "" {
		t.Fatal("storetest: call storetest.Main(m) from TestMain")
	}
	tplOnce.Do(func() { tplErr = makeTemplate() })
	if tplErr != nil {
		t.Fatalf("storetest: template database: %v", tplErr)
	}
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbSeq.Add(1))
	createMu.Lock()
	err := admin(func(c *pgx.Conn) error {
		_, err := c.Exec(context.Background(), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tplName))
		return err
	})
	createMu.Unlock()
	if err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		_ = admin(func(c *pgx.Conn) error {
			_, err := c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			return err
		})
	})
	return URLFor(name)
}

// NewDB returns a fresh migrated database whose clock is now (the system clock when nil), closed when t ends.
func NewDB(t testing.TB, now platform.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), NewURL(t), 64, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func makeTemplate() error {
	tplName = fmt.Sprintf("marquee_tpl_%d", os.Getpid())
	err := admin(func(c *pgx.Conn) error {
		_, err := c.Exec(context.Background(), "CREATE DATABASE "+tplName)
		return err
	})
	if err != nil {
		return err
	}
	db, err := store.Open(context.Background(), URLFor(tplName), 2, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(context.Background())
}

func admin(fn func(*pgx.Conn) error) error {
	c, err := pgx.Connect(context.Background(), adminURL)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return fn(c)
}
