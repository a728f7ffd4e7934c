//! Images: list, inspect, history, pull, build, push, tag, remove, prune.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// One row of an image list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImageSummary {
    /// Image id (`sha256:…`).
    pub id: String,
    /// Tags, e.g. `nginx:1.27`.
    pub repo_tags: Vec<String>,
    /// Digests, e.g. `nginx@sha256:…`.
    pub repo_digests: Vec<String>,
    /// When it was built.
    pub created: DateTime<Utc>,
    /// Size in bytes.
    pub size: i64,
    /// Containers using it (`-1` when the engine did not count).
    pub containers: i64,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Untagged and unused by other images.
    pub dangling: bool,
}

/// `GET …/images/{image}`: an image's details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImageDetail {
    /// Image id.
    pub id: String,
    /// Tags.
    pub repo_tags: Vec<String>,
    /// Digests.
    pub repo_digests: Vec<String>,
    /// When it was built.
    pub created: Option<DateTime<Utc>>,
    /// Size in bytes.
    pub size: i64,
    /// CPU architecture.
    pub architecture: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Default command.
    pub command: Vec<String>,
    /// Default entrypoint.
    pub entrypoint: Vec<String>,
    /// Default environment.
    pub env: Vec<String>,
    /// Exposed ports, e.g. `80/tcp`.
    pub exposed_ports: Vec<String>,
    /// Declared volumes.
    pub volumes: Vec<String>,
    /// Default working directory.
    pub working_dir: Option<String>,
    /// Default user.
    pub user: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Layer digests.
    pub layers: Vec<String>,
}

/// One layer of `GET …/images/{image}/history`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImageHistoryEntry {
    /// Layer image id, or `<missing>`.
    pub id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// The build instruction.
    pub created_by: String,
    /// Tags of this layer's image.
    pub tags: Vec<String>,
    /// Size in bytes.
    pub size: i64,
    /// Comment.
    pub comment: String,
}

/// `POST …/images/pull`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImagePullRequest {
    /// Image reference, e.g. `nginx:1.27`; `:latest` when no tag is given.
    pub image: String,
    /// Platform, e.g. `linux/arm64`.
    #[serde(default)]
    pub platform: Option<String>,
    /// Answer at once (202) with a task to follow at `/api/v1/tasks/{id}` instead of waiting.
    #[serde(default)]
    pub background: bool,
}

/// The outcome of a pull, aggregated from the engine's progress messages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImagePullResult {
    /// The reference pulled.
    pub image: String,
    /// The image id now behind the reference.
    pub id: Option<String>,
    /// The digest the registry reported.
    pub digest: Option<String>,
    /// Whether the pull changed what the reference points to.
    pub updated: bool,
    /// The engine's last status line, e.g. `Status: Image is up to date for …`.
    pub status: String,
    /// Layers the engine reported.
    pub layers: u32,
    /// Layers downloaded (the rest already existed).
    pub layers_downloaded: u32,
    /// Bytes downloaded, as the engine reported them.
    pub bytes_downloaded: u64,
}

/// `POST …/images/{image}/tag`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImageTagRequest {
    /// Repository, e.g. `registry.example.com/team/app`.
    pub repo: String,
    /// Tag; `latest` when omitted.
    #[serde(default)]
    pub tag: Option<String>,
}

/// `POST …/images/prune`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImagePruneRequest {
    /// Remove every image no container uses, not only dangling ones.
    #[serde(default)]
    pub all: bool,
}

/// What a prune removed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct PruneResult {
    /// Ids or names of what was removed.
    pub deleted: Vec<String>,
    /// Bytes freed.
    pub space_reclaimed: u64,
}

/// What removing an image did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImageRemoveResult {
    /// Tags removed.
    pub untagged: Vec<String>,
    /// Layers deleted.
    pub deleted: Vec<String>,
}

/// `POST …/images/build` with `Content-Type: application/json`: a build from one Dockerfile and
/// no other context files (the web UI's form). A build with files sends a tar archive instead,
/// with the options as query parameters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImageBuildRequest {
    /// The Dockerfile's text.
    pub dockerfile: String,
    /// Tags for the result, e.g. `registry.example.com/team/app:1.0`; at least one.
    pub tags: Vec<String>,
    /// Build arguments (`ARG`); not for secrets, the engine keeps them in the image history.
    #[serde(default)]
    pub build_args: BTreeMap<String, String>,
    /// Build every step again instead of reusing cached layers.
    #[serde(default)]
    pub nocache: bool,
    /// Pull newer versions of the base images first.
    #[serde(default)]
    pub pull: bool,
}

/// The outcome of a build (a build task's `result`, also when it failed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImageBuildResult {
    /// The image id (`sha256:…`); `null` when the build failed.
    pub id: Option<String>,
    /// The tags asked for (all applied when the build succeeded).
    pub tags: Vec<String>,
    /// The engine's build output, one line each (the last lines when there were very many).
    pub log: Vec<String>,
}

/// Credentials for a registry. The password is only passed to the engine: never stored, logged,
/// audited or answered.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RegistryAuth {
    /// User name.
    pub username: String,
    /// Password or access token.
    pub password: String,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `POST …/images/{image}/push`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImagePushRequest {
    /// The tag to push when the image reference in the path has none; `latest` when neither has.
    #[serde(default)]
    pub tag: Option<String>,
    /// Credentials when the registry needs them.
    #[serde(default)]
    pub auth: Option<RegistryAuth>,
}

/// The outcome of a push (a push task's `result`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ImagePushResult {
    /// The reference pushed, e.g. `127.0.0.1:5000/team/app:1.0`.
    pub image: String,
    /// The digest the registry reported.
    pub digest: Option<String>,
    /// Layers sent (the rest the registry already had).
    pub layers_pushed: u32,
    /// Layers the registry already had (in this repository or, mounted, in another).
    pub layers_existing: u32,
    /// The engine's last status line.
    pub status: String,
}
