//! `/api/v1/auth`: login, logout, who am I, password change, own sessions.

use axum::extract::State;
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use berth_api::auth::{LoginRequest, Me, PasswordChange, Session};
use berth_api::{ErrorCode, ErrorEnvelope};

use super::extract::{ClientIp, Json, Path};
use super::middleware::no_content;
use crate::auth::middleware::Audit;
use crate::auth::service::{self, session_view, user_view};
use crate::auth::{Actor, Credential, SESSION_COOKIE};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn cookie(state: &AppState, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("berth_session=; Path=/; Max-Age=0"))
}

fn me(
    actor_user: &crate::store::UserRecord,
    csrf: Option<String>,
    key: Option<berth_api::auth::ApiKey>,
) -> Me {
    Me {
        user: user_view(actor_user),
        csrf_token: csrf,
        must_change_password: actor_user.must_change_password,
        api_key: key,
    }
}

/// Signs in: sets the session cookie and answers the user and the CSRF token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Me), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    audit: Audit,
    Json(req): Json<LoginRequest>,
) -> AppResult<Response> {
    audit.detail(
        "username",
        req.username.chars().take(64).collect::<String>(),
    );
    let ua = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect::<String>());
    let (user, session) = service::login(
        &state.store,
        &state.config,
        &state.limits,
        &req.username,
        &req.password,
        ip.as_deref(),
        ua.as_deref(),
    )
    .await
    .inspect_err(|e| {
        if matches!(e.code, ErrorCode::Unauthenticated | ErrorCode::RateLimited) {
            state.notifier.login_failed(&req.username, ip.as_deref());
        }
    })?;
    audit.actor(user.id, &user.username);
    let body = me(&user, Some(session.csrf_token), None);
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        SET_COOKIE,
        cookie(
            &state,
            &session.token,
            state.config.session_max_hours * 3600,
        ),
    );
    Ok(res)
}

/// Signs out: ends this session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorEnvelope)))]
pub async fn logout(State(state): State<AppState>, actor: Actor) -> AppResult<Response> {
    if let Credential::Session { id, .. } = &actor.credential {
        state.store.delete_session(id, None).await?;
    }
    let mut res = no_content();
    res.headers_mut().insert(SET_COOKIE, cookie(&state, "", 0));
    Ok(res)
}

/// Who is calling.
#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope)))]
pub async fn whoami(State(state): State<AppState>, actor: Actor) -> AppResult<Json<Me>> {
    Ok(Json(match &actor.credential {
        Credential::Session { csrf_token, .. } => me(&actor.user, Some(csrf_token.clone()), None),
        Credential::ApiKey { id, .. } => {
            let key = state
                .store
                .api_key(*id)
                .await?
                .map(|k| service::key_view(&k));
            me(&actor.user, None, key)
        }
        Credential::Ticket => me(&actor.user, None, None),
    }))
}

/// Changes one's own password; one's other sessions end.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Json(req): Json<PasswordChange>,
) -> AppResult<Response> {
    audit.resource(actor.user.username.clone());
    service::change_password(
        &state.store,
        &actor,
        &req.current_password,
        &req.new_password,
    )
    .await?;
    Ok(no_content())
}

/// One's own sessions.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", responses((status = 200, body = Vec<Session>), (status = 401, body = ErrorEnvelope)))]
pub async fn my_sessions(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<Session>>> {
    let current = actor.session_id();
    let rows = state.store.list_sessions(Some(actor.user.id)).await?;
    Ok(Json(
        rows.iter().map(|s| session_view(s, current)).collect(),
    ))
}

/// Ends one of one's own sessions.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", params(("id" = String, Path, description = "Session id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_my_session(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Response> {
    if !state.store.delete_session(&id, Some(actor.user.id)).await? {
        return Err(AppError::new(
            berth_api::ErrorCode::SessionNotFound,
            format!("no session `{id}` of yours"),
        ));
    }
    Ok(no_content())
}

/// Everyone's sessions (admins).
#[utoipa::path(get, path = "/sessions", tag = "auth", responses((status = 200, body = Vec<Session>), (status = 403, body = ErrorEnvelope)))]
pub async fn all_sessions(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<Session>>> {
    let current = actor.session_id();
    let rows = state.store.list_sessions(None).await?;
    Ok(Json(
        rows.iter().map(|s| session_view(s, current)).collect(),
    ))
}

/// Ends anyone's session (admins).
#[utoipa::path(delete, path = "/sessions/{id}", tag = "auth", params(("id" = String, Path, description = "Session id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    if !state.store.delete_session(&id, None).await? {
        return Err(AppError::new(
            berth_api::ErrorCode::SessionNotFound,
            format!("no session `{id}`"),
        ));
    }
    Ok(no_content())
}
