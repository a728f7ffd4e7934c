//! The HTTP contract every route shares: request ids, the error envelope (also for failures axum
//! and tower produce themselves), security headers, CORS, compression, health, the OpenAPI
//! document (and that each path in it routes) and the request timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, expect_error, json};
use reqwest::header::{
    ACCEPT_ENCODING, ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_ENCODING, CONTENT_TYPE,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn request_id(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {}", res.url()))
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_sent_is_echoed() {
    let app = TestApp::spawn().await;

    // Generated: on health, on an API answer, on an API 404 and on a non-API 404 (a missing
    // file: other paths outside /api are the web UI's client routes).
    let mut seen = Vec::new();
    for path in [
        "/health",
        "/api/v1/hosts",
        "/api/v1/no-such-route",
        "/no-such-page.js",
    ] {
        let res = app.get(path).await;
        let id = request_id(&res);
        assert!(
            uuid::Uuid::parse_str(&id).is_ok(),
            "{path}: generated id {id:?} is not a UUID"
        );
        seen.push(id.clone());
        if path.contains("no-such") {
            let body = expect_error(res, StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND").await;
            assert_eq!(body["request_id"], id.as_str());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "ids are unique per request: {seen:?}");

    // Echoed when sent, also inside an error envelope.
    for path in ["/health", "/api/v1/hosts", "/api/v1/no-such-route"] {
        let res = app
            .client
            .get(app.url(path))
            .header("x-request-id", "client-chosen.id_42")
            .send()
            .await
            .unwrap();
        assert_eq!(request_id(&res), "client-chosen.id_42", "{path}");
        if path.contains("no-such") {
            let body = expect_error(res, StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND").await;
            assert_eq!(body["request_id"], "client-chosen.id_42");
        }
    }

    // A bad one (too long, or with spaces) is replaced by a fresh one.
    for bad in ["x".repeat(200), "has spaces in it".to_owned()] {
        let res = app
            .client
            .get(app.url("/api/v1/no-such-route"))
            .header("x-request-id", &bad)
            .send()
            .await
            .unwrap();
        let id = request_id(&res);
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id:?}");
        let body = expect_error(res, StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND").await;
        assert_eq!(body["request_id"], id.as_str());
    }
    app.stop().await;
}

#[tokio::test]
async fn failures_axum_and_tower_produce_are_answered_with_the_envelope() {
    let app = TestApp::spawn().await;

    // Unknown routes, under /api and elsewhere (a missing file; other paths are the web UI's).
    for path in [
        "/api",
        "/api/",
        "/api/v1/nope",
        "/api/v2/hosts",
        "/nope.txt",
    ] {
        expect_error(
            app.get(path).await,
            StatusCode::NOT_FOUND,
            "ROUTE_NOT_FOUND",
        )
        .await;
    }

    // A route that exists, with a method it does not take.
    let res = app.request(Method::PUT, "/api/v1/hosts", None).await;
    let allow = res
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow:?}");
    expect_error(
        app.request(Method::DELETE, "/health", None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;

    // Malformed JSON.
    let res = app
        .client
        .post(app.url("/api/v1/hosts"))
        .header(CONTENT_TYPE, "application/json")
        .body("{\"name\": \"x\", ")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "INVALID_JSON").await;

    // Not JSON at all.
    let res = app
        .client
        .post(app.url("/api/v1/hosts"))
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"name":"x","url":"unix:///x.sock"}"#)
        .send()
        .await
        .unwrap();
    expect_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;

    // Over the 1 MiB limit.
    let big = json!({
        "name": "big",
        "url": "unix:///var/run/docker.sock",
        "description": "x".repeat(1024 * 1024 + 10),
    });
    expect_error(
        app.post("/api/v1/hosts", &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    )
    .await;

    // A missing required field, and a field of the wrong type, are named.
    let body = expect_error(
        app.post("/api/v1/hosts", &json!({ "name": "x" })).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "url", "{body}");
    let body = expect_error(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": 5, "url": "unix:///var/run/docker.sock" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "name", "{body}");
    let body = expect_error(
        app.post(
            "/api/v1/hosts",
            &json!({ "name": "x", "url": "tcp://127.0.0.1:1", "tls": { "ca_cert": 1 } }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "tls.ca_cert", "{body}");

    // Routes whose body is optional (stop, kill, prune) follow the same rules.
    let stop = "/api/v1/hosts/nohost/containers/nothing/stop";
    let send = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url(stop))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    expect_error(
        send("application/json", "[").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "INVALID_JSON",
    )
    .await;
    expect_error(
        send("text/plain", "{\"timeout\": 1}").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
    for (body, field) in [
        ("{\"timeout\": \"soon\"}", "timeout"),
        ("{\"bogus\": 1}", "bogus"),
    ] {
        let err = expect_error(
            send("application/json", body).await.unwrap(),
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    // An empty body is no body: the request goes on to find no such host.
    expect_error(
        send("application/json", "").await.unwrap(),
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;

    let res = app
        .client
        .post(app.url("/api/v1/hosts/_test"))
        .header(CONTENT_TYPE, "application/json")
        .body("[")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "INVALID_JSON").await;
    app.stop().await;
}

fn assert_security_headers(res: &reqwest::Response, hsts: bool) {
    let h = res.headers();
    let url = res.url().path().to_owned();
    assert_eq!(h["x-content-type-options"], "nosniff", "{url}");
    assert_eq!(h["x-frame-options"], "DENY", "{url}");
    assert!(h.contains_key("referrer-policy"), "{url}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{url}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
    match h.get("strict-transport-security") {
        Some(v) if hsts => assert!(v.to_str().unwrap().contains("max-age="), "{url}"),
        None if !hsts => {}
        other => panic!("{url}: HSTS expected {hsts}, got {other:?}"),
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response_and_hsts_only_over_https() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/api/v1/hosts", "/api/docs", "/api/v1/nope"] {
        let res = app.get(path).await;
        assert_security_headers(&res, false);
    }
    let res = app.get("/api/v1/hosts").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    app.stop().await;

    let app = TestApp::spawn_with(|c| c.https = true).await;
    for path in ["/health", "/api/v1/hosts", "/api/docs"] {
        let res = app.get(path).await;
        assert_security_headers(&res, true);
    }
    app.stop().await;
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/v1/hosts"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let app =
        TestApp::spawn_with(|c| c.cors_origins = vec!["http://example.test".to_owned()]).await;
    let res = preflight(&app, "http://example.test").await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://example.test"
    );
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");

    let res = preflight(&app, "http://other.test").await;
    assert!(
        !res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN),
        "{:?}",
        res.headers()
    );

    // A simple request from the allowed origin is answered with the header too.
    let res = app
        .client
        .get(app.url("/api/v1/hosts"))
        .header("origin", "http://example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://example.test"
    );
    app.stop().await;

    let app = TestApp::spawn().await;
    let res = preflight(&app, "http://example.test").await;
    assert!(
        !res.headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{:?}",
        res.headers()
    );
    let res = app
        .client
        .get(app.url("/api/v1/hosts"))
        .header("origin", "http://example.test")
        .send()
        .await
        .unwrap();
    assert!(
        !res.headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{:?}",
        res.headers()
    );
    app.stop().await;
}

#[tokio::test]
async fn large_responses_are_gzipped_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    let gz = res.bytes().await.unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip magic");

    let res = app.get("/api/v1/openapi.json").await;
    assert!(!res.headers().contains_key(CONTENT_ENCODING));
    let plain = res.bytes().await.unwrap();
    assert!(
        gz.len() < plain.len() / 2,
        "{} vs {}",
        gz.len(),
        plain.len()
    );
    app.stop().await;
}

#[tokio::test]
async fn health_endpoints_answer_and_the_detailed_one_lists_each_component() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/health/live", "/health/ready"] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["status"], "ok", "{path}: {body}");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"), "{path}: {body}");
        assert!(body["time"].is_string(), "{path}: {body}");
    }
    let (status, body) = json(app.get("/health/detailed").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok", "{body}");
    assert!(body["uptime_seconds"].is_u64(), "{body}");
    let components = body["components"].as_array().unwrap();
    let find = |name: &str| {
        components
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no component {name}: {body}"))
    };
    let db = find("database");
    assert_eq!(db["status"], "up", "{body}");
    assert!(db["response_time_ms"].as_f64().unwrap() >= 0.0, "{body}");
    let docker = find("docker:local");
    assert_eq!(docker["status"], "up", "{body}");
    assert!(docker["response_time_ms"].as_f64().unwrap() > 0.0, "{body}");
    let engine = app.state.engines.get("local").unwrap().state();
    assert_eq!(
        docker["version"].as_str(),
        engine.engine_version.as_deref(),
        "{body}"
    );
    assert!(docker["error"].is_null(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn readiness_is_503_once_the_database_stops_answering_while_liveness_stays_200() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/health/ready").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Every connection closed: the database no longer answers.
    app.state.store.close().await;
    let (status, body) = json(app.get("/health/ready").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"), "{body}");
    let (status, body) = json(app.get("/health/live").await).await;
    assert_eq!(status, StatusCode::OK, "the process is alive: {body}");
    let (status, body) = json(app.get("/health/detailed").await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    let db = body["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .cloned()
        .unwrap_or_else(|| panic!("no database component: {body}"));
    assert_eq!(db["status"], "down", "{body}");
    assert!(db["error"].is_string(), "{body}");
    app.stop().await;
}

/// A value for a path parameter that names nothing.
fn unlikely(param: &str) -> &str {
    match param {
        "host" => "nohost",
        _ => "zz-no-such-thing-0",
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_every_path_in_it_routes() {
    let app = TestApp::spawn().await;
    let (status, doc) = json(app.get("/api/v1/openapi.json").await).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/api/v1/hosts",
        "/api/v1/hosts/{host}",
        "/api/v1/hosts/{host}/test",
        "/api/v1/hosts/_test",
        "/api/v1/hosts/{host}/containers",
        "/api/v1/hosts/{host}/containers/{id}",
        "/api/v1/containers",
        "/health",
        "/health/detailed",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} missing from the document"
        );
    }
    // The error envelope is described.
    assert!(
        doc["components"]["schemas"]["ErrorEnvelope"].is_object(),
        "no ErrorEnvelope schema"
    );

    let mut checked = 0;
    for (path, item) in paths {
        let item = item.as_object().unwrap();
        let concrete = path
            .split('/')
            .map(|seg| {
                seg.strip_prefix('{')
                    .and_then(|s| s.strip_suffix('}'))
                    .map_or(seg, unlikely)
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "post", "put", "patch", "delete"] {
            if !item.contains_key(method) {
                continue;
            }
            // Only paths that name no host can reach an engine; keep those to reads and
            // bodies that fail validation.
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (method == "post" || method == "patch").then(|| json!({}));
            let res = app.request(m, &concrete, body.as_ref()).await;
            let status = res.status();
            let (_, body) = json(res).await;
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {concrete} ({path}): {body}"
            );
            assert_ne!(
                body["error"]["code"], "ROUTE_NOT_FOUND",
                "{method} {concrete} ({path}): {body}"
            );
            assert!(
                status.is_success() || body["status"] == "error",
                "{method} {concrete}: {status} {body}"
            );
            if path.contains("{host}") {
                // The host is looked up unless the body is rejected first.
                let code = body["error"]["code"].as_str().unwrap_or_default();
                assert!(
                    ["HOST_NOT_FOUND", "VALIDATION_FAILED"].contains(&code),
                    "{method} {concrete} ({path}): {body}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations in the document");

    let res = app.get("/api/docs").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap().to_lowercase();
    assert!(html.contains("<html") && html.contains("docs.js"), "{html}");
    let res = app.get("/api/docs/docs.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(!res.text().await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_request_that_outlives_the_request_timeout_is_answered_408() {
    // An "engine" that accepts connections and never answers: testing it waits for the Docker
    // timeout (10 s), far past the 1 s request timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            conns.push(conn);
        }
    });
    let app = TestApp::spawn_with(|c| c.request_timeout_secs = 1).await;
    let started = Instant::now();
    let res = app
        .post(
            "/api/v1/hosts/_test",
            &json!({ "url": format!("tcp://127.0.0.1:{port}") }),
        )
        .await;
    let took = started.elapsed();
    let body = expect_error(res, StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT").await;
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "answered after {took:?}: {body}"
    );
    // The server still serves.
    let (status, _) = json(app.get("/api/v1/hosts").await).await;
    assert_eq!(status, StatusCode::OK);
    holder.abort();
    app.stop().await;
}

#[tokio::test]
async fn error_bodies_are_json_never_plain_text() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/hosts/nohost", None),
        (Method::GET, "/api/v1/hosts/nohost/containers", None),
        (
            Method::PATCH,
            "/api/v1/hosts/local",
            Some(json!({ "bogus": 1 })),
        ),
        (
            Method::POST,
            "/api/v1/hosts/local/containers",
            Some(json!([])),
        ),
        (Method::GET, "/favicon.ico", None),
    ];
    for (method, path, body) in cases {
        let res = app.request(method.clone(), path, body.as_ref()).await;
        let status = res.status();
        let ct = res
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let (_, body) = json(res).await;
        assert!(status.is_client_error(), "{method} {path}: {status} {body}");
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        assert_eq!(body["status"], "error", "{method} {path}: {body}");
        assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
    }
    app.stop().await;
}
