//! What the node routes do: the configuration files (list, read, create, edit, API key, remove)
//! and the node container (start, stop, restart, status, clean), each as the CLI's command of
//! the same name does it, on the `local` engine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::vantage6::{
    NodeCleanResult, NodeContainer, NodeCreate, NodeDatabase, NodeDetail, NodeList, NodeRunState,
    NodeScope, NodeStart, NodeStartResult, NodeStop, NodeSummary, NodeUpdate,
};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListVolumesOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use serde_norway::Value;

use super::config::{self, DATABASE_TYPES, FILE_TYPES, LOG_LEVELS, RESERVED_ENV};
use super::plan::{self, Plan};
use super::{APPNAME, Dirs, container_name, is_identifier, name_allowed, version};
use crate::engine::{HostHandle, Resource};
use crate::error::{AppError, AppResult};

fn not_found(name: &str, scope: NodeScope) -> AppError {
    AppError::new(
        ErrorCode::NodeNotFound,
        format!("no {} node configuration `{name}`", scope.as_str()),
    )
    .with_details(serde_json::json!({ "name": name, "scope": scope.as_str() }))
}

/// Loads an existing file; 404 when there is none.
fn open(dirs: &Dirs, name: &str, scope: NodeScope) -> AppResult<(PathBuf, Value)> {
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

/// What the engine says about every node container (by container name).
async fn node_containers(host: &HostHandle) -> AppResult<HashMap<String, NodeContainer>> {
    let options = ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([(
            "label".to_owned(),
            vec![format!("{APPNAME}-type=node")],
        )])),
        ..Default::default()
    };
    let rows = host
        .call(|d| async move { d.list_containers(Some(options)).await })
        .await
        .map_err(|e| e.into_app(Resource::Engine, ""))?;
    Ok(rows
        .into_iter()
        .filter_map(|c| {
            let name = c.names?.first()?.trim_start_matches('/').to_owned();
            let running = c
                .state
                .is_some_and(|s| s == bollard::models::ContainerSummaryStateEnum::RUNNING);
            Some((
                name.clone(),
                container_facts(&name, c.id, c.image, c.status, running),
            ))
        })
        .collect())
}

fn container_facts(
    name: &str,
    id: Option<String>,
    image: Option<String>,
    status: Option<String>,
    running: bool,
) -> NodeContainer {
    NodeContainer {
        state: if running {
            NodeRunState::Running
        } else {
            NodeRunState::Stopped
        },
        name: name.to_owned(),
        // By name: the same stream address across restarts.
        logs_url: id.as_ref().map(|_| {
            format!(
                "/api/v1/hosts/{}/containers/{name}/logs",
                crate::engine::hosts::LOCAL_HOST
            )
        }),
        id,
        image,
        status,
    }
}

fn no_container(name: &str) -> NodeContainer {
    NodeContainer {
        state: NodeRunState::NoContainer,
        name: name.to_owned(),
        id: None,
        image: None,
        status: None,
        logs_url: None,
    }
}

/// The container of one node (`vantage6-NAME-SCOPE`, matched exactly).
pub async fn status(host: &HostHandle, name: &str, scope: NodeScope) -> AppResult<NodeContainer> {
    let cname = container_name(name, scope);
    let key = cname.clone();
    match host
        .call(|d| async move { d.inspect_container(&key, None).await })
        .await
    {
        Ok(c) => {
            let state = c.state.unwrap_or_default();
            let running = state.running.unwrap_or(false);
            let status = state.status.map(|s| s.to_string());
            Ok(container_facts(
                &cname,
                c.id,
                c.config.and_then(|c| c.image),
                status,
                running,
            ))
        }
        Err(e) if e.status() == Some(404) => Ok(no_container(&cname)),
        Err(e) => Err(e.into_app(Resource::Container, &cname)),
    }
}

