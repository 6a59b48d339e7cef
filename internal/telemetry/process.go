package telemetry

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Region is the telemetry of one `marquee region` process (or one region of `marquee dev`): its own registry
// and the metrics internal/app hooks into the store, the relay, the notifier and the handlers.
type Region struct {
	Registry *prometheus.Registry
	RPC      *RPC
	Retries  *Retries
	Business *Business
}

// NewRegion returns a region process's telemetry on a new registry.
func NewRegion() *Region {
	reg := NewRegistry()
	return &Region{Registry: reg, RPC: NewRPC(reg), Retries: NewRetries(reg), Business: NewBusiness(reg)}
}

// Interceptors are the handlers' outermost interceptors: the trace span, then the request metrics (which so
// see the Connect code the error interceptor chose).
func (r *Region) Interceptors() []connect.Interceptor {
	return []connect.Interceptor{TraceInterceptor(), r.RPC.Interceptor()}
}

// WatchDB registers the pool's statistics and the outbox backlog of regions (read by lag at each scrape).
func (r *Region) WatchDB(pool *pgxpool.Pool, lag func(context.Context) ([]OutboxLag, error), now func() time.Time,
	regions []string) {
	r.Registry.MustRegister(NewPoolCollector(pool), NewOutboxCollector(lag, now, regions))
}

// WatchNATS registers the consumers' pending messages on js.
func (r *Region) WatchNATS(js jetstream.JetStream) { r.Registry.MustRegister(NewNATSCollector(js)) }

// Serve wraps the API's handler: GET /metrics, and a request ID for every request (trusting the edge's).
func (r *Region) Serve(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(r.Registry))
	mux.Handle("/", api)
	return RequestIDs(mux, true)
}
