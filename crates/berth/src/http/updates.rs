//! `POST /api/v1/hosts/{host}/containers/{id}/update` and `…/update/check`: safe image updates.
//!
//! An update pulls, recreates and waits for the new container to settle, which can outlast the
//! request timeout, so it runs as a task by default (202 with the task to follow at
//! `/api/v1/tasks/{id}`); `?wait=true` answers the outcome in the response instead.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorEnvelope;
use berth_api::updates::{UpdateCheck, UpdateOutcome, UpdateRequest, UpdateStatus};
use serde::Deserialize;
use utoipa::IntoParams;

use super::containers::{ContainerPath, target};
use super::extract::{Json, OptionalJson, Path, Query};
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::engine::update::{UpdateOptions, check_update, update_container};
use crate::error::{AppError, AppResult};
use crate::notify::NotifyEvent;
use crate::state::AppState;

/// The longest settling time a request may ask for.
const MAX_SETTLE_SECS: u32 = 600;

/// How an update request is answered.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpdateQuery {
    /// Answer the outcome when the update is done (200) instead of the task at once (202).
    #[serde(default)]
    wait: bool,
}

/// Pulls the container's image and, if it changed, recreates the container with its whole
/// configuration; the old one is kept (renamed, stopped) until the new one has run for
/// `settle_seconds` (and is healthy, where it has a health check), and restored if it fails.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/update", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), UpdateQuery),
    request_body(content = UpdateRequest, description = "Optional"),
    responses((status = 200, body = UpdateOutcome, description = "With `wait=true`: up to date, updated, or rolled back"),
        (status = 202, body = berth_api::streams::Task, description = "The task to follow; its result is the outcome"),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 502, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    audit: Audit,
    Query(q): Query<UpdateQuery>,
    OptionalJson(req): OptionalJson<UpdateRequest>,
) -> AppResult<Response> {
    let settle = req.settle_seconds.unwrap_or(10);
    if settle > MAX_SETTLE_SECS {
        return Err(AppError::validation(
            "settle_seconds",
            format!("settle_seconds is 0–{MAX_SETTLE_SECS}"),
        ));
    }
    if let Some(t) = req.stop_timeout
        && !(0..=3600).contains(&t)
    {
        return Err(AppError::validation(
            "stop_timeout",
            "stop_timeout is 0–3600 seconds",
        ));
    }
    let host = target(&state, &actor, &p).await?;
    let opts = UpdateOptions {
        settle: Duration::from_secs(u64::from(settle)),
        pull: req.pull.unwrap_or(true),
        stop_timeout: req.stop_timeout,
        ..Default::default()
    };
    if q.wait {
        let outcome = update_container(&host, &p.id, opts).await?;
        note(&audit, &outcome);
        tell(&state, &outcome);
        return Ok(Json(outcome).into_response());
    }
    let task = state.streams.tasks.create(
        "container.update",
        Some(host.name()),
        &p.id,
        Some(&actor.user.username),
    );
    audit.detail("task", task.snapshot().id);
    let answer = task.snapshot();
    let notifier = state.notifier.clone();
    tokio::spawn(async move {
        let opts = UpdateOptions {
            progress: Some(task.clone()),
            ..opts
        };
        match update_container(&host, &p.id, opts).await {
            Ok(outcome) => {
                if outcome.status == UpdateStatus::Updated {
                    notifier.publish(NotifyEvent::update_applied(&outcome));
                }
                let result = serde_json::to_value(&outcome).unwrap_or_default();
                if outcome.status == UpdateStatus::RolledBack {
                    task.fail_with(result, &outcome.message);
                } else {
                    task.succeed(result, &outcome.message);
                }
            }
            Err(e) => task.fail(&e.message),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Tells the notifier about an applied update.
fn tell(state: &AppState, outcome: &UpdateOutcome) {
    if outcome.status == UpdateStatus::Updated {
        state.notifier.publish(NotifyEvent::update_applied(outcome));
    }
}

fn note(audit: &Audit, outcome: &UpdateOutcome) {
    audit.detail(
        "status",
        serde_json::to_value(outcome.status).unwrap_or_default(),
    );
    audit.detail("image", outcome.image.clone());
    audit.detail("new_image_id", outcome.new_image_id.clone());
    if outcome.updated {
        audit.detail("new_container_id", outcome.container_id.clone());
    }
}

/// Check options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Pull first (default true); `false` compares with the image the reference names on the host now.
    pull: Option<bool>,
}

/// Pulls the container's image without touching the container and says whether an update
/// would recreate it.
#[utoipa::path(post, path = "/hosts/{host}/containers/{id}/update/check", tag = "containers",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), CheckQuery),
    responses((status = 200, body = UpdateCheck), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 502, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn check(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    audit: Audit,
    Query(q): Query<CheckQuery>,
) -> AppResult<Json<UpdateCheck>> {
    let host = target(&state, &actor, &p).await?;
    let result = check_update(&host, &p.id, q.pull.unwrap_or(true)).await?;
    audit.detail("image", result.image.clone());
    audit.detail("update_available", result.update_available);
    if result.update_available {
        state.notifier.publish(NotifyEvent::UpdateAvailable {
            host: result.host.clone(),
            container: result.name.clone(),
            image: result.image.clone(),
        });
    }
    Ok(Json(result))
}
