//! Health: `/health`, `/health/live`, `/health/ready`, `/health/detailed`.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_api::health::{ComponentHealth, Health, HealthDetailed};
use chrono::Utc;
use futures_util::future::join_all;

use super::extract::Json;
use crate::state::AppState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether the server is up, with its version and clock.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: VERSION.to_owned(),
        time: Utc::now(),
    })
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, body = Health)))]
pub async fn live() -> Json<Health> {
    health().await
}

/// Readiness: 503 unless the database answers.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let db_ok = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping())
        .await
        .is_ok_and(|r| r.is_ok());
    let body = Health {
        status: if db_ok { "ok" } else { "unavailable" }.to_owned(),
        version: VERSION.to_owned(),
        time: Utc::now(),
    };
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    documented((status, Json(body)).into_response())
}

/// Each component with its response time: the database, then each Docker host.
#[utoipa::path(get, path = "/health/detailed", tag = "health", responses((status = 200, body = HealthDetailed), (status = 503, body = HealthDetailed)))]
pub async fn detailed(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let db = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping()).await;
    let db_ms = started.elapsed().as_secs_f64() * 1000.0;
    let db_error = match db {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("no answer within 2 s".to_owned()),
    };
    let mut components = vec![ComponentHealth {
        name: "database".to_owned(),
        status: if db_error.is_none() { "up" } else { "down" }.to_owned(),
        response_time_ms: db_ms,
        version: Some("sqlite".to_owned()),
        error: db_error.clone(),
    }];
    let hosts = state.engines.all();
    let checks = hosts.iter().map(|host| async move {
        let started = Instant::now();
        let result = host
            .call_within(std::time::Duration::from_secs(3), |d| async move {
                d.version().await
            })
            .await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(v) => ComponentHealth {
                name: format!("docker:{}", host.name()),
                status: "up".to_owned(),
                response_time_ms: ms,
                version: v.version,
                error: None,
            },
            Err(e) => ComponentHealth {
                name: format!("docker:{}", host.name()),
                status: "down".to_owned(),
                response_time_ms: ms,
                version: None,
                error: Some(e.into_app(crate::engine::Resource::Engine, "").message),
            },
        }
    });
    components.extend(join_all(checks).await);
    let docker_down = components.iter().any(|c| c.status == "down");
    let status = if db_error.is_some() {
        "error"
    } else if docker_down {
        "degraded"
    } else {
        "ok"
    };
    let code = if db_error.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = HealthDetailed {
        status: status.to_owned(),
        version: VERSION.to_owned(),
        time: Utc::now(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        components,
    };
    documented((code, Json(body)).into_response())
}

/// Keeps a health answer's own body on a 503 (monitors read which component is down).
fn documented(mut res: Response) -> Response {
    res.extensions_mut()
        .insert(super::middleware::DocumentedBody);
    res
}
