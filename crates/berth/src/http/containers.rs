//! `/api/v1/hosts/{host}/containers` and `/api/v1/containers`: list, inspect, create, lifecycle.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::ErrorEnvelope;
use berth_api::containers::{
    AllContainers, ContainerCreate, ContainerCreated, ContainerDetail, ContainerSummary,
    ContainerTop, HostListStatus, KillRequest, RenameRequest, StopRequest,
};
use futures_util::future::join_all;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, NoQuery, OptionalJson, Path, Query};
use super::middleware::no_content;
use crate::auth::middleware::Audit;
use crate::auth::{Actor, OWNER_LABEL};
use crate::engine::HostHandle;
use crate::engine::containers::ListFilter;
use crate::engine::policy;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

const STATES: [&str; 7] = [
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];
const SORT_KEYS: [&str; 5] = ["name", "created", "state", "image", "status"];

/// Query of a container list. `label` may repeat.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query for OpenAPI; parsed by hand because `label` repeats
pub struct ListQuery {
    /// Include stopped containers (default: running only).
    all: Option<bool>,
    /// States to keep, comma-separated: created, restarting, running, removing, paused, exited, dead.
    status: Option<String>,
    /// Name substring.
    name: Option<String>,
    /// Label selector `key` or `key=value`; repeat for several (all must match).
    label: Option<String>,
    /// Image the container was created from.
    image: Option<String>,
    /// Sort key: name, created (default), state, image, status.
    sort: Option<String>,
    /// `asc` or `desc` (default for created) .
    order: Option<String>,
    /// Only containers with this tag (see `/api/v1/tags`).
    tag: Option<String>,
}

struct ListParams {
    filter: ListFilter,
    sort: String,
    descending: bool,
    tag: Option<String>,
}

fn parse_list_query(raw: Option<&str>) -> AppResult<ListParams> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| AppError::validation("query", format!("bad query string: {e}")))?;
    let mut filter = ListFilter::default();
    let mut sort = "created".to_owned();
    let mut order = None;
    let mut tag = None;
    for (key, value) in pairs {
        match key.as_str() {
            "all" => {
                filter.all = match value.as_str() {
                    "true" | "1" | "" => true,
                    "false" | "0" => false,
                    _ => return Err(AppError::validation("all", "all must be true or false")),
                }
            }
            "status" => {
                for s in value.split(',').filter(|s| !s.is_empty()) {
                    if !STATES.contains(&s) {
                        return Err(AppError::validation(
                            "status",
                            format!("`{s}` is not a state: use {}", STATES.join(", ")),
                        ));
                    }
                    filter.status.push(s.to_owned());
                }
            }
            "name" => filter.name = Some(value).filter(|v| !v.is_empty()),
            "label" => {
                if value.is_empty() || value.starts_with('=') {
                    return Err(AppError::validation(
                        "label",
                        "a label selector is `key` or `key=value`",
                    ));
                }
                filter.labels.push(value);
            }
            "tag" => {
                validate::tag("tag", &value)?;
                tag = Some(value);
            }
            "image" => {
                validate::image_ref("image", &value)?;
                filter.image = Some(value);
            }
            "sort" => {
                if !SORT_KEYS.contains(&value.as_str()) {
                    return Err(AppError::validation(
                        "sort",
                        format!("sort by one of {}", SORT_KEYS.join(", ")),
                    ));
                }
                sort = value;
            }
            "order" => {
                order = Some(match value.as_str() {
                    "asc" => false,
                    "desc" => true,
                    _ => return Err(AppError::validation("order", "order is asc or desc")),
                })
            }
            other => {
                return Err(AppError::validation(
                    other,
                    format!("unknown query parameter `{other}`"),
                ));
            }
        }
    }
    let descending = order.unwrap_or(sort == "created");
    Ok(ListParams {
        filter,
        sort,
        descending,
        tag,
    })
}

fn sort_rows(rows: &mut [ContainerSummary], key: &str, descending: bool) {
    match key {
        "name" => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.host.cmp(&b.host))),
        "state" => rows.sort_by(|a, b| {
            format!("{:?}", a.state)
                .cmp(&format!("{:?}", b.state))
                .then(a.name.cmp(&b.name))
        }),
        "image" => rows.sort_by(|a, b| a.image.cmp(&b.image).then(a.name.cmp(&b.name))),
        "status" => rows.sort_by(|a, b| a.status.cmp(&b.status).then(a.name.cmp(&b.name))),
        _ => rows.sort_by(|a, b| a.created.cmp(&b.created).then(a.name.cmp(&b.name))),
    }
    if descending {
        rows.reverse();
    }
}

