//! Docker events fanned out over WebSocket and Server-Sent Events, and task progress.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use berth_api::auth::Role;
use common::{Containers, Proxy, TestApp, expect_error, json, unique};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp, path: &str, key: &str) -> Ws {
    let mut req = format!("ws://{}{path}", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws
}

/// The next JSON message that satisfies `want`, within `limit`.
async fn next_matching(ws: &mut Ws, limit: Duration, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("no matching message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if want(&v) {
                return v;
            }
        }
    }
}

fn is(v: &Value, host: &str, action: &str, name: &str) -> bool {
    v["type"] == "event" && v["host"] == host && v["action"] == action && v["name"] == name
}

#[tokio::test]
async fn start_and_stop_events_arrive_from_two_hosts() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let mut ws = open(&app, "/api/v1/events?type=container", &app.key).await;
    // Subscribing is asynchronous; give the server a moment before the events happen.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (one, two) = (Containers::local(), Containers::on(&common::docker2_url()));
    let (a, b) = (unique("ev-a"), unique("ev-b"));
    one.create(&a, &["sleep", "30"], true).await;
    two.create(&b, &["sleep", "30"], true).await;
    let e = next_matching(&mut ws, Duration::from_secs(10), |v| {
        is(v, "local", "start", &a)
    })
    .await;
    assert_eq!(e["object"], "container");
    assert!(e["id"].as_str().unwrap().len() >= 12);
    assert_eq!(e["attributes"]["berth.test"], one.run_id.as_str());
    next_matching(&mut ws, Duration::from_secs(10), |v| {
        is(v, "second", "start", &b)
    })
    .await;
    app.post(
        &format!("/api/v1/hosts/second/containers/{b}/stop"),
        &json!({"timeout": 0}),
    )
    .await;
    next_matching(&mut ws, Duration::from_secs(10), |v| {
        is(v, "second", "die", &b)
    })
    .await;
    one.cleanup().await;
    two.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn filters_narrow_the_stream_by_host_action_and_container() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let (quiet, loud) = (unique("ev-quiet"), unique("ev-loud"));
    let mut ws = open(
        &app,
        &format!("/api/v1/events?host=local&action=start,die&container={loud}"),
        &app.key,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    guard.create(&quiet, &["sleep", "30"], true).await;
    guard.create(&loud, &["true"], true).await;
    let first = next_matching(&mut ws, Duration::from_secs(10), |_| true).await;
    assert!(is(&first, "local", "start", &loud), "{first}");
    let second = next_matching(&mut ws, Duration::from_secs(10), |_| true).await;
    assert!(is(&second, "local", "die", &loud), "{second}");
    assert_eq!(second["attributes"]["exitCode"], "0");
    // Unknown hosts are refused up front.
    let res = app.get("/api/v1/events?host=nope").await;
    expect_error(res, StatusCode::NOT_FOUND, "HOST_NOT_FOUND").await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn events_are_also_server_sent_events_that_proxies_do_not_buffer() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("ev-sse");
    let res = app
        .client
        .get(app.url("/api/v1/events?type=container&action=start"))
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
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["x-accel-buffering"], "no");
    let mut body = res.bytes_stream();
    tokio::time::sleep(Duration::from_millis(300)).await;
    guard.create(&name, &["sleep", "30"], true).await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(&name) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("no event in time")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let line = seen
        .lines()
        .find(|l| l.starts_with("data:") && l.contains(&name))
        .unwrap();
    let event: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
    assert!(is(&event, "local", "start", &name), "{event}");
    assert!(seen.contains("event: event"), "{seen}");
    // Without WebSocket or SSE the route says what it is.
    expect_error(
        app.get("/api/v1/events").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_lost_engine_is_announced_and_its_events_resume_when_it_returns() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("d.sock");
    let proxy = Proxy::start(&sock);
    app.add_host("proxied", &format!("unix://{}", sock.display()))
        .await;
    let mut ws = open(&app, "/api/v1/events?host=proxied", &app.key).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(proxy);
    let err = next_matching(&mut ws, Duration::from_secs(10), |v| v["type"] == "error").await;
    assert_eq!(err["code"], "DOCKER_UNAVAILABLE");
    assert_eq!(err["reconnect"], true);
    assert_eq!(err["fatal"], false);
    assert_eq!(err["host"], "proxied");
    let _proxy = Proxy::start(&sock);
    app.wait_online("proxied").await;
    // Let the event subscription reconnect (it retries every second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let guard = Containers::local();
    let name = unique("ev-back");
    guard.create(&name, &["sleep", "30"], true).await;
    next_matching(&mut ws, Duration::from_secs(10), |v| {
        is(v, "proxied", "start", &name)
    })
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn tenants_only_see_events_of_their_own_containers() {
    let app = TestApp::spawn().await;
    let alice = unique("alice");
    app.create_user(&alice, Role::User, None).await;
    let key = app
        .api_key_for(&alice, common::USER_PASSWORD, "write")
        .await;
    let mut ws = open(&app, "/api/v1/events", &key).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let guard = Containers::local();
    let theirs = unique("ev-theirs");
    guard.create(&theirs, &["true"], true).await;
    let mine = unique("ev-mine");
    let res = app
        .anon
        .post(app.url("/api/v1/hosts/local/containers"))
        .bearer_auth(&key)
        .json(&json!({"image": common::test_image(), "name": mine, "command": ["true"], "labels": {"berth.test": guard.run_id}, "start": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = next_matching(&mut ws, Duration::from_secs(10), |v| v["type"] == "event").await;
    assert_eq!(
        first["name"],
        mine.as_str(),
        "a tenant saw someone else's event: {first}"
    );
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_background_pull_is_a_task_with_progress_and_a_result() {
    let Some(registry) = common::registry() else {
        eprintln!(
            "no local registry in this environment; the pull task is covered by the failure case below"
        );
        return;
    };
    let app = TestApp::spawn().await;
    let image = format!("{registry}/berth-test/busybox:latest");
    let (status, task) = json(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({"image": image, "background": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["action"], "image.pull");
    assert_eq!(task["target"], image.as_str());
    let mut ws = open(&app, &format!("/api/v1/tasks/{id}"), &app.key).await;
    let done = next_matching(&mut ws, Duration::from_secs(60), |v| {
        v["finished_at"].is_string()
    })
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        done["result"]["id"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{done}"
    );
    assert_eq!(done["percent"], 100.0);
    let (_, list) = json(app.get("/api/v1/tasks").await).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str()),
        "{list}"
    );
    let (status, snapshot) = json(app.get(&format!("/api/v1/tasks/{id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(snapshot["status"], "succeeded");
    let (_, audit) = json(app.get("/api/v1/audit?action=image.pull").await).await;
    assert_eq!(
        audit["entries"][0]["details"]["task"],
        id.as_str(),
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_failing_background_pull_ends_its_task_failed_and_unknown_tasks_are_404() {
    let app = TestApp::spawn().await;
    let image = "127.0.0.1:5000/berth-test/does-not-exist:1";
    let (status, task) = json(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({"image": image, "background": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();
    let mut ws = open(&app, &format!("/api/v1/tasks/{id}"), &app.key).await;
    let done = next_matching(&mut ws, Duration::from_secs(60), |v| {
        v["finished_at"].is_string()
    })
    .await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["error"].as_str().unwrap().contains("does-not-exist"),
        "{done}"
    );
    expect_error(
        app.get("/api/v1/tasks/nope").await,
        StatusCode::NOT_FOUND,
        "TASK_NOT_FOUND",
    )
    .await;
    // Another user does not see it.
    let name = unique("viewer");
    app.create_user(&name, Role::Viewer, None).await;
    let key = app.api_key_for(&name, common::USER_PASSWORD, "read").await;
    let res = app
        .anon
        .get(app.url(&format!("/api/v1/tasks/{id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "TASK_NOT_FOUND").await;
    app.stop().await;
}

#[tokio::test]
async fn a_ws_ticket_opens_one_stream_once_and_cookies_need_the_same_origin() {
    let app = TestApp::spawn().await;
    let (_, t) = json(app.post("/api/v1/auth/ws-ticket", &json!({})).await).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    let url = format!("ws://{}/api/v1/events?ticket={ticket}", app.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    ws.close(None).await.unwrap();
    let err = tokio_tungstenite::connect_async(url).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    // A session cookie works from this origin, not from another site's page.
    let session = app.login("admin", common::ADMIN_PASSWORD).await;
    let mut req = format!("ws://{}/api/v1/events", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("cookie", session.cookie.parse().unwrap());
    req.headers_mut()
        .insert("origin", format!("http://{}", app.addr).parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req.clone()).await.is_ok());
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    app.stop().await;
}

#[tokio::test]
async fn container_events_refresh_the_host_counts_without_waiting_for_a_poll() {
    let app = TestApp::spawn_with(|c| c.poll_interval_secs = 600).await;
    // Let the first poll and the event subscription settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let running = || async {
        json(app.get("/api/v1/hosts/local").await).await.1["state"]["containers_running"]
            .as_u64()
            .unwrap()
    };
    let before = running().await;
    let guard = Containers::local();
    guard
        .create(&unique("ev-count"), &["sleep", "30"], true)
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while running().await <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the count did not follow the start event"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    guard.cleanup().await;
    app.stop().await;
}

/// Waits (up to `limit`) until the hub has `want` subscribers; answers the last count.
async fn wait_subscribers(app: &TestApp, want: usize, limit: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let n = app.state.streams.events.subscribers();
        if n == want || tokio::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn clients_that_go_away_release_their_event_subscriptions() {
    let app = TestApp::spawn().await;
    // Berth's own listeners (the list cache, the notifier, …) subscribe too: wait until they have.
    let mut baseline = app.state.streams.events.subscribers();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = app.state.streams.events.subscribers();
        if now == baseline {
            break;
        }
        baseline = now;
    }
    let mut sockets = Vec::new();
    for _ in 0..5 {
        sockets.push(open(&app, "/api/v1/events", &app.key).await);
    }
    let sse = app
        .client
        .get(app.url("/api/v1/events"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), StatusCode::OK);
    assert_eq!(
        wait_subscribers(&app, baseline + 6, Duration::from_secs(5)).await,
        baseline + 6
    );

    // A tab closed: the connections drop without a close handshake.
    drop(sockets);
    assert_eq!(
        wait_subscribers(&app, baseline + 1, Duration::from_secs(5)).await,
        baseline + 1,
        "the WebSockets are released"
    );
    drop(sse);
    assert_eq!(
        wait_subscribers(&app, baseline, Duration::from_secs(5)).await,
        baseline,
        "the event stream is released"
    );
    app.stop().await;
}
