//! Docker hosts: the engines Berth manages, and what the poller knows of each.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Whether the host's engine answered the last poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum HostStatus {
    /// Not polled yet.
    #[default]
    Unknown,
    /// The engine answered the last poll.
    Online,
    /// The engine did not answer the last poll.
    Offline,
}

/// A Docker host as the API shows it: its settings and its live state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Host {
    /// Unique name; hosts are addressed by it in URLs.
    pub name: String,
    /// Where the engine listens: `unix:///var/run/docker.sock` or `tcp://host:2376`.
    pub url: String,
    /// A CSS colour (`#3b82f6`) shown beside the host in the UI.
    pub color: String,
    /// Free text.
    pub description: Option<String>,
    /// Whether TLS client certificates are configured (the certificates themselves are never returned).
    pub tls: bool,
    /// Live state from the poller.
    pub state: HostState,
    /// When the host was added.
    pub created_at: DateTime<Utc>,
}

/// What the poller last learnt about a host's engine.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HostState {
    /// Online, offline or not yet known.
    pub status: HostStatus,
    /// Last time the engine answered.
    pub last_seen: Option<DateTime<Utc>>,
    /// Last time the poller tried.
    pub last_checked: Option<DateTime<Utc>>,
    /// Why the last poll failed, when it did.
    pub error: Option<String>,
    /// The engine's version, e.g. `20.10.24`.
    pub engine_version: Option<String>,
    /// The highest API version the engine speaks, e.g. `1.41`.
    pub engine_api_version: Option<String>,
    /// The API version Berth negotiated with the engine.
    pub negotiated_api_version: Option<String>,
    /// Operating system and architecture, e.g. `linux/amd64`.
    pub platform: Option<String>,
    /// Running containers.
    pub containers_running: u32,
    /// Stopped (exited, created, dead) containers.
    pub containers_stopped: u32,
    /// Paused containers.
    pub containers_paused: u32,
    /// Images.
    pub images: u32,
    /// CPUs the engine reports.
    pub cpus: Option<u32>,
    /// Memory the engine reports, in bytes.
    pub memory_bytes: Option<u64>,
}

/// TLS client material for a `tcp://` engine, as PEM text. Stored on the server with owner-only
/// permissions and never returned.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HostTls {
    /// The CA certificate that signed the engine's certificate.
    pub ca_cert: String,
    /// The client certificate.
    pub client_cert: String,
    /// The client's private key.
    pub client_key: String,
}

impl std::fmt::Debug for HostTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostTls { .. }")
    }
}

/// `POST /api/v1/hosts`: add a host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HostCreate {
    /// Unique name: lower-case letters, digits, `-`, `_`, `.`; 1–63 characters.
    pub name: String,
    /// `unix:///path/to/docker.sock` or `tcp://host:port`.
    pub url: String,
    /// TLS client certificates, for `tcp://` engines that require them.
    #[serde(default)]
    pub tls: Option<HostTls>,
    /// A CSS hex colour; one is chosen when omitted.
    #[serde(default)]
    pub color: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/hosts/{host}`: change some of a host's settings; omitted fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HostUpdate {
    /// A new unique name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new engine address.
    #[serde(default)]
    pub url: Option<String>,
    /// New TLS client certificates.
    #[serde(default)]
    pub tls: Option<HostTls>,
    /// Drop the TLS client certificates.
    #[serde(default)]
    pub remove_tls: bool,
    /// A new colour.
    #[serde(default)]
    pub color: Option<String>,
    /// A new description; an empty string clears it.
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /api/v1/hosts/test`: try an engine address before adding it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct HostTestRequest {
    /// The address to try.
    pub url: String,
    /// TLS client certificates, if the engine needs them.
    #[serde(default)]
    pub tls: Option<HostTls>,
}

/// The outcome of connecting to an engine.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HostTestResult {
    /// Whether the engine answered.
    pub ok: bool,
    /// Round trip of the version request, in milliseconds.
    pub latency_ms: f64,
    /// The engine's version.
    pub engine_version: Option<String>,
    /// The highest API version the engine speaks.
    pub engine_api_version: Option<String>,
    /// The API version Berth would use.
    pub negotiated_api_version: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}
