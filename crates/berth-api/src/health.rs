//! Health endpoints: liveness, readiness and a detailed component report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Health {
    /// `ok`, or `degraded` when a component is down.
    pub status: String,
    /// Berth's version.
    pub version: String,
    /// The server's clock.
    pub time: DateTime<Utc>,
}

/// `GET /health/detailed`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HealthDetailed {
    /// `ok` when every component is up, `degraded` when a Docker host is down, `error` when the database is.
    pub status: String,
    /// Berth's version.
    pub version: String,
    /// The server's clock.
    pub time: DateTime<Utc>,
    /// Seconds since the server started.
    pub uptime_seconds: u64,
    /// The database, then each Docker host.
    pub components: Vec<ComponentHealth>,
}

/// One component of `/health/detailed`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ComponentHealth {
    /// `database` or `docker:{host}`.
    pub name: String,
    /// `up` or `down`.
    pub status: String,
    /// How long the check took, in milliseconds.
    pub response_time_ms: f64,
    /// The engine version, for Docker hosts.
    pub version: Option<String>,
    /// Why it is down.
    pub error: Option<String>,
}
