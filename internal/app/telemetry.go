package app

import (
	"context"
	"log/slog"

	"github.com/marqueehq/marquee/internal/telemetry"
	"github.com/marqueehq/marquee/regions"
)

// startTelemetry makes the process's metrics registry (unless set), adds request and trace IDs to its log
// records, and starts exporting traces when an OTLP endpoint is configured.
func (m *Main) startTelemetry(ctx context.Context) (err error) {
	if m.Telemetry == nil {
		m.Telemetry = telemetry.NewRegion()
	}
	for _, name := range m.Config.Regions() {
		r, _ := regions.ByName(name)
		m.Telemetry.Business.Init(name, r.Currency, "email")
	}
	m.Log = slog.New(telemetry.LogHandler(m.Log.Handler()))
	m.tracing, err = telemetry.StartTracing(ctx, m.Config.Telemetry.OTLPEndpoint, "marquee-region")
	return err
}
