//! Container logs over WebSocket, Server-Sent Events and plain JSON; the download and the search;
//! who may read them; against the real engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use berth_api::auth::Role;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, WaitContainerOptions,
};
use common::{Containers, Proxy, TestApp, expect_error, json, unique};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn logs_path(id: &str) -> String {
    format!("/api/v1/hosts/local/containers/{id}/logs")
}

async fn connect(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{}{path}", app.addr)
        .into_client_request()
        .unwrap();
    if let Some(key) = key {
        req.headers_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn open(app: &TestApp, path: &str) -> Ws {
    connect(app, path, Some(&app.key)).await.unwrap()
}

/// The next message: `Some(json)` for a text frame, `None` for the close frame (or the end).
async fn next(ws: &mut Ws, limit: Duration) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(limit, ws.next())
            .await
            .expect("no message in time");
        match msg {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                if let Some(frame) = frame {
                    assert_eq!(u16::from(frame.code), 1000, "not a clean close: {frame:?}");
                }
                return None;
            }
            Some(Ok(_)) => {}
            None => return None,
            Some(Err(e)) => panic!("websocket error: {e}"),
        }
    }
}

/// Every message until the close frame, which must come within `limit`.
async fn all_messages(ws: &mut Ws, limit: Duration) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(v) = next(ws, limit).await {
        out.push(v);
    }
    out
}

fn texts(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m["type"] == "line")
        .map(|m| m["line"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates and starts a container running `cmd` and waits until it has exited.
async fn run_to_end(guard: &Containers, name: &str, cmd: &[&str]) -> String {
    let id = guard.create(name, cmd, true).await;
    wait_exit(guard, &id).await;
    id
}

async fn wait_exit(guard: &Containers, id: &str) {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    let mut wait = docker.wait_container(id, None::<WaitContainerOptions>);
    let _ = tokio::time::timeout(Duration::from_secs(30), wait.next())
        .await
        .expect("container still running");
}

/// A TTY container (the guard's helper makes none), labelled for the guard.
async fn create_tty(guard: &Containers, name: &str, cmd: &[&str]) -> String {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    let body = ContainerCreateBody {
        image: Some(common::test_image()),
        cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
        tty: Some(true),
        labels: Some(HashMap::from([(
            "berth.test".to_owned(),
            guard.run_id.clone(),
        )])),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.to_owned()),
                ..Default::default()
            }),
            body,
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();
    created.id
}