/// Every configuration of both scopes (system first, each by name, as `v6 node list`).
pub async fn list(dirs: &Dirs, host: &HostHandle) -> AppResult<NodeList> {
    let containers = node_containers(host).await?;
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
                container: containers
                    .get(&cname)
                    .cloned()
                    .unwrap_or_else(|| no_container(&cname)),
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
    let container = status(host, name, scope).await?;
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

/// Checks the modelled fields of a create or edit, each error naming its field.
#[allow(clippy::too_many_arguments)]
fn check_fields(
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
        if file_type && !Path::new(&db.uri).exists() {
            return Err(AppError::validation(
                field("uri"),
                format!(
                    "database file `{}` does not exist; a {} database must be a file or folder on this machine",
                    db.uri, db.db_type
                ),
            ));
        }
        db_env.push(format!("{}_DATABASE_URI", db.label.to_uppercase()));
    }
    if let Some(key) = private_key.filter(|k| !k.is_empty())
        && !data_dir.join(key).is_file()
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

async fn running(host: &HostHandle, name: &str, scope: NodeScope) -> AppResult<bool> {
    Ok(status(host, name, scope).await?.state == NodeRunState::Running)
}

/// Pulls `image`; on failure uses a local copy, except of the default image (as the CLI).
async fn pull(host: &HostHandle, image: &str, warnings: &mut Vec<String>) -> AppResult<()> {
    let Err(err) = host.pull_image(image, None, |_| {}).await else {
        return Ok(());
    };
    if err.code == ErrorCode::DockerUnavailable {
        return Err(err);
    }
    if image == version::DEFAULT_NODE_IMAGE {
        return Err(AppError::new(
            ErrorCode::ImagePullFailed,
            format!(
                "Failed to pull infrastructure image {image}: {}",
                err.message
            ),
        ));
    }
    if host.inspect_image(image).await.is_ok() {
        warnings.push(format!(
            "Failed to pull infrastructure image {image}! Will use local image..."
        ));
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::ImagePullFailed,
            format!(
                "Failed to pull infrastructure image {image}, and it is not here either: {}",
                err.message
            ),
        ))
    }
}

/// Starts the node as `v6 node start` does. Everything that can be refused is refused before
/// anything is made; folders, volumes and the container come last.
pub async fn start(
    dirs: &Dirs,
    host: &HostHandle,
    name: &str,
    req: &NodeStart,
) -> AppResult<NodeStartResult> {
    let (path, doc) = open(dirs, name, req.scope)?;
    config::validate(&doc)?;
    let plan = plan::plan(dirs, name, req.scope, &path, &doc, req.keep)?;
    if running(host, name, req.scope).await? {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("node `{name}` is already running"),
        ));
    }
    let choice = version::choose(req.image.as_deref(), &doc).await;
    let mut warnings = choice.warnings.clone();
    warnings.extend(plan.warnings.iter().cloned());
    if let Err(mut e) = pull(host, &choice.image, &mut warnings).await {
        // Say how the image was chosen: an unreachable server is the usual cause.
        if !choice.warnings.is_empty() {
            e.message = format!("{} ({})", e.message, choice.warnings.join("; "));
        }
        return Err(e);
    }
    for dir in [&plan.data_dir, &plan.log_dir] {
        std::fs::create_dir_all(dir).map_err(|e| config::io_error(dir, &e))?;
    }
    for volume in &plan.volumes {
        let spec = berth_api::volumes::VolumeCreate {
            name: Some(volume.clone()),
            ..Default::default()
        };
        host.create_volume(&spec).await?;
    }
    // A leftover container of this name (kept, or one that did not start) makes room.
    let cname = plan.container_name.clone();
    if status(host, name, req.scope).await?.state != NodeRunState::NoContainer {
        host.remove_container(&cname, true, false).await?;
    }
    let id = create_container(host, &choice.image, &plan).await?;
    if let Err(e) = host.start_container(&id).await {
        let _ = host.remove_container(&id, true, false).await;
        return Err(e);
    }
    for w in &warnings {
        tracing::warn!(node = name, "{w}");
    }
    let container = status(host, name, req.scope).await?;
    Ok(NodeStartResult {
        image: choice.image,
        container,
        warnings,
    })
}

