//! An engine that does not answer: 503 `DOCKER_UNAVAILABLE` within a bounded time, the server
//! keeps serving every other host, and the host recovers when the engine returns. Each test runs
//! a private dockerd (own data root, exec root, socket and bridge) and stops or freezes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, expect_error, json, test_image, unique};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A dockerd of the test's own. It gets a dedicated bridge, so it neither shares nor deletes
/// the primary engine's `docker0` (`--bridge none` would delete it). Stopped, and its bridge
/// removed, on drop, also when the test panics.
struct PrivateEngine {
    dir: tempfile::TempDir,
    bridge: String,
    child: Option<Child>,
}

impl PrivateEngine {
    /// Creates the bridge and starts the daemon; answers once it answers.
    async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("bo")
            .tempdir_in("/tmp")
            .unwrap();
        let rand = uuid::Uuid::new_v4();
        let bridge = format!("berthb{}", &rand.simple().to_string()[..8]);
        let subnet = format!("10.213.{}.1/24", rand.as_bytes()[15]);
        run(&["ip", "link", "add", &bridge, "type", "bridge"]);
        let mut engine = Self {
            dir,
            bridge,
            child: None,
        };
        run(&["ip", "addr", "add", &subnet, "dev", &engine.bridge]);
        run(&["ip", "link", "set", &engine.bridge, "up"]);
        std::fs::write(engine.path("daemon.json"), "{}").unwrap();
        engine.launch().await;
        engine
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn socket(&self) -> PathBuf {
        self.path("d.sock")
    }

