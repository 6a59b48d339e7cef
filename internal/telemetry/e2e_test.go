package telemetry_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
	"github.com/marqueehq/marquee/deploy/grafana"
	"github.com/marqueehq/marquee/internal/app"
	"github.com/marqueehq/marquee/internal/edge"
	"github.com/marqueehq/marquee/internal/s3server"
	"github.com/marqueehq/marquee/internal/store/storetest"
)

// TestMain makes sure versitygw is installed (the region serves archive buckets), then runs the tests on a
// private PostgreSQL.
func TestMain(m *testing.M) {
	if _, err := s3server.BinPath(); err != nil {
		root, err := s3server.ModuleRoot()
		if err == nil {
			var p string
			if p, err = s3server.Install(filepath.Join(root, "bin")); err == nil {
				err = os.Setenv("VERSITYGW", p)
			}
		}
		if err != nil {
			panic(err)
		}
	}
	storetest.Main(m)
}

// stack is one region process and an edge in front of it, tracing into an in-memory recorder.
type stack struct {
	region *app.Main
	edge   *edge.Main
	spans  *tracetest.SpanRecorder
}

func startStack(t *testing.T) *stack {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev); _ = tp.Shutdown(context.Background()) })
	dir, err := os.MkdirTemp("", "marquee-telemetry-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := app.NewMain()
	r.Config.Addr, r.Config.DataDir, r.Config.DatabaseURL = "127.0.0.1:0", dir, storetest.NewURL(t)
	r.Config.NATSURL, r.Config.S3Endpoint, r.Config.Region, r.Config.BcryptCost = "", "", "us-east1", 4
	r.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := r.Run(context.Background()); err != nil {
		_ = r.Close()
		t.Fatalf("region: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	e := edge.NewMain()
	e.Config.Log = nil
	if err := e.ParseFlags("marquee edge", []string{"--addr", "127.0.0.1:0", "--region-url", "us-east1=http://" + r.Addr()}); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background()); err != nil {
		t.Fatalf("edge: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return &stack{region: r, edge: e, spans: spans}
}

// scrape returns GET /metrics of the server at addr.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// value returns the value of the series written exactly as series in a scrape, or "" when absent.
func value(scraped, series string) string {
	for line := range strings.Lines(scraped) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}

func TestThroughEdgeAndRegion(t *testing.T) {
	s := startStack(t)
	base := "http://" + s.edge.ListenAddr()
	catalog := marqueev1connect.NewCatalogServiceClient(http.DefaultClient, base)
	res, err := catalog.ListCities(context.Background(), connect.NewRequest(&marqueev1.ListCitiesRequest{}))
	if err != nil {
		t.Fatalf("ListCities: %v", err)
	}
	bookings := marqueev1connect.NewBookingServiceClient(http.DefaultClient, base)
	_, err = bookings.ListMyBookings(context.Background(), connect.NewRequest(&marqueev1.ListMyBookingsRequest{}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("ListMyBookings without a token: %v, want unauthenticated", err)
	}

	t.Run("RequestID", func(t *testing.T) {
		ids := res.Header().Values("X-Request-Id")
		if len(ids) == 0 || ids[0] == "" {
			t.Fatalf("no X-Request-Id in the answer: %v", res.Header())
		}
		for _, id := range ids { // the region's copy, forwarded back, is the edge's ID: it trusted it
			if id != ids[0] {
				t.Fatalf("request IDs %v differ between edge and region", ids)
			}
		}
	})
	t.Run("RegionMetrics", func(t *testing.T) {
		m := scrape(t, s.region.Addr())
		for series, want := range map[string]string{
			`marquee_rpc_requests_total{code="ok",procedure="/marquee.v1.CatalogService/ListCities"}`:                  "1",
			`marquee_rpc_requests_total{code="unauthenticated",procedure="/marquee.v1.BookingService/ListMyBookings"}`: "1",
			`marquee_rpc_duration_seconds_count{procedure="/marquee.v1.CatalogService/ListCities"}`:                    "1",
		} {
			if got := value(m, series); got != want {
				t.Errorf("%s = %q, want %q", series, got, want)
			}
		}
		for _, name := range []string{"marquee_db_pool_max_conns", "marquee_outbox_unpublished_events",
			"marquee_nats_consumer_pending_messages", `marquee_tx_retries_total{cause="serialization"}`} {
			if !strings.Contains(m, name) {
				t.Errorf("region /metrics lacks %s", name)
			}
		}
	})
	t.Run("EdgeMetrics", func(t *testing.T) {
		m := scrape(t, s.edge.ListenAddr())
		for series, want := range map[string]string{
			`marquee_edge_requests_total{code="ok",region="us-east1",route="/marquee.v1.CatalogService/ListCities"}`:                  "1",
			`marquee_edge_requests_total{code="unauthenticated",region="us-east1",route="/marquee.v1.BookingService/ListMyBookings"}`: "1",
			`marquee_edge_region_up{region="us-east1"}`: "1",
		} {
			if got := value(m, series); got != want {
				t.Errorf("%s = %q, want %q", series, got, want)
			}
		}
	})
	t.Run("Trace", func(t *testing.T) { checkTrace(t, s.spans.Ended()) })
	t.Run("Dashboard", func(t *testing.T) {
		checkDashboard(t, scrape(t, s.region.Addr())+scrape(t, s.edge.ListenAddr()))
	})
	t.Run("RetriesByCause", func(t *testing.T) { checkRetries(t, s) })
}

// checkTrace finds the region's ListCities span and checks that its parent chain reaches the edge's server
// span and that an SQL span is its child.
func checkTrace(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	var rpcSpan sdktrace.ReadOnlySpan
	for _, sp := range spans {
		byID[sp.SpanContext().SpanID()] = sp
		if sp.Name() == "marquee.v1.CatalogService/ListCities" && sp.SpanKind() == trace.SpanKindServer {
			rpcSpan = sp
		}
	}
	if rpcSpan == nil {
		t.Fatalf("no region span for ListCities among %d spans", len(spans))
	}
	var path []string
	reachedEdge := false
	for sp := rpcSpan; sp != nil; sp = byID[sp.Parent().SpanID()] {
		path = append(path, sp.Name())
		if sp.SpanKind() == trace.SpanKindServer && strings.Contains(sp.InstrumentationScope().Name, "otelhttp") {
			reachedEdge = true
		}
		if !sp.Parent().IsValid() {
			break
		}
	}
	if !reachedEdge {
		t.Fatalf("region span's ancestors %v do not reach the edge's server span", path)
	}
	sql := 0
	for _, sp := range spans {
		if sp.Name() == "sql" && sp.Parent().SpanID() == rpcSpan.SpanContext().SpanID() {
			sql++
		}
	}
	if sql == 0 {
		t.Fatalf("no SQL span is a child of the region's ListCities span")
	}
}

// checkDashboard parses the dashboard and checks that every metric its expressions use is in scraped.
func checkDashboard(t *testing.T, scraped string) {
	t.Helper()
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(grafana.Dashboard, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	name := regexp.MustCompile(`\bmarquee_[a-z_]+`)
	n := 0
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				n++
				if !regexp.MustCompile(`(?m)^` + m + `[{ ]`).MatchString(scraped) {
					t.Errorf("panel %q uses %s, which no /metrics serves", p.Title, m)
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("dashboard uses only %d metrics", n)
	}
}

// checkRetries forces a write-skew conflict between two transactions and checks that the loser was retried
// (counted as a serialization retry) and that both committed in the end.
func checkRetries(t *testing.T, s *stack) {
	t.Helper()
	db, ctx := s.region.DB(), context.Background()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE skew_test (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	before := value(scrape(t, s.region.Addr()), `marquee_tx_retries_total{cause="serialization"}`)
	var read sync.WaitGroup
	read.Add(2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			err := db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
				var n int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM skew_test`).Scan(&n); err != nil {
					return err
				}
				if first { // both read before either writes: one of them cannot serialize
					first = false
					read.Done()
					read.Wait()
				}
				_, err := tx.Exec(ctx, `INSERT INTO skew_test (id) VALUES ($1)`, i+n*10)
				return err
			})
			if err != nil {
				t.Errorf("Transact %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var rows int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM skew_test`).Scan(&rows); err != nil || rows != 2 {
		t.Fatalf("committed rows %d (%v), want 2", rows, err)
	}
	after := value(scrape(t, s.region.Addr()), `marquee_tx_retries_total{cause="serialization"}`)
	if before != "0" || after == "0" || after == "" {
		t.Fatalf("serialization retries went from %q to %q, want from 0 to at least 1", before, after)
	}
}
