//! Safe updates (what Watchtower does, with the rollback it lacks): pull a container's image and,
//! when it changed, recreate the container under the same name with its whole configuration,
//! dropping only what was the old image's default so the new image's defaults apply.
//!
//! The old container is renamed (`NAME-berth-old-<id>`) and stopped, not removed, until the new
//! one has run (and, where it has a health check, been healthy) for a settling time; if the new
//! one fails to be created, to start, exits, restarts or turns unhealthy, it is removed and the
//! old one gets its name back and is started again if it was running.
//!
//! Two updates of one container at once cannot both go through: the second one's rename of the
//! old container fails on the engine before it changes anything.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_api::ErrorCode;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointSettings, HealthStatusEnum, HostConfig,
    ImageConfig, NetworkConnectRequest, NetworkingConfig,
};
use bollard::query_parameters::CreateContainerOptions;
use chrono::Utc;

pub use berth_api::updates::{UpdateCheck, UpdateOutcome, UpdateStatus};

use super::{HostHandle, Resource};
use crate::error::AppError;
use crate::streams::tasks::TaskHandle;

/// How an update runs.
#[derive(Clone)]
pub struct UpdateOptions {
    /// How long the new container must keep running before the old one is removed.
    pub settle: Duration,
    /// Pull the image first; without it the reference's current local image is used.
    pub pull: bool,
    /// How much longer than `settle` a health check may stay `starting` before the new
    /// container counts as failed.
    pub health_timeout: Duration,
    /// Seconds the old container gets to stop (its own stop timeout when `None`).
    pub stop_timeout: Option<i32>,
    /// A task that shows the steps as they happen (API callers follow it).
    pub progress: Option<Arc<TaskHandle>>,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            settle: Duration::from_secs(10),
            pull: true,
            health_timeout: Duration::from_secs(120),
            stop_timeout: None,
            progress: None,
        }
    }
}

impl std::fmt::Debug for UpdateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateOptions")
            .field("settle", &self.settle)
            .field("pull", &self.pull)
            .field("health_timeout", &self.health_timeout)
            .field("stop_timeout", &self.stop_timeout)
            .finish_non_exhaustive()
    }
}

/// The steps a task shows (`current` of `total`).
const STEPS: u64 = 6;

/// How often a settling container is looked at.
const SETTLE_POLL: Duration = Duration::from_millis(250);

fn step(opts: &UpdateOptions, n: u64, message: &str) {
    if let Some(task) = &opts.progress {
        task.progress(n, STEPS, message);
    }
    tracing::debug!(step = n, "{message}");
}

/// What the container runs and is configured with, read once at the start.
struct Current {
    inspect: ContainerInspectResponse,
    id: String,
    name: String,
    reference: String,
    image_id: String,
}

async fn current(host: &HostHandle, container: &str) -> Result<Current, AppError> {
    let inspect = host.inspect_container_raw(container).await?;
    let id = inspect.id.clone().unwrap_or_default();
    let name = inspect
        .name
        .clone()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    let image_id = inspect.image.clone().unwrap_or_default();
    let reference = inspect
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    // An id, full or short (`docker run 3f2a…`), as opposed to a name that happens to be hex.
    let bare = reference.trim_start_matches("sha256:");
    let is_id = reference.starts_with("sha256:")
        || (bare.len() >= 12
            && bare.chars().all(|c| c.is_ascii_hexdigit())
            && image_id.trim_start_matches("sha256:").starts_with(bare));
    if reference.is_empty() || is_id {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "container `{name}` was created from an image id, not a reference: there is nothing to pull"
            ),
        )
        .with_details(serde_json::json!({ "id": container })));
    }
    Ok(Current {
        inspect,
        id,
        name,
        reference,
        image_id,
    })
}

/// Pulls (when asked) and answers the id the reference names now.
async fn latest_image_id(
    host: &HostHandle,
    reference: &str,
    pull: bool,
    opts: Option<&UpdateOptions>,
) -> Result<String, AppError> {
    if pull {
        host.pull_image(reference, None, |msg| {
            if let (Some(opts), Some(status)) = (opts, &msg.status) {
                step(opts, 2, &format!("pulling {reference}: {status}"));
            }
        })
        .await?;
    }
    let key = reference.to_owned();
    let image = host
        .call(|d| async move { d.inspect_image(&key).await })
        .await
        .map_err(|e| e.into_app(Resource::Image, reference))?;
    Ok(image.id.unwrap_or_default())
}

