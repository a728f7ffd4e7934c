//! Benchmark: N WebSocket subscribers to `/api/v1/events`; each container start must reach all
//! of them fast. Latency is measured from the engine's own event time (nanoseconds) to arrival.
//!
//! Run through `bench/events_fanout.sh` (it starts a release server and makes a key), or by hand:
//! `BERTH_URL=127.0.0.1:8080 BERTH_KEY=berth_… cargo run --release -p berth --example events_fanout -- 500 5`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let subscribers: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let addr = std::env::var("BERTH_URL").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let key = std::env::var("BERTH_KEY").expect("BERTH_KEY");
    let image = std::env::var("BERTH_TEST_IMAGE")
        .unwrap_or_else(|_| "berth-test/busybox:latest".to_owned());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, f64)>();
    for _ in 0..subscribers {
        let mut req = format!("ws://{addr}/api/v1/events?type=container&action=start")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("connect");
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(text) = msg {
                    let now = chrono::Utc::now();
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    if let Some(t) = v["time"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    {
                        let ms = (now - t.with_timezone(&chrono::Utc))
                            .num_microseconds()
                            .unwrap_or(0) as f64
                            / 1000.0;
                        let _ = tx.send((v["name"].as_str().unwrap_or_default().to_owned(), ms));
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let docker = Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let mut latencies = Vec::new();
    for round in 0..rounds {
        let name = format!("berth-bench-fanout-{}-{round}", std::process::id());
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            cmd: Some(vec!["true".to_owned()]),
            host_config: Some(HostConfig {
                network_mode: Some("none".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        };
        docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(name.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .unwrap();
        docker.start_container(&name, None).await.unwrap();
        let mut got = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got < subscribers {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((n, ms))) if n == name => {
                    latencies.push(ms);
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        assert_eq!(
            got, subscribers,
            "round {round}: only {got} of {subscribers} subscribers got the start"
        );
        let _ = docker
            .remove_container(
                &name,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{}",
        serde_json::json!({
            "subscribers": subscribers,
            "starts": rounds,
            "deliveries": latencies.len(),
            "p50_ms": (pct(0.50) * 10.0).round() / 10.0,
            "p99_ms": (pct(0.99) * 10.0).round() / 10.0,
            "max_ms": (latencies[latencies.len() - 1] * 10.0).round() / 10.0,
            "p99_target_ms": 200,
        })
    );
}