    fn url(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn pid(&self) -> String {
        self.child.as_ref().expect("running").id().to_string()
    }

    /// Starts dockerd (again, on the same data) and waits until it answers `/_ping`.
    async fn launch(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dockerd.log"))
            .unwrap();
        let arg = |name: &str| self.path(name).display().to_string();
        let child = Command::new("dockerd")
            .args(["--config-file", &arg("daemon.json")])
            .args(["--data-root", &arg("data")])
            .args(["--exec-root", &arg("x")])
            .args(["--pidfile", &arg("d.pid")])
            .args(["-H", &self.url()])
            .args(["--bridge", &self.bridge])
            .args(["--iptables=false", "--ip-masq=false", "--ip-forward=false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("dockerd");
        self.child = Some(child);
        let started = Instant::now();
        while !self.answers().await {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("dockerd exited with {status}:\n{}", self.log_tail());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "dockerd does not answer:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the daemon answers a ping on its socket.
    async fn answers(&self) -> bool {
        let attempt = async {
            let mut s = tokio::net::UnixStream::connect(self.socket()).await.ok()?;
            s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                .await
                .ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).await.ok()?;
            Some(out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200"))
        };
        tokio::time::timeout(Duration::from_secs(2), attempt)
            .await
            .ok()
            .flatten()
            .unwrap_or(false)
    }

    /// SIGTERM, then waits for the daemon to exit.
    async fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid()]).status();
        let started = Instant::now();
        let mut child = self.child.take().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGSTOP / SIGCONT: the process stays, its socket accepts, nothing answers.
    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig}");
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for PrivateEngine {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("private dockerd log:\n{}", self.log_tail());
        }
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-CONT", &pid]).status();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let started = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if started.elapsed() > Duration::from_secs(20) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .output();
        // Anything the daemon left mounted under its folders would keep them from going.
        let _ = Command::new("umount")
            .args(["-R", "-l", &self.path("x").display().to_string()])
            .output();
    }
}

fn run(cmd: &[&str]) {
    let out = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The primary engine still has its `docker0` and still starts containers with networking.
async fn assert_primary_networking_intact() {
    tokio::task::spawn_blocking(|| {
        let out = Command::new("ip")
            .args(["-4", "-o", "addr", "show", "docker0"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "docker0 is gone");
        let gateway = text
            .split_whitespace()
            .skip_while(|w| *w != "inet")
            .nth(1)
            .and_then(|cidr| cidr.split('/').next())
            .unwrap_or_else(|| panic!("docker0 has no address: {text}"))
            .to_owned();
        let label = format!("berth.test={}", unique("net"));
        let out = Command::new("docker")
            .args([
                "-H",
                &common::docker1_url(),
                "run",
                "--rm",
                "--label",
                &label,
            ])
            .args(["--network", "bridge", &test_image()])
            .args(["ping", "-c", "1", "-W", "5", &gateway])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "a bridged container on the primary cannot reach {gateway}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    })
    .await
    .unwrap();
}

/// The `hosts` entry of `/api/v1/containers` for `name`.
fn listing_of<'a>(all: &'a Value, name: &str) -> &'a Value {
    all["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("no {name} in {all}"))
}

/// Calls `GET path`, asserting it answers within `limit`.
async fn timed_get(app: &TestApp, path: &str, limit: Duration) -> reqwest::Response {
    let started = Instant::now();
    let res = app.get(path).await;
    let took = started.elapsed();
    assert!(took < limit, "GET {path} took {took:?} (limit {limit:?})");
    res
}

#[tokio::test]
async fn a_stopped_engine_is_503_others_keep_serving_and_it_recovers_when_restarted() {
    let mut engine = PrivateEngine::start().await;
    let app = TestApp::spawn().await;
    let name = unique("outage");
    app.add_host(&name, &engine.url()).await;
    let containers = format!("/api/v1/hosts/{name}/containers");
    let (status, body) = json(app.get(&containers).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    engine.stop().await;
    let stopped = Instant::now();

    let body = expect_error(
        timed_get(&app, &containers, Duration::from_secs(5)).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;
    assert_eq!(body["error"]["details"]["host"], name.as_str(), "{body}");

    // Every other host is served as before.
    let (status, body) = json(
        timed_get(
            &app,
            "/api/v1/hosts/local/containers",
            Duration::from_secs(5),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, all) =
        json(timed_get(&app, "/api/v1/containers", Duration::from_secs(5)).await).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(listing_of(&all, &name)["online"], false, "{all}");
    assert!(listing_of(&all, &name)["error"].is_string(), "{all}");
    assert_eq!(listing_of(&all, "local")["online"], true, "{all}");

    app.wait_status(&name, "offline", Duration::from_secs(10))
        .await;
    assert!(stopped.elapsed() < Duration::from_secs(10));
    let (_, local) = json(app.get("/api/v1/hosts/local").await).await;
    assert_eq!(local["state"]["status"], "online", "{local}");

    let (status, health) = json(app.get("/health/detailed").await).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "degraded", "{health}");
    let component = health["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == format!("docker:{name}"))
        .unwrap()
        .clone();
    assert_eq!(component["status"], "down", "{health}");

    // The same daemon comes back: the host is online again without anyone asking.
    let restarted = Instant::now();
    engine.launch().await;
    app.wait_status(&name, "online", Duration::from_secs(20))
        .await;
    assert!(restarted.elapsed() < Duration::from_secs(20));
    let (status, body) = json(app.get(&containers).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, all) = json(app.get("/api/v1/containers").await).await;
    assert_eq!(listing_of(&all, &name)["online"], true, "{all}");

    app.stop().await;
    drop(engine);
    assert_primary_networking_intact().await;
}

#[tokio::test]
async fn a_frozen_engine_is_503_within_the_docker_timeout_and_recovers_when_thawed() {
    let engine = PrivateEngine::start().await;
    let app = TestApp::spawn_with(|c| c.docker_timeout_secs = 2).await;
    let name = unique("frozen");
    app.add_host(&name, &engine.url()).await;
    let containers = format!("/api/v1/hosts/{name}/containers");
    let (status, body) = json(app.get(&containers).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Its socket still accepts connections; nothing answers on them.
    engine.signal("-STOP");
    let frozen = Instant::now();
    expect_error(
        timed_get(&app, &containers, Duration::from_secs(5)).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;

    // Nothing waits on the frozen engine but requests about it.
    for path in ["/api/v1/hosts", "/api/v1/hosts/local", "/health"] {
        let (status, _) = json(timed_get(&app, path, Duration::from_secs(1)).await).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, body) = json(
        timed_get(
            &app,
            "/api/v1/hosts/local/containers",
            Duration::from_secs(2),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, all) =
        json(timed_get(&app, "/api/v1/containers", Duration::from_secs(5)).await).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(listing_of(&all, &name)["online"], false, "{all}");
    assert_eq!(listing_of(&all, "local")["online"], true, "{all}");
    let (status, health) =
        json(timed_get(&app, "/health/detailed", Duration::from_secs(5)).await).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "degraded", "{health}");

    app.wait_status(&name, "offline", Duration::from_secs(10))
        .await;
    assert!(frozen.elapsed() < Duration::from_secs(10));

    engine.signal("-CONT");
    app.wait_status(&name, "online", Duration::from_secs(20))
        .await;
    let (status, body) = json(app.get(&containers).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    app.stop().await;
    drop(engine);
    assert_primary_networking_intact().await;
}
