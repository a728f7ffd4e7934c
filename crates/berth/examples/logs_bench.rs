//! Benchmark: a container whose log holds N lines (default 2,000,000: `seq 1 N`), read in one
//! run straight from the engine's `/containers/{id}/logs` (plain, and with `timestamps=1` as
//! Berth asks for it) and through Berth's log WebSocket (one line per message, then with
//! `batch=true`); Berth's resident memory is sampled from `/proc/<pid>/status` every 20 ms while
//! it streams. The reads alternate over R rounds (default 2) so that load from elsewhere weighs
//! on all alike; each kind's best round counts. Prints JSON:
//! `{engine_lines_per_s, berth_lines_per_s, ratio, max_rss_mb, …, each_round}`.
//!
//! Run through `bench/logs_throughput.sh [N] [R]` (it builds the release server and this
//! example), or: `cargo build --release -p berth --bin berth --example logs_bench &&
//! target/release/examples/logs_bench [N] [R]` (env: `BERTH_BIN`, default `target/release/berth`;
//! `DOCKER_HOST`; `BERTH_TEST_IMAGE`, an image with `seq`, default `berth-test/busybox:latest`;
//! `BERTH_LOG_LEVEL` for the server, default `warn`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "bench-admin-password";

/// Stops the server and removes the container and the data folder, also on panic.
struct Cleanup {
    server: Option<Child>,
    container: Option<String>,
    dir: Option<std::path::PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(name) = self.container.take() {
            let _ = Command::new("docker").args(["rm", "-f", &name]).output();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn docker_socket() -> String {
    std::env::var("DOCKER_HOST")
        .unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
        .trim_start_matches("unix://")
        .to_owned()
}

/// Reads the whole log straight from the engine socket (HTTP/1.0, so the body simply ends) and
/// counts the lines of the multiplexed frames.
async fn engine_read(id: &str, api: &str, query: &str) -> (u64, f64) {
    let started = Instant::now();
    let mut sock = tokio::net::UnixStream::connect(docker_socket())
        .await
        .unwrap();
    let req = format!("GET /v{api}/containers/{id}/logs?{query} HTTP/1.0\r\nHost: docker\r\n\r\n");
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut pending: Vec<u8> = Vec::new();
    let mut header_done = false;
    let mut lines = 0u64;
    // Frame parser state: bytes left in the current payload.
    let mut left = 0usize;
    loop {
        let n = sock.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        if !header_done {
            let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            assert!(
                head.starts_with("HTTP/1.") && head.contains(" 200 "),
                "engine said: {head}"
            );
            pending.drain(..end + 4);
            header_done = true;
        }
        let mut i = 0;
        while i < pending.len() {
            if left > 0 {
                let take = left.min(pending.len() - i);
                lines += pending[i..i + take].iter().filter(|b| **b == b'\n').count() as u64;
                left -= take;
                i += take;
            } else if pending.len() - i >= 8 {
                left = u32::from_be_bytes([
                    pending[i + 4],
                    pending[i + 5],
                    pending[i + 6],
                    pending[i + 7],
                ]) as usize;
                i += 8;
            } else {
                break;
            }
        }
        pending.drain(..i);
    }
    (lines, started.elapsed().as_secs_f64())
}

/// Largest resident set seen while `running` is set, sampled every 20 ms.
fn sample_rss(
    pid: u32,
    max_kb: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                && let Some(kb) = status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            {
                max_kb.fetch_max(kb, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}

/// Streams the whole log through Berth's WebSocket; answers (lines, seconds, last line).
async fn berth_read(addr: &str, key: &str, id: &str, batch: bool) -> (u64, f64, String) {
    let started = Instant::now();
    let url = format!("ws://{addr}/api/v1/hosts/local/containers/{id}/logs?tail=all&batch={batch}");
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let mut lines = 0u64;
    let mut last = String::new();
    let mut end = false;
    while let Some(msg) = ws.next().await {
        match msg.expect("websocket error") {
            Message::Text(text) => {
                let text = text.as_str();
                let n = text.matches(r#"{"type":"line""#).count() as u64;
                if n > 0 {
                    lines += n;
                    last.clear();
                    last.push_str(text);
                } else {
                    assert!(
                        text.contains(r#""type":"end""#),
                        "unexpected message: {text}"
                    );
                    end = true;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert!(end, "the stream did not end with an end message");
    let elapsed = started.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    let last_line = if batch {
        v.as_array().unwrap().last().unwrap()["line"].clone()
    } else {
        v["line"].clone()
    };
    (
        lines,
        elapsed,
        last_line.as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::main]
async fn main() {
    let total: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
        .max(1);
    let image = std::env::var("BERTH_TEST_IMAGE")
        .unwrap_or_else(|_| "berth-test/busybox:latest".to_owned());
    let bin = std::env::var("BERTH_BIN").unwrap_or_else(|_| "target/release/berth".to_owned());
    let mut cleanup = Cleanup {
        server: None,
        container: None,
        dir: None,
    };

    // The container: `seq 1 N`, run to its end.
    let docker = Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let api = docker.client_version().to_string();
    let name = format!("berth-bench-logs-{}", std::process::id());
    let body = ContainerCreateBody {
        image: Some(image),
        cmd: Some(vec!["seq".to_owned(), "1".to_owned(), total.to_string()]),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.clone()),
                ..Default::default()
            }),
            body,
        )
        .await
        .unwrap();
    cleanup.container = Some(name.clone());
    docker.start_container(&created.id, None).await.unwrap();
    let mut wait = docker.wait_container(&created.id, None::<WaitContainerOptions>);
    while wait.next().await.is_some() {}
    let id = created.id;
    eprintln!("container {name} wrote its {total} lines");

    // Berth: a release server on a free port with a fresh data folder, and a key.
    let dir = std::env::temp_dir().join(format!("berth-bench-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    cleanup.dir = Some(dir.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = Command::new(&bin)
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(&dir)
        .env("BERTH_ADMIN_PASSWORD", PASSWORD)
        .env(
            "BERTH_LOG_LEVEL",
            std::env::var("BERTH_LOG_LEVEL").unwrap_or_else(|_| "warn".to_owned()),
        )
        // The server logs (warnings only, unless BERTH_LOG_LEVEL says otherwise) go to stderr.
        .stdout(
            std::os::fd::AsFd::as_fd(&std::io::stderr())
                .try_clone_to_owned()
                .map_or_else(|_| Stdio::null(), Stdio::from),
        )
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let pid = server.id();
    cleanup.server = Some(server);
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http
            .get(format!("http://{addr}/health/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "berth did not become ready");
    let out = Command::new(&bin)
        .args([
            "admin",
            "api-key-create",
            "admin",
            "--scope",
            "write",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    eprintln!("berth (pid {pid}) listens on {addr}");

    let idle_kb = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = sample_rss(pid, idle_kb.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();

    // Warm the page cache with one read; then rounds of engine, engine with timestamps, Berth,
    // Berth with batch=true, one after the other, so that load from elsewhere on the machine
    // weighs on all of them alike. Each kind's best round counts.
    engine_read(&id, &api, "stdout=1&stderr=1").await;
    let (mut engine_s, mut engine_ts_s, mut berth_s, mut batch_s) =
        (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    let max_kb = Arc::new(AtomicU64::new(0));
    let mut rounds_out = Vec::new();
    for round in 0..rounds {
        let (n, e) = engine_read(&id, &api, "stdout=1&stderr=1").await;
        assert_eq!(n, total);
        let (n, ets) = engine_read(&id, &api, "stdout=1&stderr=1&timestamps=1").await;
        assert_eq!(n, total);
        let mut berth = [0.0; 2];
        for (i, batch) in [false, true].into_iter().enumerate() {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let sampler = sample_rss(pid, max_kb.clone(), stop.clone());
            let (lines, secs, last) = berth_read(&addr, &key, &id, batch).await;
            stop.store(true, Ordering::Relaxed);
            sampler.join().unwrap();
            assert_eq!(lines, total, "berth sent {lines} lines (batch={batch})");
            assert_eq!(last, total.to_string());
            berth[i] = secs;
        }
        eprintln!(
            "round {round}: engine {e:.2} s, engine with timestamps {ets:.2} s, berth {:.2} s, berth batch {:.2} s",
            berth[0], berth[1]
        );
        rounds_out.push(serde_json::json!({"engine_s": e, "engine_timestamps_s": ets, "berth_s": berth[0], "batch_s": berth[1]}));
        engine_s = engine_s.min(e);
        engine_ts_s = engine_ts_s.min(ets);
        berth_s = berth_s.min(berth[0]);
        batch_s = batch_s.min(berth[1]);
    }
    let rate = |secs: f64| total as f64 / secs;
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "lines": total,
            "rounds": rounds,
            "engine_lines_per_s": rate(engine_s).round(),
            "berth_lines_per_s": rate(berth_s).round(),
            "ratio": round3(engine_s / berth_s),
            "max_rss_mb": round3(max_kb.load(Ordering::Relaxed) as f64 / 1024.0),
            "idle_rss_mb": round3(idle_kb.load(Ordering::Relaxed) as f64 / 1024.0),
            "engine_with_timestamps_lines_per_s": rate(engine_ts_s).round(),
            "ratio_to_engine_with_timestamps": round3(engine_ts_s / berth_s),
            "batch_lines_per_s": rate(batch_s).round(),
            "batch_ratio": round3(engine_s / batch_s),
            "each_round": rounds_out,
        })
    );
    let _ = docker
        .remove_container(
            &name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    cleanup.container = None;
}
