//! `GET /metrics`: the server's gauges in the Prometheus text format.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use berth_api::hosts::HostStatus;

use crate::state::AppState;

/// Gauges for Prometheus (text format 0.0.4): shared stats streams and their viewers, event
/// subscribers, hosts by status, build, resident memory. Scrapers authenticate with an API key.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let (mut online, mut offline, mut unknown) = (0, 0, 0);
    for host in state.engines.all() {
        match host.state().status {
            HostStatus::Online => online += 1,
            HostStatus::Offline => offline += 1,
            HostStatus::Unknown => unknown += 1,
        }
    }
    let streams = &state.streams;
    let mut out = String::with_capacity(1024);
    let mut gauge = |name: &str, help: &str, samples: &[(&str, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    gauge(
        "berth_stats_upstreams",
        "Engine stats streams open (one per watched container).",
        &[("", streams.stats.upstreams() as f64)],
    );
    gauge(
        "berth_stats_viewers",
        "Clients watching container stats.",
        &[("", streams.stats.viewers() as f64)],
    );
    gauge(
        "berth_event_subscribers",
        "Clients subscribed to Docker events.",
        &[("", streams.events.subscribers() as f64)],
    );
    gauge(
        "berth_hosts",
        "Docker hosts by status.",
        &[
            ("{status=\"online\"}", f64::from(online)),
            ("{status=\"offline\"}", f64::from(offline)),
            ("{status=\"unknown\"}", f64::from(unknown)),
        ],
    );
    let (sent, failed, dropped) = state.notifier.counts();
    gauge(
        "berth_notifications",
        "Notifications since start: sent, failed after their retries, dropped (queue full).",
        &[
            ("{outcome=\"sent\"}", sent as f64),
            ("{outcome=\"failed\"}", failed as f64),
            ("{outcome=\"dropped\"}", dropped as f64),
        ],
    );
    let build = format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    gauge("berth_build_info", "Berth's version.", &[(&build, 1.0)]);
    if let Some(rss) = resident_bytes() {
        gauge(
            "process_resident_memory_bytes",
            "Resident memory of the Berth process.",
            &[("", rss as f64)],
        );
    }
    let _ = writeln!(
        out,
        "# HELP berth_container_lists_total Container lists per host, served from the event-fed cache or read from the engine.\n# TYPE berth_container_lists_total counter"
    );
    for host in state.engines.all() {
        let (hits, misses) = host.cache.stats();
        let name = host.name().replace(['\\', '"'], "");
        let _ = writeln!(
            out,
            "berth_container_lists_total{{host=\"{name}\",source=\"cache\"}} {hits}\nberth_container_lists_total{{host=\"{name}\",source=\"engine\"}} {misses}"
        );
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response()
}

/// `VmRSS` of this process, from `/proc/self/status` (Linux).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
