//! `/api/v1/schedules`: cron and one-time schedules, enable/disable, run now, run history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::ErrorEnvelope;
use berth_api::schedules::{RunStarted, Schedule, ScheduleCreate, ScheduleRuns};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Path, Query};
use super::middleware::no_content;
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::error::{AppError, AppResult};
use crate::scheduler::run_view;
use crate::state::AppState;

/// A host-bound schedule needs the caller to see that host.
fn check_host(actor: &Actor, host: &str) -> AppResult<()> {
    if host == "*" && actor.user.host_grants().is_some() {
        return Err(AppError::new(
            berth_api::ErrorCode::Forbidden,
            "a user limited to some hosts may not target every host",
        ));
    }
    if host != "*" && !actor.may_see_host(host) {
        return Err(AppError::new(
            berth_api::ErrorCode::Forbidden,
            format!("you have no access to host `{host}`"),
        ));
    }
    Ok(())
}

/// Every schedule.
#[utoipa::path(get, path = "/schedules", tag = "schedules",
    responses((status = 200, body = Vec<Schedule>), (status = 403, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>, actor: Actor) -> AppResult<Json<Vec<Schedule>>> {
    let mut all = state.scheduler.list().await?;
    all.retain(|s| s.job.host == "*" || actor.may_see_host(&s.job.host));
    Ok(Json(all))
}

/// Creates a schedule: `cron` (5 fields, or 6 with seconds) or `run_at`, in `timezone`.
#[utoipa::path(post, path = "/schedules", tag = "schedules", request_body = ScheduleCreate,
    responses((status = 201, body = Schedule), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Json(req): Json<ScheduleCreate>,
) -> AppResult<(StatusCode, Json<Schedule>)> {
    check_host(&actor, &req.job.host)?;
    audit.detail("name", req.name.clone());
    let created = state.scheduler.create(req, &actor.user.username).await?;
    audit.resource(created.id.to_string());
    Ok((StatusCode::CREATED, Json(created)))
}

/// One schedule, with its next 5 runs.
#[utoipa::path(get, path = "/schedules/{id}", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorEnvelope)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Json<Schedule>> {
    Ok(Json(state.scheduler.get(id).await?))
}

/// Replaces a schedule's definition.
#[utoipa::path(put, path = "/schedules/{id}", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")), request_body = ScheduleCreate,
    responses((status = 200, body = Schedule), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(req): Json<ScheduleCreate>,
) -> AppResult<Json<Schedule>> {
    check_host(&actor, &req.job.host)?;
    Ok(Json(state.scheduler.replace(id, req).await?))
}

/// Deletes a schedule and its history.
#[utoipa::path(delete, path = "/schedules/{id}", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Response> {
    state.scheduler.delete(id).await?;
    Ok(no_content())
}

/// Enables a schedule (its next run is counted from now).
#[utoipa::path(post, path = "/schedules/{id}/enable", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorEnvelope)))]
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Schedule>> {
    Ok(Json(state.scheduler.set_enabled(id, true).await?))
}

/// Disables a schedule.
#[utoipa::path(post, path = "/schedules/{id}/disable", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorEnvelope)))]
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Schedule>> {
    Ok(Json(state.scheduler.set_enabled(id, false).await?))
}

/// Runs a schedule now (recorded as skipped when its previous run is still going).
#[utoipa::path(post, path = "/schedules/{id}/run", tag = "schedules", params(("id" = i64, Path, description = "Schedule id")),
    responses((status = 202, body = RunStarted), (status = 404, body = ErrorEnvelope)))]
pub async fn run(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<RunStarted>)> {
    let run_id = state.scheduler.run_now(id, &actor.user.username).await?;
    audit.detail("run_id", run_id);
    Ok((StatusCode::ACCEPTED, Json(RunStarted { run_id })))
}

/// Run-history paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// At most this many, newest first (default 50, at most 500).
    #[serde(default)]
    limit: Option<i64>,
}

impl RunsQuery {
    /// The limit, bounded.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }
}

/// A schedule's runs, newest first: start, end, outcome, output, trigger.
#[utoipa::path(get, path = "/schedules/{id}/runs", tag = "schedules", params(("id" = i64, Path, description = "Schedule id"), RunsQuery),
    responses((status = 200, body = ScheduleRuns), (status = 404, body = ErrorEnvelope)))]
pub async fn runs(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<RunsQuery>,
) -> AppResult<Json<ScheduleRuns>> {
    state.scheduler.get_record(id).await?;
    let runs = state.store.schedule_runs(id, q.limit()).await?;
    Ok(Json(ScheduleRuns {
        runs: runs.iter().map(run_view).collect(),
    }))
}
