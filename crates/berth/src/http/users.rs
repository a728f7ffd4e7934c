//! `/api/v1/users` (admins) and `/api/v1/api-keys` (everyone, for their own keys).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::auth::{ApiKey, ApiKeyCreate, ApiKeyCreated, Role, User, UserCreate, UserUpdate};
use berth_api::{ErrorCode, ErrorEnvelope};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Path, Query};
use super::middleware::no_content;
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::auth::service::{self, key_view, user_view};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn host_names(state: &AppState) -> Vec<String> {
    state
        .engines
        .all()
        .iter()
        .map(|h| h.name().to_owned())
        .collect()
}

/// Every user.
#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<User>), (status = 403, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<User>>> {
    Ok(Json(
        state
            .store
            .list_users()
            .await?
            .iter()
            .map(user_view)
            .collect(),
    ))
}

/// Creates a user.
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserCreate,
    responses((status = 201, body = User), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<UserCreate>,
) -> AppResult<(StatusCode, Json<User>)> {
    audit.resource(req.username.clone());
    audit.detail("role", req.role.as_str());
    let user = service::create_user(&state.store, &host_names(&state), &req).await?;
    Ok((StatusCode::CREATED, Json(user_view(&user))))
}

/// One user, by id or name.
#[utoipa::path(get, path = "/users/{user}", tag = "users", params(("user" = String, Path, description = "User id or name")),
    responses((status = 200, body = User), (status = 404, body = ErrorEnvelope)))]
pub async fn get(State(state): State<AppState>, Path(key): Path<String>) -> AppResult<Json<User>> {
    Ok(Json(user_view(
        &service::find_user(&state.store, &key).await?,
    )))
}

/// Changes a user's role, host grants, disabled flag or password.
#[utoipa::path(patch, path = "/users/{user}", tag = "users", params(("user" = String, Path, description = "User id or name")), request_body = UserUpdate,
    responses((status = 200, body = User), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    audit: Audit,
    Path(key): Path<String>,
    Json(req): Json<UserUpdate>,
) -> AppResult<Json<User>> {
    if let Some(role) = req.role {
        audit.detail("role", role.as_str());
    }
    if let Some(disabled) = req.disabled {
        audit.detail("disabled", disabled);
    }
    if req.password.is_some() {
        audit.detail("password_reset", true);
    }
    let user = service::update_user(&state.store, &host_names(&state), &key, &req).await?;
    Ok(Json(user_view(&user)))
}

/// Deletes a user (never the last admin, never oneself).
#[utoipa::path(delete, path = "/users/{user}", tag = "users", params(("user" = String, Path, description = "User id or name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(key): Path<String>,
) -> AppResult<Response> {
    service::delete_user(&state.store, &actor, &key).await?;
    Ok(no_content())
}

/// Key list options.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// Everyone's keys (admins only).
    #[serde(default)]
    all: bool,
}

/// One's API keys (admins: everyone's with `all=true`).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", params(KeyQuery), responses((status = 200, body = Vec<ApiKey>), (status = 403, body = ErrorEnvelope)))]
pub async fn list_keys(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<KeyQuery>,
) -> AppResult<Json<Vec<ApiKey>>> {
    if q.all && actor.role() != Role::Admin {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "only admins list everyone's keys",
        ));
    }
    let owner = (!q.all).then_some(actor.user.id);
    Ok(Json(
        state
            .store
            .list_api_keys(owner)
            .await?
            .iter()
            .map(key_view)
            .collect(),
    ))
}

/// Creates an API key; the answer holds the key, shown this once.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", request_body = ApiKeyCreate,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn create_key(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Json(req): Json<ApiKeyCreate>,
) -> AppResult<(StatusCode, Json<ApiKeyCreated>)> {
    audit.detail("name", req.name.chars().take(64).collect::<String>());
    audit.detail("scope", req.scope.as_str());
    let created = service::create_api_key(&state.store, &actor, &req).await?;
    audit.resource(created.api_key.id.to_string());
    audit.detail("prefix", created.api_key.prefix.clone());
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revokes a key (one's own; admins any).
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys", params(("id" = i64, Path, description = "Key id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let key = state
        .store
        .api_key(id)
        .await?
        .filter(|k| k.user_id == actor.user.id || actor.role() == Role::Admin);
    match key {
        Some(k) if k.revoked_at.is_none() => {
            state.store.revoke_api_key(k.id).await?;
            Ok(no_content())
        }
        _ => Err(AppError::new(
            ErrorCode::ApiKeyNotFound,
            format!("no active API key {id} of yours"),
        )),
    }
}
