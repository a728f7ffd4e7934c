//! The embedded web UI: served at `/`, client routes get the app, and API, health and metrics
//! paths keep their own answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn the_app_is_served_at_the_root_and_for_client_routes() {
    let app = TestApp::spawn().await;
    let root = app.anon.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::OK);
    assert_eq!(root.headers()["cache-control"], "no-cache");
    assert!(
        root.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = root.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let index = root.text().await.unwrap();
    assert!(index.contains("<html"), "{index}");

    // a client-side route (a reload on a deep link) gets the same page
    for path in ["/containers", "/containers/local/web?tab=logs", "/audit"] {
        let res = app.anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.text().await.unwrap(), index, "{path}");
    }

    // the built app's hashed assets are cached for good (without Node at build time, the
    // fallback page has none, and says what to install)
    if let Some(start) = index.find("/assets/") {
        let end = index[start..].find('"').unwrap() + start;
        let asset = &index[start..end];
        let res = app.anon.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    } else {
        assert!(index.contains("Node.js 20"), "{index}");
    }
    app.stop().await;
}

#[tokio::test]
async fn api_health_metrics_and_missing_files_are_not_the_app() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/nope",
        "/health/nope",
        "/metrics/nope",
        "/assets/missing-1234.js",
        "/nope.png",
    ] {
        let res = app.anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("<html"), "{path}: {body}");
    }
    // an unknown API route still answers the JSON envelope
    let res = app.anon.get(app.url("/api/v1/nope")).send().await.unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ROUTE_NOT_FOUND");
    // the UI answers only reads
    let res = app.anon.post(app.url("/containers")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // and the real endpoints are untouched
    let res = app.anon.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}
