//! `/api/v1/vantage6/nodes`: vantage6 node configurations (the CLI's own files) and their
//! containers on the `local` host. Handlers parse, name the audit resource and call
//! [`crate::vantage6::node`].

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorEnvelope;
use berth_api::vantage6::{
    NodeApiKey, NodeCleanResult, NodeContainer, NodeCreate, NodeDetail, NodeList, NodeStart,
    NodeStartResult, NodeStop, NodeStopResult, NodeUpdate, ScopeQuery,
};

use super::extract::{Json, OptionalJson, Path, Query};
use super::middleware::no_content;
use crate::auth::middleware::Audit;
use crate::engine::hosts::LOCAL_HOST;
use crate::error::AppResult;
use crate::state::AppState;
use crate::vantage6::{container, files};

fn scoped(audit: &Audit, name: &str, scope: berth_api::vantage6::NodeScope) {
    audit.resource(name.to_owned());
    audit.detail("scope", scope.as_str());
}

/// Every node configuration of both scopes, with its container's state and its databases.
#[utoipa::path(get, path = "/vantage6/nodes", tag = "vantage6",
    responses((status = 200, body = NodeList), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>) -> AppResult<Json<NodeList>> {
    let host = state.engines.get(LOCAL_HOST)?;
    Ok(Json(files::list(&state.config.vantage6, &host).await?))
}

/// Writes a new node configuration file, as `v6 node new` does.
#[utoipa::path(post, path = "/vantage6/nodes", tag = "vantage6", request_body = NodeCreate,
    responses((status = 201, body = NodeDetail), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<NodeCreate>,
) -> AppResult<(StatusCode, Json<NodeDetail>)> {
    scoped(&audit, &req.name, req.scope);
    let host = state.engines.get(LOCAL_HOST)?;
    let detail = files::create(&state.config.vantage6, &host, &req).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// One node's configuration (never its API key) and container.
#[utoipa::path(get, path = "/vantage6/nodes/{name}", tag = "vantage6",
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 200, body = NodeDetail), (status = 404, body = ErrorEnvelope)))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Json<NodeDetail>> {
    let host = state.engines.get(LOCAL_HOST)?;
    Ok(Json(
        files::read(&state.config.vantage6, &host, &name, q.scope).await?,
    ))
}

/// Edits a node configuration; keys Berth does not model stay as they are.
#[utoipa::path(patch, path = "/vantage6/nodes/{name}", tag = "vantage6", request_body = NodeUpdate,
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 200, body = NodeDetail), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
    Json(req): Json<NodeUpdate>,
) -> AppResult<Json<NodeDetail>> {
    scoped(&audit, &name, q.scope);
    let host = state.engines.get(LOCAL_HOST)?;
    Ok(Json(
        files::update(&state.config.vantage6, &host, &name, q.scope, &req).await?,
    ))
}

/// Deletes a node as `v6 node remove` does (refused while it runs): its data and VPN volumes,
/// configuration file and logs.
#[utoipa::path(delete, path = "/vantage6/nodes/{name}", tag = "vantage6",
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Response> {
    scoped(&audit, &name, q.scope);
    let host = state.engines.get(LOCAL_HOST)?;
    container::remove(&state.config.vantage6, &host, &name, q.scope).await?;
    Ok(no_content())
}

/// Replaces the node's API key (`v6 node set-api-key`); the key is written, never answered.
#[utoipa::path(put, path = "/vantage6/nodes/{name}/api-key", tag = "vantage6", request_body = NodeApiKey,
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn set_api_key(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
    Json(req): Json<NodeApiKey>,
) -> AppResult<Response> {
    scoped(&audit, &name, q.scope);
    files::set_api_key(&state.config.vantage6, &name, q.scope, &req.api_key)?;
    Ok(no_content())
}

/// Starts the node from its configuration file as `v6 node start` does.
#[utoipa::path(post, path = "/vantage6/nodes/{name}/start", tag = "vantage6", request_body(content = NodeStart, description = "Optional"),
    params(("name" = String, Path, description = "Configuration name")),
    responses((status = 200, body = NodeStartResult), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 502, body = ErrorEnvelope)))]
pub async fn start(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<NodeStart>,
) -> AppResult<Json<NodeStartResult>> {
    scoped(&audit, &name, req.scope);
    audit.detail("keep", req.keep);
    let host = state.engines.get(LOCAL_HOST)?;
    let result = container::start(&state.config.vantage6, &host, &name, &req).await?;
    audit.detail("image", result.image.clone());
    Ok(Json(result))
}

