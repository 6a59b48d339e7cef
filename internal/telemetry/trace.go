package telemetry

import (
	"context"
	"net/http"
	"os"
	"unicode/utf8"

	"connectrpc.com/connect"
	"connectrpc.com/otelconnect"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans Marquee makes itself (SQL, NATS).
const tracerName = "github.com/marqueehq/marquee"

func init() {
	// W3C trace context is how a trace crosses processes (HTTP headers, NATS headers). Setting the propagator
	// costs nothing while no tracer provider is installed.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// StartTracing installs a tracer provider exporting over OTLP/HTTP to endpoint (a URL such as
// http://collector:4318), or to $OTEL_EXPORTER_OTLP_ENDPOINT when endpoint is empty. With neither, it installs
// nothing: the global provider stays OpenTelemetry's no-op one and spans cost next to nothing. The returned
// function flushes and stops the exporter.
func StartTracing(ctx context.Context, endpoint, service string) (func(context.Context) error, error) {
	if endpoint == "" && os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// TraceInterceptor returns otelconnect's interceptor for handlers: a server span per call, a child of the
// caller's span (the edge's) when the request carries trace context. Metrics are Prometheus's, not OTel's.
func TraceInterceptor() connect.Interceptor {
	i, err := otelconnect.NewInterceptor(otelconnect.WithTrustRemote(), otelconnect.WithoutMetrics())
	if err != nil {
		panic(err) // only bad options fail
	}
	return i
}

// TraceHandler wraps an HTTP server's handler in otelhttp: a server span per request, named by operation.
func TraceHandler(h http.Handler, operation string) http.Handler {
	return otelhttp.NewHandler(h, operation)
}

// TraceTransport wraps an HTTP client's transport in otelhttp: a client span per request and trace context
// injected into its headers.
func TraceTransport(t http.RoundTripper) http.RoundTripper { return otelhttp.NewTransport(t) }

// SQLTracer is a pgx.QueryTracer making a span per statement, a child of the span in the statement's context.
type SQLTracer struct{}

var _ pgx.QueryTracer = SQLTracer{}

type sqlSpanKey struct{}

// TraceQueryStart implements pgx.QueryTracer.
func (SQLTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx // no trace to join: spare the allocation
	}
	ctx, span := parent.TracerProvider().Tracer(tracerName).Start(ctx, "sql", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"),
			attribute.String("db.query.text", truncate(data.SQL, 2000))))
	return context.WithValue(ctx, sqlSpanKey{}, span)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (SQLTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(sqlSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	if data.Err != nil {
		span.RecordError(data.Err)
		span.SetStatus(codes.Error, Cause(data.Err))
	}
	span.End()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// natsCarrier adapts NATS headers to OpenTelemetry's propagation.
type natsCarrier nats.Header

// Get implements propagation.TextMapCarrier.
func (c natsCarrier) Get(key string) string { return nats.Header(c).Get(key) }

// Set implements propagation.TextMapCarrier.
func (c natsCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// InjectNATS writes ctx's trace context into a message's headers (traceparent).
func InjectNATS(ctx context.Context, h nats.Header) {
	otel.GetTextMapPropagator().Inject(ctx, natsCarrier(h))
}

// ExtractNATS returns ctx joined to the trace a message's headers carry.
func ExtractNATS(ctx context.Context, h nats.Header) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, natsCarrier(h))
}

// StartSpan starts a span of Marquee's own tracer (the global provider's).
func StartSpan(ctx context.Context, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	return otel.Tracer(tracerName).Start(ctx, name, trace.WithSpanKind(kind))
}
