//! vantage6 nodes: the official CLI's node configuration files and the containers it starts
//! from them. The API key of a node never appears in any of these types' answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

/// Where a configuration lives, as the CLI's `--user` / `--system` flags choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum NodeScope {
    /// `~/.config/vantage6/node/NAME.yaml` (the CLI's default).
    #[default]
    User,
    /// `/etc/vantage6/node/NAME.yaml`.
    System,
}

impl NodeScope {
    /// `user` or `system`, as in container names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::System => "system",
        }
    }
}

/// `?scope=user|system` on routes that name one node.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `user` (default) or `system`.
    #[serde(default)]
    pub scope: NodeScope,
}

/// Whether the node's container runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NodeRunState {
    /// The container `vantage6-NAME-SCOPE` runs.
    Running,
    /// A container of that name exists but does not run (kept with `keep`).
    Stopped,
    /// No container of that name.
    NoContainer,
    /// The engine does not answer; the configuration is still shown.
    Unknown,
}

/// The node's container as the engine reports it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeContainer {
    /// Running, stopped, or none.
    pub state: NodeRunState,
    /// `vantage6-NAME-SCOPE`, the name the CLI gives it.
    pub name: String,
    /// The engine's id, when a container exists.
    pub id: Option<String>,
    /// The image it runs.
    pub image: Option<String>,
    /// The engine's status line, e.g. `Up 3 minutes`.
    pub status: Option<String>,
    /// The live logs stream of this container (`GET`, WebSocket or SSE), when it exists.
    pub logs_url: Option<String>,
}

/// One database of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeDatabase {
    /// Label: a Python identifier (letters, digits, `_`; not starting with a digit).
    pub label: String,
    /// A file or folder path on this machine (csv, parquet, excel, folder), or a URI.
    pub uri: String,
    /// `csv`, `parquet`, `excel`, `folder`, `sql`, `sparql`, `omop` or `other`.
    #[serde(rename = "type")]
    pub db_type: String,
    /// Mount the file read-only (`mount_mode: ro`; file and folder databases only).
    #[serde(default)]
    pub read_only: bool,
}

/// Encryption settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeEncryption {
    /// Whether the collaboration is encrypted.
    pub enabled: bool,
    /// Path of the private key file (absolute, or relative to the node's data folder).
    #[serde(default)]
    pub private_key: Option<String>,
}

/// What may run on the node (`policies` in the file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodePolicies {
    /// Algorithm images or regular expressions, e.g. `^harbor2\.vantage6\.ai/.*`.
    #[serde(default)]
    pub allowed_algorithms: Vec<String>,
    /// Algorithm store URLs or regular expressions.
    #[serde(default)]
    pub allowed_algorithm_stores: Vec<String>,
    /// Organization ids or names.
    #[serde(default)]
    pub allowed_organizations: Vec<String>,
    /// User ids or names.
    #[serde(default)]
    pub allowed_users: Vec<String>,
    /// Allow an algorithm in either list (true) or only in both (false).
    #[serde(default)]
    pub allow_either_whitelist_or_store: Option<bool>,
}

/// A registry the node logs in to (input: the password is written, never read back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeRegistry {
    /// Registry host, e.g. `harbor2.vantage6.ai`.
    pub registry: String,
    /// User name.
    #[serde(default)]
    pub username: Option<String>,
    /// Password; on an edit, leave it out to keep the stored one of the same registry.
    #[serde(default)]
    pub password: Option<String>,
}

/// A registry as Berth shows it (without the password).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeRegistryInfo {
    /// Registry host.
    pub registry: String,
    /// User name.
    pub username: Option<String>,
    /// Whether a password is stored.
    pub password_set: bool,
}

/// One node in the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeSummary {
    /// Configuration name (the file's stem).
    pub name: String,
    /// User or system.
    pub scope: NodeScope,
    /// The configuration file.
    pub config_file: String,
    /// Whether the CLI would load it; `error` says why not.
    pub valid: bool,
    /// What is wrong with the file, if anything.
    pub error: Option<String>,
    /// The server URL.
    pub server_url: Option<String>,
    /// The databases.
    pub databases: Vec<NodeDatabase>,
    /// The container.
    pub container: NodeContainer,
}

/// `GET /vantage6/nodes`: every configuration of both scopes, and counts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeList {
    /// The nodes, system scope first, then user, each by name (as `v6 node list`).
    pub nodes: Vec<NodeSummary>,
    /// How many.
    pub total: usize,
    /// How many run.
    pub running: usize,
    /// How many do not.
    pub stopped: usize,
}

/// One node's configuration (without the API key) and container.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeDetail {
    /// Configuration name.
    pub name: String,
    /// User or system.
    pub scope: NodeScope,
    /// The configuration file.
    pub config_file: String,
    /// Whether an API key is set (the key itself is never shown).
    pub api_key_set: bool,
    /// Server base URL, e.g. `https://cotopaxi.vantage6.ai`.
    pub server_url: String,
    /// Server port.
    pub port: Option<u16>,
    /// API path, e.g. `/api`.
    pub api_path: String,
    /// Task directory.
    pub task_dir: String,
    /// Databases.
    pub databases: Vec<NodeDatabase>,
    /// `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.
    pub logging_level: String,
    /// Encryption.
    pub encryption: NodeEncryption,
    /// Policies, when set.
    pub policies: Option<NodePolicies>,
    /// Extra environment of the node container.
    pub extra_env: BTreeMap<String, String>,
    /// Extra bind mounts, `SOURCE:TARGET[:MODE]`.
    pub extra_mounts: Vec<String>,
    /// Extra `/etc/hosts` entries, host name → address.
    pub extra_hosts: BTreeMap<String, String>,
    /// Registries the node logs in to.
    pub docker_registries: Vec<NodeRegistryInfo>,
    /// The node image of the file (`images.node`), when set.
    pub image: Option<String>,
    /// Where the node writes its logs on this machine.
    pub log_dir: String,
    /// The node's data folder on this machine.
    pub data_dir: String,
    /// The container.
    pub container: NodeContainer,
}