/// Pulls the container's image without touching the container, and says whether an update
/// would recreate it.
pub async fn check_update(
    host: &HostHandle,
    container: &str,
    pull: bool,
) -> Result<UpdateCheck, AppError> {
    let cur = current(host, container).await?;
    let latest = latest_image_id(host, &cur.reference, pull, None).await?;
    Ok(UpdateCheck {
        host: host.name().to_owned(),
        name: cur.name,
        container_id: cur.id,
        image: cur.reference,
        update_available: latest != cur.image_id,
        current_image_id: cur.image_id,
        latest_image_id: latest,
        checked_at: Utc::now(),
    })
}

/// Updates one container (see the module docs). A failed new container is not an error: the
/// outcome says `rolled_back`. Errors are failures before anything changed (unknown container,
/// pull failure, an image-id container) or ones the rollback could not repair.
pub async fn update_container(
    host: &HostHandle,
    container: &str,
    opts: UpdateOptions,
) -> Result<UpdateOutcome, AppError> {
    let started_at = Utc::now();
    step(&opts, 1, "inspecting the container");
    let cur = current(host, container).await?;
    let hc = cur.inspect.host_config.clone().unwrap_or_default();
    if hc.auto_remove.unwrap_or(false) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "container `{}` is removed when it stops (auto-remove), so it cannot be kept for a rollback",
                cur.name
            ),
        )
        .with_details(serde_json::json!({ "id": container })));
    }
    step(&opts, 2, &format!("pulling {}", cur.reference));
    let new_image_id = latest_image_id(host, &cur.reference, opts.pull, Some(&opts)).await?;
    let state = cur.inspect.state.clone().unwrap_or_default();
    let was_running = state.running.unwrap_or(false);
    let mut outcome = UpdateOutcome {
        host: host.name().to_owned(),
        name: cur.name.clone(),
        status: UpdateStatus::UpToDate,
        updated: false,
        rolled_back: false,
        image: cur.reference.clone(),
        old_image_id: cur.image_id.clone(),
        new_image_id: new_image_id.clone(),
        old_container_id: cur.id.clone(),
        container_id: cur.id.clone(),
        running: was_running,
        message: format!("{} is up to date", cur.reference),
        warnings: Vec::new(),
        started_at,
        finished_at: started_at,
    };
    if new_image_id == cur.image_id {
        outcome.finished_at = Utc::now();
        return Ok(outcome);
    }

    let old_image = image_config(host, &cur.image_id).await;
    if old_image.is_none() {
        outcome.warnings.push(format!(
            "the old image {} is gone: every setting is kept as the container had it",
            cur.image_id
        ));
    }
    let (body, networks) = recreate_body(&cur, &old_image.unwrap_or_default());

    step(&opts, 3, "setting the old container aside");
    let backup = format!("{}-berth-old-{}", cur.name, short(&cur.id, 12));
    host.rename_container(&cur.id, &backup).await?;
    if was_running && let Err(e) = host.stop_container(&cur.id, opts.stop_timeout).await {
        let mut warnings = Vec::new();
        restore(host, None, &cur, was_running, &mut warnings).await;
        return Err(e.with_details(serde_json::json!({ "id": container, "rollback": warnings })));
    }

    step(&opts, 4, "creating the new container");
    let new_id = match create(host, &cur.name, body, networks, &mut outcome.warnings).await {
        Ok(id) => id,
        Err((id, reason)) => {
            return rolled_back(host, id.as_deref(), &cur, was_running, outcome, &reason).await;
        }
    };
    if was_running {
        step(&opts, 5, "starting the new container and letting it settle");
        let settled = match host.start_container(&new_id).await {
            Ok(()) => settle(host, &new_id, &opts).await,
            Err(e) => Err(format!("the new container did not start: {}", e.message)),
        };
        if let Err(reason) = settled {
            return rolled_back(host, Some(&new_id), &cur, was_running, outcome, &reason).await;
        }
    }

    step(&opts, 6, "removing the old container");
    if let Err(e) = host.remove_container(&cur.id, true, false).await {
        outcome.warnings.push(format!(
            "the old container {backup} could not be removed: {}",
            e.message
        ));
    }
    outcome.status = UpdateStatus::Updated;
    outcome.updated = true;
    outcome.container_id = new_id;
    outcome.message = format!(
        "{} now runs {} (was {})",
        cur.name,
        short(new_image_id.trim_start_matches("sha256:"), 12),
        short(cur.image_id.trim_start_matches("sha256:"), 12)
    );
    outcome.finished_at = Utc::now();
    Ok(outcome)
}

