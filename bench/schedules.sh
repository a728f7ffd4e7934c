#!/usr/bin/env bash
# Benchmark: 10,000 enabled schedules, each firing once a minute at its own second (~167 a second),
# against the real scheduler, SQLite database and Docker engine (a `start` of one running
# container per firing). Targets: firing lateness p99 <= 100 ms; scheduler memory <= 50 MB.
# Needs the Docker test environment (scripts/test-env.sh).
#   bench/schedules.sh [schedules] [seconds measured]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo run --release -q -p berth --example schedules_bench -- "${1:-10000}" "${2:-70}"
