package app

import (
	"context"
	"log/slog"

	"github.com/marqueehq/marquee/internal/telemetry"
)

// startTelemetry makes the process's metrics registry (unless set), adds request and trace IDs to its log
// records, and starts exporting traces when an OTLP endpoint is configured.
func (m *Main) startTelemetry(ctx context.Context) (err error) {
	if m.Telemetry == nil {
		m.Telemetry = telemetry.NewRegion()
	}
	m.Log = slog.New(telemetry.LogHandler(m.Log.Handler()))
	m.tracing, err = telemetry.StartTracing(ctx, m.Config.Telemetry.OTLPEndpoint, "marquee-region")
	return err
}
