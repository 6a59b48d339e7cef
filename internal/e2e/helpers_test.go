package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// httpClient is every test client's: HTTP/1.1, as a browser's fetch may be, with a bound on each call.
var httpClient = &http.Client{Timeout: 20 * time.Second}

// api holds the Connect clients of one base URL: the edge's or a region's own.
type api struct {
	base     string
	accounts marqueev1connect.AccountServiceClient
	catalog  marqueev1connect.CatalogServiceClient
	seats    marqueev1connect.SeatServiceClient
	bookings marqueev1connect.BookingServiceClient
	standby  marqueev1connect.StandbyServiceClient
	search   marqueev1connect.SearchServiceClient
	admin    marqueev1connect.AdminServiceClient
}

func newAPI(base string) *api {
	return &api{base: base,
		accounts: marqueev1connect.NewAccountServiceClient(httpClient, base),
		catalog:  marqueev1connect.NewCatalogServiceClient(httpClient, base),
		seats:    marqueev1connect.NewSeatServiceClient(httpClient, base),
		bookings: marqueev1connect.NewBookingServiceClient(httpClient, base),
		standby:  marqueev1connect.NewStandbyServiceClient(httpClient, base),
		search:   marqueev1connect.NewSearchServiceClient(httpClient, base),
		admin:    marqueev1connect.NewAdminServiceClient(httpClient, base),
	}
}

// as makes a request signed in with token (none when empty).
func as[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	return req
}

// servedBy is the region that served a call through the edge.
func servedBy(h interface{ Header() http.Header }) string { return h.Header().Get(edge.RegionHeader) }

// answeredBy is the region that answered a call through the edge, an error answer included (a sold-out
// show's BestAvailable is answered too); "" when no region answered.
func answeredBy[T any](res *connect.Response[T], err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Meta().Get(edge.RegionHeader)
	}
	if err != nil {
		return ""
	}
	return servedBy(res)
}

// must takes a call's results and returns a check that fails the test if the call failed, and otherwise
// returns its response: must(client.Call(ctx, req))(t, "Call").
func must[T any](res *connect.Response[T], err error) func(t testing.TB, what string) *connect.Response[T] {
	return func(t testing.TB, what string) *connect.Response[T] {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res
	}
}

// waitFor polls cond every 10ms until it holds, failing after limit; it returns how long it took.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	if !poll(limit, cond) {
		t.Fatalf("%s: not within %v", what, limit)
	}
	return time.Since(start)
}

// tempDir is a data directory the postgres user can reach (a private cluster runs as postgres when root).
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "marquee-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// count runs a query returning one number.
func count(t testing.TB, db *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// strings1 runs a query returning one text column.
func strings1(t testing.TB, db *pgxpool.Pool, sql string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
