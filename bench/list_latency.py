#!/usr/bin/env python3
"""Benchmark: Berth's container list against the engine's own, plus idle memory and binary size.

With N containers (default 200) on the local engine, in one run, interleaving the two:
  - median latency of GET /api/v1/hosts/local/containers?all=true (through Berth)
  - median latency of GET /containers/json?all=1 (the engine's own, same socket)
and their ratio (target: at most 1.2); then Berth's resident memory after it has idled
(target: at most 25 MB); and the size of the release binary.

Run as root on a machine with a Docker engine and the test image (scripts/test-env.sh):
    cargo build --release -p berth && python3 bench/list_latency.py [--containers 200] [--rounds 200]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

LABEL = "berth.bench=list-latency"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


AUTH = {}


def call(conn, method, path, body=None):
    headers = dict(AUTH)
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    data = res.read()
    return res.status, data


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cleanup(docker):
    status, data = call(docker, "GET", "/containers/json?all=1&filters=" + json.dumps({"label": [LABEL]}).replace(" ", ""))
    for c in json.loads(data):
        call(docker, "DELETE", f"/containers/{c['Id']}?force=1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--image", default=os.environ.get("BERTH_TEST_IMAGE", "berth-test/busybox:latest"))
    ap.add_argument("--socket", default="/var/run/docker.sock")
    ap.add_argument("--binary", default="target/release/berth")
    args = ap.parse_args()

    docker = UnixHTTPConnection(args.socket)
    cleanup(docker)
    print(f"creating {args.containers} containers…", file=sys.stderr)
    key, value = LABEL.split("=")
    for i in range(args.containers):
        status, data = call(docker, "POST", f"/containers/create?name=berth-bench-{i}", {
            "Image": args.image, "Cmd": ["sleep", "3600"], "Labels": {key: value},
            "HostConfig": {"NetworkMode": "none"},
        })
        assert status == 201, data
        # Half running, half stopped, as on a real host.
        if i % 2 == 0:
            cid = json.loads(data)["Id"]
            status, data = call(docker, "POST", f"/containers/{cid}/start")
            assert status == 204, data

    data_dir = tempfile.mkdtemp(prefix="berth-bench-")
    port = free_port()
    server = subprocess.Popen(
        [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir, "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "BERTH_ADMIN_PASSWORD": "bench-admin-password"},
    )
    try:
        time.sleep(1)
        key = subprocess.run([args.binary, "admin", "api-key-create", "admin", "--scope", "read", "--data-dir", data_dir],
                             check=True, capture_output=True, text=True).stdout.strip()
        AUTH["Authorization"] = f"Bearer {key}"
        berth = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(100):
            try:
                status, body = call(berth, "GET", "/api/v1/hosts/local")
                if status == 200 and json.loads(body)["state"]["status"] == "online":
                    break
            except (ConnectionError, http.client.HTTPException):
                berth = http.client.HTTPConnection("127.0.0.1", port)
            time.sleep(0.1)

        berth_path = "/api/v1/hosts/local/containers?all=true"
        engine_path = "/containers/json?all=1"
        status, body = call(berth, "GET", berth_path)
        assert status == 200, body
        listed = len(json.loads(body))
        assert listed >= args.containers, f"berth listed {listed}"
        for _ in range(10):  # warm both paths
            call(berth, "GET", berth_path)
            call(docker, "GET", engine_path)

        t_berth, t_engine = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            call(docker, "GET", engine_path)
            t1 = time.perf_counter()
            call(berth, "GET", berth_path)
            t2 = time.perf_counter()
            t_engine.append((t1 - t0) * 1000)
            t_berth.append((t2 - t1) * 1000)

        time.sleep(5)  # let it idle
        rss = rss_kb(server.pid)
        med_b, med_e = statistics.median(t_berth), statistics.median(t_engine)
        ratio = med_b / med_e
        size = os.path.getsize(args.binary)
        result = {
            "containers_listed": listed,
            "rounds": args.rounds,
            "engine_median_ms": round(med_e, 2),
            "berth_median_ms": round(med_b, 2),
            "ratio": round(ratio, 3),
            "ratio_target": 1.2,
            "berth_p95_ms": round(sorted(t_berth)[int(len(t_berth) * 0.95)], 2),
            "idle_rss_mb": round(rss / 1024, 1),
            "idle_rss_target_mb": 25,
            "binary_mb": round(size / 1024 / 1024, 1),
        }
        print(json.dumps(result, indent=2))
        ok = ratio <= 1.2 and rss / 1024 <= 25
        print("PASS" if ok else "FAIL: above target", file=sys.stderr)
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        cleanup(docker)


if __name__ == "__main__":
    sys.exit(main())
