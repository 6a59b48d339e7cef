// Package grafana holds Marquee's Grafana dashboard (marquee.json: import it with a Prometheus data source
// scraping every region's and edge's GET /metrics).
package grafana

import _ "embed"

// Dashboard is marquee.json.
//
//go:embed marquee.json
var Dashboard []byte
