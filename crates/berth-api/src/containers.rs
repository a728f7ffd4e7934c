//! Containers: list rows, inspect details, the create spec and lifecycle actions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A container's state, as Docker names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Stopped.
    Exited,
    /// Dead (removal failed).
    Dead,
    /// A state this version of Berth does not know.
    Unknown,
}

impl ContainerState {
    /// Parses Docker's state word; anything unknown becomes `Unknown`.
    pub fn parse(s: &str) -> Self {
        match s {
            "created" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct PortMapping {
    /// The port inside the container.
    pub container_port: u16,
    /// The port on the host, when published.
    pub host_port: Option<u16>,
    /// The host address it is bound to, when published.
    pub host_ip: Option<String>,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// One row of a container list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ContainerSummary {
    /// The host it runs on.
    pub host: String,
    /// Full id.
    pub id: String,
    /// Name, without Docker's leading slash.
    pub name: String,
    /// The image reference it was created from.
    pub image: String,
    /// The image id.
    pub image_id: String,
    /// The command line.
    pub command: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Its state.
    pub state: ContainerState,
    /// Docker's human status, e.g. `Up 5 minutes`.
    pub status: String,
    /// Published and exposed ports.
    pub ports: Vec<PortMapping>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Names of the networks it is attached to.
    pub networks: Vec<String>,
}

/// A mount as inspect reports it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct MountInfo {
    /// `bind`, `volume`, `tmpfs`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Host path or volume name.
    pub source: String,
    /// Path inside the container.
    pub target: String,
    /// Whether it is read-only.
    pub read_only: bool,
}

/// A network attachment as inspect reports it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NetworkAttachment {
    /// Network name.
    pub network: String,
    /// IPv4 address.
    pub ip_address: Option<String>,
    /// Aliases on that network.
    pub aliases: Vec<String>,
    /// MAC address.
    pub mac_address: Option<String>,
}

/// Health-check state, for containers that have one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HealthInfo {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    /// Consecutive failures.
    pub failing_streak: i64,
}

/// `GET /api/v1/hosts/{host}/containers/{id}`: everything a person wants to know of a container.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ContainerDetail {
    /// The host it runs on.
    pub host: String,
    /// Full id.
    pub id: String,
    /// Name, without Docker's leading slash.
    pub name: String,
    /// The image reference it was created from.
    pub image: String,
    /// The image id.
    pub image_id: String,
    /// When it was created.
    pub created: Option<DateTime<Utc>>,
    /// Its state.
    pub state: ContainerState,
    /// Whether it is running.
    pub running: bool,
    /// The exit code of the last run.
    pub exit_code: Option<i64>,
    /// When it last started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it last stopped.
    pub finished_at: Option<DateTime<Utc>>,
    /// Times Docker restarted it.
    pub restart_count: i64,
    /// Whether the kernel killed it for memory.
    pub oom_killed: bool,
    /// Why it could not start, when it could not.
    pub error: Option<String>,
    /// Health-check state.
    pub health: Option<HealthInfo>,
    /// Main process id on the host, when running.
    pub pid: Option<i64>,
    /// Entrypoint.
    pub entrypoint: Vec<String>,
    /// Command.
    pub command: Vec<String>,
    /// Environment as `NAME=value`.
    pub env: Vec<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Working directory.
    pub working_dir: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Hostname.
    pub hostname: Option<String>,
    /// Whether it has a TTY.
    pub tty: bool,
    /// Restart policy name.
    pub restart_policy: String,
    /// Privileged mode.
    pub privileged: bool,
    /// CPU limit in CPUs.
    pub cpus: Option<f64>,
    /// Memory limit in bytes.
    pub memory_bytes: Option<i64>,
    /// GPU requests, when any.
    pub gpus: Option<GpuRequest>,
    /// Ports.
    pub ports: Vec<PortMapping>,
    /// Mounts.
    pub mounts: Vec<MountInfo>,
    /// Network attachments.
    pub networks: Vec<NetworkAttachment>,
    /// The network mode (`bridge`, `host`, `none`, a network name).
    pub network_mode: Option<String>,
    /// Whether Docker removes it when it stops.
    pub auto_remove: bool,
}

