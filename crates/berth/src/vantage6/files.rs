//! The node configuration files: list (both scopes), read (never the API key), create (as
//! `v6 node new`), edit in place, set the API key (as `v6 node set-api-key`).

use std::path::{Path, PathBuf};

use berth_api::ErrorCode;
use berth_api::vantage6::{
    NodeContainer, NodeCreate, NodeDatabase, NodeDetail, NodeList, NodeRunState, NodeScope,
    NodeSummary, NodeUpdate,
};
use serde_norway::Value;

use super::config::{self, DATABASE_TYPES, FILE_TYPES, LOG_LEVELS, RESERVED_ENV};
use super::container::{no_container, node_containers, status, unknown};
use super::{Dirs, container_name, is_identifier, name_allowed, plan};
use crate::engine::HostHandle;
use crate::error::{AppError, AppResult};

fn not_found(name: &str, scope: NodeScope) -> AppError {
    AppError::new(
        ErrorCode::NodeNotFound,
        format!("no {} node configuration `{name}`", scope.as_str()),
    )
    .with_details(serde_json::json!({ "name": name, "scope": scope.as_str() }))
}

/// Loads an existing file; 404 when there is none.
pub(super) fn open(dirs: &Dirs, name: &str, scope: NodeScope) -> AppResult<(PathBuf, Value)> {
    if !name_allowed(name) {
        return Err(not_found(name, scope));
    }
    let path = dirs.config_file(scope, name);
    if !path.is_file() {
        return Err(not_found(name, scope));
    }
    let doc = config::load(&path)
        .map_err(|e| AppError::validation("file", format!("{}: {e}", path.display())))?;
    Ok((path, doc))
}

/// Every configuration of both scopes (system first, each by name, as `v6 node list`).
pub async fn list(dirs: &Dirs, host: &HostHandle) -> AppResult<NodeList> {
    // An engine that does not answer still lets the files be listed (state `unknown`).
    let containers = node_containers(host).await;
    let engine_down = matches!(&containers, Err(e) if e.code == ErrorCode::DockerUnavailable);
    let containers = if engine_down {
        Default::default()
    } else {
        containers?
    };
    let mut nodes = Vec::new();
    for scope in [NodeScope::System, NodeScope::User] {
        let Ok(entries) = std::fs::read_dir(dirs.node_config_dir(scope)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (valid, error, doc) = match config::load(&path) {
                Ok(doc) => match config::validate(&doc) {
                    Ok(()) => (true, None, Some(doc)),
                    Err(e) => (false, Some(e.message), Some(doc)),
                },
                Err(e) => (false, Some(e), None),
            };
            let cname = container_name(&name, scope);
            nodes.push(NodeSummary {
                server_url: doc
                    .as_ref()
                    .and_then(|d| d.get("server_url"))
                    .and_then(config::py_str),
                databases: doc.as_ref().map(config::databases).unwrap_or_default(),
                container: match containers.get(&cname) {
                    Some(c) => c.clone(),
                    None if engine_down => unknown(&cname),
                    None => no_container(&cname),
                },
                name,
                scope,
                config_file: path.to_string_lossy().into_owned(),
                valid,
                error,
            });
        }
    }
    let running = nodes
        .iter()
        .filter(|n| n.container.state == NodeRunState::Running)
        .count();
    Ok(NodeList {
        total: nodes.len(),
        running,
        stopped: nodes.len() - running,
        nodes,
    })
}

/// One node's configuration (never its API key) and container.
pub async fn read(
    dirs: &Dirs,
    host: &HostHandle,
    name: &str,
    scope: NodeScope,
) -> AppResult<NodeDetail> {
    let (path, doc) = open(dirs, name, scope)?;
    let container = match status(host, name, scope).await {
        Err(e) if e.code == ErrorCode::DockerUnavailable => unknown(&container_name(name, scope)),
        other => other?,
    };
    Ok(detail(dirs, name, scope, &path, &doc, container))
}

