#!/usr/bin/env python3
"""Benchmark: Berth's CPU while 50 containers are each watched by 10 stats viewers.

Starts N busybox containers (default 50, `sleep 3600`, network none, labelled for cleanup), a
release Berth on a free port with a fresh data folder, and V WebSocket viewers per container
(default 10: 500 sockets) on /api/v1/hosts/local/containers/{id}/stats. Once every viewer has
had a sample, it measures Berth's CPU over 30 s from /proc/<pid>/stat ((utime + stime) delta /
elapsed / CLK_TCK, in cores; target: at most 0.1) and its resident memory, checks through
/metrics that the viewers share one engine stream per container, closes the viewers and checks
that every engine stream closes within 7 s. Cleans up whatever happens.

Run as root on a machine with a Docker engine and the test image (scripts/test-env.sh):
    pip install websockets
    cargo build --release -p berth && python3 bench/stats_cpu.py [--containers 50] [--viewers 10]
"""
import argparse
import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import websockets

LABEL = "berth.bench=stats-cpu"
PASSWORD = "berth-bench-admin-password"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn, method, path, body=None, headers=None):
    headers = dict(headers or {})
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    return res.status, res.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of the line (utime, stime); `rest` starts at field 3.
    return int(rest[11]) + int(rest[12])


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cleanup(docker):
    filters = json.dumps({"label": [LABEL]}).replace(" ", "")
    status, data = call(docker, "GET", "/containers/json?all=1&filters=" + filters)
    for c in json.loads(data) if status == 200 else []:
        call(docker, "DELETE", f"/containers/{c['Id']}?force=1")


def metrics(port, key):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    status, body = call(conn, "GET", "/metrics", headers={"Authorization": f"Bearer {key}"})
    assert status == 200, body
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Viewer:
    def __init__(self):
        self.samples = 0
        self.other = []
        self.ready = asyncio.Event()


async def view(url, key, viewer, stop):
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}"},
                                  max_queue=64, ping_interval=None) as ws:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except asyncio.TimeoutError:
                continue
            msg = json.loads(text)
            if msg.get("type") == "stats":
                viewer.samples += 1
                viewer.ready.set()
            else:
                viewer.other.append(msg)


async def measure(args, port, key, pid, ids):
    stop = asyncio.Event()
    viewers, tasks = [], []
    for cid in ids:
        for _ in range(args.viewers):
            v = Viewer()
            viewers.append(v)
            url = f"ws://127.0.0.1:{port}/api/v1/hosts/local/containers/{cid}/stats"
            tasks.append(asyncio.create_task(view(url, key, v, stop)))
    await asyncio.wait_for(asyncio.gather(*(v.ready.wait() for v in viewers)), timeout=60)
    m = metrics(port, key)
    await asyncio.sleep(3)  # settle

    clk = os.sysconf("SC_CLK_TCK")
    before_samples = sum(v.samples for v in viewers)
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    rss_max = 0
    while time.monotonic() - t0 < args.seconds:
        await asyncio.sleep(1)
        rss_max = max(rss_max, rss_kb(pid))
    t1, c1 = time.monotonic(), cpu_ticks(pid)
    delivered = sum(v.samples for v in viewers) - before_samples

    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    closed_after = None
    started = time.monotonic()
    while time.monotonic() - started < 10:
        if metrics(port, key).get("berth_stats_upstreams") == 0:
            closed_after = time.monotonic() - started
            break
        await asyncio.sleep(0.1)
    return {
        "containers": len(ids),
        "viewers": len(viewers),
        "upstreams_while_watched": m.get("berth_stats_upstreams"),
        "viewers_counted": m.get("berth_stats_viewers"),
        "window_s": round(t1 - t0, 1),
        "samples_delivered_in_window": delivered,
        "samples_per_s": round(delivered / (t1 - t0), 1),
        "cpu_cores": round((c1 - c0) / clk / (t1 - t0), 4),
        "cpu_target_cores": 0.1,
        "rss_mb_max": round(rss_max / 1024, 1),
        "non_sample_messages": sum(len(v.other) for v in viewers),
        "upstreams_closed_after_s": None if closed_after is None else round(closed_after, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--image", default=os.environ.get("BERTH_TEST_IMAGE", "berth-test/busybox:latest"))
    ap.add_argument("--socket", default="/var/run/docker.sock")
    ap.add_argument("--binary", default="target/release/berth")
    args = ap.parse_args()

    docker = UnixHTTPConnection(args.socket)
    cleanup(docker)
    data_dir = tempfile.mkdtemp(prefix="berth-bench-")
    server = None
    try:
        print(f"starting {args.containers} containers…", file=sys.stderr)
        k, v = LABEL.split("=")
        ids = []
        for i in range(args.containers):
            status, data = call(docker, "POST", "/containers/create", {
                "Image": args.image, "Cmd": ["sleep", "3600"], "Labels": {k: v},
                "HostConfig": {"NetworkMode": "none"},
            })
            assert status == 201, data
            cid = json.loads(data)["Id"]
            status, data = call(docker, "POST", f"/containers/{cid}/start")
            assert status == 204, data
            ids.append(cid)

        port = free_port()
        env = dict(os.environ, BERTH_ADMIN_PASSWORD=PASSWORD)
        server = subprocess.Popen(
            [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
             "--log-level", "warn"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                status, _ = call(http.client.HTTPConnection("127.0.0.1", port, timeout=2), "GET", "/health/ready")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        key = subprocess.run(
            [args.binary, "admin", "api-key-create", "admin", "--scope", "read", "--name", "bench",
             "--data-dir", data_dir],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        for _ in range(100):
            status, body = call(http.client.HTTPConnection("127.0.0.1", port, timeout=2), "GET",
                                "/api/v1/hosts/local", headers={"Authorization": f"Bearer {key}"})
            if status == 200 and json.loads(body)["state"]["status"] == "online":
                break
            time.sleep(0.1)

        print(f"opening {args.containers * args.viewers} viewers…", file=sys.stderr)
        result = asyncio.run(measure(args, port, key, server.pid, ids))
        print(json.dumps(result, indent=2))
        ok = (result["cpu_cores"] <= 0.1
              and result["upstreams_while_watched"] == args.containers
              and result["upstreams_closed_after_s"] is not None)
        print("PASS" if ok else "FAIL: above target", file=sys.stderr)
        return 0 if ok else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cleanup(docker)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