/// Creates the container exactly as docker-py's `containers.run` asks the engine to.
async fn create_container(host: &HostHandle, image: &str, plan: &Plan) -> AppResult<String> {
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        cmd: Some(plan.cmd.clone()),
        env: Some(plan.env.clone()),
        labels: Some(plan.labels.clone().into_iter().collect()),
        tty: Some(true),
        volumes: Some(plan.volume_targets.clone()),
        host_config: Some(HostConfig {
            binds: Some(plan.binds.clone()),
            auto_remove: Some(plan.auto_remove),
            extra_hosts: plan.extra_hosts.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(plan.container_name.clone()),
        ..Default::default()
    };
    host.call(|d| async move { d.create_container(Some(options), body).await })
        .await
        .map(|c| c.id)
        .map_err(|e| match e.status() {
            Some(404) => e.into_app(Resource::Image, image),
            _ => e.into_app(Resource::Container, &plan.container_name),
        })
}

/// Waits (briefly) until an auto-removed container is gone.
async fn wait_removed(host: &HostHandle, cname: &str) {
    let key = cname.to_owned();
    let _ = host
        .call_within(Duration::from_secs(15), |d| async move {
            let options = WaitContainerOptions {
                condition: "removed".to_owned(),
            };
            let mut s = Box::pin(d.wait_container(&key, Some(options)));
            while let Some(r) = s.next().await {
                match r {
                    Ok(_) => {}
                    // The engine answers 404 when the container is already gone.
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => break,
                    Err(bollard::errors::Error::DockerContainerWaitError { .. }) => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
        .await;
}

/// Stops a running node and removes its four volumes (`v6 node stop`); 409 when it does not run.
/// Answers what could not be removed (a kept container still holds its volumes).
pub async fn stop(host: &HostHandle, name: &str, req: &NodeStop) -> AppResult<Vec<String>> {
    let cname = container_name(name, req.scope);
    let c = status(host, name, req.scope).await?;
    if c.state != NodeRunState::Running {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("node `{name}` is not running"),
        ));
    }
    let auto_removed = {
        let key = cname.clone();
        host.call(|d| async move { d.inspect_container(&key, None).await })
            .await
            .ok()
            .and_then(|c| c.host_config)
            .and_then(|h| h.auto_remove)
            .unwrap_or(false)
    };
    if req.force {
        host.kill_container(&cname, None).await?;
    } else {
        host.stop_container(&cname, None).await?;
    }
    if auto_removed {
        wait_removed(host, &cname).await;
    }
    let mut warnings = Vec::new();
    for volume in plan::volume_names(name, req.scope) {
        if let Err(e) = host.remove_volume(&volume, false).await
            && e.code != ErrorCode::VolumeNotFound
        {
            warnings.push(format!("Could not delete volume {volume}: {}", e.message));
        }
    }
    Ok(warnings)
}

/// Stops and starts a running node again (`v6 node restart`); 409 when it does not run.
pub async fn restart(
    dirs: &Dirs,
    host: &HostHandle,
    name: &str,
    req: &NodeStart,
) -> AppResult<NodeStartResult> {
    open(dirs, name, req.scope)?;
    let mut warnings = stop(
        host,
        name,
        &NodeStop {
            scope: req.scope,
            force: false,
        },
    )
    .await?;
    let mut result = start(dirs, host, name, req).await?;
    warnings.append(&mut result.warnings);
    result.warnings = warnings;
    Ok(result)
}

/// Deletes a node (`v6 node remove`): refused while it runs; then its data and VPN volumes, its
/// VPN configuration, configuration file and log folder go.
pub async fn remove(dirs: &Dirs, host: &HostHandle, name: &str, scope: NodeScope) -> AppResult<()> {
    let (path, doc) = open(dirs, name, scope)?;
    let c = status(host, name, scope).await?;
    match c.state {
        NodeRunState::Running => {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("Node {name} is still running! Please stop the node before deleting it."),
            ));
        }
        // A kept, ended container would hold the volumes.
        NodeRunState::Stopped => host.remove_container(&c.name, true, false).await?,
        NodeRunState::NoContainer => {}
    }
    let [data_volume, vpn_volume, ..] = plan::volume_names(name, scope);
    let volumes = host
        .call(|d| async move { d.list_volumes(None::<ListVolumesOptions>).await })
        .await
        .map_err(|e| e.into_app(Resource::Engine, ""))?
        .volumes
        .unwrap_or_default();
    for v in volumes {
        if v.name.starts_with(&data_volume) || v.name == vpn_volume {
            host.remove_volume(&v.name, false).await?;
        }
    }
    let (data_dir, log_dir) = plan::folders(dirs, scope, name, &doc);
    let vpn_file = data_dir.join("vpn").join("vpn-config.ovpn.conf");
    if vpn_file.is_file() {
        std::fs::remove_file(&vpn_file).map_err(|e| config::io_error(&vpn_file, &e))?;
    }
    std::fs::remove_file(&path).map_err(|e| config::io_error(&path, &e))?;
    if log_dir.is_dir() {
        std::fs::remove_dir_all(&log_dir).map_err(|e| config::io_error(&log_dir, &e))?;
    }
    let extra = dirs.node_config_dir(scope).join(name);
    if extra.is_dir() {
        std::fs::remove_dir_all(&extra).map_err(|e| config::io_error(&extra, &e))?;
    }
    Ok(())
}

/// Removes the temporary volumes of every node (`v6 node clean`: names ending in `tmpvol`).
pub async fn clean(host: &HostHandle) -> AppResult<NodeCleanResult> {
    let volumes = host
        .call(|d| async move { d.list_volumes(None::<ListVolumesOptions>).await })
        .await
        .map_err(|e| e.into_app(Resource::Engine, ""))?
        .volumes
        .unwrap_or_default();
    let mut removed = Vec::new();
    let mut names: Vec<String> = volumes
        .into_iter()
        .map(|v| v.name)
        .filter(|n| n.ends_with("tmpvol"))
        .collect();
    names.sort();
    for name in names {
        if let Err(e) = host.remove_volume(&name, false).await {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "Failed to remove volume '{name}'. Is it still in use? ({})",
                    e.message
                ),
            )
            .with_details(serde_json::json!({ "removed": removed })));
        }
        removed.push(name);
    }
    Ok(NodeCleanResult { removed })
}
