//! Docker hosts: listing, adding (unix socket, TLS over tcp), validation, editing, removing,
//! testing, going away and coming back, and surviving a server restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{
    Containers, Proxy, TestApp, docker1_url, docker2_tcp_url, docker2_url, expect_error, json,
    tls_dir, unique,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The client TLS material as the API takes it.
fn tls_body() -> Value {
    let read = |f: &str| std::fs::read_to_string(tls_dir().join(f)).unwrap();
    json!({
        "ca_cert": read("ca.pem"),
        "client_cert": read("cert.pem"),
        "client_key": read("key.pem"),
    })
}

/// The base64 lines of the client key: none of them may ever appear in an answer.
fn key_lines() -> Vec<String> {
    std::fs::read_to_string(tls_dir().join("key.pem"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

/// Reads a response as (status, body text, JSON).
async fn text(res: reqwest::Response) -> (StatusCode, String, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, text, value)
}

/// The host's live status.
async fn status_of(app: &TestApp, name: &str) -> Value {
    let (status, body) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["state"]["status"].clone()
}

/// Waits until the host has `status`; answers how long it took; panics after `limit`.
async fn wait_for_status(app: &TestApp, name: &str, status: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    app.wait_status(name, status, limit).await;
    started.elapsed()
}

#[tokio::test]
async fn the_local_engine_is_listed_online_with_versions_and_counts() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/api/v1/hosts").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let local = body
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "local")
        .unwrap_or_else(|| panic!("no local host: {body}"))
        .clone();
    assert_eq!(local["url"], docker1_url(), "{local}");
    assert_eq!(local["tls"], false, "{local}");
    assert!(local["color"].as_str().unwrap().starts_with('#'), "{local}");
    assert!(local["created_at"].is_string(), "{local}");
    let state = &local["state"];
    assert_eq!(state["status"], "online", "{local}");
    assert!(state["error"].is_null(), "{local}");
    assert!(
        state["engine_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("20.10")),
        "{local}"
    );
    assert_eq!(state["engine_api_version"], "1.41", "{local}");
    assert_eq!(state["negotiated_api_version"], "1.41", "{local}");
    assert!(state["platform"].as_str().unwrap().contains('/'), "{local}");
    for count in [
        "containers_running",
        "containers_stopped",
        "containers_paused",
    ] {
        assert!(state[count].is_u64(), "{count}: {local}");
    }
    assert!(state["images"].as_u64().unwrap() >= 1, "{local}");
    assert!(state["cpus"].as_u64().unwrap() >= 1, "{local}");
    assert!(state["memory_bytes"].as_u64().unwrap() > 0, "{local}");
    assert!(state["last_seen"].is_string(), "{local}");
    app.stop().await;
}

#[tokio::test]
async fn a_second_engine_added_by_unix_socket_comes_online_and_is_found_by_name() {
    let app = TestApp::spawn().await;
    let name = unique("d2");
    let res = app
        .post(
            "/api/v1/hosts",
            &json!({ "name": name, "url": docker2_url(), "color": "#10b981", "description": "second" }),
        )
        .await;
    let (status, body) = json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], name.as_str());
    assert_eq!(body["url"], docker2_url());
    assert_eq!(body["color"], "#10b981");
    assert_eq!(body["description"], "second");
    assert_eq!(body["tls"], false);
    let took = wait_for_status(&app, &name, "online", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(10));

    let (status, host) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert_eq!(status, StatusCode::OK, "{host}");
    assert_eq!(host["name"], name.as_str());
    assert_eq!(host["state"]["negotiated_api_version"], "1.41", "{host}");
    assert!(host["state"]["engine_version"].is_string(), "{host}");

    let (status, list) = json(app.get("/api/v1/hosts").await).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"local") && names.contains(&name.as_str()),
        "{names:?}"
    );

    let (status, rows) = json(app.get(&format!("/api/v1/hosts/{name}/containers")).await).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert!(rows.is_array(), "{rows}");
    app.stop().await;
}

