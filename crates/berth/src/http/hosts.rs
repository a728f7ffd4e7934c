//! `/api/v1/hosts`: list, add, read, edit, remove and test Docker hosts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::ErrorEnvelope;
use berth_api::hosts::{Host, HostCreate, HostTestRequest, HostTestResult, HostUpdate};

use super::extract::{Json, Path};
use super::middleware::no_content;
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::error::AppResult;
use crate::state::AppState;

/// Every host with its live state.
#[utoipa::path(get, path = "/hosts", tag = "hosts", responses((status = 200, body = Vec<Host>)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> Json<Vec<Host>> {
    Json(
        state
            .engines
            .all()
            .iter()
            .filter(|h| actor.may_see_host(h.name()))
            .map(|h| h.to_api())
            .collect(),
    )
}

/// Adds a host. It is saved even when its engine does not answer yet; the poller keeps trying.
#[utoipa::path(post, path = "/hosts", tag = "hosts", request_body = HostCreate,
    responses((status = 201, body = Host), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<HostCreate>,
) -> AppResult<(StatusCode, Json<Host>)> {
    audit.resource(req.name.clone());
    audit.detail("url", req.url.clone());
    audit.detail("tls", req.tls.is_some());
    let host = state.engines.add_host(&state.store, req).await?;
    host.refresh().await;
    Ok((StatusCode::CREATED, Json(host.to_api())))
}

/// One host.
#[utoipa::path(get, path = "/hosts/{host}", tag = "hosts", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = Host), (status = 404, body = ErrorEnvelope)))]
pub async fn get(State(state): State<AppState>, Path(host): Path<String>) -> AppResult<Json<Host>> {
    Ok(Json(state.engines.get(&host)?.to_api()))
}

/// Changes a host's name, address, certificates, colour or description.
#[utoipa::path(patch, path = "/hosts/{host}", tag = "hosts", params(("host" = String, Path, description = "Host name")), request_body = HostUpdate,
    responses((status = 200, body = Host), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    Path(host): Path<String>,
    Json(req): Json<HostUpdate>,
) -> AppResult<Json<Host>> {
    let host = state.engines.update_host(&state.store, &host, req).await?;
    host.refresh().await;
    Ok(Json(host.to_api()))
}

/// Removes a host from Berth (its engine and containers are untouched).
#[utoipa::path(delete, path = "/hosts/{host}", tag = "hosts", params(("host" = String, Path, description = "Host name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Response> {
    state.engines.remove_host(&state.store, &host).await?;
    Ok(no_content())
}

/// Polls a host now and answers its fresh state.
#[utoipa::path(post, path = "/hosts/{host}/test", tag = "hosts", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = HostTestResult), (status = 404, body = ErrorEnvelope)))]
pub async fn test(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<HostTestResult>> {
    let handle = state.engines.get(&host)?;
    let started = std::time::Instant::now();
    handle.refresh().await;
    let s = handle.state();
    Ok(Json(HostTestResult {
        ok: s.status == berth_api::hosts::HostStatus::Online,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        engine_version: s.engine_version,
        engine_api_version: s.engine_api_version,
        negotiated_api_version: s.negotiated_api_version,
        error: s.error,
    }))
}

/// Tries an engine address before adding it; nothing is saved.
#[utoipa::path(post, path = "/hosts/_test", tag = "hosts", request_body = HostTestRequest,
    responses((status = 200, body = HostTestResult), (status = 400, body = ErrorEnvelope)))]
pub async fn test_new(
    State(state): State<AppState>,
    Json(req): Json<HostTestRequest>,
) -> AppResult<Json<HostTestResult>> {
    Ok(Json(state.engines.test(&req.url, req.tls.as_ref()).await?))
}