#[tokio::test]
async fn stdout_and_stderr_are_told_apart() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-streams");
    run_to_end(&guard, &name, &["sh", "-c", "echo out; echo err >&2"]).await;
    let mut ws = open(&app, &format!("{}?tail=all", logs_path(&name))).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    let lines: Vec<&Value> = msgs.iter().filter(|m| m["type"] == "line").collect();
    assert_eq!(lines.len(), 2, "{msgs:?}");
    let out = lines
        .iter()
        .find(|l| l["line"] == "out")
        .expect("no stdout line");
    let err = lines
        .iter()
        .find(|l| l["line"] == "err")
        .expect("no stderr line");
    assert_eq!(out["stream"], "stdout");
    assert_eq!(err["stream"], "stderr");
    for l in &lines {
        let time = l["time"].as_str().expect("every line has its time");
        chrono::DateTime::parse_from_rfc3339(time).unwrap();
    }
    assert_eq!(
        msgs.last().unwrap(),
        &json!({"type": "end", "reason": "end of log"})
    );
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn tty_container_logs_arrive_as_stdout() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-tty");
    let id = create_tty(
        &guard,
        &name,
        &["sh", "-c", "echo hello tty; echo to stderr >&2"],
    )
    .await;
    wait_exit(&guard, &id).await;
    let mut ws = open(&app, &format!("{}?tail=all", logs_path(&id))).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(texts(&msgs), ["hello tty", "to stderr"], "{msgs:?}");
    for m in msgs.iter().filter(|m| m["type"] == "line") {
        assert_eq!(m["stream"], "stdout");
        assert!(m["time"].is_string());
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn tail_gives_the_last_n_lines() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-tail");
    run_to_end(&guard, &name, &["seq", "1", "50"]).await;
    let mut ws = open(&app, &format!("{}?tail=5", logs_path(&name))).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(texts(&msgs), ["46", "47", "48", "49", "50"]);
    let (status, body) = json(app.get(&format!("{}?tail=3", logs_path(&name))).await).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["48", "49", "50"]);
    // The default tail is 100 lines; `all` is everything.
    let (_, body) = json(app.get(&logs_path(&name)).await).await;
    assert_eq!(body.as_array().unwrap().len(), 50);
    expect_error(
        app.get(&format!("{}?tail=last", logs_path(&name))).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn follow_receives_lines_printed_after_connecting() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-follow");
    let script = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done";
    guard.create(&name, &["sh", "-c", script], true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let connected = chrono::Utc::now();
    let mut ws = open(&app, &format!("{}?follow=true&tail=0", logs_path(&name))).await;
    let mut ticks = Vec::new();
    while ticks.len() < 4 {
        let m = next(&mut ws, Duration::from_secs(5))
            .await
            .expect("stream ended");
        assert_eq!(m["type"], "line", "{m}");
        let time = chrono::DateTime::parse_from_rfc3339(m["time"].as_str().unwrap()).unwrap();
        assert!(
            time > connected - chrono::Duration::milliseconds(100),
            "an old line: {m}"
        );
        ticks.push(
            m["line"]
                .as_str()
                .unwrap()
                .trim_start_matches("tick ")
                .parse::<u64>()
                .unwrap(),
        );
    }
    assert!(ticks.windows(2).all(|w| w[1] == w[0] + 1), "{ticks:?}");
    assert!(ticks[0] >= 2, "lines from before connecting: {ticks:?}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_followed_container_that_stops_ends_the_stream_cleanly() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-stop");
    let id = guard
        .create(
            &name,
            &["sh", "-c", "echo started; while true; do sleep 0.1; done"],
            true,
        )
        .await;
    let mut ws = open(&app, &format!("{}?follow=true&tail=all", logs_path(&name))).await;
    let first = next(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(first["line"], "started");
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    docker
        .kill_container(&id, None::<KillContainerOptions>)
        .await
        .unwrap();
    let end = next(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(end, json!({"type": "end", "reason": "container stopped"}));
    assert!(
        next(&mut ws, Duration::from_secs(5)).await.is_none(),
        "no close after the end"
    );
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_container_is_a_fatal_error_then_close() {
    let app = TestApp::spawn().await;
    let mut ws = open(&app, &logs_path(&unique("no-such-container"))).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0]["type"], "error");
    assert_eq!(msgs[0]["code"], "CONTAINER_NOT_FOUND");
    assert_eq!(msgs[0]["fatal"], true);
    assert_eq!(msgs[0]["reconnect"], false);
    assert!(msgs[0]["timestamp"].is_string());
    // As JSON it is a plain 404.
    let res = app.get(&logs_path(&unique("no-such-container"))).await;
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    app.stop().await;
}

#[tokio::test]
async fn a_lost_engine_ends_a_followed_log_with_reconnect() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("d.sock");
    let proxy = Proxy::start(&sock);
    app.add_host("proxied", &format!("unix://{}", sock.display()))
        .await;
    let guard = Containers::local();
    let name = unique("logs-lost");
    guard
        .create(
            &name,
            &["sh", "-c", "while true; do echo beat; sleep 0.2; done"],
            true,
        )
        .await;
    let mut ws = open(
        &app,
        &format!("/api/v1/hosts/proxied/containers/{name}/logs?follow=true&tail=1"),
    )
    .await;
    assert_eq!(
        next(&mut ws, Duration::from_secs(10)).await.unwrap()["line"],
        "beat"
    );
    drop(proxy);
    let mut last = None;
    while let Some(m) = next(&mut ws, Duration::from_secs(10)).await {
        last = Some(m);
    }
    let err = last.expect("no message before the close");
    assert_eq!(err["type"], "error", "{err}");
    assert_eq!(err["code"], "DOCKER_UNAVAILABLE", "{err}");
    assert_eq!(err["reconnect"], true);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn logs_are_also_server_sent_events_that_proxies_do_not_buffer() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-sse");
    run_to_end(
        &guard,
        &name,
        &["sh", "-c", "echo one; echo two >&2; echo three"],
    )
    .await;
    let res = app
        .client
        .get(app.url(&format!("{}?tail=all", logs_path(&name))))
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
    let body = tokio::time::timeout(Duration::from_secs(10), res.text())
        .await
        .unwrap()
        .unwrap();
    let mut events = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let event = block
            .lines()
            .find_map(|l| l.strip_prefix("event: "))
            .unwrap_or("message");
        let data = block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap();
        events.push((
            event.to_owned(),
            serde_json::from_str::<Value>(data).unwrap(),
        ));
    }
    let lines: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "line")
        .map(|(_, v)| v)
        .collect();
    let mut got: Vec<&str> = lines.iter().map(|v| v["line"].as_str().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, ["one", "three", "two"]);
    assert_eq!(
        lines.iter().find(|v| v["line"] == "two").unwrap()["stream"],
        "stderr"
    );
    let (last_name, last) = events.last().unwrap();
    assert_eq!(last_name, "end");
    assert_eq!(last["type"], "end");
    // An unknown container over SSE is a 404 before the stream starts.
    let res = app
        .client
        .get(app.url(&logs_path(&unique("nope"))))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_plain_get_answers_a_json_array_capped_at_ten_thousand_lines() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let (small, big) = (unique("logs-json"), unique("logs-big"));
    run_to_end(&guard, &small, &["sh", "-c", "echo a; echo b"]).await;
    run_to_end(&guard, &big, &["seq", "1", "10005"]).await;
    let res = app.get(&format!("{}?tail=all", logs_path(&small))).await;
    assert!(res.headers().get("x-berth-truncated").is_none());
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK);
    let lines = body.as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "line");
    assert_eq!(lines[0]["stream"], "stdout");
    assert_eq!(lines[0]["line"], "a");
    assert!(lines[0]["time"].is_string());
    let res = app.get(&format!("{}?tail=all", logs_path(&big))).await;
    assert_eq!(res.headers()["x-berth-truncated"], "true");
    let (_, body) = json(res).await;
    let lines = body.as_array().unwrap();
    assert_eq!(lines.len(), 10_000);
    assert_eq!(lines[9_999]["line"], "10000");
    // Following needs a stream; stdout and stderr cannot both be off.
    let res = app.get(&format!("{}?follow=true", logs_path(&small))).await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "follow");
    let res = app
        .get(&format!("{}?stdout=false&stderr=false", logs_path(&small)))
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let res = app
        .get(&format!("{}?since=yesterday", logs_path(&small)))
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "since");
    // Only stderr.
    let (_, body) = json(
        app.get(&format!("{}?stdout=false", logs_path(&small)))
            .await,
    )
    .await;
    assert_eq!(body.as_array().unwrap().len(), 0);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn since_and_until_bound_the_lines_by_time() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-since");
    run_to_end(
        &guard,
        &name,
        &["sh", "-c", "echo early; sleep 2; echo late"],
    )
    .await;
    let (_, body) = json(app.get(&format!("{}?tail=all", logs_path(&name))).await).await;
    let lines = body.as_array().unwrap();
    let late = lines.iter().find(|l| l["line"] == "late").unwrap()["time"]
        .as_str()
        .unwrap()
        .to_owned();
    let late_time = chrono::DateTime::parse_from_rfc3339(&late).unwrap();
    let cut = (late_time - chrono::Duration::milliseconds(500)).to_rfc3339();
    let q = |k: &str| format!("{}?tail=all&{k}={}", logs_path(&name), common::enc(&cut));
    let (_, body) = json(app.get(&q("since")).await).await;
    assert_eq!(texts(body.as_array().unwrap()), ["late"]);
    let (_, body) = json(app.get(&q("until")).await).await;
    assert_eq!(texts(body.as_array().unwrap()), ["early"]);
    // Unix seconds work too.
    let secs = (late_time.timestamp() + 5).to_string();
    let (_, body) = json(
        app.get(&format!("{}?tail=all&since={secs}", logs_path(&name)))
            .await,
    )
    .await;
    assert!(body.as_array().unwrap().is_empty());
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn the_download_is_an_attachment_with_every_line() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-dl");
    run_to_end(&guard, &name, &["sh", "-c", "seq 1 3000; echo oops >&2"]).await;
    let res = app.get(&format!("{}/download", logs_path(&name))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"{name}.log\"").as_str()
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3001);
    let numbers: Vec<String> = (1..=3000).map(|n| n.to_string()).collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| **l != "oops")
            .copied()
            .collect::<Vec<_>>(),
        numbers
    );
    assert!(lines.contains(&"oops"));
    let res = app
        .get(&format!("{}/download?timestamps=true", logs_path(&name)))
        .await;
    let text = res.text().await.unwrap();
    let first = text.lines().next().unwrap();
    let (stamp, rest) = first.split_once(' ').unwrap();
    chrono::DateTime::parse_from_rfc3339(stamp).unwrap();
    assert!(rest == "1" || rest == "oops", "{first}");
    let res = app
        .get(&format!("{}/download", logs_path(&unique("nope"))))
        .await;
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    guard.cleanup().await;
    app.stop().await;
}