/// `POST /vantage6/nodes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeCreate {
    /// Configuration name: letters, digits, `_`, `.`, `-`.
    pub name: String,
    /// User (default) or system.
    #[serde(default)]
    pub scope: NodeScope,
    /// API key the server gave this node's organization.
    pub api_key: String,
    /// Server base URL, e.g. `https://cotopaxi.vantage6.ai` (no trailing slash).
    pub server_url: String,
    /// Port; 443 for `https://` URLs and 7601 otherwise when left out (as the CLI's wizard).
    #[serde(default)]
    pub port: Option<u16>,
    /// API path; `/api` when left out.
    #[serde(default)]
    pub api_path: Option<String>,
    /// Task directory; the node's data folder when left out.
    #[serde(default)]
    pub task_dir: Option<String>,
    /// Databases.
    #[serde(default)]
    pub databases: Vec<NodeDatabase>,
    /// Logging level; `INFO` when left out.
    #[serde(default)]
    pub logging_level: Option<String>,
    /// Encryption; disabled when left out.
    #[serde(default)]
    pub encryption: NodeEncryption,
    /// Policies.
    #[serde(default)]
    pub policies: Option<NodePolicies>,
    /// Extra environment of the node container.
    #[serde(default)]
    pub extra_env: BTreeMap<String, String>,
    /// Extra bind mounts, `SOURCE:TARGET[:MODE]`.
    #[serde(default)]
    pub extra_mounts: Vec<String>,
    /// Extra `/etc/hosts` entries.
    #[serde(default)]
    pub extra_hosts: BTreeMap<String, String>,
    /// Registries.
    #[serde(default)]
    pub docker_registries: Vec<NodeRegistry>,
    /// Node image (`images.node`); the server's version decides when left out.
    #[serde(default)]
    pub image: Option<String>,
}

/// `PATCH /vantage6/nodes/{name}`: each field given replaces the file's; keys Berth does not
/// model stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeUpdate {
    /// Server base URL.
    #[serde(default)]
    pub server_url: Option<String>,
    /// Port.
    #[serde(default)]
    pub port: Option<u16>,
    /// API path.
    #[serde(default)]
    pub api_path: Option<String>,
    /// Task directory.
    #[serde(default)]
    pub task_dir: Option<String>,
    /// Databases (the whole list).
    #[serde(default)]
    pub databases: Option<Vec<NodeDatabase>>,
    /// Logging level.
    #[serde(default)]
    pub logging_level: Option<String>,
    /// Encryption.
    #[serde(default)]
    pub encryption: Option<NodeEncryption>,
    /// Policies.
    #[serde(default)]
    pub policies: Option<NodePolicies>,
    /// Extra environment (the whole map).
    #[serde(default)]
    pub extra_env: Option<BTreeMap<String, String>>,
    /// Extra mounts (the whole list).
    #[serde(default)]
    pub extra_mounts: Option<Vec<String>>,
    /// Extra hosts (the whole map).
    #[serde(default)]
    pub extra_hosts: Option<BTreeMap<String, String>>,
    /// Registries (the whole list).
    #[serde(default)]
    pub docker_registries: Option<Vec<NodeRegistry>>,
    /// Node image; an empty string removes it.
    #[serde(default)]
    pub image: Option<String>,
}

/// `PUT /vantage6/nodes/{name}/api-key`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeApiKey {
    /// The new key.
    pub api_key: String,
}

/// `POST /vantage6/nodes/{name}/start` and `…/restart`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeStart {
    /// User (default) or system.
    #[serde(default)]
    pub scope: NodeScope,
    /// Node image (`--image`); else the file's `images.node`, else the server's version.
    #[serde(default)]
    pub image: Option<String>,
    /// Keep the container after it ends (`--keep`); removed automatically otherwise.
    #[serde(default)]
    pub keep: bool,
}

/// `POST /vantage6/nodes/{name}/stop`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NodeStop {
    /// User (default) or system.
    #[serde(default)]
    pub scope: NodeScope,
    /// Kill instead of stopping gently (`--force`).
    #[serde(default)]
    pub force: bool,
}

/// What a start did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeStartResult {
    /// The image the container runs.
    pub image: String,
    /// The container.
    pub container: NodeContainer,
    /// What the CLI would have printed as warnings (a failed pull with a local copy used, a
    /// server version that could not be read, a missing private key file).
    pub warnings: Vec<String>,
}

/// `POST /vantage6/clean`: the temporary volumes removed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeCleanResult {
    /// Names of the volumes removed (those ending in `tmpvol`).
    pub removed: Vec<String>,
}

/// What a stop did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct NodeStopResult {
    /// The container afterwards (gone unless it was kept).
    pub container: NodeContainer,
    /// Volumes that could not be removed, and why.
    pub warnings: Vec<String>,
}
