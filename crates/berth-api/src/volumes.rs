//! Volumes: list, inspect, create, remove, prune.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A volume.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Volume {
    /// Name.
    pub name: String,
    /// Driver, e.g. `local`.
    pub driver: String,
    /// Where the data lives on the host.
    pub mountpoint: String,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Driver options.
    pub options: BTreeMap<String, String>,
    /// `local` or `global`.
    pub scope: String,
}

/// `POST …/volumes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VolumeCreate {
    /// Name; the engine picks one when omitted.
    #[serde(default)]
    pub name: Option<String>,
    /// Driver; `local` when omitted.
    #[serde(default)]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(default)]
    pub driver_opts: BTreeMap<String, String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `POST …/volumes/prune`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VolumePruneRequest {
    /// Also named volumes (engines from API 1.42 prune only anonymous ones by default).
    #[serde(default)]
    pub all: bool,
}
