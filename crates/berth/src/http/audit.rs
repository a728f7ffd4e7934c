//! `GET /api/v1/audit`: the audit log, filtered and paged, as JSON or exported as CSV/JSON.

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use berth_api::ErrorEnvelope;
use berth_api::auth::{AuditEntry, AuditPage};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Query};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AuditFilter, AuditRecord};

/// Audit query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// User name.
    actor: Option<String>,
    /// Action (`container.start`), or a prefix ending in `.` (`container.`).
    action: Option<String>,
    /// Resource type (`container`).
    resource_type: Option<String>,
    /// Resource id.
    resource_id: Option<String>,
    /// Host.
    host: Option<String>,
    /// `success` or `failure`.
    outcome: Option<String>,
    /// From this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Until this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// Entries older than this id (the previous page's `next_before`).
    before: Option<i64>,
    /// Page size: 1–1000 (default 100); exports take up to 100000.
    limit: Option<i64>,
    /// `json` (default, a page), or an export: `csv` or `ndjson`.
    format: Option<String>,
}

fn view(r: AuditRecord) -> AuditEntry {
    AuditEntry {
        id: r.id,
        time: r.time,
        username: r.username,
        api_key: r.api_key_name,
        action: r.action,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        host: r.host,
        outcome: r.outcome,
        error_code: r.error_code,
        details: serde_json::from_str(&r.details).unwrap_or_default(),
        client_ip: r.client_ip,
        user_agent: r.user_agent,
        request_id: r.request_id,
    }
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage, description = "A page (or, with `format`, a CSV/NDJSON download)"), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    if let Some(outcome) = &q.outcome
        && outcome != "success"
        && outcome != "failure"
    {
        return Err(AppError::validation(
            "outcome",
            "outcome is success or failure",
        ));
    }
    let format = q.format.as_deref().unwrap_or("json");
    let export = match format {
        "json" => false,
        "csv" | "ndjson" => true,
        _ => {
            return Err(AppError::validation(
                "format",
                "format is json, csv or ndjson",
            ));
        }
    };
    let max = if export { 100_000 } else { 1000 };
    let limit = q.limit.unwrap_or(if export { max } else { 100 });
    if !(1..=max).contains(&limit) {
        return Err(AppError::validation("limit", format!("limit is 1–{max}")));
    }
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        host: q.host,
        outcome: q.outcome,
        since: q.since,
        until: q.until,
        before: q.before,
    };
    let (rows, total) = state.store.query_audit(&filter, limit).await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let entries: Vec<AuditEntry> = rows.into_iter().map(view).collect();
    match format {
        "csv" => csv_export(&entries),
        "ndjson" => {
            let mut body = String::new();
            for e in &entries {
                body.push_str(&serde_json::to_string(e).map_err(AppError::internal)?);
                body.push('\n');
            }
            Ok((
                [
                    (CONTENT_TYPE, "application/x-ndjson"),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"berth-audit.ndjson\"",
                    ),
                ],
                body,
            )
                .into_response())
        }
        _ => Ok(Json(AuditPage {
            entries,
            total,
            next_before,
        })
        .into_response()),
    }
}

fn csv_export(entries: &[AuditEntry]) -> AppResult<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "time",
        "username",
        "api_key",
        "action",
        "resource_type",
        "resource_id",
        "host",
        "outcome",
        "error_code",
        "details",
        "client_ip",
        "user_agent",
        "request_id",
    ])
    .map_err(AppError::internal)?;
    for e in entries {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            e.id.to_string(),
            e.time.to_rfc3339(),
            opt(&e.username),
            opt(&e.api_key),
            e.action.clone(),
            opt(&e.resource_type),
            opt(&e.resource_id),
            opt(&e.host),
            e.outcome.clone(),
            opt(&e.error_code),
            e.details.to_string(),
            opt(&e.client_ip),
            opt(&e.user_agent),
            opt(&e.request_id),
        ])
        .map_err(AppError::internal)?;
    }
    let body = w.into_inner().map_err(AppError::internal)?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"berth-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