#[tokio::test]
async fn a_tls_engine_is_reached_with_pem_text_and_the_key_is_never_returned() {
    let app = TestApp::spawn().await;
    let name = unique("tls");
    let mut bodies = Vec::new();

    // Tried first, then added.
    let (status, text_body, body) = text(
        app.post(
            "/api/v1/hosts/_test",
            &json!({ "url": docker2_tcp_url(), "tls": tls_body() }),
        )
        .await,
    )
    .await;
    bodies.push(text_body);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["negotiated_api_version"], "1.41", "{body}");

    let (status, text_body, body) = text(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": name, "url": docker2_tcp_url(), "tls": tls_body() }),
        )
        .await,
    )
    .await;
    bodies.push(text_body);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["tls"], true, "{body}");
    assert!(body.get("client_key").is_none() && !body["tls"].is_object());

    let started = Instant::now();
    loop {
        let (_, text_body, host) = text(app.get(&format!("/api/v1/hosts/{name}")).await).await;
        bodies.push(text_body);
        if host["state"]["status"] == "online" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not online: {host}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, text_body, rows) =
        text(app.get(&format!("/api/v1/hosts/{name}/containers")).await).await;
    bodies.push(text_body);
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert!(rows.is_array(), "{rows}");

    let (status, text_body, result) =
        text(app.post_empty(&format!("/api/v1/hosts/{name}/test")).await).await;
    bodies.push(text_body);
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["ok"], true, "{result}");

    for path in ["/api/v1/hosts", "/api/v1/containers", "/health/detailed"] {
        let (status, text_body, _) = text(app.get(path).await).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        bodies.push(text_body);
    }
    // A rejected update with the key in it does not echo it either.
    let mut bad = tls_body();
    bad["client_key"] = Value::String(format!("{}\nnot a key", key_lines().join("\n")));
    let (status, text_body, _) = text(
        app.patch(&format!("/api/v1/hosts/{name}"), &json!({ "tls": bad }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text_body}");
    bodies.push(text_body);

    let lines = key_lines();
    assert!(!lines.is_empty());
    for body in &bodies {
        for line in &lines {
            assert!(!body.contains(line.as_str()), "key material in {body}");
        }
    }

    // The files are kept owner-only under the data dir.
    let id = app.state.engines.get(&name).unwrap().record.id;
    let dir = app.state.config.data_dir.join("tls").join(id.to_string());
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        let meta = std::fs::metadata(dir.join(file)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600,
            "{file}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("key.pem")).unwrap(),
        std::fs::read_to_string(tls_dir().join("key.pem")).unwrap()
    );

    // Removing the host removes its certificates.
    assert_eq!(
        app.delete(&format!("/api/v1/hosts/{name}")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!dir.exists(), "{} left behind", dir.display());
    app.stop().await;
}

#[tokio::test]
async fn a_tls_port_added_without_certificates_is_saved_but_offline() {
    let app = TestApp::spawn().await;
    let name = unique("notls");
    let (status, body) = json(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": name, "url": docker2_tcp_url() }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["state"]["status"], "online", "{body}");
    wait_for_status(&app, &name, "offline", Duration::from_secs(10)).await;
    // It stays offline, with the reason.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, host) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert_eq!(host["state"]["status"], "offline", "{host}");
    assert!(
        host["state"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{host}"
    );
    assert!(host["state"]["last_checked"].is_string(), "{host}");
    let (status, result) = json(app.post_empty(&format!("/api/v1/hosts/{name}/test")).await).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["ok"], false, "{result}");
    assert!(result["error"].is_string(), "{result}");
    let body = expect_error(
        app.get(&format!("/api/v1/hosts/{name}/containers")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;
    assert_eq!(body["error"]["details"]["host"], name.as_str(), "{body}");
    let (_, list) = json(app.get("/api/v1/hosts").await).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == name.as_str()),
        "{list}"
    );
    app.stop().await;
}

#[tokio::test]
async fn invalid_hosts_are_rejected_naming_the_field() {
    let app = TestApp::spawn().await;
    let ok_url = docker2_url();
    let cases = [
        (json!({ "name": "Upper", "url": ok_url }), "name"),
        (json!({ "name": "", "url": ok_url }), "name"),
        (json!({ "name": "has space", "url": ok_url }), "name"),
        (json!({ "name": "x".repeat(64), "url": ok_url }), "name"),
        (json!({ "name": "ok1", "url": "ftp://example.com" }), "url"),
        (json!({ "name": "ok1", "url": "docker.sock" }), "url"),
        (
            json!({ "name": "ok1", "url": "unix://relative/docker.sock" }),
            "url",
        ),
        (json!({ "name": "ok1", "url": "tcp://" }), "url"),
        (json!({ "name": "ok1", "url": "tcp://:2375" }), "url"),
        (json!({ "name": "ok1", "url": "tcp://127.0.0.1:0" }), "url"),
        (
            json!({ "name": "ok1", "url": "tcp://127.0.0.1:99999" }),
            "url",
        ),
        (
            json!({ "name": "ok1", "url": ok_url, "color": "red" }),
            "color",
        ),
        (
            json!({ "name": "ok1", "url": ok_url, "color": "#12345" }),
            "color",
        ),
        (
            json!({ "name": "ok1", "url": ok_url, "tls": tls_body() }),
            "tls",
        ),
        (
            json!({ "name": "ok1", "url": docker2_tcp_url(), "tls": {
                "ca_cert": "nope", "client_cert": "nope", "client_key": "nope" } }),
            "tls.ca_cert",
        ),
        (
            json!({ "name": "ok1", "url": ok_url, "description": "x".repeat(501) }),
            "description",
        ),
        (
            json!({ "name": "ok1", "url": ok_url, "bogus": true }),
            "bogus",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/hosts", &body).await;
        let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    // Nothing was saved.
    let (_, list) = json(app.get("/api/v1/hosts").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // Names are unique.
    let err = expect_error(
        app.post("/api/v1/hosts", &json!({ "name": "local", "url": ok_url }))
            .await,
        StatusCode::CONFLICT,
        "HOST_EXISTS",
    )
    .await;
    assert_eq!(err["error"]["field"], "name", "{err}");
    let name = unique("dup");
    app.add_host(&name, &ok_url).await;
    expect_error(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": name, "url": docker1_url() }),
        )
        .await,
        StatusCode::CONFLICT,
        "HOST_EXISTS",
    )
    .await;

    // The same rules apply to edits.
    for (body, field) in [
        (json!({ "name": "Upper" }), "name"),
        (json!({ "url": "ftp://x" }), "url"),
        (json!({ "color": "blue" }), "color"),
        (json!({ "tls": tls_body() }), "tls"),
        (json!({ "bogus": 1 }), "bogus"),
    ] {
        let res = app.patch(&format!("/api/v1/hosts/{name}"), &body).await;
        let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    // A rejected edit changes nothing.
    let (_, host) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert_eq!(host["url"], ok_url, "{host}");
    app.stop().await;
}

#[tokio::test]
async fn a_host_can_be_renamed_recoloured_described_and_moved() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let marker = unique("moved");
    guard.create(&marker, &["sleep", "120"], true).await;
    let listed = |host: String| {
        let path = format!("/api/v1/hosts/{host}/containers?label={}", guard.label());
        let app = &app;
        async move {
            let (status, rows) = json(app.get(&path).await).await;
            assert_eq!(status, StatusCode::OK, "{rows}");
            rows.as_array().unwrap().len()
        }
    };

    let first = unique("edit");
    app.add_host(&first, &docker2_url()).await;
    assert_eq!(
        listed(first.clone()).await,
        0,
        "marker is on the primary only"
    );

    // Rename: the old name is gone, the new one works.
    let second = unique("renamed");
    let (status, body) = json(
        app.patch(
            &format!("/api/v1/hosts/{first}"),
            &json!({ "name": second }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], second.as_str());
    expect_error(
        app.get(&format!("/api/v1/hosts/{first}")).await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    app.wait_online(&second).await;

    // Colour and description; an empty description clears it.
    let (status, body) = json(
        app.patch(
            &format!("/api/v1/hosts/{second}"),
            &json!({ "color": "#123abc", "description": "the box under the desk" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["color"], "#123abc");
    assert_eq!(body["description"], "the box under the desk");
    assert_eq!(body["name"], second.as_str());
    let (_, body) = json(
        app.patch(
            &format!("/api/v1/hosts/{second}"),
            &json!({ "description": "" }),
        )
        .await,
    )
    .await;
    assert!(body["description"].is_null(), "{body}");
    assert_eq!(body["color"], "#123abc", "{body}");

    // A new address: Berth reconnects, to the other engine.
    let (status, body) = json(
        app.patch(
            &format!("/api/v1/hosts/{second}"),
            &json!({ "url": docker1_url() }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["url"], docker1_url());
    app.wait_online(&second).await;
    assert_eq!(listed(second.clone()).await, 1, "now talks to the primary");

    // Taken names and unknown hosts.
    expect_error(
        app.patch(
            &format!("/api/v1/hosts/{second}"),
            &json!({ "name": "local" }),
        )
        .await,
        StatusCode::CONFLICT,
        "HOST_EXISTS",
    )
    .await;
    let (_, body) = json(app.get(&format!("/api/v1/hosts/{second}")).await).await;
    assert_eq!(
        body["name"],
        second.as_str(),
        "unchanged after the conflict"
    );
    let (_, body) = json(app.get("/api/v1/hosts/local").await).await;
    assert_eq!(body["url"], docker1_url(), "local untouched: {body}");
    for res in [
        app.get("/api/v1/hosts/nohost").await,
        app.patch("/api/v1/hosts/nohost", &json!({ "color": "#000000" }))
            .await,
        app.delete("/api/v1/hosts/nohost").await,
        app.post_empty("/api/v1/hosts/nohost/test").await,
        app.get("/api/v1/hosts/nohost/containers").await,
    ] {
        let body = expect_error(res, StatusCode::NOT_FOUND, "HOST_NOT_FOUND").await;
        assert_eq!(body["error"]["details"]["host"], "nohost", "{body}");
    }

    // Delete: 204 with no body, then gone everywhere.
    let res = app.delete(&format!("/api/v1/hosts/{second}")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.bytes().await.unwrap().is_empty());
    expect_error(
        app.get(&format!("/api/v1/hosts/{second}")).await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete(&format!("/api/v1/hosts/{second}")).await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    let (_, list) = json(app.get("/api/v1/hosts").await).await;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == second.as_str()),
        "{list}"
    );
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn hosts_and_addresses_can_be_tested() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.post_empty("/api/v1/hosts/local/test").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert!(body["engine_version"].is_string(), "{body}");
    assert_eq!(body["engine_api_version"], "1.41", "{body}");
    assert_eq!(body["negotiated_api_version"], "1.41", "{body}");
    assert!(body["latency_ms"].as_f64().unwrap() > 0.0, "{body}");
    assert!(body["error"].is_null(), "{body}");

    let (status, body) = json(
        app.post("/api/v1/hosts/_test", &json!({ "url": docker2_url() }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["negotiated_api_version"], "1.41", "{body}");

    let missing = format!("unix:///tmp/{}.sock", unique("berth-missing"));
    let (status, body) = json(
        app.post("/api/v1/hosts/_test", &json!({ "url": missing }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert!(body["engine_version"].is_null(), "{body}");

    // A bad address is a validation error, not a failed test; nothing is saved either way.
    let err = expect_error(
        app.post("/api/v1/hosts/_test", &json!({ "url": "ftp://x" }))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "url", "{err}");
    let (_, list) = json(app.get("/api/v1/hosts").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    app.stop().await;
}

#[tokio::test]
async fn a_host_that_goes_away_goes_offline_and_comes_back_by_itself() {
    let app = TestApp::spawn().await;
    let dir = tempfile::Builder::new()
        .prefix("bp")
        .tempdir_in("/tmp")
        .unwrap();
    let sock = dir.path().join("d.sock");
    let proxy = Proxy::start(&sock);
    let name = unique("flaky");
    app.add_host(&name, &format!("unix://{}", sock.display()))
        .await;
    let (status, _) = json(app.get(&format!("/api/v1/hosts/{name}/containers")).await).await;
    assert_eq!(status, StatusCode::OK);

    drop(proxy);
    let took = wait_for_status(&app, &name, "offline", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(10), "offline after {took:?}");
    let (_, host) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert!(host["state"]["error"].is_string(), "{host}");
    assert!(host["state"]["last_seen"].is_string(), "{host}");
    expect_error(
        app.get(&format!("/api/v1/hosts/{name}/containers")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;
    // The others are unaffected.
    assert_eq!(status_of(&app, "local").await, "online");

    // Still offline a few polls later: it does not flap.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(status_of(&app, &name).await, "offline");

    let _proxy = Proxy::start(&sock);
    let took = wait_for_status(&app, &name, "online", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(10), "online after {took:?}");
    let (_, host) = json(app.get(&format!("/api/v1/hosts/{name}")).await).await;
    assert!(host["state"]["error"].is_null(), "{host}");
    let (status, _) = json(app.get(&format!("/api/v1/hosts/{name}/containers")).await).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn hosts_survive_a_server_restart() {
    let data = tempfile::tempdir().unwrap();
    let plain = unique("kept");
    let secure = unique("kept-tls");
    let app = TestApp::spawn_in(data.path(), |_| {}).await;
    let (status, body) = json(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": plain, "url": docker2_url(), "color": "#abcdef", "description": "stays" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = json(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": secure, "url": docker2_tcp_url(), "tls": tls_body() }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.wait_online(&plain).await;
    app.wait_online(&secure).await;
    // Recolour `local`: edits persist too.
    let (status, _) = json(
        app.patch("/api/v1/hosts/local", &json!({ "color": "#000001" }))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, before) = json(app.get("/api/v1/hosts").await).await;
    app.stop().await;

    let app = TestApp::spawn_in(data.path(), |_| {}).await;
    app.wait_online(&plain).await;
    app.wait_online(&secure).await;
    let (_, after) = json(app.get("/api/v1/hosts").await).await;
    let strip = |list: &Value| -> Vec<Value> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|h| {
                json!({
                    "name": h["name"], "url": h["url"], "color": h["color"],
                    "description": h["description"], "tls": h["tls"], "created_at": h["created_at"],
                })
            })
            .collect()
    };
    assert_eq!(strip(&before), strip(&after));
    assert_eq!(after.as_array().unwrap().len(), 3, "{after}");
    let (_, local) = json(app.get("/api/v1/hosts/local").await).await;
    assert_eq!(local["color"], "#000001", "{local}");
    let (status, _) = json(app.get(&format!("/api/v1/hosts/{secure}/containers")).await).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