/// A port to publish.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PortSpec {
    /// The port inside the container (1–65535).
    pub container_port: u32,
    /// The host port (1–65535); omitted: the engine picks one.
    #[serde(default)]
    pub host_port: Option<u32>,
    /// The host address to bind; omitted: all.
    #[serde(default)]
    pub host_ip: Option<String>,
    /// `tcp` (default), `udp` or `sctp`.
    #[serde(default)]
    pub protocol: Option<String>,
}

/// A mount for a new container.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct MountSpec {
    /// `bind` (a host path) or `volume` (a named volume, created when missing).
    #[serde(rename = "type")]
    pub kind: String,
    /// Host path (absolute) for `bind`, volume name for `volume`.
    pub source: String,
    /// Absolute path inside the container.
    pub target: String,
    /// Mount read-only.
    #[serde(default)]
    pub read_only: bool,
}

/// GPUs to hand to a container: a count (`-1` for all) or device ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct GpuRequest {
    /// How many GPUs; `-1` means all.
    #[serde(default)]
    pub count: Option<i64>,
    /// Specific device ids or UUIDs.
    #[serde(default)]
    pub device_ids: Option<Vec<String>>,
}

/// `POST /api/v1/hosts/{host}/containers`: a validated container spec.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ContainerCreate {
    /// Image reference, e.g. `nginx:1.27` or `registry.example.com/team/app@sha256:…`.
    pub image: String,
    /// Name; Docker picks one when omitted.
    #[serde(default)]
    pub name: Option<String>,
    /// Command, as an argument list.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Entrypoint, as an argument list.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Environment; names must be valid shell identifiers.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Ports to publish.
    #[serde(default)]
    pub ports: Vec<PortSpec>,
    /// Bind and volume mounts.
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    /// `no` (default), `always`, `unless-stopped`, `on-failure` or `on-failure:N`.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// CPU limit, in CPUs (e.g. `1.5`).
    #[serde(default)]
    pub cpus: Option<f64>,
    /// Memory limit in bytes (at least 6 MiB).
    #[serde(default)]
    pub memory_bytes: Option<i64>,
    /// Network to attach to (a name, `bridge`, `host` or `none`).
    #[serde(default)]
    pub network: Option<String>,
    /// GPUs to request.
    #[serde(default)]
    pub gpus: Option<GpuRequest>,
    /// Privileged mode (refused unless the policy allows it).
    #[serde(default)]
    pub privileged: bool,
    /// Allocate a TTY.
    #[serde(default)]
    pub tty: bool,
    /// Keep stdin open.
    #[serde(default)]
    pub stdin_open: bool,
    /// Working directory inside the container.
    #[serde(default)]
    pub working_dir: Option<String>,
    /// User to run as.
    #[serde(default)]
    pub user: Option<String>,
    /// Hostname.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Start it right after creating it.
    #[serde(default)]
    pub start: bool,
}

/// The answer to a create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ContainerCreated {
    /// The host.
    pub host: String,
    /// The new container's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Warnings from the engine.
    pub warnings: Vec<String>,
    /// Whether it was started.
    pub started: bool,
}

/// Optional body of `stop` and `restart`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StopRequest {
    /// Seconds to wait before killing; the container's own default when omitted.
    #[serde(default)]
    pub timeout: Option<i32>,
}

/// Optional body of `kill`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct KillRequest {
    /// Signal name or number; `SIGKILL` when omitted.
    #[serde(default)]
    pub signal: Option<String>,
}

/// Body of `rename`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RenameRequest {
    /// The new name.
    pub name: String,
}

/// `GET …/containers/{id}/top`: the processes inside a container.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ContainerTop {
    /// Column titles (`UID`, `PID`, `CMD`, …).
    pub titles: Vec<String>,
    /// One row per process.
    pub processes: Vec<Vec<String>>,
}

/// One host's part of `GET /api/v1/containers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct HostListStatus {
    /// Host name.
    pub host: String,
    /// Whether its containers are in the list.
    pub online: bool,
    /// Why not, when not.
    pub error: Option<String>,
}

/// `GET /api/v1/containers`: the containers of every host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AllContainers {
    /// Every container of every reachable host, each naming its host.
    pub containers: Vec<ContainerSummary>,
    /// Each host, and whether it answered.
    pub hosts: Vec<HostListStatus>,
}
