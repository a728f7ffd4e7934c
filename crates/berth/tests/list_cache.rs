//! The per-host container list cache: lists are served from it while the host's events keep it
//! current, changes made through Berth show in the very next list, and changes made behind
//! Berth's back arrive through the events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Containers, TestApp, json, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let (status, rows) = json(
        app.get(&format!("/api/v1/hosts/local/containers?{query}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn state_of(rows: &Value, name: &str) -> String {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Waits until the host's event stream is connected (the cache may serve only then).
async fn wait_connected(app: &TestApp) {
    let host = app.state.engines.get("local").unwrap();
    let started = Instant::now();
    while !host.cache.connected() {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn repeated_lists_are_served_from_the_cache() {
    let app = TestApp::spawn().await;
    wait_connected(&app).await;
    let host = app.state.engines.get("local").unwrap();
    let (hits_before, misses_before) = host.cache.stats();
    let first = names(&app, "all=true").await;
    // Other tests change the engine meanwhile (each change makes the next list read it), so
    // keep listing until enough lists were served from the cache.
    let started = Instant::now();
    while host.cache.stats().0 - hits_before < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "hits/misses: {:?} from {hits_before}/{misses_before}",
            host.cache.stats()
        );
        names(&app, "all=true").await;
    }
    let (hits, misses) = host.cache.stats();
    assert!(misses > misses_before, "the first list read the engine");
    assert!(hits >= hits_before + 5);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let served: u64 = metrics
        .lines()
        .find(|l| l.starts_with("berth_container_lists_total{host=\"local\",source=\"cache\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(served >= hits, "{metrics}");
    // The engine's own answer (a regex name filter is left to it) agrees with the cache's.
    let mut cached = names(&app, "all=true&name=.").await;
    let mut from_cache = first;
    cached.sort();
    from_cache.sort();
    assert!(
        from_cache.iter().filter(|n| cached.contains(n)).count() + 20 >= from_cache.len(),
        "the cache and the engine disagree beyond what other tests change meanwhile"
    );
    app.stop().await;
}

#[tokio::test]
async fn changes_through_berth_show_in_the_very_next_list() {
    let app = TestApp::spawn().await;
    wait_connected(&app).await;
    let guard = Containers::local();
    let label = format!("label={}", guard.label());
    for round in 0..3 {
        let name = unique(&format!("cache-{round}"));
        // Warm the cache so a stale one would show.
        assert!(names(&app, &format!("all=true&{label}")).await.is_empty());
        let (status, created) = json(
            app.post(
                "/api/v1/hosts/local/containers",
                &json!({ "image": common::test_image(), "name": name, "command": ["sleep", "300"],
                         "network": "none", "labels": { "berth.test": guard.run_id } }),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            names(&app, &format!("all=true&{label}")).await,
            vec![name.clone()]
        );
        assert!(names(&app, &label).await.is_empty(), "not running yet");

        let res = app
            .post_empty(&format!("/api/v1/hosts/local/containers/{name}/start"))
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(names(&app, &label).await, vec![name.clone()]);

        let renamed = format!("{name}-r");
        let res = app
            .post(
                &format!("/api/v1/hosts/local/containers/{name}/rename"),
                &json!({ "name": renamed }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_eq!(names(&app, &label).await, vec![renamed.clone()]);

        let res = app
            .post(
                &format!("/api/v1/hosts/local/containers/{renamed}/stop"),
                &json!({ "timeout": 0 }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let (_, rows) = json(
            app.get(&format!("/api/v1/hosts/local/containers?all=true&{label}"))
                .await,
        )
        .await;
        assert_eq!(state_of(&rows, &renamed), "exited", "{rows}");

        let res = app
            .delete(&format!("/api/v1/hosts/local/containers/{renamed}"))
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(names(&app, &format!("all=true&{label}")).await.is_empty());
    }
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn changes_behind_berths_back_arrive_through_the_events() {
    let app = TestApp::spawn().await;
    wait_connected(&app).await;
    let guard = Containers::local();
    let label = format!("all=true&label={}", guard.label());
    assert!(names(&app, &label).await.is_empty());
    let name = unique("cache-ext");
    guard.create(&name, &["sleep", "300"], false).await;
    // The cache is kept for up to 2 s without events; the event must make it visible sooner.
    let started = Instant::now();
    loop {
        if names(&app, &label).await == vec![name.clone()] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "the create event did not refresh the list"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(guard);
    app.stop().await;
}
