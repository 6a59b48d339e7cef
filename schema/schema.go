// Package schema holds Marquee's SQL migrations, numbered goose files in the subset of SQL that both
// PostgreSQL 15 and CockroachDB accept. The multi-region overlay for CockroachDB lives in schema/cockroach.
package schema

import "embed"

// FS holds the migrations, applied in order by internal/store.Migrate.
//
//go:embed *.sql
var FS embed.FS
