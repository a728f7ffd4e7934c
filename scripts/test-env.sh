#!/usr/bin/env bash
# Prepare the real Docker test environment for Berth's test suite.
#
# Idempotent: safe to run again; things that already work are left alone.
#
#   * primary engine   unix:///var/run/docker.sock (started if not answering)
#   * second engine    unix:///run/berth-test/docker2.sock
#                      tcp://127.0.0.1:23760 (TLS, client cert required)
#   * test images      berth-test/busybox:latest, berth-test/busybox:alt (both engines)
#   * local registry   127.0.0.1:5000 (only if Debian's docker-registry is installable)
#
# The resulting environment is written to /run/berth-test/env as `export VAR=value`
# lines (source it before running the tests). Stop the extra daemons with
# scripts/stop-test-env.sh.
set -euo pipefail

log() { printf '[test-env] %s\n' "$*" >&2; }
die() { printf '[test-env] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (starts dockerd, installs packages)"

TEST_DIR=/run/berth-test
TLS_DIR=$TEST_DIR/tls
ENV_FILE=$TEST_DIR/env

PRIMARY_HOST=unix:///var/run/docker.sock
PRIMARY_LOG=/tmp/berth-dockerd.log

D2_SOCK=$TEST_DIR/docker2.sock
D2_HOST=unix://$D2_SOCK
D2_TCP_ADDR=127.0.0.1:23760
D2_TCP=tcp://$D2_TCP_ADDR
D2_DATA_ROOT=/var/lib/berth-docker2
D2_EXEC_ROOT=/run/berth-docker2
D2_PIDFILE=/run/berth-docker2.pid
D2_LOG=/tmp/berth-dockerd2.log

IMAGE=berth-test/busybox:latest
IMAGE_ALT=berth-test/busybox:alt

REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_ROOT=/var/lib/berth-registry
REGISTRY_CONFIG=$TEST_DIR/registry-config.yml
REGISTRY_PIDFILE=$TEST_DIR/registry.pid
REGISTRY_LOG=/tmp/berth-registry.log

# Never let an inherited DOCKER_HOST/DOCKER_CONTEXT redirect our commands.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
# Legacy builder: works with every daemon/CLI combination (buildx may be absent).
export DOCKER_BUILDKIT=0
export DOCKER_CLI_HINTS=false

mkdir -p "$TEST_DIR" "$TLS_DIR"
chmod 0755 "$TEST_DIR"

# --------------------------------------------------------------------------
# 1. Packages
# --------------------------------------------------------------------------
apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $*"
    local out
    if ! out=$(DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
        apt-get install -y -qq "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        return 1
    fi
}

missing=()
if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
    missing+=(docker.io)
fi
# busybox-static ships /bin/busybox; dpkg is the reliable check (a dynamic
# busybox could also live at /bin/busybox).
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# the web UI's end-to-end tests drive Debian's Chromium (Playwright never downloads a browser)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
# wait_for <seconds> <description> <command...>
wait_for() {
    local secs=$1 what=$2
    shift 2
    local i
    for ((i = 0; i < secs * 2; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    log "timed out after ${secs}s waiting for $what"
    return 1
}

d1() { docker -H "$PRIMARY_HOST" "$@"; }
d2() { docker -H "$D2_HOST" "$@"; }
d2_tls() {
    docker -H "$D2_TCP" --tlsverify \
        --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/cert.pem" --tlskey "$TLS_DIR/key.pem" "$@"
}

# Start a long-running daemon fully detached (own session, no inherited fds),
# so it survives this script and does not keep a caller's pipes open.
start_detached() {
    local logfile=$1
    shift
    setsid nohup "$@" </dev/null >>"$logfile" 2>&1 &
}

# pid from pidfile, if that process is alive
pid_alive() {
    local pidfile=$1 pid
    [ -s "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# --------------------------------------------------------------------------
# 2. Primary engine
# --------------------------------------------------------------------------
if d1 info >/dev/null 2>&1; then
    log "primary engine answers at $PRIMARY_HOST"
else
    if pid_alive /var/run/docker.pid; then
        log "dockerd (pid $(cat /var/run/docker.pid)) is running but not answering yet; waiting"
    else
        log "starting primary dockerd (log: $PRIMARY_LOG)"
        # a stale pidfile from a dead daemon makes dockerd refuse to start
        rm -f /var/run/docker.pid
        start_detached "$PRIMARY_LOG" dockerd
    fi
    if ! wait_for 60 "primary dockerd" d1 info; then
        tail -n 30 "$PRIMARY_LOG" >&2 || true
        die "primary dockerd did not come up"
    fi
    log "primary engine is up"
fi

# --------------------------------------------------------------------------
# 3. TLS material for the second engine's tcp endpoint
# --------------------------------------------------------------------------
tls_ok() {
    local f
    for f in ca.pem server-cert.pem server-key.pem cert.pem key.pem; do
        [ -s "$TLS_DIR/$f" ] || return 1
    done
    # regenerate when anything expires within a day or the chain is broken
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server-cert.pem" >/dev/null 2>&1 || return 1
    openssl x509 -checkend 86400 -noout -in "$TLS_DIR/cert.pem" >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/server-cert.pem" "$TLS_DIR/cert.pem" >/dev/null 2>&1 || return 1
}

tls_regenerated=0
if tls_ok; then
    log "TLS material present in $TLS_DIR"
else
    log "generating throwaway CA, server and client certificates in $TLS_DIR"
    tmp=$(mktemp -d)
    (
        set -euo pipefail
        cd "$tmp"
        openssl genrsa -out ca-key.pem 2048 2>/dev/null
        openssl req -x509 -new -key ca-key.pem -sha256 -days 3650 \
            -subj "/CN=berth-test-ca" -out ca.pem 2>/dev/null

        openssl genrsa -out server-key.pem 2048 2>/dev/null
        openssl req -new -key server-key.pem -subj "/CN=localhost" -out server.csr 2>/dev/null
        cat >server-ext.cnf <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
EOF
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -sha256 -days 3650 -extfile server-ext.cnf -out server-cert.pem 2>/dev/null

        openssl genrsa -out key.pem 2048 2>/dev/null
        openssl req -new -key key.pem -subj "/CN=berth-test-client" -out client.csr 2>/dev/null
        cat >client-ext.cnf <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
            -sha256 -days 3650 -extfile client-ext.cnf -out cert.pem 2>/dev/null
    )
    install -m 0644 "$tmp/ca.pem" "$tmp/server-cert.pem" "$tmp/cert.pem" "$TLS_DIR/"
    # keys are throwaway test keys; keep them readable so non-root test runs work
    install -m 0644 "$tmp/server-key.pem" "$tmp/key.pem" "$TLS_DIR/"
    rm -rf "$tmp"
    tls_ok || die "generated TLS material does not verify"
    tls_regenerated=1
fi

# --------------------------------------------------------------------------
# 4. Second engine
# --------------------------------------------------------------------------
stop_d2() {
    if pid_alive "$D2_PIDFILE"; then
        local pid
        pid=$(cat "$D2_PIDFILE")
        log "stopping second dockerd (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
}

if [ "$tls_regenerated" -eq 1 ] && pid_alive "$D2_PIDFILE"; then
    # it still serves the old certificates
    stop_d2
fi

if d2 info >/dev/null 2>&1; then
    log "second engine answers at $D2_HOST"
else
    if pid_alive "$D2_PIDFILE"; then
        log "second dockerd (pid $(cat "$D2_PIDFILE")) running but not answering yet; waiting"
    else
        log "starting second dockerd (log: $D2_LOG)"
        rm -f "$D2_PIDFILE" "$D2_SOCK"
        mkdir -p "$D2_DATA_ROOT" "$D2_EXEC_ROOT"
        # --exec-root/--data-root/--pidfile keep it apart from the primary engine;
        # dockerd then starts its own containerd under $D2_EXEC_ROOT/containerd.
        # --bridge none + --iptables=false: no docker0 fight, no NAT rules.
        # own (empty) --config-file: ignore the primary's /etc/docker/daemon.json.
        d2_cfg=$TEST_DIR/docker2-daemon.json
        [ -s "$d2_cfg" ] || echo '{}' >"$d2_cfg"
        start_detached "$D2_LOG" dockerd \
            --config-file "$d2_cfg" \
            --data-root "$D2_DATA_ROOT" \
            --exec-root "$D2_EXEC_ROOT" \
            --pidfile "$D2_PIDFILE" \
            -H "$D2_HOST" \
            -H "$D2_TCP" \
            --tlsverify \
            --tlscacert "$TLS_DIR/ca.pem" \
            --tlscert "$TLS_DIR/server-cert.pem" \
            --tlskey "$TLS_DIR/server-key.pem" \
            --bridge none \
            --iptables=false \
            --ip-masq=false \
            --cgroup-parent /berth-docker2
    fi
    if ! wait_for 60 "second dockerd" d2 info; then
        tail -n 30 "$D2_LOG" >&2 || true
        die "second dockerd did not come up"
    fi
    log "second engine is up"
fi

# GOTCHA: a dockerd started with `--bridge none` deletes the host's `docker0`
# link at startup (removeDefaultBridgeInterface), and both engines share the
# host network namespace -- so starting the second engine breaks bridge
# networking of the primary ("could not find bridge docker0"). The primary
# keeps its network state in memory and only looks the link up by name, so
# recreating the bridge with the same name/address repairs it without a
# restart. Checked on every run (cheap), e.g. after stop/start of engine 2.
repair_primary_bridge() {
    local name gw subnet mtu
    name=$(d1 network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null) || return 0
    [ -n "$name" ] || return 0
    ip link show "$name" >/dev/null 2>&1 && return 0
    gw=$(d1 network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
    subnet=$(d1 network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}')
    mtu=$(d1 network inspect bridge -f '{{index .Options "com.docker.network.driver.mtu"}}')
    # dockerd often lists no IPAM config for the default bridge: it then uses its built-in
    # default, 172.17.0.1/16 (the first address of the subnet when only a subnet is named)
    [ -n "$subnet" ] || subnet=172.17.0.0/16
    if [ -z "$gw" ]; then
        gw=$(python3 -c 'import ipaddress,sys; print(next(ipaddress.ip_network(sys.argv[1], strict=False).hosts()))' "$subnet") \
            || die "cannot derive the gateway of the primary bridge from subnet '$subnet'"
    fi
    log "recreating primary bridge $name ($gw/${subnet#*/}) removed by the --bridge none engine"
    command -v ip >/dev/null 2>&1 || apt_install iproute2
    ip link add name "$name" type bridge || die "cannot create bridge $name"
    if [ -n "$mtu" ]; then ip link set "$name" mtu "$mtu" || die "cannot set the MTU of $name"; fi
    ip addr add "$gw/${subnet#*/}" dev "$name" || die "cannot give $name the address $gw/${subnet#*/}"
    ip link set "$name" up || die "cannot bring $name up"
    ip -4 addr show "$name" | grep -q "inet $gw/" || die "bridge $name has no address $gw after repair"
}
repair_primary_bridge

if ! d2_tls version >/dev/null 2>&1; then
    d2_tls version >&2 || true
    die "TLS endpoint $D2_TCP does not accept the client certificate"
fi
log "TLS endpoint $D2_TCP verified"

# --------------------------------------------------------------------------
# 5. Test images (built locally: no image registry is reachable)
# --------------------------------------------------------------------------
BUSYBOX_BIN=/bin/busybox
[ -x "$BUSYBOX_BIN" ] || BUSYBOX_BIN=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n1)
[ -x "$BUSYBOX_BIN" ] || die "busybox-static binary not found"

# docker_build <context> <tag> <docker command prefix...>
# Output (incl. the legacy-builder deprecation banner) is shown only on failure.
docker_build() {
    local ctx=$1 tag=$2 out
    shift 2
    # --network none: the second engine has no bridge network at all
    if ! out=$("$@" build -q --network none -t "$tag" "$ctx" 2>&1); then
        printf '%s\n' "$out" >&2
        rm -rf "$ctx"
        die "building $tag failed"
    fi
    rm -rf "$ctx"
}

build_images() {
    local name=$1
    shift # remaining args: docker command prefix
    local ctx
    if "$@" image inspect "$IMAGE" >/dev/null 2>&1; then
        log "[$name] $IMAGE present"
    else
        log "[$name] building $IMAGE"
        ctx=$(mktemp -d)
        cp "$BUSYBOX_BIN" "$ctx/busybox"
        cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.berth.test.image="busybox"
CMD ["sh"]
EOF
        docker_build "$ctx" "$IMAGE" "$@"
    fi
    if "$@" image inspect "$IMAGE_ALT" >/dev/null 2>&1; then
        log "[$name] $IMAGE_ALT present"
    else
        log "[$name] building $IMAGE_ALT"
        ctx=$(mktemp -d)
        cat >"$ctx/Dockerfile" <<EOF
FROM $IMAGE
LABEL org.berth.test.variant="alt"
EOF
        docker_build "$ctx" "$IMAGE_ALT" "$@"
    fi
    # sanity: the alt image must really be a different image
    local a b
    a=$("$@" image inspect -f '{{.Id}}' "$IMAGE")
    b=$("$@" image inspect -f '{{.Id}}' "$IMAGE_ALT")
    [ "$a" != "$b" ] || die "[$name] $IMAGE and $IMAGE_ALT have the same id"
}

build_images primary d1
build_images docker2 d2

# --------------------------------------------------------------------------
# 6. Local registry (optional)
# --------------------------------------------------------------------------
registry_answers() {
    curl -fs -o /dev/null --max-time 3 "http://$REGISTRY_ADDR/v2/"
}

REGISTRY_OK=0
setup_registry() {
    if ! command -v docker-registry >/dev/null 2>&1; then
        local cand
        cand=$(apt-cache policy docker-registry 2>/dev/null | awk '/Candidate:/ {print $2}')
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
            # the package list may just be stale on a fresh machine
            if [ "$apt_updated" -eq 0 ]; then
                apt-get update -qq || true
                apt_updated=1
                cand=$(apt-cache policy docker-registry 2>/dev/null | awk '/Candidate:/ {print $2}')
            fi
        fi
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
            log "NOTE: no docker-registry package available; registry pull tests will be skipped"
            return 1
        fi
        apt_install docker-registry || {
            log "NOTE: installing docker-registry failed; registry pull tests will be skipped"
            return 1
        }
        # the package's init script may have started a default instance on :5000
        # (where no policy-rc.d prevents it); we run our own configuration
        if [ -x /etc/init.d/docker-registry ]; then
            /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
        fi
    fi

    if pid_alive "$REGISTRY_PIDFILE" && registry_answers; then
        log "registry answers at $REGISTRY_ADDR"
    else
        if registry_answers; then
            log "NOTE: something not started by this script already serves $REGISTRY_ADDR; using it"
        else
            if pid_alive "$REGISTRY_PIDFILE"; then
                kill "$(cat "$REGISTRY_PIDFILE")" 2>/dev/null || true
                sleep 1
            fi
            mkdir -p "$REGISTRY_ROOT"
            cat >"$REGISTRY_CONFIG" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: berth-test-registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_ROOT
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
            log "starting docker-registry on $REGISTRY_ADDR (log: $REGISTRY_LOG)"
            start_detached "$REGISTRY_LOG" docker-registry serve "$REGISTRY_CONFIG"
            echo $! >"$REGISTRY_PIDFILE"
            if ! wait_for 20 "registry" registry_answers; then
                tail -n 20 "$REGISTRY_LOG" >&2 || true
                log "NOTE: registry did not come up; registry pull tests will be skipped"
                return 1
            fi
        fi
    fi

    local remote=$REGISTRY_ADDR/$IMAGE
    local repo=${IMAGE%:*} tag=${IMAGE##*:}
    if curl -fs -o /dev/null --max-time 5 \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://$REGISTRY_ADDR/v2/$repo/manifests/$tag"; then
        log "registry already holds $remote"
    else
        log "pushing $remote"
        d1 tag "$IMAGE" "$remote"
        if ! d1 push "$remote" >/dev/null; then
            log "NOTE: push to $REGISTRY_ADDR failed; registry pull tests will be skipped"
            return 1
        fi
    fi
    return 0
}

if setup_registry; then
    REGISTRY_OK=1
fi

# --------------------------------------------------------------------------
# 6b. The official vantage6 CLI (vantage6==4.15.2), the reference of the vantage6 node tests
# --------------------------------------------------------------------------
V6_VENV=${BERTH_TEST_V6_VENV:-/opt/berth-test/v6venv}
V6_OK=0
if [ -x "$V6_VENV/bin/v6" ] &&
    "$V6_VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("vantage6") == "4.15.2"' 2>/dev/null; then
    log "vantage6 CLI 4.15.2 already in $V6_VENV"
    V6_OK=1
else
    log "installing vantage6==4.15.2 into $V6_VENV"
    if python3 -m venv "$V6_VENV" && "$V6_VENV/bin/pip" install -q vantage6==4.15.2; then
        V6_OK=1
    else
        log "NOTE: could not install vantage6; the vantage6 conformance tests will be skipped"
    fi
fi

# --------------------------------------------------------------------------
# 7. Environment for the tests
# --------------------------------------------------------------------------
tmp_env=$(mktemp "$TEST_DIR/env.XXXXXX")
{
    echo "# generated by scripts/test-env.sh — source this file before running the tests"
    echo "export BERTH_TEST_IMAGE=$IMAGE"
    echo "export BERTH_TEST_IMAGE_ALT=$IMAGE_ALT"
    echo "export BERTH_TEST_DOCKER2=$D2_HOST"
    echo "export BERTH_TEST_DOCKER2_TCP=$D2_TCP"
    echo "export BERTH_TEST_TLS_DIR=$TLS_DIR"
    if [ "$REGISTRY_OK" -eq 1 ]; then
        echo "export BERTH_TEST_REGISTRY=$REGISTRY_ADDR"
    fi
    if [ "$V6_OK" -eq 1 ]; then
        echo "export BERTH_TEST_V6=$V6_VENV"
    fi
} >"$tmp_env"
chmod 0644 "$tmp_env"
mv -f "$tmp_env" "$ENV_FILE"

log "test environment ready; $ENV_FILE:"
grep '^export ' "$ENV_FILE"
