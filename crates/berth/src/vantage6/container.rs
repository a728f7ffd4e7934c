//! The node container: status, start (as `v6 node start`), stop, restart, remove (as
//! `v6 node remove`) and clean, on the `local` engine.

use std::collections::HashMap;
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::vantage6::{
    NodeCleanResult, NodeContainer, NodeRunState, NodeScope, NodeStart, NodeStartResult, NodeStop,
};
use bollard::models::{ContainerCreateBody, HostConfig};

use super::files::open;
use super::plan::{self, Plan};
use super::{APPNAME, Dirs, config, container_name, version};
use crate::engine::HostHandle;
use crate::error::{AppError, AppResult};

/// What the engine says about every node container (by container name).
pub(super) async fn node_containers(
    host: &HostHandle,
) -> AppResult<HashMap<String, NodeContainer>> {
    let rows = host
        .containers_labelled(&format!("{APPNAME}-type=node"))
        .await?;
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

/// A node whose engine does not answer.
pub(super) fn unknown(name: &str) -> NodeContainer {
    NodeContainer {
        state: NodeRunState::Unknown,
        ..no_container(name)
    }
}

pub(super) fn no_container(name: &str) -> NodeContainer {
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
    Ok(match host.inspect_raw(&cname).await? {
        Some(c) => {
            let state = c.state.unwrap_or_default();
            container_facts(
                &cname,
                c.id,
                c.config.and_then(|c| c.image),
                state.status.map(|s| s.to_string()),
                state.running.unwrap_or(false),
            )
        }
        None => no_container(&cname),
    })
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
    let _busy = guard(dirs, name, req.scope)?;
    start_unguarded(dirs, host, name, req).await
}

/// One change at a time per node: an advisory lock on its configuration file (released when
/// the answer is sent); a second start, stop or delete meanwhile is answered 409.
fn guard(dirs: &Dirs, name: &str, scope: NodeScope) -> AppResult<Option<std::fs::File>> {
    let path = dirs.config_file(scope, name);
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(None);
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(AppError::new(
            ErrorCode::Conflict,
            format!("node `{name}` is busy with another start, stop or delete; try again"),
        )),
        // A file system without locks: go on unguarded.
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

async fn start_unguarded(
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
    // From here on things are made; a failure takes back what this start made.
    // The CLI makes them from its working folder (`directories.*` may be relative).
    let new_dirs: Vec<std::path::PathBuf> = [&plan.data_dir, &plan.log_dir]
        .into_iter()
        .map(|d| dirs.resolve(d))
        .filter(|d| !d.exists())
        .collect();
    if let Err(e) = make(host, name, req.scope, &choice.image, &plan, &new_dirs).await {
        for volume in &plan.volumes {
            let _ = host.remove_volume(volume, false).await;
        }
        for dir in new_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
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

/// Folders, volumes and the container (a leftover of the same name cleared away first).
async fn make(
    host: &HostHandle,
    name: &str,
    scope: NodeScope,
    image: &str,
    plan: &Plan,
    new_dirs: &[std::path::PathBuf],
) -> AppResult<()> {
    for dir in new_dirs {
        std::fs::create_dir_all(dir).map_err(|e| config::io_error(dir, &e))?;
    }
    for volume in &plan.volumes {
        let spec = berth_api::volumes::VolumeCreate {
            name: Some(volume.clone()),
            ..Default::default()
        };
        host.create_volume(&spec).await?;
    }
    let cname = &plan.container_name;
    if status(host, name, scope).await?.state != NodeRunState::NoContainer {
        host.remove_container(cname, true, false).await?;
    }
    let id = host.create_raw(cname, create_body(image, plan)).await?;
    if let Err(e) = host.start_container(&id).await {
        let _ = host.remove_container(&id, true, false).await;
        return Err(e);
    }
    Ok(())
}

/// The container exactly as docker-py's `containers.run` asks the engine for it.
fn create_body(image: &str, plan: &Plan) -> ContainerCreateBody {
    ContainerCreateBody {
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
    }
}

/// Stops a running node and removes its four volumes (`v6 node stop`); 409 when it does not run.
/// Answers what could not be removed (a kept container still holds its volumes).
pub async fn stop(
    dirs: &Dirs,
    host: &HostHandle,
    name: &str,
    req: &NodeStop,
) -> AppResult<Vec<String>> {
    let _busy = guard(dirs, name, req.scope)?;
    stop_unguarded(host, name, req).await
}

async fn stop_unguarded(host: &HostHandle, name: &str, req: &NodeStop) -> AppResult<Vec<String>> {
    let cname = container_name(name, req.scope);
    let c = status(host, name, req.scope).await?;
    if c.state != NodeRunState::Running {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("node `{name}` is not running"),
        ));
    }
    let auto_removed = host
        .inspect_raw(&cname)
        .await?
        .and_then(|c| c.host_config)
        .and_then(|h| h.auto_remove)
        .unwrap_or(false);
    if req.force {
        host.kill_container(&cname, None).await?;
    } else {
        host.stop_container(&cname, None).await?;
    }
    if auto_removed {
        host.wait_removed(&cname, Duration::from_secs(15)).await;
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
    let _busy = guard(dirs, name, req.scope)?;
    let mut warnings = stop_unguarded(
        host,
        name,
        &NodeStop {
            scope: req.scope,
            force: false,
        },
    )
    .await?;
    let mut result = start_unguarded(dirs, host, name, req).await?;
    warnings.append(&mut result.warnings);
    result.warnings = warnings;
    Ok(result)
}

/// Deletes a node (`v6 node remove`): refused while it runs; then its data and VPN volumes, its
/// VPN configuration, configuration file and log folder go.
pub async fn remove(dirs: &Dirs, host: &HostHandle, name: &str, scope: NodeScope) -> AppResult<()> {
    let (path, doc) = open(dirs, name, scope)?;
    let _busy = guard(dirs, name, scope)?;
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
        NodeRunState::NoContainer | NodeRunState::Unknown => {}
    }
    let [data_volume, vpn_volume, ..] = plan::volume_names(name, scope);
    for v in host.volume_names().await? {
        if v.starts_with(&data_volume) || v == vpn_volume {
            host.remove_volume(&v, false).await?;
        }
    }
    let (data_dir, log_dir) = plan::folders(dirs, scope, name, &doc);
    let (data_dir, log_dir) = (dirs.resolve(&data_dir), dirs.resolve(&log_dir));
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
    let mut removed = Vec::new();
    let mut names: Vec<String> = host
        .volume_names()
        .await?
        .into_iter()
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
