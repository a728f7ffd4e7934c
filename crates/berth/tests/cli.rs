//! The `berth` binary itself: version, configuration precedence, secrets, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_berth");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `berth serve`, waits for its "listening" line, answers the child and the log so far.
fn start(cmd: &mut Command) -> (Child, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains("listening");
            lines.push(line);
            if done {
                // keep draining in the background so the child never blocks on a full pipe
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return (child, lines);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("berth did not start: {lines:?}");
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("berth did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = Command::new(BIN).arg("version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("berth {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_configuration_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth.toml");
    std::fs::write(&file, "poll_intervall = 3\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("poll_intervall"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn flags_beat_environment_beat_file_and_secrets_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (flag_port, env_port, file_port) = (free_port(), free_port(), free_port());
    let file = dir.path().join("berth.toml");
    std::fs::write(
        &file,
        format!("listen = \"127.0.0.1:{file_port}\"\npoll_interval = 2\n"),
    )
    .unwrap();
    let secret = "s3cret-admin-password-value";
    let secret_file = dir.path().join("pw");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();

    // environment over file
    let (mut child, log) = start(
        Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&file)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("BERTH_LISTEN", format!("127.0.0.1:{env_port}"))
            .env("BERTH_ADMIN_PASSWORD_FILE", &secret_file),
    );
    let text = log.join("\n");
    assert!(text.contains(&format!("127.0.0.1:{env_port}")), "{text}");
    assert!(text.contains("poll_interval_secs: 2"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert!(!text.contains(secret), "the secret reached the log: {text}");
    let body = reqwest::get(format!("http://127.0.0.1:{env_port}/health"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());

    // flag over environment
    let (mut child, log) = start(
        Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&file)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen", &format!("127.0.0.1:{flag_port}")])
            .env("BERTH_LISTEN", format!("127.0.0.1:{env_port}")),
    );
    assert!(log.join("\n").contains(&format!("127.0.0.1:{flag_port}")));
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_and_closes_the_database_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let (mut child, _) = start(
        Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .env("DOCKER_HOST", common::docker1_url())
            .env("BERTH_ADMIN_PASSWORD", common::ADMIN_PASSWORD),
    );
    // `berth admin` works beside a running server.
    let out = Command::new(BIN)
        .args([
            "admin",
            "api-key-create",
            "admin",
            "--scope",
            "write",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(key.starts_with("berth_"), "{key}");
    // A stop with a grace period keeps a request in flight for about a second.
    let guard = common::Containers::local();
    let name = common::unique("cli-stop");
    guard.create(&name, &["sleep", "60"], true).await;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/hosts/local/containers/{name}/stop");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(key)
            .json(&serde_json::json!({"timeout": 1}))
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&child);
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    // SQLite removes the write-ahead log when the last connection closes cleanly.
    assert!(data.join("berth.db").exists());
    assert!(
        !data.join("berth.db-wal").exists(),
        "the WAL was left behind: the database was not closed"
    );
    guard.cleanup().await;
}

#[tokio::test]
async fn admin_reset_password_gives_a_one_time_password_that_must_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let (mut child, _) = start(
        Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .env("BERTH_ADMIN_PASSWORD", common::ADMIN_PASSWORD),
    );
    let out = Command::new(BIN)
        .args(["admin", "reset-password", "admin", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let password = text
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let login = |p: String| {
        client
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "admin", "password": p}))
            .send()
    };
    assert_eq!(
        login(common::ADMIN_PASSWORD.to_owned())
            .await
            .unwrap()
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    let res = login(password).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["must_change_password"], true);
    let out = Command::new(BIN)
        .args(["admin", "reset-password", "nobody", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named `nobody`"));
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}
