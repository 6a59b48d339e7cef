// Package edge is Marquee's gateway: it routes each API call to the region that owns its data, reading the
// routing rule its request message declares (the marquee.v1.route option) from the call's first message, and
// forwards the call unchanged, streams included, in whichever protocol the client speaks (Connect, gRPC,
// gRPC-Web). It checks every region's health each second and sends a down region's calls to the nearest
// healthy one, and it caches browse answers (catalog, search, seat maps) for a short while.
package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	"github.com/marqueehq/marquee/internal/telemetry"
	"github.com/marqueehq/marquee/regions"
	"github.com/marqueehq/marquee/web"
)

// Config is what an Edge needs. Zero durations and sizes take the defaults.
type Config struct {
	// Regions maps region names to the base URLs of their API servers (more than one spreads the load).
	Regions map[string][]string
	// Self is the edge's own region: global calls, and calls with nothing to route on, go there.
	Self           string
	HealthInterval time.Duration // between health checks of every backend; default 1s
	HealthTimeout  time.Duration // for one check; default 500ms, so a silent region is down within 1.5s
	MaxBodyBytes   int64         // largest request body the edge reads; default 4 MiB
	CacheEntries   int           // most answers cached; default 10,000
	StaleFor       time.Duration // how long past its TTL an answer may be served while no region answers; default 10m
	Log            *slog.Logger  // default discards
	Now            func() time.Time
	// Web serves every path that is not an API procedure (the browser app); default web.Handler().
	Web http.Handler
}

// Edge is an http.Handler serving Marquee's API by forwarding each call to a region. Close stops its health
// checks.
type Edge struct {
	self    regions.Region
	rules   map[string]*Rule
	pool    *pool
	cache   *Cache
	handler http.Handler
	web     http.Handler
	errs    *connect.ErrorWriter
	limit   int64
	log     *slog.Logger
	stop    context.CancelFunc
	done    chan struct{}
	// streams is cancelled when the edge shuts down, ending the streams it forwards (see endStreams).
	streams    context.Context
	endStreams context.CancelFunc
}

// New compiles the routing rules of the API linked into the binary, checks every backend once, and starts
// checking them every HealthInterval until Close.
func New(cfg Config) (*Edge, error) {
	cfg.defaults()
	self, ok := regions.ByName(cfg.Self)
	if !ok {
		return nil, fmt.Errorf("edge: unknown region %q", cfg.Self)
	}
	urls, err := parseURLs(cfg.Regions)
	if err != nil {
		return nil, err
	}
	rules, err := Rules(APIFiles())
	if err != nil {
		return nil, fmt.Errorf("edge: routing rules: %w", err)
	}
	t := newTransport()
	e := &Edge{self: self, rules: rules, cache: newCache(cfg.CacheEntries, cfg.StaleFor, cfg.Now),
		pool: newPool(urls, &http.Client{Transport: t}, cfg.Log), errs: connect.NewErrorWriter(),
		limit: cfg.MaxBodyBytes, log: cfg.Log, web: cfg.Web, done: make(chan struct{})}
	e.streams, e.endStreams = context.WithCancel(context.Background())
	e.handler = e.mux(e.newProxy(telemetry.TraceTransport(t)))
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.pool.checkAll(ctx, cfg.HealthTimeout)
	go func() {
		defer close(e.done)
		e.pool.run(ctx, cfg.HealthInterval, cfg.HealthTimeout)
	}()
	return e, nil
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HealthInterval, time.Second)
	def(&c.HealthTimeout, 500*time.Millisecond)
	def(&c.StaleFor, 10*time.Minute)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 4 << 20
	}
	if c.Web == nil {
		c.Web = web.Handler()
	}
	if c.CacheEntries <= 0 {
		c.CacheEntries = 10_000
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// parseURLs checks that every region is known and every URL absolute.
func parseURLs(in map[string][]string) (map[string][]*url.URL, error) {
	if len(in) == 0 {
		return nil, errors.New("edge: no region URLs")
	}
	out := map[string][]*url.URL{}
	for name, us := range in {
		if _, ok := regions.ByName(name); !ok {
			return nil, fmt.Errorf("edge: unknown region %q", name)
		}
		for _, s := range us {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("edge: region %s: bad URL %q", name, s)
			}
			out[name] = append(out[name], u)
		}
	}
	return out, nil
}

// mux serves the edge's own health (GET /healthz and gRPC health: serving while any region answers) and sends
// everything else through the router.
func (e *Edge) mux(proxy http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(grpchealth.NewHandler(e))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !e.anyUp() {
			http.Error(w, "no region answers\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	api := e.router(proxy)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.rules[r.URL.Path] != nil || looksLikeProcedure(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		e.web.ServeHTTP(w, r)
	}))
	return mux
}

// looksLikeProcedure reports whether path has the shape of an RPC, "/package.Service/Method", so that unknown
// procedures get the protocol's unimplemented answer rather than the web app.
func looksLikeProcedure(path string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return ok && method != "" && !strings.Contains(method, "/") && strings.HasSuffix(svc, "Service") &&
		strings.Contains(svc, ".")
}

// Check implements grpchealth.Checker for the edge itself.
func (e *Edge) Check(context.Context, *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	if e.anyUp() {
		return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
	}
	return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
}

func (e *Edge) anyUp() bool {
	for name := range e.pool.byRegion {
		if e.pool.regionUp(name) {
			return true
		}
	}
	return false
}

// ServeHTTP serves a call.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.handler.ServeHTTP(w, r) }

// Cache returns the edge's answer cache.
func (e *Edge) Cache() *Cache { return e.cache }

// InvalidateCatalog makes every cached answer stale (see Cache.InvalidateCatalog); call it on CatalogChanged.
func (e *Edge) InvalidateCatalog() { e.cache.InvalidateCatalog() }

// RegionUp reports whether a backend of the named region answered its last health check.
func (e *Edge) RegionUp(name string) bool { return e.pool.regionUp(name) }

// Close ends the streams the edge forwards and stops the health checks.
func (e *Edge) Close() error {
	e.endStreams()
	e.stop()
	<-e.done
	return nil
}

// Route names path for the request metrics: the procedure itself when the API has it, "other" for any other
// procedure-shaped path (so the label set stays bounded), "" for the web app's paths (not counted).
func (e *Edge) Route(path string) string {
	switch {
	case e.rules[path] != nil:
		return path
	case looksLikeProcedure(path):
		return "other"
	}
	return ""
}

// RegionNames lists the regions the edge has backends for, sorted.
func (e *Edge) RegionNames() []string { return slices.Sorted(maps.Keys(e.pool.byRegion)) }