/// The containers of one host.
#[utoipa::path(get, path = "/hosts/{host}/containers", tag = "containers", params(("host" = String, Path, description = "Host name"), ListQuery),
    responses((status = 200, body = Vec<ContainerSummary>), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Path(host): Path<String>,
    actor: Actor,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Vec<ContainerSummary>>> {
    let mut params = parse_list_query(raw.as_deref())?;
    narrow_to_owner(&mut params.filter, &actor);
    let host = state.engines.get(&host)?;
    let mut rows = host.list_containers(&params.filter).await?;
    if let Some(tag) = &params.tag {
        super::tags::retain_tagged(&state, &mut rows, tag).await?;
    }
    sort_rows(&mut rows, &params.sort, params.descending);
    Ok(Json(rows))
}

/// The containers of every host at once; a host that does not answer is reported, not fatal.
#[utoipa::path(get, path = "/containers", tag = "containers", params(ListQuery),
    responses((status = 200, body = AllContainers), (status = 400, body = ErrorEnvelope)))]
pub async fn list_all(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<AllContainers>> {
    let mut params = parse_list_query(raw.as_deref())?;
    narrow_to_owner(&mut params.filter, &actor);
    let hosts: Vec<_> = state
        .engines
        .all()
        .into_iter()
        .filter(|h| actor.may_see_host(h.name()))
        .collect();
    let results = join_all(hosts.iter().map(|h| h.list_containers(&params.filter))).await;
    let mut containers = Vec::new();
    let mut statuses = Vec::new();
    for (host, result) in hosts.iter().zip(results) {
        match result {
            Ok(rows) => {
                containers.extend(rows);
                statuses.push(HostListStatus {
                    host: host.name().to_owned(),
                    online: true,
                    error: None,
                });
            }
            Err(e) => statuses.push(HostListStatus {
                host: host.name().to_owned(),
                online: false,
                error: Some(e.message),
            }),
        }
    }
    if let Some(tag) = &params.tag {
        super::tags::retain_tagged(&state, &mut containers, tag).await?;
    }
    sort_rows(&mut containers, &params.sort, params.descending);
    Ok(Json(AllContainers {
        containers,
        hosts: statuses,
    }))
}

/// Creates a container from a validated spec (and starts it when `start` is true).
#[utoipa::path(post, path = "/hosts/{host}/containers", tag = "containers", params(("host" = String, Path, description = "Host name")), request_body = ContainerCreate,
    responses((status = 201, body = ContainerCreated), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Path(host): Path<String>,
    actor: Actor,
    audit: Audit,
    Json(mut spec): Json<ContainerCreate>,
) -> AppResult<(StatusCode, Json<ContainerCreated>)> {
    let host = state.engines.get(&host)?;
    audit.detail("image", spec.image.clone());
    if let Some(name) = &spec.name {
        audit.resource(name.clone());
    }
    policy::check_create(&mut spec, &state.config.policy)?;
    // Whoever creates a container owns it; a tenant cannot hand one to someone else.
    spec.labels
        .insert(OWNER_LABEL.to_owned(), actor.user.username.clone());
    let created = host.create_container(&spec).await?;
    audit.resource(created.id.clone());
    Ok((StatusCode::CREATED, Json(created)))
}

/// Tenants see only the containers they own.
fn narrow_to_owner(filter: &mut ListFilter, actor: &Actor) {
    if let Some(owner) = actor.owner_filter() {
        filter.labels.push(format!("{OWNER_LABEL}={owner}"));
    }
}

/// The host of a container route, after checking that a tenant owns the container.
pub(super) async fn target(
    state: &AppState,
    actor: &Actor,
    p: &ContainerPath,
) -> AppResult<Arc<HostHandle>> {
    let host = state.engines.get(&p.host)?;
    if actor.owner_filter().is_some() {
        let c = host.inspect_container_raw(&p.id).await?;
        let labels = c
            .config
            .and_then(|c| c.labels)
            .unwrap_or_default()
            .into_iter()
            .collect();
        actor.ensure_owns(&p.id, &labels)?;
    }
    Ok(host)
}

/// Path of one container: host name and container id or name.
#[derive(Debug, Deserialize)]
pub struct ContainerPath {
    /// Host name.
    pub host: String,
    /// Container id or name.
    pub id: String,
}

/// Everything about one container.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 200, body = ContainerDetail), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn inspect(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
) -> AppResult<Json<ContainerDetail>> {
    Ok(Json(
        target(&state, &actor, &p)
            .await?
            .inspect_container(&p.id)
            .await?,
    ))
}