/// Stops the node and removes its four volumes (`v6 node stop`).
#[utoipa::path(post, path = "/vantage6/nodes/{name}/stop", tag = "vantage6", request_body(content = NodeStop, description = "Optional"),
    params(("name" = String, Path, description = "Configuration name")),
    responses((status = 200, body = NodeStopResult), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn stop(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<NodeStop>,
) -> AppResult<Json<NodeStopResult>> {
    scoped(&audit, &name, req.scope);
    audit.detail("force", req.force);
    let host = state.engines.get(LOCAL_HOST)?;
    let warnings = container::stop(&state.config.vantage6, &host, &name, &req).await?;
    let container = container::status(&host, &name, req.scope).await?;
    Ok(Json(NodeStopResult {
        container,
        warnings,
    }))
}

/// Stops a running node and starts it again (`v6 node restart`).
#[utoipa::path(post, path = "/vantage6/nodes/{name}/restart", tag = "vantage6", request_body(content = NodeStart, description = "Optional"),
    params(("name" = String, Path, description = "Configuration name")),
    responses((status = 200, body = NodeStartResult), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 502, body = ErrorEnvelope)))]
pub async fn restart(
    State(state): State<AppState>,
    audit: Audit,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<NodeStart>,
) -> AppResult<Json<NodeStartResult>> {
    scoped(&audit, &name, req.scope);
    audit.detail("keep", req.keep);
    let host = state.engines.get(LOCAL_HOST)?;
    let result = container::restart(&state.config.vantage6, &host, &name, &req).await?;
    audit.detail("image", result.image.clone());
    Ok(Json(result))
}

/// The node's container: running, stopped or none, with its id and logs stream.
#[utoipa::path(get, path = "/vantage6/nodes/{name}/status", tag = "vantage6",
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 200, body = NodeContainer), (status = 404, body = ErrorEnvelope)))]
pub async fn status(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Json<NodeContainer>> {
    let host = state.engines.get(LOCAL_HOST)?;
    if !crate::vantage6::name_allowed(&name)
        || !state.config.vantage6.config_file(q.scope, &name).is_file()
    {
        return Err(crate::error::AppError::new(
            berth_api::ErrorCode::NodeNotFound,
            format!("no {} node configuration `{name}`", q.scope.as_str()),
        ));
    }
    Ok(Json(container::status(&host, &name, q.scope).await?))
}

/// Removes the temporary volumes of every node (`v6 node clean`).
#[utoipa::path(post, path = "/vantage6/clean", tag = "vantage6",
    responses((status = 200, body = NodeCleanResult), (status = 409, body = ErrorEnvelope)))]
pub async fn clean(State(state): State<AppState>) -> AppResult<Json<NodeCleanResult>> {
    let host = state.engines.get(LOCAL_HOST)?;
    Ok(Json(container::clean(&host).await?))
}

/// The node container's live logs: a redirect to the logs stream of `vantage6-NAME-SCOPE` on
/// the `local` host, with the other query parameters (`tail`, `follow`, …) passed on. A
/// WebSocket client opens the node's `container.logs_url` directly.
#[utoipa::path(get, path = "/vantage6/nodes/{name}/logs", tag = "vantage6",
    params(("name" = String, Path, description = "Configuration name"), ScopeQuery),
    responses((status = 307, description = "To `/api/v1/hosts/local/containers/{container}/logs`"), (status = 404, body = ErrorEnvelope)))]
pub async fn logs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<ScopeQuery>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    if !crate::vantage6::name_allowed(&name)
        || !state.config.vantage6.config_file(q.scope, &name).is_file()
    {
        return Err(crate::error::AppError::new(
            berth_api::ErrorCode::NodeNotFound,
            format!("no {} node configuration `{name}`", q.scope.as_str()),
        ));
    }
    let rest: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or(""))
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "scope")
            .collect();
    let query = serde_urlencoded::to_string(&rest).unwrap_or_default();
    let mut location = format!(
        "/api/v1/hosts/{LOCAL_HOST}/containers/{}/logs",
        crate::vantage6::container_name(&name, q.scope)
    );
    if !query.is_empty() {
        location = format!("{location}?{query}");
    }
    Ok((
        StatusCode::TEMPORARY_REDIRECT,
        [(axum::http::header::LOCATION, location)],
    )
        .into_response())
}
