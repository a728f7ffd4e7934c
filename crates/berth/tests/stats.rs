//! Container stats: values as `docker stats` computes them, one shared engine stream per
//! container, closed soon after its last viewer leaves; WebSocket, SSE and one-shot variants;
//! `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::HostConfig;
use common::{Containers, TestApp, expect_error, json, unique};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn stats_path(container: &str) -> String {
    format!("/api/v1/hosts/local/containers/{container}/stats")
}

async fn open(app: &TestApp, path: &str) -> Ws {
    let mut req = format!("ws://{}{path}", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", app.key).parse().unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws
}

/// The next JSON message, within `limit`; `None` when the server closed the socket.
async fn next_json(ws: &mut Ws, limit: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("no message in time");
        match msg {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// The next `stats` sample.
async fn next_sample(ws: &mut Ws) -> Value {
    loop {
        let v = next_json(ws, Duration::from_secs(10))
            .await
            .expect("stream closed");
        if v["type"] == "stats" {
            return v;
        }
        assert_eq!(v["type"], "lagged", "{v}");
    }
}

/// Polls `f` every 50 ms until it holds; how long that took, or `None` after `limit`.
async fn wait_until(limit: Duration, f: impl Fn() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if f() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn a_busy_container_shows_cpu_use() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-busy");
    guard
        .create(&name, &["sh", "-c", "while :; do :; done"], true)
        .await;
    let mut ws = open(&app, &stats_path(&name)).await;
    let mut best = 0.0_f64;
    for _ in 0..4 {
        let s = next_sample(&mut ws).await;
        best = best.max(s["cpu_percent"].as_f64().unwrap());
        assert!(s["cpus"].as_u64().unwrap() >= 1, "{s}");
        assert!(s["time"].is_string(), "{s}");
    }
    assert!(best > 20.0, "a busy loop used only {best} % CPU");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_idle_container_shows_little_cpu_and_sane_memory() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-idle");
    guard.create(&name, &["sleep", "300"], true).await;
    let mut ws = open(&app, &stats_path(&name)).await;
    let mut last = Value::Null;
    for _ in 0..3 {
        last = next_sample(&mut ws).await;
        let cpu = last["cpu_percent"].as_f64().unwrap();
        assert!(cpu < 5.0, "an idle container used {cpu} % CPU: {last}");
    }
    let used = last["memory_used"].as_u64().unwrap();
    let limit = last["memory_limit"].as_u64().unwrap();
    assert!(used > 0 && used < limit, "{last}");
    let percent = last["memory_percent"].as_f64().unwrap();
    assert!(
        (percent - used as f64 / limit as f64 * 100.0).abs() < 1e-6,
        "{last}"
    );
    assert!(last["pids"].as_u64().unwrap() >= 1, "{last}");
    // No network (`none`), and rates are never negative.
    assert_eq!(last["net_rx_bytes"], 0, "{last}");
    for rate in [
        "net_rx_rate",
        "net_tx_rate",
        "blk_read_rate",
        "blk_write_rate",
    ] {
        assert!(last[rate].as_f64().unwrap() >= 0.0, "{last}");
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_memory_limit_is_reported_by_the_plain_get() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-limit");
    let host_config = HostConfig {
        memory: Some(64 * 1024 * 1024),
        ..Default::default()
    };
    guard
        .create_with(&name, &["sleep", "300"], true, HashMap::new(), host_config)
        .await;
    // A plain GET answers one sample as JSON.
    let (status, s) = json(app.get(&stats_path(&name)).await).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["type"], "stats");
    assert_eq!(s["memory_limit"], 67_108_864, "{s}");
    assert!(s["memory_used"].as_u64().unwrap() > 0, "{s}");
    assert!(s["pids"].as_u64().unwrap() >= 1, "{s}");
    // One-shot reads open no shared stream.
    assert_eq!(app.state.streams.stats.upstreams(), 0);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn two_viewers_share_one_upstream_and_the_last_leaving_closes_it() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-shared");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    let hub = &app.state.streams.stats;
    // One viewer by name, one by id: the same container, so the same stream.
    let mut first = open(&app, &stats_path(&name)).await;
    let mut second = open(&app, &stats_path(&id)).await;
    next_sample(&mut first).await;
    next_sample(&mut second).await;
    assert_eq!(hub.upstreams(), 1);
    assert_eq!(hub.viewers(), 2);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l == "berth_stats_upstreams 1"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "berth_stats_viewers 2"),
        "{metrics}"
    );

    first.close(None).await.unwrap();
    wait_until(Duration::from_secs(5), || hub.viewers() == 1)
        .await
        .expect("the first viewer never left");
    assert_eq!(
        hub.upstreams(),
        1,
        "the stream closed while one still watched"
    );
    // The one left still gets samples.
    next_sample(&mut second).await;

    second.close(None).await.unwrap();
    let closed = wait_until(Duration::from_secs(7), || hub.upstreams() == 0)
        .await
        .expect("the upstream stayed open 7 s after the last viewer left");
    assert_eq!(hub.viewers(), 0);
    // It lingers a while for a viewer who comes back, then closes.
    assert!(closed > Duration::from_secs(3), "closed after {closed:?}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_viewer_who_comes_back_within_the_linger_keeps_the_upstream() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-back");
    guard.create(&name, &["sleep", "300"], true).await;
    let hub = &app.state.streams.stats;
    let mut ws = open(&app, &stats_path(&name)).await;
    next_sample(&mut ws).await;
    ws.close(None).await.unwrap();
    wait_until(Duration::from_secs(5), || hub.viewers() == 0)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut again = open(&app, &stats_path(&name)).await;
    // The latest sample comes at once, from the stream still open.
    let started = Instant::now();
    next_sample(&mut again).await;
    assert!(started.elapsed() < Duration::from_millis(500));
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(hub.upstreams(), 1);
    next_sample(&mut again).await;
    drop(again);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_container_that_stops_ends_the_stream() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-stop");
    guard.create(&name, &["sleep", "300"], true).await;
    let mut ws = open(&app, &stats_path(&name)).await;
    next_sample(&mut ws).await;
    let res = app
        .post(
            &format!("/api/v1/hosts/local/containers/{name}/stop"),
            &json!({"timeout": 0}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let end = loop {
        let v = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("closed without an end message");
        if v["type"] != "stats" {
            break v;
        }
    };
    assert_eq!(end, json!({"type": "end", "reason": "container stopped"}));
    assert!(next_json(&mut ws, Duration::from_secs(5)).await.is_none());
    let hub = &app.state.streams.stats;
    wait_until(Duration::from_secs(2), || {
        hub.upstreams() == 0 && hub.viewers() == 0
    })
    .await
    .expect("the stream of a stopped container stayed open");
    // Watching a stopped container ends at once.
    let mut late = open(&app, &stats_path(&name)).await;
    let v = next_json(&mut late, Duration::from_secs(5)).await.unwrap();
    assert_eq!(v["type"], "end", "{v}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_container_is_a_fatal_error() {
    let app = TestApp::spawn().await;
    let missing = unique("stats-missing");
    let mut ws = open(&app, &stats_path(&missing)).await;
    let v = next_json(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["code"], "CONTAINER_NOT_FOUND", "{v}");
    assert_eq!(v["fatal"], true, "{v}");
    assert_eq!(v["reconnect"], false, "{v}");
    assert!(next_json(&mut ws, Duration::from_secs(5)).await.is_none());
    assert_eq!(app.state.streams.stats.upstreams(), 0);
    expect_error(
        app.get(&stats_path(&missing)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    let res = app
        .client
        .get(app.url(&stats_path(&missing)))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    app.stop().await;
}

#[tokio::test]
async fn server_sent_events_carry_samples() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stats-sse");
    guard.create(&name, &["sleep", "300"], true).await;
    let res = app
        .client
        .get(app.url(&stats_path(&name)))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(res.headers()["x-accel-buffering"], "no");
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let samples = loop {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("no samples in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        let samples: Vec<Value> = text
            .split("\n\n")
            .filter(|e| e.contains("event: stats"))
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        if samples.len() >= 2 {
            break samples;
        }
    };
    assert!(samples.iter().all(|s| s["type"] == "stats"), "{samples:?}");
    assert!(samples[1]["pids"].as_u64().unwrap() >= 1);
    assert_eq!(app.state.streams.stats.viewers(), 1);
    drop(body);
    wait_until(Duration::from_secs(5), || {
        app.state.streams.stats.viewers() == 0
    })
    .await
    .expect("closing the event stream did not release the viewer");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn metrics_need_authentication_and_show_the_gauges() {
    let app = TestApp::spawn().await;
    expect_error(
        app.anon.get(app.url("/metrics")).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for line in [
        "berth_stats_upstreams 0",
        "berth_stats_viewers 0",
        "berth_hosts{status=\"online\"} 1",
        "berth_hosts{status=\"offline\"} 0",
        "# TYPE berth_stats_upstreams gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("berth_event_subscribers ")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "berth_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    let rss: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 1e6, "{text}");
    // A read-scope key (what a scraper holds) is enough.
    let viewer = unique("scraper");
    app.create_user(&viewer, berth_api::auth::Role::Viewer, None)
        .await;
    let key = app
        .api_key_for(&viewer, common::USER_PASSWORD, "read")
        .await;
    let res = app
        .anon
        .get(app.url("/metrics"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}