/// Removal options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// Kill it first if it runs.
    #[serde(default)]
    force: bool,
    /// Also remove its anonymous volumes.
    #[serde(default)]
    volumes: bool,
}

/// Removes a container.
#[utoipa::path(delete, path = "/hosts/{host}/containers/{id}", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), RemoveQuery),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    Query(q): Query<RemoveQuery>,
) -> AppResult<Response> {
    target(&state, &actor, &p)
        .await?
        .remove_container(&p.id, q.force, q.volumes)
        .await?;
    Ok(no_content())
}

/// Starts a container (a running one stays running).
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/start", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn start(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
) -> AppResult<Response> {
    target(&state, &actor, &p)
        .await?
        .start_container(&p.id)
        .await?;
    Ok(no_content())
}

fn check_timeout(t: Option<i32>) -> AppResult<Option<i32>> {
    match t {
        Some(t) if !(0..=3600).contains(&t) => {
            Err(AppError::validation("timeout", "timeout is 0–3600 seconds"))
        }
        other => Ok(other),
    }
}

/// Stops a container, killing it after `timeout` seconds.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/stop", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")), request_body(content = StopRequest, description = "Optional"),
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn stop(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
    OptionalJson(req): OptionalJson<StopRequest>,
) -> AppResult<Response> {
    let timeout = check_timeout(req.timeout)?;
    target(&state, &actor, &p)
        .await?
        .stop_container(&p.id, timeout)
        .await?;
    Ok(no_content())
}

/// Restarts a container.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/restart", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")), request_body(content = StopRequest, description = "Optional"),
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn restart(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
    OptionalJson(req): OptionalJson<StopRequest>,
) -> AppResult<Response> {
    let timeout = check_timeout(req.timeout)?;
    target(&state, &actor, &p)
        .await?
        .restart_container(&p.id, timeout)
        .await?;
    Ok(no_content())
}

/// Sends a signal (SIGKILL unless told otherwise).
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/kill", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")), request_body(content = KillRequest, description = "Optional"),
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn kill(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
    OptionalJson(req): OptionalJson<KillRequest>,
) -> AppResult<Response> {
    if let Some(signal) = &req.signal {
        validate::signal("signal", signal)?;
        // A number must name a Linux signal; the engine answers others with a 500.
        if signal.bytes().all(|b| b.is_ascii_digit())
            && !signal.parse::<u8>().is_ok_and(|n| (1..=64).contains(&n))
        {
            return Err(AppError::validation(
                "signal",
                format!("`{signal}` is not a signal number (1–64)"),
            ));
        }
    }
    target(&state, &actor, &p)
        .await?
        .kill_container(&p.id, req.signal.as_deref())
        .await?;
    Ok(no_content())
}

/// Pauses a container.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/pause", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn pause(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
) -> AppResult<Response> {
    target(&state, &actor, &p)
        .await?
        .pause_container(&p.id)
        .await?;
    Ok(no_content())
}

/// Unpauses a container.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/unpause", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn unpause(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
) -> AppResult<Response> {
    target(&state, &actor, &p)
        .await?
        .unpause_container(&p.id)
        .await?;
    Ok(no_content())
}

/// Renames a container.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/rename", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")), request_body = RenameRequest,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn rename(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    _: NoQuery,
    Json(req): Json<RenameRequest>,
) -> AppResult<Response> {
    validate::container_name("name", &req.name)?;
    target(&state, &actor, &p)
        .await?
        .rename_container(&p.id, &req.name)
        .await?;
    Ok(no_content())
}

/// `ps` arguments for top.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopQuery {
    /// Arguments to `ps` (default `-ef`); letters, digits, spaces, `-` and `,` only.
    ps_args: Option<String>,
}

/// The processes inside a running container.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/top", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), TopQuery),
    responses((status = 200, body = ContainerTop), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn top(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    Query(q): Query<TopQuery>,
) -> AppResult<Json<ContainerTop>> {
    if let Some(args) = &q.ps_args
        && (args.len() > 64
            || !args
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " -,".contains(c)))
    {
        return Err(AppError::validation(
            "ps_args",
            "ps arguments may hold letters, digits, spaces, `-` and `,` only",
        ));
    }
    Ok(Json(
        target(&state, &actor, &p)
            .await?
            .top_container(&p.id, q.ps_args.as_deref())
            .await?,
    ))
}
