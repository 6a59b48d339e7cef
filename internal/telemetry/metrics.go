// Package telemetry is how a Marquee process tells its operators what it does: Prometheus metrics on a
// registry of its own (served at GET /metrics), OpenTelemetry traces (exported over OTLP only when configured),
// and request IDs carried in the context and added to every log line. Domain packages know nothing of it; they
// offer small hooks (a func field) that internal/app points here.
package telemetry

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Buckets are the latency histograms' bounds in seconds: few, to keep scrapes and CPU small.
var Buckets = []float64{0.005, 0.025, 0.1, 0.25, 1, 5}

// NewRegistry returns a registry with the Go runtime and process collectors; each process has its own, passed
// through wiring, so tests read exactly one process's metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// RPC counts the API's calls by procedure and Connect code and times them by procedure.
type RPC struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewRPC registers the request metrics on reg.
func NewRPC(reg prometheus.Registerer) *RPC {
	r := &RPC{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "marquee_rpc_requests_total",
			Help: "RPCs handled, by procedure and Connect code."}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "marquee_rpc_duration_seconds",
			Help: "Time to handle an RPC (a stream: its whole life), by procedure.", Buckets: Buckets},
			[]string{"procedure"}),
	}
	reg.MustRegister(r.requests, r.duration)
	return r
}

// observe records one finished call. The procedure comes from the handler's spec (only mounted procedures
// reach an interceptor), so the label set is bounded.
func (r *RPC) observe(procedure string, start time.Time, err error) {
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
	}
	r.requests.WithLabelValues(procedure, code).Inc()
	r.duration.WithLabelValues(procedure).Observe(time.Since(start).Seconds())
}

// Interceptor returns the Connect interceptor recording every unary call and stream a handler serves.
func (r *RPC) Interceptor() connect.Interceptor { return rpcInterceptor{r} }

type rpcInterceptor struct{ m *RPC }

var _ connect.Interceptor = rpcInterceptor{}

// WrapUnary implements connect.Interceptor.
func (i rpcInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		res, err := next(ctx, req)
		i.m.observe(req.Spec().Procedure, start, err)
		return res, err
	}
}

// WrapStreamingClient implements connect.Interceptor (clients are not measured).
func (rpcInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i rpcInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		i.m.observe(conn.Spec().Procedure, start, err)
		return err
	}
}
