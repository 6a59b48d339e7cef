package edge

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/marqueehq/marquee/internal/rpc"
	"github.com/marqueehq/marquee/internal/telemetry"
)

// Main is a running `marquee edge`: the Edge, its HTTP server (HTTP/1.1 and h2c) and, with a NATS URL, the
// subscription that drops cached catalog answers when the catalog changes.
type Main struct {
	Config  Config
	Addr    string // listen address; port 0 picks one
	NATSURL string // empty: no catalog events, cached answers live out their TTL
	// Telemetry is the edge's metrics (served at GET /metrics); made by Run when nil. LogFormat and OTLPEndpoint
	// are --log-format and --otlp-endpoint.
	Telemetry               *telemetry.Edge
	LogFormat, OTLPEndpoint string
	// CORSOrigins are the other origins whose browser apps may call the edge (--cors-origin); none by default.
	CORSOrigins []string
	tracing     func(context.Context) error

	edge   *Edge
	server *rpc.Server
	nc     *nats.Conn
}

// NewMain returns a Main with the defaults of `marquee edge`.
func NewMain() *Main {
	return &Main{Addr: "127.0.0.1:8000", NATSURL: os.Getenv("NATS_URL"),
		Config: Config{Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}}
}

// regionURLs collects --region-url NAME=URL flags, remembering the first region named.
type regionURLs struct {
	urls  map[string][]string
	first string
}

// String implements flag.Value.
func (f *regionURLs) String() string { return fmt.Sprint(f.urls) }

// Set implements flag.Value: it adds one NAME=URL.
func (f *regionURLs) Set(v string) error {
	name, u, ok := strings.Cut(v, "=")
	if !ok || name == "" || u == "" {
		return errors.New("want NAME=URL")
	}
	if f.urls == nil {
		f.urls, f.first = map[string][]string{}, name
	}
	f.urls[name] = append(f.urls[name], u)
	return nil
}

// ParseFlags reads the command line of `marquee edge`.
func (m *Main) ParseFlags(name string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var urls regionURLs
	fs.StringVar(&m.Addr, "addr", m.Addr, "listen address (HTTP/1.1 and h2c)")
	fs.Var(&urls, "region-url", "NAME=URL of a region's API server; repeat for every region and server")
	fs.StringVar(&m.Config.Self, "region", "", "the edge's own region (default the first --region-url)")
	fs.StringVar(&m.NATSURL, "nats-url", m.NATSURL, "NATS server whose catalog events invalidate the cache (default $NATS_URL; empty: none)")
	fs.StringVar(&m.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&m.OTLPEndpoint, "otlp-endpoint", os.Getenv("MARQUEE_OTLP_ENDPOINT"), "OTLP/HTTP endpoint traces are exported to (default $OTEL_EXPORTER_OTLP_ENDPOINT; empty: none)")
	fs.Func("cors-origin", "an origin (https://host) whose browser app may call the API; repeatable, \"*\" for any; default none (same origin only)",
		func(v string) error { m.CORSOrigins = append(m.CORSOrigins, v); return nil })
	fs.DurationVar(&m.Config.HealthInterval, "health-interval", time.Second, "time between health checks of each region")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(urls.urls) == 0 {
		return errors.New("edge needs at least one --region-url NAME=URL")
	}
	m.Config.Regions = urls.urls
	if m.Config.Self == "" {
		m.Config.Self = urls.first
	}
	return nil
}

// Run starts the edge and returns once it listens.
func (m *Main) Run(ctx context.Context) error {
	var err error
	if m.edge, err = New(m.Config); err != nil {
		return err
	}
	if m.NATSURL != "" {
		if m.nc, err = nats.Connect(m.NATSURL, nats.Name("marquee-edge"), nats.MaxReconnects(-1)); err != nil {
			return fmt.Errorf("edge: NATS: %w", err)
		}
		if _, err = SubscribeCatalog(m.nc, m.edge); err != nil {
			return fmt.Errorf("edge: subscribing to catalog events: %w", err)
		}
	}
	if m.tracing, err = telemetry.StartTracing(ctx, m.OTLPEndpoint, "marquee-edge"); err != nil {
		return err
	}
	if m.Telemetry == nil {
		m.Telemetry = telemetry.NewEdge()
	}
	m.Telemetry.RegionsUp(m.edge.RegionNames(), m.edge.RegionUp)
	m.server, err = rpc.Listen(m.Addr, rpc.WithCORS(m.Telemetry.Serve(m.edge, m.edge.Route), m.CORSOrigins))
	return err
}

// ListenAddr returns the address the edge listens on.
func (m *Main) ListenAddr() string { return m.server.Addr() }

// Edge returns the running edge.
func (m *Main) Edge() *Edge { return m.edge }

// Close stops serving (letting calls in flight finish for up to 10 seconds; streams, which may be open for
// as long as their clients watch, are ended first), NATS and the health checks.
func (m *Main) Close() error {
	var errList []error
	if m.edge != nil {
		m.edge.endStreams()
	}
	if m.server != nil {
		errList = append(errList, m.server.Close(10*time.Second))
	}
	if m.nc != nil {
		m.nc.Close()
	}
	if m.edge != nil {
		errList = append(errList, m.edge.Close())
	}
	if m.tracing != nil {
		errList = append(errList, m.tracing(context.Background()))
	}
	return errors.Join(errList...)
}