/// 25 lines: `info 1`…, with `Disk ERROR here` at line 11 and `error: second` at line 21.
const SEARCH_SCRIPT: &str = "for i in $(seq 1 10); do echo info $i; done; echo 'Disk ERROR here'; \
     for i in $(seq 12 20); do echo info $i; done; echo 'error: second'; for i in $(seq 22 25); do echo info $i; done";

async fn search(app: &TestApp, name: &str, query: &str) -> (StatusCode, Value) {
    json(
        app.get(&format!("{}/search?{query}", logs_path(name)))
            .await,
    )
    .await
}

fn line_texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_substrings_case_insensitively_with_context() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-search");
    run_to_end(&guard, &name, &["sh", "-c", SEARCH_SCRIPT]).await;
    let (status, r) = search(&app, &name, "q=error").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["lines_searched"], 25);
    assert_eq!(r["truncated"], false);
    let m = r["matches"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0]["line_number"], 11);
    assert_eq!(m[0]["line"]["line"], "Disk ERROR here");
    assert_eq!(line_texts(&m[0]["before"]), ["info 9", "info 10"]);
    assert_eq!(line_texts(&m[0]["after"]), ["info 12", "info 13"]);
    assert_eq!(m[1]["line_number"], 21);
    // More context, and none.
    let (_, r) = search(&app, &name, "q=ERROR&context=4").await;
    assert_eq!(
        line_texts(&r["matches"][1]["before"]),
        ["info 17", "info 18", "info 19", "info 20"]
    );
    let (_, r) = search(&app, &name, "q=error&context=0").await;
    assert!(r["matches"][0]["before"].as_array().unwrap().is_empty());
    assert!(r["matches"][0]["after"].as_array().unwrap().is_empty());
    // A substring is literal: regex characters mean themselves.
    let (_, r) = search(&app, &name, "q=error%3A").await;
    assert_eq!(r["matches"].as_array().unwrap().len(), 1);
    let (_, r) = search(&app, &name, "q=e.ror").await;
    assert!(r["matches"].as_array().unwrap().is_empty());
    // tail bounds the range; line numbers count within it.
    let (_, r) = search(&app, &name, "q=error&tail=5").await;
    assert_eq!(r["lines_searched"], 5);
    assert_eq!(r["matches"][0]["line_number"], 1);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn search_takes_regexes_limits_and_refuses_bad_input() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-regex");
    run_to_end(&guard, &name, &["sh", "-c", SEARCH_SCRIPT]).await;
    let (status, r) = search(&app, &name, "q=%5Edisk%5Cs%2Berror&regex=true").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let m = r["matches"].as_array().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["line_number"], 11);
    let (_, r) = search(
        &app,
        &name,
        "q=info%20%5B0-9%5D%2B&regex=true&limit=3&context=1",
    )
    .await;
    assert_eq!(r["matches"].as_array().unwrap().len(), 3);
    assert_eq!(r["truncated"], true);
    assert_eq!(line_texts(&r["matches"][2]["after"]), ["info 4"]);
    let (_, r) = search(&app, &name, "q=error&limit=2").await;
    assert_eq!(r["truncated"], false);
    for (query, field) in [
        ("q=%28&regex=true", "q"),
        ("regex=true", "q"),
        ("q=", "q"),
        ("q=x&context=21", "context"),
        ("q=x&limit=0", "limit"),
        ("q=x&limit=1001", "limit"),
    ] {
        let res = app
            .get(&format!("{}/search?{query}", logs_path(&name)))
            .await;
        let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let long = "x".repeat(257);
    let res = app
        .get(&format!("{}/search?q={long}", logs_path(&name)))
        .await;
    expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_viewer_may_read_logs() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-viewer");
    run_to_end(&guard, &name, &["echo", "for viewers"]).await;
    let viewer = unique("viewer");
    app.create_user(&viewer, Role::Viewer, None).await;
    let key = app
        .api_key_for(&viewer, common::USER_PASSWORD, "read")
        .await;
    let res = app
        .anon
        .get(app.url(&logs_path(&name)))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(texts(body.as_array().unwrap()), ["for viewers"]);
    let mut ws = connect(&app, &logs_path(&name), Some(&key)).await.unwrap();
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(texts(&msgs), ["for viewers"]);
    let res = app
        .anon
        .get(app.url(&format!("{}/search?q=VIEW", logs_path(&name))))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // No credentials: no logs.
    let res = app
        .anon
        .get(app.url(&logs_path(&name)))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_may_not_read_another_users_container_logs() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let tenant = unique("tenant");
    app.create_user(&tenant, Role::User, None).await;
    let key = app
        .api_key_for(&tenant, common::USER_PASSWORD, "read")
        .await;
    let (theirs, mine) = (unique("logs-theirs"), unique("logs-mine"));
    let other_owner = HashMap::from([("berth.owner".to_owned(), "someone-else".to_owned())]);
    let own = HashMap::from([("berth.owner".to_owned(), tenant.clone())]);
    for (name, labels) in [(&theirs, other_owner), (&mine, own)] {
        let id = guard
            .create_with(
                name,
                &["echo", "secret"],
                true,
                labels,
                HostConfig::default(),
            )
            .await;
        wait_exit(&guard, &id).await;
    }
    let get = |path: String| {
        let req = app.anon.get(app.url(&path)).bearer_auth(&key);
        async move { req.send().await.unwrap() }
    };
    for suffix in ["", "/download", "/search?q=secret"] {
        let res = get(format!("{}{suffix}", logs_path(&theirs))).await;
        expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    }
    let mut ws = connect(&app, &logs_path(&theirs), Some(&key))
        .await
        .unwrap();
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["code"], "CONTAINER_NOT_FOUND");
    let (status, body) = json(get(logs_path(&mine)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(texts(body.as_array().unwrap()), ["secret"]);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_ws_ticket_opens_one_log_stream_only() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-ticket");
    run_to_end(&guard, &name, &["echo", "ticketed"]).await;
    let (status, t) = json(app.post_empty("/api/v1/auth/ws-ticket").await).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let ticket = t["ticket"].as_str().unwrap();
    let path = format!("{}?ticket={ticket}", logs_path(&name));
    let mut ws = connect(&app, &path, None).await.unwrap();
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(texts(&msgs), ["ticketed"]);
    match connect(&app, &path, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a ticket worked twice"),
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn batch_mode_sends_arrays_of_lines() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("logs-batch");
    run_to_end(&guard, &name, &["seq", "1", "2500"]).await;
    let mut ws = open(&app, &format!("{}?tail=all&batch=true", logs_path(&name))).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    let mut numbers = Vec::new();
    for m in &msgs[..msgs.len() - 1] {
        for l in m.as_array().expect("a batch is an array") {
            assert_eq!(l["type"], "line");
            numbers.push(l["line"].as_str().unwrap().parse::<u32>().unwrap());
        }
    }
    assert_eq!(numbers, (1..=2500).collect::<Vec<_>>());
    assert_eq!(msgs.last().unwrap()["type"], "end");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_tls_host_streams_logs_through_the_engine_client() {
    let app = TestApp::spawn().await;
    let read = |f: &str| std::fs::read_to_string(common::tls_dir().join(f)).unwrap();
    let host = unique("tls");
    let res = app
        .post(
            "/api/v1/hosts",
            &json!({"name": host, "url": common::docker2_tcp_url(), "tls": {
                "ca_cert": read("ca.pem"), "client_cert": read("cert.pem"), "client_key": read("key.pem")}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.wait_online(&host).await;
    let guard = Containers::on(&common::docker2_url());
    let name = unique("logs-tls");
    run_to_end(
        &guard,
        &name,
        &["sh", "-c", "echo out; echo err >&2; seq 1 3"],
    )
    .await;
    let path = format!("/api/v1/hosts/{host}/containers/{name}/logs?tail=all");
    let mut ws = open(&app, &path).await;
    let msgs = all_messages(&mut ws, Duration::from_secs(10)).await;
    let mut got = texts(&msgs);
    got.sort_unstable();
    assert_eq!(got, ["1", "2", "3", "err", "out"]);
    let err = msgs.iter().find(|m| m["line"] == "err").unwrap();
    assert_eq!(err["stream"], "stderr");
    assert!(err["time"].is_string());
    assert_eq!(msgs.last().unwrap()["type"], "end");
    let (_, body) = json(app.get(&format!("{path}&stderr=false")).await).await;
    assert_eq!(texts(body.as_array().unwrap()), ["out", "1", "2", "3"]);
    guard.cleanup().await;
    app.stop().await;
}
