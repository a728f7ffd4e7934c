//! The harness works: a server starts, sees the local engine and lists containers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Containers, TestApp, json, unique};
use reqwest::StatusCode;

#[tokio::test]
async fn a_fresh_server_registers_the_local_engine_and_lists_its_containers() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("smoke");
    guard.create(&name, &["sleep", "30"], true).await;
    let (status, body) = json(
        app.get(&format!(
            "/api/v1/hosts/local/containers?label={}",
            guard.label()
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["name"], name);
    assert_eq!(rows[0]["host"], "local");
    assert_eq!(rows[0]["state"], "running");
    guard.cleanup().await;
    app.stop().await;
}
