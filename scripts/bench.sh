#!/usr/bin/env bash
# Runs the load generator against a private full stack (its own PostgreSQL cluster) and prints the Markdown
# results table. Extra arguments go to `marquee loadgen`, e.g. scripts/bench.sh --clients 64 --duration 10s.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./cmd/marquee loadgen "$@"
