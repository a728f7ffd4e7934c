//! Benchmark: N enabled schedules (default 10,000), each firing once a minute at its own second
//! (`S * * * * *`, so about N/60 fire every second), against the real scheduler, database and
//! engine. Reports firing lateness (the run's start minus its due time) p50/p99/max, and the
//! process RSS before the schedules exist and after the measuring window.
//!
//! `bench/schedules.sh [schedules] [seconds]`, or by hand:
//! `cargo run --release -p berth --example schedules_bench -- 10000 70`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use berth_api::containers::ContainerCreate;
use berth_api::schedules::{JobAction, JobSpec, ScheduleCreate};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let window: i64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(70);
    let docker =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned());
    let image = std::env::var("BERTH_TEST_IMAGE")
        .unwrap_or_else(|_| "berth-test/busybox:latest".to_owned());

    let dir = tempfile::tempdir().unwrap();
    let mut config = berth::config::Config::for_tests(dir.path(), &docker);
    config.log_level = "warn".to_owned();
    let shutdown = CancellationToken::new();
    let state = berth::build_state(config, shutdown.clone()).await.unwrap();
    for _ in 0..100 {
        if state
            .engines
            .get("local")
            .map(|h| h.state().status == berth_api::hosts::HostStatus::Online)
            .unwrap_or(false)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let host = state.engines.get("local").unwrap();
    // One running container every schedule starts (an idempotent engine call per firing).
    let target = format!(
        "berth-bench-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    host.create_container(&ContainerCreate {
        image,
        name: Some(target.clone()),
        command: Some(vec!["sleep".to_owned(), "3600".to_owned()]),
        network: Some("none".to_owned()),
        start: true,
        ..Default::default()
    })
    .await
    .unwrap();

    let before = rss_mb();
    let created = std::time::Instant::now();
    for i in 0..count {
        let req = ScheduleCreate {
            name: format!("bench-{i}"),
            job: JobSpec {
                host: "local".to_owned(),
                container: Some(target.clone()),
                action: Some(JobAction::Start),
                ..Default::default()
            },
            cron: Some(format!("{} * * * * *", i % 60)),
            timezone: Some("UTC".to_owned()),
            ..Default::default()
        };
        state.scheduler.create(req, "bench").await.unwrap();
    }
    println!(
        "created {count} schedules in {:.1} s",
        created.elapsed().as_secs_f64()
    );
    // Measure occurrences due after a settling second, for `window` seconds.
    let from = Utc::now() + chrono::Duration::seconds(2);
    let until = from + chrono::Duration::seconds(window);
    tokio::time::sleep(Duration::from_secs(u64::try_from(window).unwrap() + 5)).await;
    let after = rss_mb();

    let runs = state
        .store
        .runs_since(from - chrono::Duration::seconds(5))
        .await
        .unwrap();
    let mut late: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.scheduled_for.map(|due| (due, r.started_at)))
        .filter(|(due, _)| *due >= from && *due < until)
        .map(|(due, started)| (started - due).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect();
    late.sort_by(f64::total_cmp);
    let failed = runs.iter().filter(|r| r.outcome != "succeeded").count();
    let expected = count as i64 * window / 60;
    println!(
        "fired {} runs due in {window} s (expected ~{expected}); not succeeded: {failed}",
        late.len()
    );
    println!(
        "firing lateness: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&late, 0.50),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "process RSS: {before:.1} MB before the schedules, {after:.1} MB after the window (+{:.1} MB)",
        after - before
    );

    shutdown.cancel();
    let _ = host.remove_container(&target, true, true).await;
    state.store.close().await;
}
