#!/usr/bin/env bash
# Benchmark: a container whose log holds 2,000,000 lines (`seq 1 2000000`), read straight from the
# engine and through Berth's log WebSocket in one run; Berth's RSS sampled throughout.
# Targets: berth_lines_per_s >= 0.8 x engine_lines_per_s, max_rss_mb < 64.
# Needs the Docker test environment (scripts/test-env.sh).
# The reads alternate over rounds (default 2); each kind's best round counts.
#   bench/logs_throughput.sh [lines] [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -q -p berth --bin berth --example logs_bench
BERTH_BIN=target/release/berth target/release/examples/logs_bench "${1:-2000000}" "${2:-2}"
