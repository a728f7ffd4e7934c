//! `/api/v1/hosts/{host}/images`: list, inspect, history, pull, tag, remove, prune.
//!
//! An image reference holds `/`, so in a URL it is percent-encoded: `berth-test%2Fbusybox:latest`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorEnvelope;
use berth_api::images::{
    ImageDetail, ImageHistoryEntry, ImagePruneRequest, ImagePullRequest, ImagePullResult,
    ImageRemoveResult, ImageSummary, ImageTagRequest, PruneResult,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, OptionalJson, Path, Query};
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

/// Path of one image.
#[derive(Debug, Deserialize)]
pub struct ImagePath {
    host: String,
    image: String,
}

/// Image list options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include intermediate images.
    #[serde(default)]
    all: bool,
    /// Only dangling (untagged, unused) images.
    #[serde(default)]
    dangling: bool,
}

/// The images of a host.
#[utoipa::path(get, path = "/hosts/{host}/images", tag = "images", params(("host" = String, Path, description = "Host name"), ListQuery),
    responses((status = 200, body = Vec<ImageSummary>), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Path(host): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<ImageSummary>>> {
    Ok(Json(
        state
            .engines
            .get(&host)?
            .list_images(q.all, q.dangling)
            .await?,
    ))
}

/// One image.
#[utoipa::path(get, path = "/hosts/{host}/images/{image}", tag = "images",
    params(("host" = String, Path, description = "Host name"), ("image" = String, Path, description = "Image reference (percent-encoded) or id")),
    responses((status = 200, body = ImageDetail), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn inspect(
    State(state): State<AppState>,
    Path(p): Path<ImagePath>,
) -> AppResult<Json<ImageDetail>> {
    Ok(Json(
        state.engines.get(&p.host)?.inspect_image(&p.image).await?,
    ))
}

/// An image's layers.
#[utoipa::path(get, path = "/hosts/{host}/images/{image}/history", tag = "images",
    params(("host" = String, Path, description = "Host name"), ("image" = String, Path, description = "Image reference (percent-encoded) or id")),
    responses((status = 200, body = Vec<ImageHistoryEntry>), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn history(
    State(state): State<AppState>,
    Path(p): Path<ImagePath>,
) -> AppResult<Json<Vec<ImageHistoryEntry>>> {
    Ok(Json(
        state.engines.get(&p.host)?.image_history(&p.image).await?,
    ))
}

/// Pulls an image and answers what changed.
#[utoipa::path(post, path = "/hosts/{host}/images/pull", tag = "images", params(("host" = String, Path, description = "Host name")), request_body = ImagePullRequest,
    responses((status = 200, body = ImagePullResult), (status = 202, body = berth_api::streams::Task, description = "With `background`: the task to follow"), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 502, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn pull(
    State(state): State<AppState>,
    Path(host): Path<String>,
    actor: Actor,
    audit: Audit,
    Json(req): Json<ImagePullRequest>,
) -> AppResult<Response> {
    audit.resource(req.image.clone());
    validate::image_ref("image", &req.image)?;
    if let Some(platform) = &req.platform
        && (platform.is_empty()
            || platform.len() > 64
            || !platform
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)))
    {
        return Err(AppError::validation(
            "platform",
            "a platform looks like linux/amd64",
        ));
    }
    let host = state.engines.get(&host)?;
    if !req.background {
        let result = host
            .pull_image(&req.image, req.platform.as_deref(), |_| {})
            .await?;
        return Ok(Json(result).into_response());
    }
    let task = state.streams.tasks.create(
        "image.pull",
        Some(host.name()),
        &req.image,
        Some(&actor.user.username),
    );
    audit.detail("task", task.snapshot().id);
    let answer = task.snapshot();
    tokio::spawn(async move {
        let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
        let progress = |msg: &bollard::models::CreateImageInfo| {
            if let (Some(id), Some(detail)) = (&msg.id, &msg.progress_detail) {
                let entry = layers.entry(id.clone()).or_default();
                if let Some(c) = detail.current {
                    entry.0 = u64::try_from(c).unwrap_or(0);
                }
                if let Some(t) = detail.total {
                    entry.1 = u64::try_from(t).unwrap_or(0);
                }
            }
            let (current, total) = layers
                .values()
                .fold((0, 0), |(c, t), (lc, lt)| (c + lc, t + lt));
            task.progress(current, total, msg.status.as_deref().unwrap_or_default());
        };
        match host
            .pull_image(&req.image, req.platform.as_deref(), progress)
            .await
        {
            Ok(result) => {
                let status = result.status.clone();
                task.succeed(serde_json::to_value(result).unwrap_or_default(), &status);
            }
            Err(e) => task.fail(&e.message),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Adds a tag to an image.
#[utoipa::path(post, path = "/hosts/{host}/images/{image}/tag", tag = "images",
    params(("host" = String, Path, description = "Host name"), ("image" = String, Path, description = "Image reference (percent-encoded) or id")), request_body = ImageTagRequest,
    responses((status = 201, body = ImageDetail), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn tag(
    State(state): State<AppState>,
    Path(p): Path<ImagePath>,
    Json(req): Json<ImageTagRequest>,
) -> AppResult<(axum::http::StatusCode, Json<ImageDetail>)> {
    validate::image_ref("repo", &req.repo)?;
    let tag = req.tag.as_deref().unwrap_or("latest");
    validate::tag("tag", tag)?;
    let host = state.engines.get(&p.host)?;
    host.tag_image(&p.image, &req.repo, tag).await?;
    let detail = host.inspect_image(&format!("{}:{tag}", req.repo)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(detail)))
}

/// Removal options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// Remove even if containers use it or it has several tags.
    #[serde(default)]
    force: bool,
    /// Keep untagged parent layers.
    #[serde(default)]
    noprune: bool,
}

/// Removes an image or one of its tags.
#[utoipa::path(delete, path = "/hosts/{host}/images/{image}", tag = "images",
    params(("host" = String, Path, description = "Host name"), ("image" = String, Path, description = "Image reference (percent-encoded) or id"), RemoveQuery),
    responses((status = 200, body = ImageRemoveResult), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(p): Path<ImagePath>,
    Query(q): Query<RemoveQuery>,
) -> AppResult<Json<ImageRemoveResult>> {
    Ok(Json(
        state
            .engines
            .get(&p.host)?
            .remove_image(&p.image, q.force, q.noprune)
            .await?,
    ))
}

/// Removes dangling images (or, with `all`, every unused one) and answers the bytes reclaimed.
#[utoipa::path(post, path = "/hosts/{host}/images/prune", tag = "images", params(("host" = String, Path, description = "Host name")), request_body(content = ImagePruneRequest, description = "Optional"),
    responses((status = 200, body = PruneResult), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn prune(
    State(state): State<AppState>,
    Path(host): Path<String>,
    OptionalJson(req): OptionalJson<ImagePruneRequest>,
) -> AppResult<Json<PruneResult>> {
    Ok(Json(state.engines.get(&host)?.prune_images(req.all).await?))
}
