//! Container calls: list, inspect, create, lifecycle, top; Docker's models mapped to Berth's.

use std::collections::{BTreeMap, HashMap};

use berth_api::ErrorCode;
use berth_api::containers::{
    ContainerCreate, ContainerCreated, ContainerDetail, ContainerState, ContainerSummary,
    ContainerTop, GpuRequest, HealthInfo, MountInfo, NetworkAttachment, PortMapping,
};
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, DeviceRequest, HostConfig, Mount, MountType,
    PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, ListContainersOptions, RemoveContainerOptions,
    RenameContainerOptions, RestartContainerOptions, StopContainerOptions, TopOptions,
};
use chrono::{DateTime, Utc};

use super::{EngineError, HostHandle, Resource};
use crate::error::AppError;

/// Filters of a container list, already validated.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Include stopped containers.
    pub all: bool,
    /// States to keep (`running`, `exited`, …).
    pub status: Vec<String>,
    /// Name substring.
    pub name: Option<String>,
    /// Label selectors: `key` or `key=value`.
    pub labels: Vec<String>,
    /// Image (reference or id) the container descends from.
    pub image: Option<String>,
}

impl HostHandle {
    /// Lists containers: from the host's event-fed cache when it is current (see
    /// [`super::cache`]), else from the engine (which then refreshes the cache).
    pub async fn list_containers(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<ContainerSummary>, AppError> {
        if !super::cache::can_serve(filter) || !self.cache.connected() {
            self.cache.count(false);
            return self.list_from_engine(filter).await;
        }
        if let Some(rows) = self.cache.fresh() {
            self.alive().await?;
            self.cache.count(true);
            return Ok(super::cache::apply(&rows, filter));
        }
        let _refreshing = self.cache.refresh_lock().await;
        // Another list may have refreshed the rows while this one waited.
        if let Some(rows) = self.cache.fresh() {
            self.alive().await?;
            self.cache.count(true);
            return Ok(super::cache::apply(&rows, filter));
        }
        self.cache.count(false);
        let generation = self.cache.generation();
        let read_at = std::time::Instant::now();
        let everything = ListFilter {
            all: true,
            ..Default::default()
        };
        let rows = std::sync::Arc::new(self.list_from_engine(&everything).await?);
        self.cache.install(generation, read_at, rows.clone());
        Ok(super::cache::apply(&rows, filter))
    }

    /// A cached list is only as good as the engine behind it: a frozen engine keeps its event
    /// stream open, so ask it for a sign of life (a ping costs far less than a list).
    async fn alive(&self) -> Result<(), AppError> {
        self.call(|d| async move { d.ping().await })
            .await
            .map(|_| ())
            .map_err(|e| e.into_app(Resource::Engine, ""))
    }

    /// Lists containers, filtered by the engine.
    async fn list_from_engine(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<ContainerSummary>, AppError> {
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        if !filter.status.is_empty() {
            filters.insert("status".to_owned(), filter.status.clone());
        }
        if let Some(name) = &filter.name {
            filters.insert("name".to_owned(), vec![name.clone()]);
        }
        if !filter.labels.is_empty() {
            filters.insert("label".to_owned(), filter.labels.clone());
        }
        if let Some(image) = &filter.image {
            filters.insert("ancestor".to_owned(), vec![image.clone()]);
        }
        let options = ListContainersOptions {
            // A status filter names stopped states too, so it implies `all`.
            all: filter.all || !filter.status.is_empty(),
            filters: (!filters.is_empty()).then_some(filters),
            ..Default::default()
        };
        let host = self.name().to_owned();
        let rows = self
            .call(|d| async move { d.list_containers(Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(rows.into_iter().map(|c| summary(&host, c)).collect())
    }

    /// Inspects one container by id or name.
    pub async fn inspect_container(&self, id: &str) -> Result<ContainerDetail, AppError> {
        let raw = self.inspect_container_raw(id).await?;
        Ok(detail(self.name(), raw))
    }

    /// Docker's own inspect answer (for code that needs fields Berth does not map).
    pub async fn inspect_container_raw(
        &self,
        id: &str,
    ) -> Result<ContainerInspectResponse, AppError> {
        let key = id.to_owned();
        self.call(|d| async move { d.inspect_container(&key, None).await })
            .await
            .map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Creates a container from a spec that [`super::policy`] has checked, and starts it if asked.
    pub async fn create_container(
        &self,
        spec: &ContainerCreate,
    ) -> Result<ContainerCreated, AppError> {
        // The engine takes an unknown network at create and only fails at start (with a 404
        // that reads like a missing container): check it first, so the client hears which.
        if let Some(network) = spec.network.as_deref().filter(|n| is_named_network(n)) {
            self.inspect_network(network)
                .await
                .map_err(|e| e.with_field("network"))?;
        }
        let body = create_body(spec);
        let options = CreateContainerOptions {
            name: spec.name.clone(),
            ..Default::default()
        };
        let created = self
            .call(|d| async move { d.create_container(Some(options), body).await })
            .await;
        // Also after a failure: a create that timed out may still have happened.
        self.cache.invalidate();
        let created = created.map_err(|e| match e.status() {
            Some(404) => e.into_app(Resource::Image, &spec.image),
            _ => e.into_app(
                Resource::Container,
                spec.name.as_deref().unwrap_or_default(),
            ),
        })?;
        let mut started = false;
        if spec.start {
            if let Err(e) = self.start_container(&created.id).await {
                // Nothing half-made: a container that cannot start goes, so a retry finds its
                // name free and the failed request leaves nothing the client was not told of.
                let _ = self.remove_container(&created.id, true, true).await;
                return Err(e);
            }
            started = true;
        }
        let name = match &spec.name {
            Some(n) => n.trim_start_matches('/').to_owned(),
            None => self
                .inspect_container(&created.id)
                .await
                .map(|d| d.name)
                .unwrap_or_default(),
        };
        Ok(ContainerCreated {
            host: self.name().to_owned(),
            id: created.id,
            name,
            warnings: created.warnings,
            started,
        })
    }

    /// Starts a container; starting a running one is not an error.
    pub async fn start_container(&self, id: &str) -> Result<(), AppError> {
        let key = id.to_owned();
        let result = self
            .call(|d| async move { d.start_container(&key, None).await })
            .await;
        self.cache.invalidate();
        not_modified_ok(result).map_err(|e| {
            if let Some(network) = missing_network(&e) {
                return AppError::new(
                    ErrorCode::NetworkNotFound,
                    format!(
                        "container `{id}` cannot start: its network `{network}` does not exist"
                    ),
                )
                .with_details(serde_json::json!({ "id": id, "network": network }));
            }
            conflict_on(
                e,
                id,
                &["port is already allocated", "address already in use"],
            )
        })
    }

    /// Stops a container; stopping a stopped one is not an error.
    pub async fn stop_container(&self, id: &str, timeout: Option<i32>) -> Result<(), AppError> {
        let key = id.to_owned();
        let options = StopContainerOptions {
            t: timeout,
            signal: None,
        };
        let result = self
            .call_within(self.stop_limit(timeout), |d| async move {
                d.stop_container(&key, Some(options)).await
            })
            .await;
        self.cache.invalidate();
        not_modified_ok(result).map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Restarts a container.
    pub async fn restart_container(&self, id: &str, timeout: Option<i32>) -> Result<(), AppError> {
        let key = id.to_owned();
        let options = RestartContainerOptions {
            t: timeout,
            signal: None,
        };
        let result = self
            .call_within(self.stop_limit(timeout), |d| async move {
                d.restart_container(&key, Some(options)).await
            })
            .await;
        self.cache.invalidate();
        result.map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Stop and restart wait for the container; Berth's bound must outlast that wait.
    fn stop_limit(&self, timeout: Option<i32>) -> std::time::Duration {
        let wait = u64::try_from(timeout.unwrap_or(10)).unwrap_or(10);
        self.call_timeout + std::time::Duration::from_secs(wait)
    }

    /// Sends a signal to a container.
    pub async fn kill_container(&self, id: &str, signal: Option<&str>) -> Result<(), AppError> {
        let key = id.to_owned();
        let options = KillContainerOptions {
            signal: signal.unwrap_or("SIGKILL").to_owned(),
        };
        let result = self
            .call(|d| async move { d.kill_container(&key, Some(options)).await })
            .await;
        self.cache.invalidate();
        result.map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Pauses a container.
    pub async fn pause_container(&self, id: &str) -> Result<(), AppError> {
        let key = id.to_owned();
        let result = self
            .call(|d| async move { d.pause_container(&key).await })
            .await;
        self.cache.invalidate();
        result.map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Unpauses a container.
    pub async fn unpause_container(&self, id: &str) -> Result<(), AppError> {
        let key = id.to_owned();
        let result = self
            .call(|d| async move { d.unpause_container(&key).await })
            .await;
        self.cache.invalidate();
        result.map_err(|e| conflict_on(e, id, &["is not paused"]))
    }

    /// Renames a container.
    pub async fn rename_container(&self, id: &str, name: &str) -> Result<(), AppError> {
        let key = id.to_owned();
        let options = RenameContainerOptions {
            name: name.to_owned(),
        };
        let result = self
            .call(|d| async move { d.rename_container(&key, options).await })
            .await;
        self.cache.invalidate();
        result.map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Removes a container.
    pub async fn remove_container(
        &self,
        id: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), AppError> {
        let key = id.to_owned();
        let options = RemoveContainerOptions {
            force,
            v: volumes,
            link: false,
        };
        let result = self
            .call(|d| async move { d.remove_container(&key, Some(options)).await })
            .await;
        self.cache.invalidate();
        result.map_err(|e| e.into_app(Resource::Container, id))
    }

    /// Lists the processes of a running container.
    pub async fn top_container(
        &self,
        id: &str,
        ps_args: Option<&str>,
    ) -> Result<ContainerTop, AppError> {
        let key = id.to_owned();
        let options = TopOptions {
            ps_args: ps_args.unwrap_or("-ef").to_owned(),
        };
        let top = self
            .call(|d| async move { d.top_processes(&key, Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Container, id))?;
        Ok(ContainerTop {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }
}

/// The engine answers some state conflicts with a 500 (a taken host port, unpausing a container
/// that is not paused); those are conflicts, not engine faults.
fn conflict_on(e: EngineError, id: &str, needles: &[&str]) -> AppError {
    let conflict = matches!(
        &e,
        EngineError::Api(bollard::errors::Error::DockerResponseServerError { message, .. })
            if needles.iter().any(|n| message.contains(n))
    );
    let err = e.into_app(Resource::Container, id);
    if conflict {
        AppError::new(ErrorCode::Conflict, err.message)
            .with_details(serde_json::json!({ "id": id }))
    } else {
        err
    }
}

/// Whether a `network` value names a network object (as opposed to a mode the engine knows:
/// `bridge`, `host`, `none`, `default`, `container:<id>`).
fn is_named_network(network: &str) -> bool {
    !matches!(network, "bridge" | "host" | "none" | "default") && !network.starts_with("container:")
}

/// The network named by an engine 404 like `network nonet not found` (a start whose network
/// went away), if that is what the error says.
fn missing_network(e: &EngineError) -> Option<String> {
    let EngineError::Api(bollard::errors::Error::DockerResponseServerError {
        status_code: 404,
        message,
    }) = e
    else {
        return None;
    };
    let name = message
        .trim()
        .strip_prefix("network ")?
        .strip_suffix(" not found")?;
    Some(name.to_owned())
}

fn not_modified_ok(result: Result<(), EngineError>) -> Result<(), EngineError> {
    match result {
        Err(e) if e.status() == Some(304) => Ok(()),
        other => other,
    }
}

fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s?).ok()?.with_timezone(&Utc);
    // Docker reports "never" as year 1.
    (t.timestamp() > 0).then_some(t)
}

fn btree(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

/// Maps one list row.
pub fn summary(host: &str, c: bollard::models::ContainerSummary) -> ContainerSummary {
    let mut ports: Vec<PortMapping> = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| PortMapping {
            container_port: p.private_port,
            host_port: p.public_port,
            host_ip: p.ip,
            protocol: p
                .typ
                .map(|t| t.to_string())
                .unwrap_or_else(|| "tcp".to_owned()),
        })
        .collect();
    // The engine lists each binding once for IPv4 and once for IPv6; one row per port is enough.
    ports.sort_by(|a, b| {
        (a.container_port, a.host_port, &a.protocol).cmp(&(
            b.container_port,
            b.host_port,
            &b.protocol,
        ))
    });
    ports.dedup_by(|a, b| {
        a.container_port == b.container_port
            && a.host_port == b.host_port
            && a.protocol == b.protocol
    });
    let mut networks: Vec<String> = c
        .network_settings
        .and_then(|n| n.networks)
        .map(|n| n.into_keys().collect())
        .unwrap_or_default();
    networks.sort();
    ContainerSummary {
        host: host.to_owned(),
        id: c.id.unwrap_or_default(),
        name: c
            .names
            .and_then(|n| n.into_iter().next())
            .map(|n| n.trim_start_matches('/').to_owned())
            .unwrap_or_default(),
        image: c.image.unwrap_or_default(),
        image_id: c.image_id.unwrap_or_default(),
        command: c.command.unwrap_or_default(),
        created: timestamp(c.created.unwrap_or_default()),
        state: c
            .state
            .map(|s| ContainerState::parse(s.as_ref()))
            .unwrap_or(ContainerState::Unknown),
        status: c.status.unwrap_or_default(),
        ports,
        labels: btree(c.labels),
        networks,
    }
}

/// Maps an inspect answer.
pub fn detail(host: &str, c: ContainerInspectResponse) -> ContainerDetail {
    let state = c.state.unwrap_or_default();
    let config = c.config.unwrap_or_default();
    let hc = c.host_config.unwrap_or_default();
    let network_settings = c.network_settings.unwrap_or_default();
    let mut ports = Vec::new();
    for (key, bindings) in network_settings.ports.clone().unwrap_or_default() {
        let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let Ok(container_port) = port.parse::<u16>() else {
            continue;
        };
        match bindings {
            Some(list) if !list.is_empty() => {
                for b in list {
                    ports.push(PortMapping {
                        container_port,
                        host_port: b.host_port.and_then(|p| p.parse().ok()),
                        host_ip: b.host_ip,
                        protocol: proto.to_owned(),
                    });
                }
            }
            _ => ports.push(PortMapping {
                container_port,
                host_port: None,
                host_ip: None,
                protocol: proto.to_owned(),
            }),
        }
    }
    ports.sort_by(|a, b| {
        (a.container_port, a.host_port, &a.host_ip).cmp(&(
            b.container_port,
            b.host_port,
            &b.host_ip,
        ))
    });
    let mut networks: Vec<NetworkAttachment> = network_settings
        .networks
        .unwrap_or_default()
        .into_iter()
        .map(|(network, ep)| NetworkAttachment {
            network,
            ip_address: ep.ip_address.filter(|s| !s.is_empty()),
            aliases: ep.aliases.unwrap_or_default(),
            mac_address: ep.mac_address.filter(|s| !s.is_empty()),
        })
        .collect();
    networks.sort_by(|a, b| a.network.cmp(&b.network));
    let gpus = hc.device_requests.as_ref().and_then(|reqs| {
        reqs.iter()
            .find(|r| {
                r.capabilities
                    .as_ref()
                    .is_some_and(|c| c.iter().flatten().any(|c| c == "gpu"))
            })
            .map(|r| GpuRequest {
                count: r.count.filter(|c| *c != 0),
                device_ids: r.device_ids.clone().filter(|d| !d.is_empty()),
            })
    });
    let restart = hc.restart_policy.clone().unwrap_or_default();
    let restart_policy = match (restart.name, restart.maximum_retry_count) {
        (Some(RestartPolicyNameEnum::ON_FAILURE), Some(n)) if n > 0 => format!("on-failure:{n}"),
        (Some(name), _) if name != RestartPolicyNameEnum::EMPTY => name.to_string(),
        _ => "no".to_owned(),
    };
    ContainerDetail {
        host: host.to_owned(),
        id: c.id.unwrap_or_default(),
        name: c
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        image: config.image.clone().unwrap_or_default(),
        image_id: c.image.unwrap_or_default(),
        created: c.created,
        state: state
            .status
            .map(|s| ContainerState::parse(s.as_ref()))
            .unwrap_or(ContainerState::Unknown),
        running: state.running.unwrap_or(false),
        exit_code: state.exit_code,
        started_at: parse_time(state.started_at.as_deref()),
        finished_at: parse_time(state.finished_at.as_deref()),
        restart_count: c.restart_count.unwrap_or(0),
        oom_killed: state.oom_killed.unwrap_or(false),
        error: state.error.filter(|e| !e.is_empty()),
        health: state.health.and_then(|h| {
            let status = h.status?.to_string();
            (status != "none" && !status.is_empty()).then(|| HealthInfo {
                status,
                failing_streak: h.failing_streak.unwrap_or(0),
            })
        }),
        pid: state.pid.filter(|p| *p > 0),
        entrypoint: config.entrypoint.unwrap_or_default(),
        command: config.cmd.unwrap_or_default(),
        env: config.env.unwrap_or_default(),
        labels: btree(config.labels),
        working_dir: config.working_dir.filter(|s| !s.is_empty()),
        user: config.user.filter(|s| !s.is_empty()),
        hostname: config.hostname.filter(|s| !s.is_empty()),
        tty: config.tty.unwrap_or(false),
        restart_policy,
        privileged: hc.privileged.unwrap_or(false),
        cpus: hc.nano_cpus.filter(|n| *n > 0).map(|n| n as f64 / 1e9),
        memory_bytes: hc.memory.filter(|m| *m > 0),
        gpus,
        ports,
        mounts: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountInfo {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                source: match (&m.name, &m.source) {
                    (Some(name), _) if !name.is_empty() => name.clone(),
                    (_, Some(src)) => src.clone(),
                    _ => String::new(),
                },
                target: m.destination.unwrap_or_default(),
                read_only: !m.rw.unwrap_or(true),
            })
            .collect(),
        networks,
        network_mode: hc.network_mode.filter(|s| !s.is_empty()),
        auto_remove: hc.auto_remove.unwrap_or(false),
    }
}

/// Turns a checked spec into the engine's create body.
fn create_body(spec: &ContainerCreate) -> ContainerCreateBody {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = format!(
            "{}/{}",
            p.container_port,
            p.protocol.as_deref().unwrap_or("tcp")
        );
        exposed.push(key.clone());
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: Some(p.host_port.map(|h| h.to_string()).unwrap_or_default()),
            });
    }
    let mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: Some(m.source.clone()),
            typ: Some(if m.kind == "bind" {
                MountType::BIND
            } else {
                MountType::VOLUME
            }),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect();
    let restart_policy = spec.restart_policy.as_deref().map(|p| {
        let (name, count) = p.split_once(':').unwrap_or((p, ""));
        RestartPolicy {
            name: Some(match name {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                _ => RestartPolicyNameEnum::NO,
            }),
            maximum_retry_count: count.parse().ok(),
        }
    });
    let device_requests = spec.gpus.as_ref().map(|g| {
        vec![DeviceRequest {
            driver: Some(String::new()),
            count: g.count.or(if g.device_ids.is_some() {
                None
            } else {
                Some(-1)
            }),
            device_ids: g.device_ids.clone(),
            capabilities: Some(vec![vec!["gpu".to_owned()]]),
            options: None,
        }]
    });
    let host_config = HostConfig {
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        mounts: (!mounts.is_empty()).then_some(mounts),
        restart_policy,
        nano_cpus: spec.cpus.map(|c| (c * 1e9).round() as i64),
        memory: spec.memory_bytes,
        network_mode: spec.network.clone(),
        device_requests,
        privileged: Some(spec.privileged),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: (!spec.env.is_empty())
            .then(|| spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: (!spec.labels.is_empty()).then(|| spec.labels.clone().into_iter().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        tty: Some(spec.tty),
        open_stdin: Some(spec.stdin_open),
        working_dir: spec.working_dir.clone(),
        user: spec.user.clone(),
        hostname: spec.hostname.clone(),
        host_config: Some(host_config),
        ..Default::default()
    }
}
