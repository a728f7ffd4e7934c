#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Container endpoints against the real engines: list (one host and all hosts), create with the
//! whole spec and every way it can be refused, and each lifecycle action with its errors.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{HostConfig, Mount, MountType};
use common::{Containers, TestApp, expect_error, json, test_image, test_image_alt, unique};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const BASE: &str = "/api/v1/hosts/local/containers";

/// The path of one container on the primary engine (by id or name).
fn one(id: &str) -> String {
    format!("{BASE}/{id}")
}

/// A create body for the test image, labelled for the guard, not started.
fn spec(guard: &Containers, name: &str, cmd: &[&str]) -> Value {
    json!({
        "image": test_image(),
        "name": name,
        "command": cmd,
        "labels": { "berth.test": guard.run_id },
    })
}

/// Creates through Berth and answers the `ContainerCreated` body.
async fn create_ok(app: &TestApp, body: &Value) -> Value {
    let (status, created) = json(app.post(BASE, body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// Inspects through Berth (must exist).
async fn inspect(app: &TestApp, id: &str) -> Value {
    let (status, body) = json(app.get(&one(id)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Lists through Berth (must succeed) and answers the rows.
async fn list(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, body) = json(app.get(&format!("{BASE}?{query}")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// The names of list rows, in order.
fn names(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts a 204 with an empty body.
async fn expect_no_content(res: reqwest::Response) {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    assert!(text.is_empty(), "a 204 must have an empty body: {text:?}");
}

/// Waits (up to 20 s) until inspect reports `state`; answers the last inspect.
async fn wait_state(app: &TestApp, id: &str, state: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let body = inspect(app, id).await;
        if body["state"] == state {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{id} not {state}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A host port in 20000–40000 that nothing listens on right now.
fn free_port() -> u16 {
    loop {
        let port = 20000 + (uuid::Uuid::new_v4().as_u128() % 20000) as u16;
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
}

/// A named volume on an engine, removed when dropped (also on panic).
struct VolumeGuard {
    url: String,
    name: String,
}

impl Drop for VolumeGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["-H", &self.url, "volume", "rm", "-f", &self.name])
            .output();
    }
}

/// Whether a volume exists on the primary engine.
async fn volume_exists(guard: &Containers, name: &str) -> bool {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    docker.inspect_volume(name).await.is_ok()
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

/// A running, a created and an exited container of one guard; answers their names.
async fn three_states(app: &TestApp, guard: &Containers) -> (String, String, String) {
    let running = unique("running");
    let created = unique("created");
    let exited = unique("exited");
    guard.create(&running, &["sleep", "300"], true).await;
    guard.create(&created, &["sleep", "300"], false).await;
    guard.create(&exited, &["echo", "done"], true).await;
    wait_state(app, &exited, "exited").await;
    (running, created, exited)
}

#[tokio::test]
async fn listing_without_all_shows_only_running_containers() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let (running, _, _) = three_states(&app, &guard).await;
    let rows = list(&app, &format!("label={}", guard.label())).await;
    assert_eq!(names(&rows), vec![running.clone()]);
    assert_eq!(rows[0]["state"], "running");
    assert_eq!(rows[0]["host"], "local");
    assert_eq!(rows[0]["labels"]["berth.test"], guard.run_id.as_str());
    let rows = list(&app, &format!("all=false&label={}", guard.label())).await;
    assert_eq!(names(&rows), vec![running]);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn listing_with_all_includes_stopped_and_created_containers() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let (running, created, exited) = three_states(&app, &guard).await;
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    let mut got = names(&rows);
    got.sort();
    let mut want = vec![running.clone(), created.clone(), exited.clone()];
    want.sort();
    assert_eq!(got, want);
    for row in &rows {
        let state = if row["name"] == running.as_str() {
            "running"
        } else if row["name"] == created.as_str() {
            "created"
        } else {
            "exited"
        };
        assert_eq!(row["state"], state, "{row}");
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn status_filter_keeps_only_containers_in_those_states() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let (running, created, exited) = three_states(&app, &guard).await;
    // A status filter implies `all`: stopped states are found without asking for them.
    let rows = list(&app, &format!("status=exited&label={}", guard.label())).await;
    assert_eq!(names(&rows), vec![exited]);
    let rows = list(
        &app,
        &format!("status=running,created&label={}", guard.label()),
    )
    .await;
    let mut got = names(&rows);
    got.sort();
    let mut want = vec![running, created];
    want.sort();
    assert_eq!(got, want);
    let rows = list(&app, &format!("status=paused&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_status_filter_is_a_validation_error_naming_status() {
    let app = TestApp::spawn().await;
    let body = expect_error(
        app.get(&format!("{BASE}?status=running,sleeping")).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "status", "{body}");
    let body = expect_error(
        app.get("/api/v1/containers?status=bogus").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "status", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn name_filter_matches_part_of_the_name() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let stem = unique("byname");
    let alpha = format!("{stem}-alpha");
    let beta = format!("{stem}-beta");
    guard.create(&alpha, &["sleep", "300"], true).await;
    guard.create(&beta, &["sleep", "300"], false).await;
    // The stem is unique to this test, so no label is needed to isolate it.
    let rows = list(&app, &format!("all=true&name={stem}-alp")).await;
    assert_eq!(names(&rows), vec![alpha.clone()]);
    let rows = list(&app, &format!("all=true&name={stem}&sort=name&order=asc")).await;
    assert_eq!(names(&rows), vec![alpha, beta]);
    let rows = list(&app, &format!("all=true&name={}", unique("nobody"))).await;
    assert!(rows.is_empty(), "{rows:?}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn repeated_label_filters_must_all_match() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let web = unique("web");
    let db = unique("db");
    let labels = |tier: &str| HashMap::from([("tier".to_owned(), tier.to_owned())]);
    guard
        .create_with(
            &web,
            &["sleep", "300"],
            true,
            labels("web"),
            HostConfig::default(),
        )
        .await;
    guard
        .create_with(
            &db,
            &["sleep", "300"],
            true,
            labels("db"),
            HostConfig::default(),
        )
        .await;
    let rows = list(&app, &format!("label={}&label=tier=web", guard.label())).await;
    assert_eq!(names(&rows), vec![web.clone()]);
    assert_eq!(rows[0]["labels"]["tier"], "web");
    // A bare key matches any value.
    let rows = list(
        &app,
        &format!("label={}&label=tier&sort=name&order=asc", guard.label()),
    )
    .await;
    let mut want = vec![web, db];
    want.sort();
    assert_eq!(names(&rows), want);
    let rows = list(&app, &format!("label={}&label=tier=cache", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    let body = expect_error(
        app.get(&format!("{BASE}?label==web")).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "label", "{body}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn image_filter_keeps_containers_created_from_that_image() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let plain = unique("plain");
    let alt = unique("alt");
    guard.create(&plain, &["sleep", "300"], false).await;
    let mut body = spec(&guard, &alt, &["sleep", "300"]);
    body["image"] = json!(test_image_alt());
    create_ok(&app, &body).await;
    let rows = list(
        &app,
        &format!(
            "all=true&label={}&image={}",
            guard.label(),
            test_image_alt()
        ),
    )
    .await;
    assert_eq!(names(&rows), vec![alt.clone()]);
    assert_eq!(rows[0]["image"], test_image_alt());
    let rows = list(
        &app,
        &format!("all=true&label={}&image={}", guard.label(), test_image()),
    )
    .await;
    assert!(names(&rows).contains(&plain), "{rows:?}");
    let body = expect_error(
        app.get(&format!("{BASE}?image=Not%20An%20Image")).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "image", "{body}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn sorting_by_name_orders_ascending_and_descending() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let stem = unique("sort");
    for suffix in ["b", "c", "a"] {
        guard
            .create(&format!("{stem}-{suffix}"), &["sleep", "300"], false)
            .await;
    }
    let want: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| format!("{stem}-{s}"))
        .collect();
    let rows = list(
        &app,
        &format!("all=true&label={}&sort=name&order=asc", guard.label()),
    )
    .await;
    assert_eq!(names(&rows), want);
    // Name sorts ascending unless told otherwise.
    let rows = list(&app, &format!("all=true&label={}&sort=name", guard.label())).await;
    assert_eq!(names(&rows), want);
    let rows = list(
        &app,
        &format!("all=true&label={}&sort=name&order=desc", guard.label()),
    )
    .await;
    let mut reversed = want.clone();
    reversed.reverse();
    assert_eq!(names(&rows), reversed);
    for (query, field) in [("sort=size", "sort"), ("sort=name&order=up", "order")] {
        let body = expect_error(
            app.get(&format!("{BASE}?{query}")).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_query_parameter_is_rejected() {
    let app = TestApp::spawn().await;
    for path in [
        format!("{BASE}?colour=blue"),
        "/api/v1/containers?colour=blue".to_owned(),
    ] {
        let body = expect_error(
            app.get(&path).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], "colour", "{body}");
    }
    // A parameter of the wrong type is named too, on every route that takes a typed query.
    for (path, field) in [
        (format!("{BASE}/x?force=maybe"), "force"),
        ("/api/v1/audit?since=yesterday".to_owned(), "since"),
        (
            "/api/v1/hosts/local/images?dangling=perhaps".to_owned(),
            "dangling",
        ),
    ] {
        let method = if path.contains("?force") {
            Method::DELETE
        } else {
            Method::GET
        };
        let body = expect_error(
            app.request(method, &path, None).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn listing_the_containers_of_an_unknown_host_is_host_not_found() {
    let app = TestApp::spawn().await;
    let host = unique("nohost");
    let body = expect_error(
        app.get(&format!("/api/v1/hosts/{host}/containers")).await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"]["details"]["host"], host.as_str(), "{body}");
    expect_error(
        app.post(
            &format!("/api/v1/hosts/{host}/containers"),
            &json!({ "image": test_image() }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    expect_error(
        app.get(&format!("/api/v1/hosts/{host}/containers/whatever"))
            .await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn listing_all_hosts_returns_the_containers_of_each_naming_its_host() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let local = Containers::local();
    let mut second = Containers::on(&common::docker2_url());
    // One label finds both hosts' containers.
    second.run_id = local.run_id.clone();
    let on_local = unique("one");
    let on_second = unique("two");
    local.create(&on_local, &["sleep", "300"], true).await;
    second.create(&on_second, &["sleep", "300"], true).await;
    let (status, body) = json(
        app.get(&format!(
            "/api/v1/containers?label={}&sort=name",
            local.label()
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["containers"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    for row in rows {
        let host = if row["name"] == on_local.as_str() {
            "local"
        } else {
            assert_eq!(row["name"], on_second.as_str(), "{body}");
            "second"
        };
        assert_eq!(row["host"], host, "{body}");
        assert_eq!(row["state"], "running", "{body}");
    }
    let hosts = body["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{body}");
    for h in hosts {
        assert_eq!(h["online"], true, "{body}");
        assert!(h["error"].is_null(), "{body}");
    }
    let mut host_names: Vec<&str> = hosts.iter().map(|h| h["host"].as_str().unwrap()).collect();
    host_names.sort_unstable();
    assert_eq!(host_names, vec!["local", "second"]);
    // The host's own list sees only its own.
    let (status, body) = json(
        app.get(&format!(
            "/api/v1/hosts/second/containers?label={}",
            local.label()
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(body.as_array().unwrap()), vec![on_second]);
    local.cleanup().await;
    second.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn a_host_whose_engine_is_down_is_reported_offline_without_failing_the_list() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("up");
    guard.create(&name, &["sleep", "300"], true).await;
    let down = unique("down");
    let socket = format!("unix:///tmp/{}.sock", unique("berth-missing"));
    let (status, body) = json(
        app.post("/api/v1/hosts", &json!({ "name": down, "url": socket }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = json(
        app.get(&format!("/api/v1/containers?label={}", guard.label()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(body["containers"].as_array().unwrap()), vec![name]);
    let hosts = body["hosts"].as_array().unwrap();
    let offline = hosts
        .iter()
        .find(|h| h["host"] == down.as_str())
        .unwrap_or_else(|| panic!("{down} missing: {body}"));
    assert_eq!(offline["online"], false, "{body}");
    assert!(
        offline["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    let local = hosts.iter().find(|h| h["host"] == "local").unwrap();
    assert_eq!(local["online"], true, "{body}");
    // The down host's own list is an error, not an empty list.
    expect_error(
        app.get(&format!("/api/v1/hosts/{down}/containers")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_with_a_full_spec_applies_every_field() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("full");
    let port = free_port();
    let bind = tempfile::Builder::new()
        .prefix("berth-bind-")
        .tempdir_in("/tmp")
        .unwrap();
    let bind_path = bind.path().to_str().unwrap().to_owned();
    let volume = VolumeGuard {
        url: guard.url.clone(),
        name: unique("berth-vol"),
    };
    let body = json!({
        "image": test_image(),
        "name": name,
        "command": ["sleep", "300"],
        "env": { "TZ": "UTC", "GREETING": "hello world" },
        "labels": { "berth.test": guard.run_id, "app": "full" },
        "ports": [{ "container_port": 80, "host_port": port }],
        "mounts": [
            { "type": "bind", "source": bind_path, "target": "/data", "read_only": true },
            { "type": "volume", "source": volume.name, "target": "/cache" },
        ],
        "restart_policy": "on-failure:3",
        "cpus": 0.5,
        "memory_bytes": 67_108_864,
        "hostname": "berth-full",
        "tty": true,
        "start": true,
    });
    let created = create_ok(&app, &body).await;
    assert_eq!(created["host"], "local", "{created}");
    assert_eq!(created["name"], name.as_str(), "{created}");
    assert_eq!(created["started"], true, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64, "{created}");

    let d = inspect(&app, &id).await;
    assert_eq!(d["id"], id.as_str(), "{d}");
    assert_eq!(d["name"], name.as_str(), "{d}");
    assert_eq!(d["host"], "local", "{d}");
    assert_eq!(d["image"], test_image(), "{d}");
    assert_eq!(d["running"], true, "{d}");
    assert_eq!(d["state"], "running", "{d}");
    assert!(d["pid"].as_i64().is_some_and(|p| p > 0), "{d}");
    assert_eq!(d["command"], json!(["sleep", "300"]), "{d}");
    let env: Vec<&str> = d["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(env.contains(&"TZ=UTC"), "{d}");
    assert!(env.contains(&"GREETING=hello world"), "{d}");
    assert_eq!(d["labels"]["app"], "full", "{d}");
    assert_eq!(d["labels"]["berth.test"], guard.run_id.as_str(), "{d}");
    let ports = d["ports"].as_array().unwrap();
    assert!(
        ports
            .iter()
            .any(|p| p["container_port"] == 80 && p["host_port"] == port && p["protocol"] == "tcp"),
        "{d}"
    );
    let mounts = d["mounts"].as_array().unwrap();
    assert_eq!(mounts.len(), 2, "{d}");
    let data = mounts.iter().find(|m| m["target"] == "/data").unwrap();
    assert_eq!(data["type"], "bind", "{d}");
    assert_eq!(data["source"], bind_path.as_str(), "{d}");
    assert_eq!(data["read_only"], true, "{d}");
    let cache = mounts.iter().find(|m| m["target"] == "/cache").unwrap();
    assert_eq!(cache["type"], "volume", "{d}");
    assert_eq!(cache["source"], volume.name.as_str(), "{d}");
    assert_eq!(cache["read_only"], false, "{d}");
    assert_eq!(d["restart_policy"], "on-failure:3", "{d}");
    assert_eq!(d["cpus"], 0.5, "{d}");
    assert_eq!(d["memory_bytes"], 67_108_864, "{d}");
    assert_eq!(d["hostname"], "berth-full", "{d}");
    assert_eq!(d["tty"], true, "{d}");
    assert_eq!(d["privileged"], false, "{d}");
    assert!(d["gpus"].is_null(), "{d}");

    // The list row shows the published port once, however many address families bind it.
    let rows = list(&app, &format!("label={}", guard.label())).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let published: Vec<&Value> = rows[0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["host_port"] == port)
        .collect();
    assert_eq!(published.len(), 1, "{rows:?}");
    guard.cleanup().await;
    drop(volume);
    app.stop().await;
}

#[tokio::test]
async fn creating_without_a_name_answers_the_name_the_engine_picked() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let created = create_ok(
        &app,
        &json!({
            "image": test_image(),
            "command": ["sleep", "300"],
            "labels": { "berth.test": guard.run_id },
        }),
    )
    .await;
    assert_eq!(created["started"], false, "{created}");
    let name = created["name"].as_str().unwrap();
    assert!(!name.is_empty() && !name.starts_with('/'), "{created}");
    let d = inspect(&app, name).await;
    assert_eq!(d["id"], created["id"], "{d}");
    assert_eq!(d["state"], "created", "{d}");
    assert_eq!(d["running"], false, "{d}");
    guard.cleanup().await;
    app.stop().await;
}

/// Posts a create body and asserts a 400 with this code and field.
async fn expect_refused(app: &TestApp, body: &Value, code: &str, field: &str) {
    let err = expect_error(app.post(BASE, body).await, StatusCode::BAD_REQUEST, code).await;
    assert_eq!(err["error"]["field"], field, "{body} → {err}");
}

#[tokio::test]
async fn creating_with_an_invalid_image_reference_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    for image in ["Not An Image", "busybox:", "nginx::1", "-nginx", ""] {
        let mut body = spec(&guard, &unique("badimage"), &["true"]);
        body["image"] = json!(image);
        expect_refused(&app, &body, "VALIDATION_FAILED", "image").await;
    }
    // An upper-case repository slips past Berth's check (its grammar takes `UPPER` for a
    // registry host), but the engine refuses it as a 400 all the same and nothing is created.
    let mut body = spec(&guard, &unique("badimage"), &["true"]);
    body["image"] = json!("UPPER/case");
    expect_error(
        app.post(BASE, &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    app.stop().await;
}

#[tokio::test]
async fn creating_with_an_invalid_name_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    for name in ["-leading-dash", "has space", "x", "semi;colon"] {
        let body = spec(&guard, name, &["true"]);
        expect_refused(&app, &body, "VALIDATION_FAILED", "name").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn creating_with_an_invalid_env_name_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    for (key, field) in [("1ABC", "env.1ABC"), ("A-B", "env.A-B"), ("", "env.")] {
        let mut body = spec(&guard, &unique("badenv"), &["true"]);
        body["env"] = json!({ "TZ": "UTC", key: "x" });
        expect_refused(&app, &body, "VALIDATION_FAILED", field).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn creating_with_a_port_outside_1_to_65535_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    for (port, field) in [
        (
            json!({ "container_port": 80, "host_port": 0 }),
            "ports.0.host_port",
        ),
        (
            json!({ "container_port": 80, "host_port": 70000 }),
            "ports.0.host_port",
        ),
        (json!({ "container_port": 0 }), "ports.0.container_port"),
        (json!({ "container_port": 70000 }), "ports.0.container_port"),
        (
            json!({ "container_port": 80, "protocol": "http" }),
            "ports.0.protocol",
        ),
        (
            json!({ "container_port": 80, "host_ip": "localhost" }),
            "ports.0.host_ip",
        ),
    ] {
        let mut body = spec(&guard, &unique("badport"), &["true"]);
        body["ports"] = json!([port]);
        expect_refused(&app, &body, "VALIDATION_FAILED", field).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn bind_mounting_protected_host_paths_is_a_policy_violation() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    for source in [
        "/",
        "/etc",
        "/etc/",
        "/var/run/docker.sock",
        "/tmp/../etc",
        "/tmp/./../var/run/docker.sock",
        "//proc",
    ] {
        let mut body = spec(&guard, &unique("badmount"), &["true"]);
        body["mounts"] = json!([{ "type": "bind", "source": source, "target": "/host" }]);
        expect_refused(&app, &body, "POLICY_VIOLATION", "mounts.0.source").await;
    }
    // A relative source is not a policy question but a malformed one.
    let mut body = spec(&guard, &unique("badmount"), &["true"]);
    body["mounts"] = json!([{ "type": "bind", "source": "tmp/x", "target": "/host" }]);
    expect_refused(&app, &body, "VALIDATION_FAILED", "mounts.0.source").await;
    // Nothing was created on the way.
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    app.stop().await;
}

#[tokio::test]
async fn creating_a_privileged_container_is_a_policy_violation() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut body = spec(&guard, &unique("priv"), &["sleep", "300"]);
    body["privileged"] = json!(true);
    expect_refused(&app, &body, "POLICY_VIOLATION", "privileged").await;
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_field_in_the_create_body_is_rejected() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut body = spec(&guard, &unique("unknown"), &["true"]);
    body["volumez"] = json!(["/data"]);
    let err = expect_error(
        app.post(BASE, &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("volumez"),
        "{err}"
    );
    // Unknown fields of nested objects too.
    let mut body = spec(&guard, &unique("unknown"), &["true"]);
    body["ports"] = json!([{ "container_port": 80, "hostport": 8080 }]);
    expect_error(
        app.post(BASE, &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    // A body that is not JSON at all.
    let res = app
        .client
        .post(app.url(BASE))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "INVALID_JSON").await;
    app.stop().await;
}

#[tokio::test]
async fn creating_with_a_name_already_in_use_is_a_conflict() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("taken");
    let id = guard.create(&name, &["sleep", "300"], false).await;
    let body = spec(&guard, &name, &["sleep", "300"]);
    let err = expect_error(
        app.post(BASE, &body).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        err["error"]["message"].as_str().unwrap().contains(&name),
        "{err}"
    );
    // The original is untouched.
    assert_eq!(inspect(&app, &name).await["id"], id.as_str());
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn publishing_a_host_port_another_running_container_holds_is_a_conflict() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let port = free_port();
    let first = unique("port-a");
    let mut body = spec(&guard, &first, &["sleep", "300"]);
    body["ports"] = json!([{ "container_port": 80, "host_port": port }]);
    body["start"] = json!(true);
    create_ok(&app, &body).await;

    let second = unique("port-b");
    let mut body = spec(&guard, &second, &["sleep", "300"]);
    body["ports"] = json!([{ "container_port": 80, "host_port": port }]);
    body["start"] = json!(true);
    let err = expect_error(
        app.post(BASE, &body).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&port.to_string()),
        "{err}"
    );
    // A failed create leaves nothing behind: the name is free for a retry.
    expect_error(
        app.get(&one(&second)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;

    // Created without starting, it exists; starting it is the conflict.
    body["start"] = json!(false);
    create_ok(&app, &body).await;
    expect_error(
        app.post_empty(&format!("{}/start", one(&second))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(inspect(&app, &second).await["running"], false);
    assert_eq!(inspect(&app, &first).await["running"], true);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn creating_from_an_image_missing_locally_is_image_not_found() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let image = format!("berth-test/{}:nope", unique("missing"));
    let mut body = spec(&guard, &unique("noimage"), &["true"]);
    body["image"] = json!(image);
    let err = expect_error(
        app.post(BASE, &body).await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    assert!(
        err["error"]["message"].as_str().unwrap().contains(&image),
        "{err}"
    );
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    app.stop().await;
}

#[tokio::test]
async fn creating_on_a_network_that_does_not_exist_is_network_not_found() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let network = unique("nonet");
    let mut body = spec(&guard, &unique("nonet"), &["true"]);
    body["network"] = json!(network);
    let err = expect_error(
        app.post(BASE, &body).await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    assert_eq!(err["error"]["field"], "network", "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains(&network),
        "{err}"
    );
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "nothing is created: {rows:?}");
    // The modes the engine knows are not network objects and need no lookup.
    for mode in ["none", "bridge"] {
        let mut body = spec(&guard, &unique("mode"), &["true"]);
        body["network"] = json!(mode);
        let created = create_ok(&app, &body).await;
        assert_eq!(
            inspect(&app, created["name"].as_str().unwrap()).await["network_mode"],
            mode
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn starting_a_container_whose_network_was_removed_is_network_not_found() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let network = unique("gone-net");
    let (status, net) = json(
        app.post("/api/v1/hosts/local/networks", &json!({ "name": network }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{net}");
    let name = unique("orphan");
    let mut body = spec(&guard, &name, &["sleep", "30"]);
    body["network"] = json!(network);
    create_ok(&app, &body).await;
    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{network}"))
        .await;
    assert!(res.status().is_success(), "{}", res.status());

    let err = expect_error(
        app.post_empty(&format!("{}/start", one(&name))).await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    assert_eq!(
        err["error"]["details"]["network"],
        network.as_str(),
        "{err}"
    );
    assert_eq!(err["error"]["details"]["id"], name.as_str(), "{err}");
    // The container itself is still there, and still says so.
    assert_eq!(inspect(&app, &name).await["state"], "created");
    app.stop().await;
}

#[tokio::test]
async fn a_gpu_request_is_kept_on_create_and_refused_at_start_on_a_host_without_gpus() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("gpu");
    let mut body = spec(&guard, &name, &["sleep", "300"]);
    body["gpus"] = json!({ "count": 1 });
    let created = create_ok(&app, &body).await;
    assert_eq!(created["started"], false, "{created}");
    let d = inspect(&app, &name).await;
    assert_eq!(d["gpus"], json!({ "count": 1, "device_ids": null }), "{d}");

    let res = app.post_empty(&format!("{}/start", one(&name))).await;
    if res.status() == StatusCode::NO_CONTENT {
        // This engine has GPUs: the request was honoured.
        assert_eq!(inspect(&app, &name).await["running"], true);
    } else {
        // No GPU runtime: the engine refuses at start, and Berth says so in an envelope.
        let err = expect_error(res, StatusCode::BAD_GATEWAY, "DOCKER_ERROR").await;
        assert!(
            err["error"]["message"].as_str().unwrap().contains("gpu"),
            "{err}"
        );
        assert_eq!(inspect(&app, &name).await["running"], false);

        // Asked to start right away, the create fails the same way and leaves nothing behind.
        let other = unique("gpu-now");
        let mut body = spec(&guard, &other, &["sleep", "300"]);
        body["gpus"] = json!({ "count": 1 });
        body["start"] = json!(true);
        expect_error(
            app.post(BASE, &body).await,
            StatusCode::BAD_GATEWAY,
            "DOCKER_ERROR",
        )
        .await;
        expect_error(
            app.get(&one(&other)).await,
            StatusCode::NOT_FOUND,
            "CONTAINER_NOT_FOUND",
        )
        .await;
    }

    // A malformed GPU request never reaches the engine.
    for (gpus, field) in [
        (json!({ "count": 0 }), "gpus.count"),
        (json!({ "count": 1, "device_ids": ["0"] }), "gpus"),
        (json!({ "device_ids": [] }), "gpus.device_ids"),
    ] {
        let mut body = spec(&guard, &unique("badgpu"), &["true"]);
        body["gpus"] = gpus;
        expect_refused(&app, &body, "VALIDATION_FAILED", field).await;
    }
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn creating_on_the_second_host_puts_the_container_there() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let guard = Containers::on(&common::docker2_url());
    let name = unique("remote");
    let mut body = spec(&guard, &name, &["sleep", "300"]);
    body["network"] = json!("none");
    body["start"] = json!(true);
    let (status, created) = json(app.post("/api/v1/hosts/second/containers", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["host"], "second", "{created}");
    let (status, d) = json(
        app.get(&format!("/api/v1/hosts/second/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["host"], "second", "{d}");
    assert_eq!(d["running"], true, "{d}");
    assert_eq!(d["network_mode"], "none", "{d}");
    // Not on the primary engine.
    expect_error(
        app.get(&one(&name)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn starting_a_created_container_makes_it_running() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("start");
    let id = guard.create(&name, &["sleep", "300"], false).await;
    assert_eq!(inspect(&app, &id).await["state"], "created");
    expect_no_content(app.post_empty(&format!("{}/start", one(&id))).await).await;
    let d = inspect(&app, &name).await;
    assert_eq!(d["state"], "running", "{d}");
    assert_eq!(d["running"], true, "{d}");
    assert!(d["started_at"].is_string(), "{d}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn starting_a_running_container_is_a_no_op() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("restart-noop");
    guard.create(&name, &["sleep", "300"], true).await;
    let before = inspect(&app, &name).await;
    expect_no_content(app.post_empty(&format!("{}/start", one(&name))).await).await;
    let after = inspect(&app, &name).await;
    assert_eq!(after["running"], true, "{after}");
    assert_eq!(after["pid"], before["pid"], "{after}");
    assert_eq!(after["started_at"], before["started_at"], "{after}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_action_given_a_query_parameter_refuses_it_by_name_and_does_nothing() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("noquery");
    guard.create(&name, &["sleep", "300"], true).await;
    for action in [
        "stop?timeout=1",
        "restart?t=1",
        "kill?signal=SIGTERM",
        "pause?x",
    ] {
        let field = action.split('?').nth(1).unwrap().split('=').next().unwrap();
        let err = expect_error(
            app.post_empty(&format!("{}/{action}", one(&name))).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{action}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("JSON body"),
            "{err}"
        );
    }
    assert_eq!(inspect(&app, &name).await["state"], "running");
    app.stop().await;
}

#[tokio::test]
async fn stopping_a_running_container_makes_it_exited() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("stop");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    // `sleep` as pid 1 ignores SIGTERM, so this also proves the timeout is honoured.
    let started = std::time::Instant::now();
    expect_no_content(
        app.post(&format!("{}/stop", one(&id)), &json!({ "timeout": 1 }))
            .await,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    let d = inspect(&app, &name).await;
    assert_eq!(d["state"], "exited", "{d}");
    assert_eq!(d["running"], false, "{d}");
    assert!(d["finished_at"].is_string(), "{d}");
    assert!(d["pid"].is_null(), "{d}");
    // Stopping a stopped container is not an error.
    expect_no_content(app.post_empty(&format!("{}/stop", one(&name))).await).await;
    // A timeout out of range is refused.
    let err = expect_error(
        app.post(&format!("{}/stop", one(&name)), &json!({ "timeout": -5 }))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "timeout", "{err}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn restarting_a_container_runs_it_again_from_a_new_start() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("restart");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    let before = inspect(&app, &id).await;
    expect_no_content(
        app.post(&format!("{}/restart", one(&name)), &json!({ "timeout": 1 }))
            .await,
    )
    .await;
    let after = inspect(&app, &id).await;
    assert_eq!(after["running"], true, "{after}");
    assert_ne!(after["started_at"], before["started_at"], "{after}");
    assert_ne!(after["pid"], before["pid"], "{after}");
    // A stopped container is started by restart.
    expect_no_content(
        app.post(&format!("{}/stop", one(&id)), &json!({ "timeout": 0 }))
            .await,
    )
    .await;
    expect_no_content(app.post_empty(&format!("{}/restart", one(&id))).await).await;
    assert_eq!(inspect(&app, &id).await["running"], true);
    expect_error(
        app.post(
            &format!("{}/restart", one(&id)),
            &json!({ "timeout": 99999 }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn killing_a_container_without_a_signal_sends_sigkill() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("kill");
    guard.create(&name, &["sleep", "300"], true).await;
    expect_no_content(app.post_empty(&format!("{}/kill", one(&name))).await).await;
    let d = wait_state(&app, &name, "exited").await;
    assert_eq!(d["exit_code"], 137, "{d}");
    assert_eq!(d["running"], false, "{d}");
    // Killing a container that does not run is a conflict.
    expect_error(
        app.post_empty(&format!("{}/kill", one(&name))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn killing_with_sigterm_delivers_that_signal() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("term");
    let id = guard
        .create(
            &name,
            &[
                "sh",
                "-c",
                "trap 'exit 3' TERM; while true; do sleep 0.2; done",
            ],
            true,
        )
        .await;
    expect_no_content(
        app.post(
            &format!("{}/kill", one(&id)),
            &json!({ "signal": "SIGTERM" }),
        )
        .await,
    )
    .await;
    let d = wait_state(&app, &id, "exited").await;
    // The trap ran: it was SIGTERM, not SIGKILL (137).
    assert_eq!(d["exit_code"], 3, "{d}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn killing_with_an_invalid_signal_is_rejected() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("badsig");
    guard.create(&name, &["sleep", "300"], true).await;
    for signal in ["rm -rf /", "sigterm", "", "123"] {
        let err = expect_error(
            app.post(
                &format!("{}/kill", one(&name)),
                &json!({ "signal": signal }),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], "signal", "{signal:?} → {err}");
    }
    // Well-formed but unknown to the engine: still a 400, from the engine.
    expect_error(
        app.post(
            &format!("{}/kill", one(&name)),
            &json!({ "signal": "SIGFOO" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        app.post(
            &format!("{}/kill", one(&name)),
            &json!({ "sig": "SIGTERM" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(inspect(&app, &name).await["running"], true);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn pausing_and_unpausing_a_container_freezes_and_thaws_it() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("pause");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    expect_no_content(app.post_empty(&format!("{}/pause", one(&name))).await).await;
    let d = inspect(&app, &id).await;
    assert_eq!(d["state"], "paused", "{d}");
    let rows = list(&app, &format!("status=paused&label={}", guard.label())).await;
    assert_eq!(names(&rows), vec![name.clone()]);
    // Pausing twice is a conflict.
    expect_error(
        app.post_empty(&format!("{}/pause", one(&name))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    expect_no_content(app.post_empty(&format!("{}/unpause", one(&id))).await).await;
    let d = inspect(&app, &id).await;
    assert_eq!(d["state"], "running", "{d}");
    assert_eq!(d["running"], true, "{d}");
    // Unpausing a running container is a conflict.
    expect_error(
        app.post_empty(&format!("{}/unpause", one(&id))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn renaming_a_container_changes_its_name() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let old = unique("old");
    let new = unique("new");
    let id = guard.create(&old, &["sleep", "300"], true).await;
    expect_no_content(
        app.post(&format!("{}/rename", one(&old)), &json!({ "name": new }))
            .await,
    )
    .await;
    let d = inspect(&app, &new).await;
    assert_eq!(d["id"], id.as_str(), "{d}");
    assert_eq!(d["name"], new.as_str(), "{d}");
    assert_eq!(d["running"], true, "{d}");
    expect_error(
        app.get(&one(&old)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn renaming_to_an_invalid_name_is_rejected() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("rename-bad");
    guard.create(&name, &["sleep", "300"], false).await;
    for bad in ["-dash", "with space", "a", "../etc"] {
        let err = expect_error(
            app.post(&format!("{}/rename", one(&name)), &json!({ "name": bad }))
                .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], "name", "{bad:?} → {err}");
    }
    let err = expect_error(
        app.post(&format!("{}/rename", one(&name)), &json!({}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "name", "{err}");
    assert_eq!(inspect(&app, &name).await["name"], name.as_str());
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn renaming_to_a_name_in_use_is_a_conflict() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let a = unique("rename-a");
    let b = unique("rename-b");
    guard.create(&a, &["sleep", "300"], false).await;
    let b_id = guard.create(&b, &["sleep", "300"], false).await;
    expect_error(
        app.post(&format!("{}/rename", one(&a)), &json!({ "name": b }))
            .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(inspect(&app, &a).await["name"], a.as_str());
    assert_eq!(inspect(&app, &b).await["id"], b_id.as_str());
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn removing_a_running_container_needs_force() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("rm-running");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    expect_error(
        app.delete(&one(&name)).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(inspect(&app, &id).await["running"], true);
    expect_error(
        app.delete(&format!("{}?force=false", one(&name))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    expect_no_content(app.delete(&format!("{}?force=true", one(&id))).await).await;
    expect_error(
        app.get(&one(&id)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    let rows = list(&app, &format!("all=true&label={}", guard.label())).await;
    assert!(rows.is_empty(), "{rows:?}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn removing_a_stopped_container_needs_no_force() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("rm-stopped");
    guard.create(&name, &["sleep", "300"], false).await;
    expect_no_content(app.delete(&one(&name)).await).await;
    expect_error(
        app.get(&one(&name)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete(&format!("{}?force=maybe", one(&name))).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn removing_with_volumes_also_removes_its_anonymous_volumes() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let anonymous = || HostConfig {
        mounts: Some(vec![Mount {
            target: Some("/data".to_owned()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let volume_of = |d: &Value| {
        let mounts = d["mounts"].as_array().unwrap();
        assert_eq!(mounts.len(), 1, "{d}");
        assert_eq!(mounts[0]["type"], "volume", "{d}");
        mounts[0]["source"].as_str().unwrap().to_owned()
    };

    let kept = unique("rm-keep");
    guard
        .create_with(&kept, &["sleep", "300"], false, HashMap::new(), anonymous())
        .await;
    let kept_volume = VolumeGuard {
        url: guard.url.clone(),
        name: volume_of(&inspect(&app, &kept).await),
    };
    expect_no_content(app.delete(&one(&kept)).await).await;
    assert!(volume_exists(&guard, &kept_volume.name).await);

    let gone = unique("rm-vols");
    guard
        .create_with(&gone, &["sleep", "300"], true, HashMap::new(), anonymous())
        .await;
    let gone_volume = VolumeGuard {
        url: guard.url.clone(),
        name: volume_of(&inspect(&app, &gone).await),
    };
    assert!(volume_exists(&guard, &gone_volume.name).await);
    expect_no_content(
        app.delete(&format!("{}?force=true&volumes=true", one(&gone)))
            .await,
    )
    .await;
    assert!(!volume_exists(&guard, &gone_volume.name).await);
    expect_error(
        app.get(&one(&gone)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    guard.cleanup().await;
    drop((kept_volume, gone_volume));
    app.stop().await;
}

#[tokio::test]
async fn top_lists_the_processes_of_a_running_container() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("top");
    let id = guard.create(&name, &["sleep", "300"], true).await;
    for target in [&name, &id] {
        let (status, body) = json(app.get(&format!("{}/top", one(target))).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let titles: Vec<&str> = body["titles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(titles.contains(&"PID"), "{body}");
        let cmd = titles.iter().position(|t| *t == "CMD").unwrap();
        let processes = body["processes"].as_array().unwrap();
        assert_eq!(processes.len(), 1, "{body}");
        assert_eq!(processes[0][cmd], "sleep 300", "{body}");
    }
    let (status, body) = json(
        app.get(&format!("{}/top?ps_args=-o%20pid,comm", one(&id)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["titles"], json!(["PID", "COMMAND"]), "{body}");
    let err = expect_error(
        app.get(&format!("{}/top?ps_args=-ef;reboot", one(&id)))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "ps_args", "{err}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn top_of_a_stopped_container_is_a_conflict() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("top-stopped");
    guard.create(&name, &["sleep", "300"], false).await;
    expect_error(
        app.get(&format!("{}/top", one(&name))).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_container_is_container_not_found_for_every_action() {
    let app = TestApp::spawn().await;
    let ghost = unique("ghost");
    let path = one(&ghost);
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, path.clone(), None),
        (Method::DELETE, path.clone(), None),
        (Method::DELETE, format!("{path}?force=true"), None),
        (Method::POST, format!("{path}/start"), None),
        (Method::POST, format!("{path}/stop"), None),
        (Method::POST, format!("{path}/restart"), None),
        (Method::POST, format!("{path}/kill"), None),
        (Method::POST, format!("{path}/pause"), None),
        (Method::POST, format!("{path}/unpause"), None),
        (
            Method::POST,
            format!("{path}/rename"),
            Some(json!({ "name": unique("other") })),
        ),
        (Method::GET, format!("{path}/top"), None),
    ];
    for (method, path, body) in requests {
        let err = expect_error(
            app.request(method.clone(), &path, body.as_ref()).await,
            StatusCode::NOT_FOUND,
            "CONTAINER_NOT_FOUND",
        )
        .await;
        assert_eq!(
            err["error"]["details"]["id"],
            ghost.as_str(),
            "{method} {path} → {err}"
        );
    }
    // An id that looks like one but is not.
    expect_error(
        app.get(&one(&"0".repeat(64))).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_container_is_addressed_alike_by_name_full_id_and_short_id() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("addr");
    let created = create_ok(&app, &spec(&guard, &name, &["sleep", "300"])).await;
    let id = created["id"].as_str().unwrap().to_owned();
    for target in [name.as_str(), id.as_str(), &id[..12]] {
        let d = inspect(&app, target).await;
        assert_eq!(d["id"], id.as_str(), "{target}: {d}");
        assert_eq!(d["name"], name.as_str(), "{target}: {d}");
    }
    expect_no_content(app.post_empty(&format!("{}/start", one(&id[..12]))).await).await;
    assert_eq!(inspect(&app, &name).await["running"], true);
    expect_no_content(
        app.post(&format!("{}/stop", one(&name)), &json!({ "timeout": 0 }))
            .await,
    )
    .await;
    assert_eq!(inspect(&app, &id).await["running"], false);
    expect_no_content(app.delete(&one(&id)).await).await;
    expect_error(
        app.get(&one(&name)).await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    guard.cleanup().await;
    app.stop().await;
}
