#!/usr/bin/env bash
# Stop what scripts/test-env.sh started beside the primary engine: the second
# dockerd (and the containerd it manages) and the local registry.
# The primary engine at /var/run/docker.sock is left running.
#
#   scripts/stop-test-env.sh          stop the daemons, keep their data
#   scripts/stop-test-env.sh --purge  also delete engine-2 data, registry
#                                     storage, TLS material and env file
set -euo pipefail

log() { printf '[stop-test-env] %s\n' "$*" >&2; }

purge=0
case "${1:-}" in
    --purge) purge=1 ;;
    "") ;;
    *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "must run as root" >&2; exit 1; }

# stop_pidfile <name> <pidfile> <wait-seconds>
stop_pidfile() {
    local name=$1 pidfile=$2 secs=$3 pid
    if [ ! -s "$pidfile" ]; then
        log "$name: not running (no pidfile $pidfile)"
        return 0
    fi
    pid=$(cat "$pidfile")
    if ! kill -0 "$pid" 2>/dev/null; then
        log "$name: not running (stale pidfile)"
        rm -f "$pidfile"
        return 0
    fi
    log "$name: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < secs * 2; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name: still alive after ${secs}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$pidfile"
}

stop_pidfile registry /run/berth-test/registry.pid 10
# dockerd stops its containers and its own containerd on SIGTERM
stop_pidfile "second dockerd" /run/berth-docker2.pid 60
rm -f /run/berth-test/docker2.sock

if [ "$purge" -eq 1 ]; then
    log "purging engine-2 data, registry storage and TLS material"
    # overlay mounts of a killed daemon may linger under the data root
    if grep -q ' /var/lib/berth-docker2/' /proc/mounts; then
        grep ' /var/lib/berth-docker2/' /proc/mounts | awk '{print $2}' | sort -r |
            while read -r m; do umount -l "$m" || true; done
    fi
    rm -rf /var/lib/berth-docker2 /run/berth-docker2 /var/lib/berth-registry /run/berth-test
fi
log "done"
