//! Live streams: Docker events fanned out from one subscription per host, container logs, exec
//! terminals, stats shared per container, and task progress; over WebSocket, and for logs and
//! events also as Server-Sent Events. Every stream is bounded: a slow client is told it lagged
//! or is dropped, never buffered without limit.

pub mod events;
pub mod exec;
pub mod logs;
pub mod stats;
pub mod tasks;
pub mod tickets;

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, UPGRADE};
use berth_api::ErrorCode;
use berth_api::streams::StreamError;

/// The stream hubs of a server.
pub struct Streams {
    /// Docker events of every host.
    pub events: events::EventHub,
    /// Single-use WebSocket tickets.
    pub tickets: tickets::Tickets,
    /// Long jobs and their progress.
    pub tasks: tasks::TaskManager,
    /// Container stats, one engine stream per watched container.
    pub stats: stats::StatsHub,
    /// Hosts going offline or coming back, from the pollers.
    pub host_status: tokio::sync::broadcast::Sender<HostStatusChange>,
}

/// A host went offline or came back (a change between two known states).
#[derive(Debug, Clone)]
pub struct HostStatusChange {
    /// The host.
    pub host: String,
    /// Whether it is online now.
    pub online: bool,
    /// Why it is offline.
    pub error: Option<String>,
}

impl Streams {
    /// Empty hubs.
    pub fn new() -> Self {
        Self {
            events: events::EventHub::new(),
            tickets: tickets::Tickets::default(),
            tasks: tasks::TaskManager::default(),
            stats: stats::StatsHub::new(),
            host_status: tokio::sync::broadcast::channel(256).0,
        }
    }
}

impl Default for Streams {
    fn default() -> Self {
        Self::new()
    }
}

/// A stream error message as JSON text.
pub fn error_message(
    code: ErrorCode,
    message: impl Into<String>,
    reconnect: bool,
    fatal: bool,
) -> String {
    serde_json::to_string(&StreamError {
        kind: "error".to_owned(),
        code: code.as_str().to_owned(),
        message: message.into(),
        reconnect,
        fatal,
        timestamp: chrono::Utc::now(),
    })
    .unwrap_or_default()
}

/// Whether the client asked for Server-Sent Events.
pub fn wants_sse(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// Whether the request is a WebSocket upgrade.
pub fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Headers that keep proxies from buffering an event stream.
pub const SSE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-cache"), ("x-accel-buffering", "no")];
