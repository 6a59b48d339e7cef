package telemetry

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"github.com/felixge/httpsnoop"
	"github.com/prometheus/client_golang/prometheus"
)

// Edge is the telemetry of `marquee edge`: its own registry, calls by route, region and code, and whether each
// region answers its health checks.
type Edge struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewEdge returns an edge's telemetry on a new registry.
func NewEdge() *Edge {
	e := &Edge{Registry: NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "marquee_edge_requests_total",
			Help: "API calls through the edge, by route (procedure, or \"other\"), target region and Connect code."},
			[]string{"route", "region", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "marquee_edge_request_duration_seconds",
			Help: "Time to answer an API call through the edge, by route.", Buckets: Buckets}, []string{"route"}),
	}
	e.Registry.MustRegister(e.requests, e.duration)
	return e
}

// RegionsUp registers marquee_edge_region_up{region}: 1 while up(region) (a backend answered its last health
// check), else 0.
func (e *Edge) RegionsUp(regions []string, up func(string) bool) {
	for _, name := range regions {
		e.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "marquee_edge_region_up",
			Help:        "Whether a backend of the region answered its last health check.",
			ConstLabels: prometheus.Labels{"region": name}}, func() float64 {
			if up(name) {
				return 1
			}
			return 0
		}))
	}
}

// callRegion is where the edge's router notes the region a call goes to, for the request metrics.
type callRegion struct{ name string }

type callRegionKey struct{}

// NoteRegion records, for the request metrics, the region the call in ctx is routed to.
func NoteRegion(ctx context.Context, region string) {
	if c, ok := ctx.Value(callRegionKey{}).(*callRegion); ok {
		c.name = region
	}
}

// Serve wraps the edge's handler: GET /metrics; a new request ID for every request (a client's own is not
// trusted), forwarded to the region; a server span per request; and the request metrics, labelled by what
// route names a path (route "" is not counted: the web app).
func (e *Edge) Serve(h http.Handler, route func(path string) string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(e.Registry))
	mux.Handle("/", TraceHandler(e.measure(h, route), "edge"))
	return RequestIDs(mux, false)
}

func (e *Edge) measure(h http.Handler, route func(path string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := route(r.URL.Path)
		if name == "" {
			h.ServeHTTP(w, r)
			return
		}
		start, region, rec := time.Now(), &callRegion{name: "none"}, &statusRecorder{status: http.StatusOK}
		h.ServeHTTP(rec.wrap(w), r.WithContext(context.WithValue(r.Context(), callRegionKey{}, region)))
		e.requests.WithLabelValues(name, region.name, rec.code(w.Header())).Inc()
		e.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// statusRecorder keeps an answer's status and the start of an error body, from which code reads the Connect
// code.
type statusRecorder struct {
	status int
	body   []byte
}

func (s *statusRecorder) wrap(w http.ResponseWriter) http.ResponseWriter {
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) { s.status = code; next(code) }
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				if s.status >= 400 && len(s.body) < 512 {
					s.body = append(s.body, b[:min(len(b), 512-len(s.body))]...)
				}
				return next(b)
			}
		},
	})
}

// code is the call's Connect code: gRPC's grpc-status (header or trailer), else a Connect unary error's "code"
// field, else "ok" for HTTP 200 and "http_<status>" otherwise.
func (s *statusRecorder) code(h http.Header) string {
	gs := h.Get("Grpc-Status")
	if gs == "" {
		gs = h.Get(http.TrailerPrefix + "Grpc-Status")
	}
	if n, err := strconv.Atoi(gs); err == nil {
		if n == 0 {
			return "ok"
		}
		return connect.Code(n).String()
	}
	if s.status == http.StatusOK {
		return "ok"
	}
	if _, rest, ok := bytes.Cut(s.body, []byte(`"code":"`)); ok {
		if c, _, ok := bytes.Cut(rest, []byte(`"`)); ok {
			var code connect.Code
			if code.UnmarshalText(c) == nil {
				return code.String()
			}
		}
	}
	return "http_" + strconv.Itoa(s.status)
}