fn short(s: &str, n: usize) -> &str {
    s.get(..n).unwrap_or(s)
}

async fn image_config(host: &HostHandle, id: &str) -> Option<ImageConfig> {
    let key = id.to_owned();
    host.call(|d| async move { d.inspect_image(&key).await })
        .await
        .ok()
        .map(|i| i.config.unwrap_or_default())
}

/// Creates the new container under `name` and attaches it to every network; on failure answers
/// the half-made container's id (if any) and why.
async fn create(
    host: &HostHandle,
    name: &str,
    body: ContainerCreateBody,
    networks: Vec<(String, EndpointSettings)>,
    warnings: &mut Vec<String>,
) -> Result<String, (Option<String>, String)> {
    let options = CreateContainerOptions {
        name: Some(name.to_owned()),
        ..Default::default()
    };
    let created = host
        .call(|d| async move { d.create_container(Some(options), body).await })
        .await;
    host.cache.invalidate();
    let created = created.map_err(|e| {
        let e = e.into_app(Resource::Container, name);
        (
            None,
            format!("the new container could not be created: {}", e.message),
        )
    })?;
    warnings.extend(created.warnings);
    for (network, endpoint) in networks {
        let request = NetworkConnectRequest {
            container: created.id.clone(),
            endpoint_config: Some(endpoint),
        };
        let key = network.clone();
        let joined = host
            .call(|d| async move { d.connect_network(&key, request).await })
            .await;
        host.cache.invalidate();
        if let Err(e) = joined {
            let e = e.into_app(Resource::Network, &network);
            return Err((
                Some(created.id),
                format!(
                    "the new container could not join network {network}: {}",
                    e.message
                ),
            ));
        }
    }
    Ok(created.id)
}

/// Watches a started container for `settle` (and until healthy, where it has a health check);
/// answers why it failed, if it did.
async fn settle(host: &HostHandle, id: &str, opts: &UpdateOptions) -> Result<(), String> {
    let settled_at = Instant::now() + opts.settle;
    let give_up = settled_at + opts.health_timeout;
    loop {
        let c = host
            .inspect_container_raw(id)
            .await
            .map_err(|e| format!("the new container could not be inspected: {}", e.message))?;
        let state = c.state.unwrap_or_default();
        if c.restart_count.unwrap_or(0) > 0 || state.restarting.unwrap_or(false) {
            return Err(format!(
                "the new container restarted (last exit code {})",
                state.exit_code.unwrap_or_default()
            ));
        }
        if !state.running.unwrap_or(false) {
            let mut reason = format!(
                "the new container stopped with exit code {}",
                state.exit_code.unwrap_or_default()
            );
            if state.oom_killed.unwrap_or(false) {
                reason.push_str(" (out of memory)");
            }
            if let Some(err) = state.error.filter(|e| !e.is_empty()) {
                reason.push_str(&format!(": {err}"));
            }
            return Err(reason);
        }
        let health = state.health.as_ref().and_then(|h| h.status);
        if health == Some(HealthStatusEnum::UNHEALTHY) {
            let last = state
                .health
                .and_then(|h| h.log)
                .and_then(|log| log.into_iter().last())
                .unwrap_or_default();
            let output: String = last
                .output
                .unwrap_or_default()
                .trim()
                .chars()
                .take(200)
                .collect();
            return Err(format!(
                "the new container is unhealthy (its last check exited with {}{}{output})",
                last.exit_code.unwrap_or_default(),
                if output.is_empty() { "" } else { ": " }
            ));
        }
        let now = Instant::now();
        if now >= settled_at {
            match health {
                Some(HealthStatusEnum::STARTING) if now >= give_up => {
                    return Err(format!(
                        "the new container's health check did not pass within {} s",
                        (opts.settle + opts.health_timeout).as_secs()
                    ));
                }
                Some(HealthStatusEnum::STARTING) => {}
                _ => return Ok(()),
            }
        }
        let left = settled_at.saturating_duration_since(now);
        tokio::time::sleep(if left.is_zero() {
            SETTLE_POLL
        } else {
            left.min(SETTLE_POLL)
        })
        .await;
    }
}

