//! Safe container updates: pull the container's image and, when it changed, recreate the
//! container with its whole configuration, rolling back to the old one if the new one fails.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// How an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum UpdateStatus {
    /// The image did not change: nothing was recreated.
    UpToDate,
    /// The container now runs the new image; the old container is gone.
    Updated,
    /// The new container failed (start error, exit, unhealthy); the old one was restored.
    RolledBack,
}

/// The outcome of `POST …/containers/{id}/update` (also the result of its task).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct UpdateOutcome {
    /// The host.
    pub host: String,
    /// The container's name (kept across the update).
    pub name: String,
    /// How it ended.
    pub status: UpdateStatus,
    /// Whether the container now runs a new image.
    pub updated: bool,
    /// Whether a failed new container was replaced by the old one again.
    pub rolled_back: bool,
    /// The image reference the container is configured with (what was pulled).
    pub image: String,
    /// The image id the container ran before.
    pub old_image_id: String,
    /// The image id the reference points at now.
    pub new_image_id: String,
    /// The container's id before the update.
    pub old_container_id: String,
    /// The container's id afterwards (the old id when nothing changed or after a rollback).
    pub container_id: String,
    /// Whether the container runs afterwards.
    pub running: bool,
    /// What happened, for people; after a rollback, why the new container failed.
    pub message: String,
    /// Things that went wrong without stopping the update (e.g. the old container could not be
    /// removed), and warnings from the engine.
    pub warnings: Vec<String>,
    /// When the update started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// Optional body of `POST …/containers/{id}/update`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateRequest {
    /// Seconds the new container must keep running (and be healthy, where it has a health
    /// check) before the old one is removed; 0–600, default 10.
    #[serde(default)]
    pub settle_seconds: Option<u32>,
    /// Pull the image first (default true); `false` recreates from the image the reference
    /// already names on the host (e.g. one built there).
    #[serde(default)]
    pub pull: Option<bool>,
    /// Seconds the old container gets to stop before it is killed (0–3600); its own stop
    /// timeout when omitted.
    #[serde(default)]
    pub stop_timeout: Option<i32>,
}

/// `POST …/containers/{id}/update/check`: whether a newer image exists (it is pulled, the
/// container is left alone).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct UpdateCheck {
    /// The host.
    pub host: String,
    /// The container's name.
    pub name: String,
    /// The container's id.
    pub container_id: String,
    /// The image reference the container is configured with.
    pub image: String,
    /// The image id the container runs.
    pub current_image_id: String,
    /// The image id the reference points at after the pull.
    pub latest_image_id: String,
    /// Whether an update would recreate the container.
    pub update_available: bool,
    /// When it was checked.
    pub checked_at: DateTime<Utc>,
}
