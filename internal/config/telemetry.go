package config

import (
	"flag"
	"os"
)

// Telemetry configures logs and traces; metrics are always served at GET /metrics.
type Telemetry struct {
	// LogFormat is "text" (the default, for `marquee dev`) or "json" (for production log collectors).
	LogFormat string
	// OTLPEndpoint is the OTLP/HTTP collector traces are exported to (a URL such as http://collector:4318);
	// empty uses $OTEL_EXPORTER_OTLP_ENDPOINT, and with neither no traces are exported.
	OTLPEndpoint string
}

func (t *Telemetry) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&t.OTLPEndpoint, "otlp-endpoint", os.Getenv("MARQUEE_OTLP_ENDPOINT"),
		"OTLP/HTTP endpoint traces are exported to (default $OTEL_EXPORTER_OTLP_ENDPOINT; empty: no traces exported)")
}