/// Removes the new container, gives the old one its name back and starts it if it ran.
async fn restore(
    host: &HostHandle,
    new_id: Option<&str>,
    cur: &Current,
    was_running: bool,
    warnings: &mut Vec<String>,
) -> bool {
    let mut ok = true;
    if let Some(id) = new_id
        && let Err(e) = host.remove_container(id, true, true).await
    {
        ok = false;
        warnings.push(format!(
            "the new container {} could not be removed: {}",
            short(id, 12),
            e.message
        ));
    }
    if let Err(e) = host.rename_container(&cur.id, &cur.name).await {
        ok = false;
        warnings.push(format!(
            "the old container could not get its name back: {}",
            e.message
        ));
    }
    if was_running && let Err(e) = host.start_container(&cur.id).await {
        ok = false;
        warnings.push(format!(
            "the old container could not be started again: {}",
            e.message
        ));
    }
    ok
}

async fn rolled_back(
    host: &HostHandle,
    new_id: Option<&str>,
    cur: &Current,
    was_running: bool,
    mut outcome: UpdateOutcome,
    reason: &str,
) -> Result<UpdateOutcome, AppError> {
    tracing::warn!(host = host.name(), container = %cur.name, reason, "update failed: rolling back");
    let ok = restore(host, new_id, cur, was_running, &mut outcome.warnings).await;
    if !ok {
        return Err(AppError::new(
            ErrorCode::DockerError,
            format!(
                "{reason}; restoring the old container failed too: {}",
                outcome.warnings.join("; ")
            ),
        )
        .with_details(serde_json::json!({ "id": cur.id, "warnings": outcome.warnings })));
    }
    outcome.status = UpdateStatus::RolledBack;
    outcome.rolled_back = true;
    outcome.message = format!("{reason}; the old container was restored");
    outcome.finished_at = Utc::now();
    Ok(outcome)
}

/// The create body of the replacement and the networks to connect after creating it.
fn recreate_body(
    cur: &Current,
    old_image: &ImageConfig,
) -> (ContainerCreateBody, Vec<(String, EndpointSettings)>) {
    let c = cur.inspect.config.clone().unwrap_or_default();
    let short_id = short(&cur.id, 12);
    let mut hc = cur.inspect.host_config.clone().unwrap_or_default();
    keep_anonymous_volumes(&mut hc, &cur.inspect);
    hc.links = hc
        .links
        .map(|links| links.iter().map(String::as_str).map(link).collect());

    // An entrypoint set on the container replaces the image's command too, so the command is
    // only the image's default when the entrypoint is.
    let entrypoint = differs(c.entrypoint, &old_image.entrypoint);
    let cmd = if entrypoint.is_some() {
        c.cmd
    } else {
        differs(c.cmd, &old_image.cmd)
    };
    let image_env: HashSet<&String> = old_image.env.iter().flatten().collect();
    let env: Vec<String> = c
        .env
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !image_env.contains(e))
        .collect();
    let image_labels = old_image.labels.clone().unwrap_or_default();
    let labels: HashMap<String, String> = c
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| image_labels.get(k) != Some(v))
        .collect();
    let minus = |mine: Option<Vec<String>>, image: &Option<Vec<String>>| {
        let image: HashSet<&String> = image.iter().flatten().collect();
        let rest: Vec<String> = mine
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !image.contains(p))
            .collect();
        (!rest.is_empty()).then_some(rest)
    };
    let (networking_config, networks) = networks(&cur.inspect, &hc, &cur.id);
    let body = ContainerCreateBody {
        // Docker names a container's host after its short id; the new one gets its own.
        hostname: c.hostname.filter(|h| !h.is_empty() && h != short_id),
        domainname: c.domainname.filter(|d| !d.is_empty()),
        user: differs_str(c.user, &old_image.user),
        attach_stdin: c.attach_stdin,
        attach_stdout: c.attach_stdout,
        attach_stderr: c.attach_stderr,
        exposed_ports: minus(c.exposed_ports, &old_image.exposed_ports),
        tty: c.tty,
        open_stdin: c.open_stdin,
        stdin_once: c.stdin_once,
        env: (!env.is_empty()).then_some(env),
        cmd,
        healthcheck: c
            .healthcheck
            .filter(|h| Some(h) != old_image.healthcheck.as_ref()),
        image: Some(cur.reference.clone()),
        volumes: minus(c.volumes, &old_image.volumes),
        working_dir: differs_str(c.working_dir, &old_image.working_dir),
        entrypoint,
        network_disabled: c.network_disabled,
        labels: (!labels.is_empty()).then_some(labels),
        stop_signal: differs_str(c.stop_signal, &old_image.stop_signal),
        stop_timeout: c.stop_timeout,
        shell: differs(c.shell, &old_image.shell),
        host_config: Some(hc),
        networking_config,
        ..Default::default()
    };
    (body, networks)
}

