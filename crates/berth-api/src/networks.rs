//! Networks: list, inspect, create, remove, connect, disconnect, prune.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A network.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Network {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Driver, e.g. `bridge`.
    pub driver: String,
    /// `local` or `swarm`.
    pub scope: String,
    /// Reachable from outside only through published ports.
    pub internal: bool,
    /// Standalone containers may attach (swarm networks).
    pub attachable: bool,
    /// IPv6 enabled.
    pub ipv6: bool,
    /// When it was created.
    pub created: Option<DateTime<Utc>>,
    /// Subnets.
    pub subnets: Vec<IpamSubnet>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Attached containers (filled by inspect; empty in lists).
    pub containers: Vec<NetworkContainer>,
}

/// A subnet of a network.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct IpamSubnet {
    /// CIDR.
    pub subnet: Option<String>,
    /// Gateway.
    pub gateway: Option<String>,
}

/// A container attached to a network.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NetworkContainer {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
    /// IPv4 address with prefix.
    pub ipv4_address: Option<String>,
}

/// `POST …/networks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NetworkCreate {
    /// Name.
    pub name: String,
    /// Driver; `bridge` when omitted.
    #[serde(default)]
    pub driver: Option<String>,
    /// No outside access.
    #[serde(default)]
    pub internal: bool,
    /// Standalone containers may attach.
    #[serde(default)]
    pub attachable: bool,
    /// Enable IPv6.
    #[serde(default)]
    pub ipv6: bool,
    /// Subnet in CIDR notation.
    #[serde(default)]
    pub subnet: Option<String>,
    /// Gateway address.
    #[serde(default)]
    pub gateway: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `POST …/networks/{network}/connect`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NetworkConnect {
    /// Container id or name.
    pub container: String,
    /// Aliases on this network.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A fixed IPv4 address.
    #[serde(default)]
    pub ipv4_address: Option<String>,
}

/// `POST …/networks/{network}/disconnect`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NetworkDisconnect {
    /// Container id or name.
    pub container: String,
    /// Disconnect even if the container is not running cleanly.
    #[serde(default)]
    pub force: bool,
}
