#!/usr/bin/env bash
# Benchmark: 500 WebSocket event subscribers; p99 latency of a container start reaching all of them
# (target: 200 ms). Needs the Docker test environment (scripts/test-env.sh) and runs as root.
#   bench/events_fanout.sh [subscribers] [starts]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -q -p berth --bin berth --example events_fanout
dir=$(mktemp -d /tmp/berth-bench-XXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ulimit -n 65536 || true
BERTH_ADMIN_PASSWORD=bench-admin-password target/release/berth serve --listen "127.0.0.1:$port" --data-dir "$dir" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -fs "127.0.0.1:$port/health/live" >/dev/null && break; sleep 0.1; done
key=$(target/release/berth admin api-key-create admin --scope read --data-dir "$dir")
BERTH_URL="127.0.0.1:$port" BERTH_KEY="$key" target/release/examples/events_fanout "${1:-500}" "${2:-5}"
echo "berth RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
