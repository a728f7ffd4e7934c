//! Webhooks in against a real server: the token shown once, wrong tokens, GitHub and GitLab
//! signatures, the rate limit, the run and its audit entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Containers, TestApp, expect_error, json, unique};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

const QUICK_SLEEPER: [&str; 3] = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, body) = json(app.post("/api/v1/webhooks", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn call(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> reqwest::Response {
    let mut req = app.anon.post(app.url(path)).body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn wait_run(app: &TestApp, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let (_, body) = json(app.get(&format!("/api/v1/webhooks/{id}/runs")).await).await;
        if let Some(run) = body["runs"].as_array().and_then(|r| r.first())
            && run["outcome"] != "running"
        {
            return run.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{body}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn a_token_url_restarts_its_container_and_the_token_is_shown_once() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("hook-restart");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let hook_name = unique("deploy");
    let created = create(
        &app,
        json!({"name": hook_name, "host": "local", "container": name, "action": "restart"}),
    )
    .await;
    let token = created["token"].as_str().unwrap();
    assert!(token.len() >= 40, "{token}");
    let path = created["path"].as_str().unwrap().to_owned();
    let id = created["webhook"]["id"].as_i64().unwrap();
    // Never again: not in the list, not in the webhook.
    let (_, list) = json(app.get("/api/v1/webhooks").await).await;
    let (_, one) = json(app.get(&format!("/api/v1/webhooks/{id}")).await).await;
    assert!(!list.to_string().contains(token) && !one.to_string().contains(token));
    assert_eq!(one["trigger_count"], 0);

    let res = call(&app, &path, &[], "{}").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let run = wait_run(&app, id).await;
    assert_eq!(run["outcome"], "succeeded", "{run}");
    assert_eq!(run["trigger"], "webhook");
    assert_eq!(run["triggered_by"], format!("webhook:{hook_name}"));
    let (_, one) = json(app.get(&format!("/api/v1/webhooks/{id}")).await).await;
    assert_eq!(one["trigger_count"], 1);
    assert!(one["last_triggered_at"].is_string());
    // Audited as the action, with the webhook as actor.
    let (_, audit) = json(
        app.get("/api/v1/audit?action=container.restart&limit=5")
            .await,
    )
    .await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["username"] == format!("webhook:{hook_name}")),
        "{audit}"
    );
    // Wrong token: 404; GET: not allowed; deleted: 404.
    let wrong = call(&app, "/api/v1/hooks/bwh_not-a-real-token", &[], "{}").await;
    expect_error(wrong, StatusCode::NOT_FOUND, "WEBHOOK_NOT_FOUND").await;
    let get = app.anon.get(app.url(&path)).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Replaced: another action on the same token; the count stays.
    let (status, replaced) = json(
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/webhooks/{id}"),
            Some(&json!({"name": hook_name, "host": "local", "container": name, "action": "stop"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["trigger_count"], 1);
    assert_eq!(
        call(&app, &path, &[], "{}").await.status(),
        StatusCode::ACCEPTED
    );
    let run = wait_run(&app, id).await;
    assert_eq!(run["outcome"], "succeeded", "{run}");
    let (_, c) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(c["state"], "exited", "{c}");
    // The token is in no log line (the request log shows `/api/v1/hooks/…`).
    assert!(!common::captured_logs().contains(token));
    assert_eq!(
        app.delete(&format!("/api/v1/webhooks/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        call(&app, &path, &[], "{}").await,
        StatusCode::NOT_FOUND,
        "WEBHOOK_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

fn github_signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn github_and_gitlab_signatures_are_checked() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("hook-signed");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let secret = "a-shared-secret-of-some-length";
    let missing = app
        .post("/api/v1/webhooks", &json!({"name": "x", "host": "local", "container": name, "action": "start", "signature": "github"}))
        .await;
    assert_eq!(
        expect_error(missing, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await["error"]["field"],
        "secret"
    );

    let gh = create(
        &app,
        json!({"name": "gh", "host": "local", "container": name, "action": "start", "signature": "github", "secret": secret}),
    )
    .await;
    let path = gh["path"].as_str().unwrap();
    let body = r#"{"ref":"refs/heads/main"}"#;
    let good = github_signature(secret, body);
    let bad = github_signature("another-secret-entirely", body);
    expect_error(
        call(&app, path, &[], body).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    expect_error(
        call(&app, path, &[("x-hub-signature-256", &bad)], body).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    // The signature covers the body: the same signature over another body fails.
    expect_error(
        call(&app, path, &[("x-hub-signature-256", &good)], "{}").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    assert_eq!(
        call(&app, path, &[("x-hub-signature-256", &good)], body)
            .await
            .status(),
        StatusCode::ACCEPTED
    );

    let gl = create(
        &app,
        json!({"name": "gl", "host": "local", "container": name, "action": "start", "signature": "gitlab", "secret": secret}),
    )
    .await;
    let path = gl["path"].as_str().unwrap();
    expect_error(
        call(&app, path, &[("x-gitlab-token", "nope")], "{}").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    assert_eq!(
        call(&app, path, &[("x-gitlab-token", secret)], "{}")
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    // Neither the secret nor the token shows up in the webhook's view.
    let (_, list) = json(app.get("/api/v1/webhooks").await).await;
    assert!(!list.to_string().contains(secret));
    app.stop().await;
}

#[tokio::test]
async fn calls_past_the_rate_limit_are_refused_with_retry_after() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("hook-limited");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let hook = create(
        &app,
        json!({"name": "limited", "host": "local", "container": name, "action": "start", "rate_limit_per_minute": 2}),
    )
    .await;
    let path = hook["path"].as_str().unwrap();
    for _ in 0..2 {
        assert_eq!(
            call(&app, path, &[], "").await.status(),
            StatusCode::ACCEPTED
        );
    }
    let res = call(&app, path, &[], "").await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    let (_, one) = json(
        app.get(&format!("/api/v1/webhooks/{}", hook["webhook"]["id"]))
            .await,
    )
    .await;
    assert_eq!(one["trigger_count"], 2);
    app.stop().await;
}

/// The database's files (main and write-ahead log) as one byte string.
fn db_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["berth.db", "berth.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            all.extend(bytes);
        }
    }
    all
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A GitHub secret is stored sealed (never in the database file in plain text, never answered),
/// an edit that leaves it out keeps it, and a row stored in plain text by an older Berth is
/// sealed at the next start and still verifies.
#[tokio::test]
async fn signature_secrets_are_sealed_at_rest_and_plain_ones_are_sealed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("hook-sealed");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let secret = unique("a-sealed-hmac-secret");
    let def = json!({"name": "gh", "host": "local", "container": name, "action": "start",
                     "signature": "github", "rate_limit_per_minute": 100});
    let mut with_secret = def.clone();
    with_secret["secret"] = json!(secret);
    let gh = create(&app, with_secret).await;
    let id = gh["webhook"]["id"].as_i64().unwrap();
    let path = gh["path"].as_str().unwrap().to_owned();
    let body = r#"{"ref":"refs/heads/main"}"#;
    let signed = |s: &str| github_signature(s, body);
    assert!(!gh.to_string().contains(&secret), "{gh}");
    assert_eq!(
        call(
            &app,
            &path,
            &[("x-hub-signature-256", &signed(&secret))],
            body
        )
        .await
        .status(),
        StatusCode::ACCEPTED
    );
    // An edit without the secret keeps the stored one (the API never gives it back to resend).
    let (status, edited) = json(
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/webhooks/{id}"),
            Some(&def),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (_, one) = json(app.get(&format!("/api/v1/webhooks/{id}")).await).await;
    assert!(!edited.to_string().contains(&secret) && !one.to_string().contains(&secret));
    assert_eq!(
        call(
            &app,
            &path,
            &[("x-hub-signature-256", &signed(&secret))],
            body
        )
        .await
        .status(),
        StatusCode::ACCEPTED
    );
    app.stop().await;
    assert!(
        !holds(&db_bytes(dir.path()), &secret),
        "the secret is in berth.db in plain text"
    );

    // A row as an older Berth wrote it: the secret in plain text.
    let legacy = unique("a-legacy-plain-secret");
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("berth.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE webhooks SET secret = $1, sealed_secret = NULL WHERE id = $2")
        .bind(&legacy)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    assert!(holds(&db_bytes(dir.path()), &legacy));

    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    assert!(
        !holds(&db_bytes(dir.path()), &legacy),
        "the plain secret is still in berth.db after the start sealed it"
    );
    assert_eq!(
        call(
            &app,
            &path,
            &[("x-hub-signature-256", &signed(&legacy))],
            body
        )
        .await
        .status(),
        StatusCode::ACCEPTED
    );
    expect_error(
        call(
            &app,
            &path,
            &[("x-hub-signature-256", &signed(&secret))],
            body,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    let (_, audit) = json(app.get("/api/v1/audit?action=webhook.secrets_sealed").await).await;
    assert_eq!(
        audit["entries"][0]["details"]["webhook_ids"],
        json!([id]),
        "{audit}"
    );
    app.stop().await;
}

/// A webhook's run cut off by a server stop is closed at the next start, like a schedule's.
#[tokio::test]
async fn a_webhook_run_cut_off_by_a_stop_is_closed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("hook-cut");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let hook = create(
        &app,
        json!({"name": "slow", "host": "local", "container": name, "action": "exec", "command": ["sleep", "20"]}),
    )
    .await;
    let id = hook["webhook"]["id"].as_i64().unwrap();
    let res = call(&app, hook["path"].as_str().unwrap(), &[], "{}").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    app.stop().await;

    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let run = wait_run(&app, id).await;
    assert_eq!(run["outcome"], "failed", "{run}");
    assert_eq!(run["message"], "Berth stopped during this run", "{run}");
    let (_, audit) = json(
        app.get("/api/v1/audit?action=webhook.run_interrupted")
            .await,
    )
    .await;
    assert_eq!(
        audit["entries"][0]["resource_id"],
        id.to_string(),
        "{audit}"
    );
    app.stop().await;
}
