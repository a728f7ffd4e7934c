//! Live streams (WebSocket and Server-Sent Events): logs, exec, stats, events, task progress.
//! Every stream message is a JSON object with a `type`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A stream's error message. After a `fatal` one the server closes the stream; `reconnect`
/// says whether trying again later may work.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StreamError {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// An error code (the same codes as the REST envelope).
    pub code: String,
    /// For people.
    pub message: String,
    /// Trying again later may work.
    pub reconnect: bool,
    /// The stream ends now.
    pub fatal: bool,
    /// When.
    pub timestamp: DateTime<Utc>,
}

/// Which output a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum LogStream {
    /// Standard output (also everything of a TTY container).
    Stdout,
    /// Standard error.
    Stderr,
}

/// One log line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct LogLine {
    /// Always `line`.
    #[serde(rename = "type")]
    pub kind: String,
    /// stdout or stderr.
    pub stream: LogStream,
    /// The engine's timestamp of the line.
    pub time: Option<DateTime<Utc>>,
    /// The text, without the trailing newline.
    pub line: String,
}

/// The end of a log stream: `{"type":"end","reason":"container stopped"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StreamEnd {
    /// Always `end`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why it ended.
    pub reason: String,
}

/// Sent to a client too slow to keep up: messages were dropped.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StreamLagged {
    /// Always `lagged`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many messages were dropped.
    pub dropped: u64,
}

/// One Docker event, naming its host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct DockerEvent {
    /// Always `event`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The host it happened on.
    pub host: String,
    /// Object type: container, image, volume, network, …
    pub object: String,
    /// What happened: start, die, pull, …
    pub action: String,
    /// The object's id.
    pub id: String,
    /// The object's name, when it has one.
    pub name: Option<String>,
    /// The engine's attributes (image, exit code, labels, …).
    pub attributes: BTreeMap<String, String>,
    /// When.
    pub time: DateTime<Utc>,
}

/// One stats sample of a container (one a second).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct StatsSample {
    /// Always `stats`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the engine read it.
    pub time: Option<DateTime<Utc>>,
    /// CPU use in percent of one CPU (200 = two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: f64,
    /// Online CPUs.
    pub cpus: u32,
    /// Memory used in bytes (page cache excluded, as the Docker CLI computes it).
    pub memory_used: u64,
    /// Memory limit in bytes.
    pub memory_limit: u64,
    /// Used over limit, in percent.
    pub memory_percent: f64,
    /// Bytes received, all interfaces.
    pub net_rx_bytes: u64,
    /// Bytes sent, all interfaces.
    pub net_tx_bytes: u64,
    /// Receive rate, bytes per second.
    pub net_rx_rate: f64,
    /// Send rate, bytes per second.
    pub net_tx_rate: f64,
    /// Bytes read from block devices.
    pub blk_read_bytes: u64,
    /// Bytes written to block devices.
    pub blk_write_bytes: u64,
    /// Read rate, bytes per second.
    pub blk_read_rate: f64,
    /// Write rate, bytes per second.
    pub blk_write_rate: f64,
    /// Processes and threads.
    pub pids: u64,
}

/// Control messages a terminal client sends as text frames (raw keystrokes go as binary).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "type", rename_all = "lowercase")]
#[ts(export)]
pub enum ExecClientMessage {
    /// Text to type.
    Input {
        /// The characters.
        data: String,
    },
    /// The terminal's new size.
    Resize {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
}

/// The process of an exec session ended.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ExecExit {
    /// Always `exit`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its exit code.
    pub code: Option<i64>,
}

/// `POST /api/v1/auth/ws-ticket`: a short-lived single-use ticket for one stream URL (`?ticket=`),
/// for clients that cannot send cookies or headers on a WebSocket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct WsTicket {
    /// The ticket.
    pub ticket: String,
    /// When it stops working (30 s).
    pub expires_at: DateTime<Utc>,
}

/// State of a long job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum TaskStatus {
    /// Waiting to start.
    Pending,
    /// Working.
    Running,
    /// Done.
    Succeeded,
    /// Failed; `error` says why.
    Failed,
}

/// A long job (an image pull, …) and its progress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Task {
    /// Always `task` on streams.
    #[serde(rename = "type")]
    pub kind: String,
    /// Id.
    pub id: String,
    /// What it does, e.g. `image.pull`.
    pub action: String,
    /// The host.
    pub host: Option<String>,
    /// What it works on, e.g. the image reference.
    pub target: String,
    /// Who started it.
    pub username: Option<String>,
    /// Status.
    pub status: TaskStatus,
    /// Done so far (bytes for pulls).
    pub current: u64,
    /// Total to do, when known.
    pub total: u64,
    /// current over total, 0–100, when known.
    pub percent: Option<f64>,
    /// The latest status line.
    pub message: String,
    /// The outcome, when done.
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A log search hit with its context.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct LogMatch {
    /// Line number in the searched range, from 1.
    pub line_number: u64,
    /// The matching line.
    pub line: LogLine,
    /// Lines before it.
    pub before: Vec<LogLine>,
    /// Lines after it.
    pub after: Vec<LogLine>,
}

/// `GET …/logs/search`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct LogSearchResult {
    /// Matches, oldest first.
    pub matches: Vec<LogMatch>,
    /// Lines searched.
    pub lines_searched: u64,
    /// Whether the result limit cut the matches short.
    pub truncated: bool,
}