fn detail(
    dirs: &Dirs,
    name: &str,
    scope: NodeScope,
    path: &Path,
    doc: &Value,
    container: NodeContainer,
) -> NodeDetail {
    let f = config::fields(doc);
    let (data_dir, log_dir) = plan::folders(dirs, scope, name, doc);
    NodeDetail {
        name: name.to_owned(),
        scope,
        config_file: path.to_string_lossy().into_owned(),
        api_key_set: f.api_key_set,
        server_url: f.server_url,
        port: f.port,
        api_path: f.api_path,
        task_dir: f.task_dir,
        databases: f.databases,
        logging_level: f.logging_level,
        encryption: f.encryption,
        policies: f.policies,
        extra_env: f.extra_env,
        extra_mounts: f.extra_mounts,
        extra_hosts: f.extra_hosts,
        docker_registries: f.docker_registries,
        image: f.image,
        log_dir: log_dir.to_string_lossy().into_owned(),
        data_dir: data_dir.to_string_lossy().into_owned(),
        container,
    }
}

/// Where a relative path was looked for, for an error message (nothing for an absolute one).
fn relative_note(dirs: &Dirs, path: &str) -> String {
    if Path::new(path).is_absolute() {
        String::new()
    } else {
        format!(
            " (a relative path is taken from {}, as from the folder `v6 node start` runs in)",
            dirs.work_dir.display()
        )
    }
}

/// Checks the modelled fields of a create or edit, each error naming its field. Files are looked
/// for as `v6 node start` looks for them: from its working folder ([`Dirs::resolve`]).
#[allow(clippy::too_many_arguments)]
fn check_fields(
    dirs: &Dirs,
    data_dir: &Path,
    server_url: Option<&str>,
    logging_level: Option<&str>,
    databases: Option<&[NodeDatabase]>,
    private_key: Option<&str>,
    extra_env: Option<&std::collections::BTreeMap<String, String>>,
    extra_mounts: Option<&[String]>,
    extra_hosts: Option<&std::collections::BTreeMap<String, String>>,
    image: Option<&str>,
) -> AppResult<()> {
    if let Some(url) = server_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(AppError::validation(
            "server_url",
            "the server URL starts with http:// or https://, e.g. https://cotopaxi.vantage6.ai",
        ));
    }
    if let Some(level) = logging_level
        && !LOG_LEVELS.contains(&level)
    {
        return Err(AppError::validation(
            "logging_level",
            format!("the logging level is one of {}", LOG_LEVELS.join(", ")),
        ));
    }
    let mut db_env = Vec::new();
    for (i, db) in databases.unwrap_or_default().iter().enumerate() {
        let field = |k: &str| format!("databases[{i}].{k}");
        if !is_identifier(&db.label) {
            return Err(AppError::validation(
                field("label"),
                format!(
                    "database label `{}` is not an identifier: use letters, digits and _, not starting with a digit",
                    db.label
                ),
            ));
        }
        if databases
            .unwrap_or_default()
            .iter()
            .take(i)
            .any(|d| d.label == db.label)
        {
            return Err(AppError::validation(
                field("label"),
                format!("database label `{}` is used twice", db.label),
            ));
        }
        if !DATABASE_TYPES.contains(&db.db_type.as_str()) {
            return Err(AppError::validation(
                field("type"),
                format!("the database type is one of {}", DATABASE_TYPES.join(", ")),
            ));
        }
        if db.uri.trim().is_empty() {
            return Err(AppError::validation(
                field("uri"),
                "the database URI is required",
            ));
        }
        let file_type = FILE_TYPES.contains(&db.db_type.as_str());
        if db.read_only && !file_type {
            return Err(AppError::validation(
                field("read_only"),
                "read-only mounts are only for file and folder databases (csv, parquet, excel, folder)",
            ));
        }
        if file_type && !dirs.resolve(Path::new(&db.uri)).exists() {
            return Err(AppError::validation(
                field("uri"),
                format!(
                    "database file `{}` does not exist; a {} database must be a file or folder on this machine{}",
                    db.uri,
                    db.db_type,
                    relative_note(dirs, &db.uri)
                ),
            ));
        }
        db_env.push(format!("{}_DATABASE_URI", db.label.to_uppercase()));
    }
    if let Some(key) = private_key.filter(|k| !k.is_empty())
        && !dirs.resolve(&data_dir.join(key)).is_file()
    {
        return Err(AppError::validation(
            "encryption.private_key",
            format!(
                "private key file `{}` does not exist",
                data_dir.join(key).display()
            ),
        ));
    }
    for key in extra_env
        .map(|m| m.keys().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if !is_identifier(key) {
            return Err(AppError::validation(
                "extra_env",
                format!("environment name `{key}` is not an identifier"),
            ));
        }
        if RESERVED_ENV.contains(&key.as_str()) || db_env.contains(key) {
            return Err(AppError::validation(
                "extra_env",
                format!("`{key}` is set by the node itself and cannot be replaced"),
            ));
        }
    }
    for (i, m) in extra_mounts.unwrap_or_default().iter().enumerate() {
        let parts: Vec<&str> = m.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts[0].is_empty() || !parts[1].starts_with('/') {
            return Err(AppError::validation(
                format!("extra_mounts[{i}]"),
                format!(
                    "mount `{m}` is not SOURCE:TARGET[:MODE] with an absolute target, e.g. /data/extra:/mnt/extra:ro"
                ),
            ));
        }
    }
    for (host, addr) in extra_hosts.into_iter().flatten() {
        if host.is_empty()
            || addr.is_empty()
            || host.contains(':')
            || host.contains(char::is_whitespace)
        {
            return Err(AppError::validation(
                "extra_hosts",
                format!(
                    "extra host `{host}` → `{addr}` needs a host name and an address, e.g. db.local → 10.0.0.5"
                ),
            ));
        }
    }
    if let Some(image) = image
        && image.contains(char::is_whitespace)
    {
        return Err(AppError::validation(
            "image",
            "an image reference has no spaces",
        ));
    }
    Ok(())
}

