//! System: engine information and disk usage.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// `GET …/system/info`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct SystemInfo {
    /// The host.
    pub host: String,
    /// The engine's hostname.
    pub name: Option<String>,
    /// Engine version.
    pub server_version: Option<String>,
    /// Highest API version the engine speaks.
    pub api_version: Option<String>,
    /// The API version Berth uses with it.
    pub negotiated_api_version: String,
    /// Operating system.
    pub operating_system: Option<String>,
    /// `linux`, `windows`.
    pub os_type: Option<String>,
    /// CPU architecture.
    pub architecture: Option<String>,
    /// Kernel version.
    pub kernel_version: Option<String>,
    /// CPUs.
    pub cpus: Option<i64>,
    /// Memory in bytes.
    pub memory_bytes: Option<i64>,
    /// All containers.
    pub containers: i64,
    /// Running containers.
    pub containers_running: i64,
    /// Paused containers.
    pub containers_paused: i64,
    /// Stopped containers.
    pub containers_stopped: i64,
    /// Images.
    pub images: i64,
    /// Storage driver.
    pub storage_driver: Option<String>,
    /// Root of the engine's data.
    pub docker_root_dir: Option<String>,
    /// Swarm state: `inactive`, `active`, …
    pub swarm: Option<String>,
    /// Container runtimes, e.g. `runc`, `nvidia`.
    pub runtimes: Vec<String>,
    /// Warnings the engine reports.
    pub warnings: Vec<String>,
}

/// `GET …/system/df`: disk usage by kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct DiskUsage {
    /// Images.
    pub images: DiskUsageItem,
    /// Containers' writable layers.
    pub containers: DiskUsageItem,
    /// Volumes.
    pub volumes: DiskUsageItem,
    /// Build cache.
    pub build_cache: DiskUsageItem,
}

/// One kind's disk usage.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct DiskUsageItem {
    /// How many there are.
    pub count: u64,
    /// How many are in use.
    pub active: u64,
    /// Bytes in all.
    pub size: u64,
    /// Bytes a prune would free.
    pub reclaimable: u64,
}
