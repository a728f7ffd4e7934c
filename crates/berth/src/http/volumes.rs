//! `/api/v1/hosts/{host}/volumes`: list, inspect, create, remove, prune.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::ErrorEnvelope;
use berth_api::images::PruneResult;
use berth_api::volumes::{Volume, VolumeCreate, VolumePruneRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, OptionalJson, Path, Query};
use super::middleware::no_content;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

/// Path of one volume.
#[derive(Debug, Deserialize)]
pub struct VolumePath {
    host: String,
    name: String,
}

/// The volumes of a host.
#[utoipa::path(get, path = "/hosts/{host}/volumes", tag = "volumes", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = Vec<Volume>), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<Vec<Volume>>> {
    Ok(Json(state.engines.get(&host)?.list_volumes().await?))
}

/// One volume.
#[utoipa::path(get, path = "/hosts/{host}/volumes/{name}", tag = "volumes",
    params(("host" = String, Path, description = "Host name"), ("name" = String, Path, description = "Volume name")),
    responses((status = 200, body = Volume), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn inspect(
    State(state): State<AppState>,
    Path(p): Path<VolumePath>,
) -> AppResult<Json<Volume>> {
    Ok(Json(
        state.engines.get(&p.host)?.inspect_volume(&p.name).await?,
    ))
}

/// Creates a volume.
#[utoipa::path(post, path = "/hosts/{host}/volumes", tag = "volumes", params(("host" = String, Path, description = "Host name")), request_body = VolumeCreate,
    responses((status = 201, body = Volume), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Path(host): Path<String>,
    Json(req): Json<VolumeCreate>,
) -> AppResult<(StatusCode, Json<Volume>)> {
    if let Some(name) = &req.name {
        validate::object_name("name", name)?;
    }
    if let Some(driver) = &req.driver
        && (driver.is_empty() || driver.len() > 128 || driver.contains(char::is_whitespace))
    {
        return Err(AppError::validation(
            "driver",
            "a driver name is 1–128 characters without spaces",
        ));
    }
    let host = state.engines.get(&host)?;
    if let Some(name) = &req.name {
        // The engine answers 201 for a name that exists; a create should not silently reuse.
        if host.inspect_volume(name).await.is_ok() {
            return Err(AppError::new(
                berth_api::ErrorCode::Conflict,
                format!("a volume named `{name}` already exists"),
            )
            .with_field("name"));
        }
    }
    Ok((StatusCode::CREATED, Json(host.create_volume(&req).await?)))
}

/// Removal options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// Remove even if in use.
    #[serde(default)]
    force: bool,
}

/// Removes a volume.
#[utoipa::path(delete, path = "/hosts/{host}/volumes/{name}", tag = "volumes",
    params(("host" = String, Path, description = "Host name"), ("name" = String, Path, description = "Volume name"), RemoveQuery),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(p): Path<VolumePath>,
    Query(q): Query<RemoveQuery>,
) -> AppResult<Response> {
    state
        .engines
        .get(&p.host)?
        .remove_volume(&p.name, q.force)
        .await?;
    Ok(no_content())
}

/// Removes unused volumes and answers the bytes reclaimed.
#[utoipa::path(post, path = "/hosts/{host}/volumes/prune", tag = "volumes", params(("host" = String, Path, description = "Host name")), request_body(content = VolumePruneRequest, description = "Optional"),
    responses((status = 200, body = PruneResult), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn prune(
    State(state): State<AppState>,
    Path(host): Path<String>,
    OptionalJson(req): OptionalJson<VolumePruneRequest>,
) -> AppResult<Json<PruneResult>> {
    Ok(Json(
        state.engines.get(&host)?.prune_volumes(req.all).await?,
    ))
}