/// `Some(mine)` unless it equals the image's default.
fn differs(mine: Option<Vec<String>>, image: &Option<Vec<String>>) -> Option<Vec<String>> {
    let norm = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    mine.filter(|m| !m.is_empty() && *m != norm(image))
}

fn differs_str(mine: Option<String>, image: &Option<String>) -> Option<String> {
    mine.filter(|m| !m.is_empty() && Some(m) != image.as_ref())
}

/// Inspect shows a legacy link as `/target:/this/alias`; create wants `target:alias`.
fn link(l: &str) -> String {
    match l.split_once(':') {
        Some((target, alias)) if alias.starts_with('/') => format!(
            "{}:{}",
            target.trim_start_matches('/'),
            alias.rsplit('/').next().unwrap_or(alias)
        ),
        _ => l.to_owned(),
    }
}

/// Anonymous volumes (an image's `VOLUME`s, `-v /path`) are mounted into the new container by
/// name, so its data carries over instead of starting from an empty new volume.
fn keep_anonymous_volumes(hc: &mut HostConfig, c: &ContainerInspectResponse) {
    let mut covered: HashSet<String> = hc
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_owned))
        .collect();
    covered.extend(hc.mounts.iter().flatten().filter_map(|m| m.target.clone()));
    for m in c.mounts.iter().flatten() {
        let is_volume = m.typ.as_deref() == Some("volume");
        let (Some(name), Some(dest)) = (&m.name, &m.destination) else {
            continue;
        };
        if !is_volume || name.is_empty() || covered.contains(dest) {
            continue;
        }
        let ro = if m.rw.unwrap_or(true) { "" } else { ":ro" };
        hc.binds
            .get_or_insert_with(Vec::new)
            .push(format!("{name}:{dest}{ro}"));
        covered.insert(dest.clone());
    }
}

/// Networks: the one the container was created on goes in the create body (older engines take
/// only one there), the others are connected afterwards, each with its aliases and static
/// addresses. What the engine assigned (addresses, the old id as an alias) is left out.
fn networks(
    c: &ContainerInspectResponse,
    hc: &HostConfig,
    old_id: &str,
) -> (Option<NetworkingConfig>, Vec<(String, EndpointSettings)>) {
    let mode = hc.network_mode.clone().unwrap_or_default();
    if mode == "host" || mode == "none" || mode.starts_with("container:") {
        return (None, Vec::new());
    }
    let primary = if mode.is_empty() || mode == "default" {
        "bridge".to_owned()
    } else {
        mode
    };
    let attached = c
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default();
    let mut first = None;
    let mut others = Vec::new();
    let mut names: Vec<&String> = attached.keys().collect();
    names.sort();
    for name in names {
        let ep = &attached[name];
        let endpoint = EndpointSettings {
            ipam_config: ep.ipam_config.clone(),
            links: ep.links.clone(),
            aliases: ep
                .aliases
                .as_ref()
                .map(|a| {
                    a.iter()
                        .filter(|alias| !old_id.starts_with(alias.as_str()))
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .filter(|a| !a.is_empty()),
            driver_opts: ep.driver_opts.clone(),
            ..Default::default()
        };
        let is_primary = *name == primary
            || ep
                .network_id
                .as_deref()
                .is_some_and(|id| !primary.is_empty() && id.starts_with(&primary));
        if is_primary && first.is_none() {
            first = Some((name.clone(), endpoint));
        } else {
            others.push((name.clone(), endpoint));
        }
    }
    let config = first.map(|(name, ep)| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(name, ep)])),
    });
    (config, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_links_become_target_and_alias() {
        assert_eq!(link("/db:/web/database"), "db:database");
        assert_eq!(link("db:database"), "db:database");
    }

    #[test]
    fn a_value_equal_to_the_image_default_is_dropped() {
        let image = Some(vec!["sh".to_owned()]);
        assert_eq!(differs(Some(vec!["sh".to_owned()]), &image), None);
        assert_eq!(
            differs(Some(vec!["top".to_owned()]), &image),
            Some(vec!["top".to_owned()])
        );
        assert_eq!(differs_str(Some("/app".into()), &Some("/app".into())), None);
        assert_eq!(differs_str(Some(String::new()), &None), None);
    }
}