/// Writes a new configuration file (`v6 node new`); 409 when one of that name exists.
pub async fn create(dirs: &Dirs, host: &HostHandle, req: &NodeCreate) -> AppResult<NodeDetail> {
    if !name_allowed(&req.name) {
        return Err(AppError::validation(
            "name",
            "the name uses only letters, digits, `_`, `.` and `-`",
        ));
    }
    let path = dirs.config_file(req.scope, &req.name);
    if path.exists() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "a {} node named `{}` already exists",
                req.scope.as_str(),
                req.name
            ),
        )
        .with_field("name"));
    }
    if req.api_key.trim().is_empty() {
        return Err(AppError::validation("api_key", "the API key is required"));
    }
    let data_dir = dirs.default_data_dir(req.scope, &req.name);
    check_fields(
        dirs,
        &data_dir,
        Some(&req.server_url),
        req.logging_level.as_deref(),
        Some(&req.databases),
        req.encryption.private_key.as_deref(),
        Some(&req.extra_env),
        Some(&req.extra_mounts),
        Some(&req.extra_hosts),
        req.image.as_deref(),
    )?;
    for (i, r) in req.docker_registries.iter().enumerate() {
        if r.registry.trim().is_empty() {
            return Err(AppError::validation(
                format!("docker_registries[{i}].registry"),
                "the registry host is required",
            ));
        }
    }
    let doc = config::new_document(req, &data_dir.to_string_lossy());
    config::validate(&doc)?;
    config::save(&path, &doc)?;
    read(dirs, host, &req.name, req.scope).await
}

/// Edits a configuration file in place.
pub async fn update(
    dirs: &Dirs,
    host: &HostHandle,
    name: &str,
    scope: NodeScope,
    req: &NodeUpdate,
) -> AppResult<NodeDetail> {
    let (path, mut doc) = open(dirs, name, scope)?;
    let (data_dir, _) = plan::folders(dirs, scope, name, &doc);
    check_fields(
        dirs,
        &data_dir,
        req.server_url.as_deref(),
        req.logging_level.as_deref(),
        req.databases.as_deref(),
        req.encryption
            .as_ref()
            .and_then(|e| e.private_key.as_deref()),
        req.extra_env.as_ref(),
        req.extra_mounts.as_deref(),
        req.extra_hosts.as_ref(),
        req.image.as_deref(),
    )?;
    config::apply_update(&mut doc, req)?;
    config::validate(&doc)?;
    config::save(&path, &doc)?;
    read(dirs, host, name, scope).await
}

/// Replaces the API key (`v6 node set-api-key`).
pub fn set_api_key(dirs: &Dirs, name: &str, scope: NodeScope, key: &str) -> AppResult<()> {
    if key.trim().is_empty() {
        return Err(AppError::validation("api_key", "the API key is required"));
    }
    let (path, mut doc) = open(dirs, name, scope)?;
    config::set_api_key(&mut doc, key)?;
    config::save(&path, &doc)
}
