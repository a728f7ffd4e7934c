//! `/api/v1/hosts/{host}/system`: engine information and disk usage.

use axum::extract::State;
use berth_api::ErrorEnvelope;
use berth_api::system::{DiskUsage, SystemInfo};

use super::extract::{Json, Path};
use crate::error::AppResult;
use crate::state::AppState;

/// What the engine says about itself.
#[utoipa::path(get, path = "/hosts/{host}/system/info", tag = "system", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = SystemInfo), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn info(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<SystemInfo>> {
    Ok(Json(state.engines.get(&host)?.system_info().await?))
}

/// Disk used by images, containers, volumes and build cache.
#[utoipa::path(get, path = "/hosts/{host}/system/df", tag = "system", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = DiskUsage), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn disk_usage(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<DiskUsage>> {
    Ok(Json(state.engines.get(&host)?.disk_usage().await?))
}
