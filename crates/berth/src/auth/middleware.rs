//! The one gate every routed request passes: authenticate, check the route's rule (role, key
//! scope, host grant, CSRF, forced password change, rate limit), run the handler, and write
//! exactly one audit entry for every request that changes state.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, COOKIE, USER_AGENT};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorCode;
use chrono::Utc;

use super::permissions::{self, Rule};
use super::{Actor, CSRF_HEADER, Cap, Credential, SESSION_COOKIE, tokens};
use crate::error::{AppError, Enveloped, current_request_id};
use crate::state::AppState;
use crate::store::NewAuditEntry;

/// What a handler adds to its request's audit entry.
#[derive(Debug, Default)]
pub struct AuditNote {
    /// The resource's id, when the path does not name it (e.g. a create).
    pub resource_id: Option<String>,
    /// Extra context (never a secret).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// The user acting, when the route is public (login).
    pub actor: Option<(i64, String)>,
}

/// A handle on the current request's [`AuditNote`]; extract it in a handler.
#[derive(Debug, Clone, Default)]
pub struct Audit(Arc<Mutex<AuditNote>>);

impl Audit {
    /// Names the resource.
    pub fn resource(&self, id: impl Into<String>) {
        self.with(|n| n.resource_id = Some(id.into()));
    }

    /// Adds a detail.
    pub fn detail(&self, key: &str, value: impl Into<serde_json::Value>) {
        self.with(|n| {
            n.details.insert(key.to_owned(), value.into());
        });
    }

    /// Names the acting user (for public routes).
    pub fn actor(&self, id: i64, username: &str) {
        self.with(|n| n.actor = Some((id, username.to_owned())));
    }

    fn with(&self, f: impl FnOnce(&mut AuditNote)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    fn take(&self) -> AuditNote {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Audit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Audit>().cloned().unwrap_or_default())
    }
}

/// Routes a user who must change their password may still use.
const PASSWORD_CHANGE_ALLOWED: [&str; 3] = [
    "/api/v1/auth/me",
    "/api/v1/auth/password",
    "/api/v1/auth/logout",
];

/// Who is calling, from an API key or a session cookie; `Ok(None)` when neither is sent.
pub async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Actor>, AppError> {
    let unauthenticated = |msg: &str| AppError::new(ErrorCode::Unauthenticated, msg.to_owned());
    if let Some(value) = headers.get(AUTHORIZATION) {
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                unauthenticated("the Authorization header must be `Bearer <api key>`")
            })?;
        let record = state
            .store
            .api_key_by_hash(&tokens::hash(key))
            .await?
            .ok_or_else(|| unauthenticated("the API key is not valid"))?;
        if record.revoked_at.is_some() {
            return Err(unauthenticated("the API key was revoked"));
        }
        if record.expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(unauthenticated("the API key has expired"));
        }
        let user = state
            .store
            .user_by_id(record.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| unauthenticated("the API key's user is disabled"))?;
        if record
            .last_used_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::seconds(60))
        {
            state.store.touch_api_key(record.id).await?;
        }
        return Ok(Some(Actor {
            user,
            credential: Credential::ApiKey {
                id: record.id,
                scope: record.scope(),
                name: record.name,
            },
        }));
    }
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let session = state
        .store
        .session_by_token(&tokens::hash(&token))
        .await?
        .ok_or_else(|| unauthenticated("the session has ended: sign in again"))?;
    let now = Utc::now();
    let idle = chrono::Duration::minutes(
        i64::try_from(state.config.session_idle_minutes).unwrap_or(i64::MAX / 120),
    );
    if session.expires_at <= now || now - session.last_seen_at > idle {
        state.store.delete_session(&session.id, None).await?;
        return Err(unauthenticated("the session has expired: sign in again"));
    }
    let user = state
        .store
        .user_by_id(session.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| unauthenticated("the account is disabled"))?;
    if now - session.last_seen_at > chrono::Duration::seconds(30) {
        state.store.touch_session(&session.id).await?;
    }
    Ok(Some(Actor {
        user,
        credential: Credential::Session {
            id: session.id,
            csrf_token: session.csrf_token,
        },
    }))
}

fn ticket_param(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v)
}

async fn redeem_ticket(state: &AppState, ticket: &str) -> Result<Actor, AppError> {
    let user_id = state.streams.tickets.redeem(ticket).ok_or_else(|| {
        AppError::new(
            ErrorCode::Unauthenticated,
            "the ticket is not valid (tickets work once, for 30 s)",
        )
    })?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "the account is disabled"))?;
    Ok(Actor {
        user,
        credential: Credential::Ticket,
    })
}

/// A browser's cookie rides along on a WebSocket opened by any page; only this origin's (and
/// configured CORS origins') pages may open one with it.
fn same_origin(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        // Not a browser.
        return true;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let own = origin.split_once("://").map(|(_, rest)| rest) == Some(host);
    own || state.config.cors_origins.iter().any(|o| o == origin)
}

/// The session token from the `Cookie` header.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

fn check(
    state: &AppState,
    rule: &Rule,
    actor: &Actor,
    req: &Request,
    host: Option<&str>,
) -> Result<(), AppError> {
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let Credential::Session { csrf_token, .. } = &actor.credential
        && mutating
    {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !tokens::constant_time_eq(sent, csrf_token) {
            return Err(AppError::new(
                ErrorCode::CsrfTokenInvalid,
                "send the session's CSRF token as X-CSRF-Token",
            ));
        }
    }
    if matches!(actor.credential, Credential::Session { .. })
        && crate::streams::is_websocket(req.headers())
        && !same_origin(state, req.headers())
    {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "a WebSocket with a session cookie must come from this server's own pages",
        ));
    }
    if actor.user.must_change_password && !PASSWORD_CHANGE_ALLOWED.contains(&rule.path) {
        return Err(AppError::new(
            ErrorCode::PasswordChangeRequired,
            "change your password first (POST /api/v1/auth/password)",
        ));
    }
    if !rule.cap.allowed_for(actor.role()) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("the {} role may not do this", actor.role().as_str()),
        ));
    }
    if let Some(scope) = actor.key_scope()
        && !rule.cap.allowed_for_scope(scope, mutating)
    {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("a `{}` API key may not do this", scope.as_str()),
        ));
    }
    if let Some(host) = host
        && !actor.may_see_host(host)
    {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("you have no access to host `{host}`"),
        ));
    }
    if let Some(limiter) = &state.limits.api {
        limiter
            .hit(&format!("user:{}", actor.user.id))
            .map_err(rate_limited)?;
    }
    Ok(())
}

/// A 429 with its retry time (the response gets `Retry-After`).
pub fn rate_limited(retry_after: std::time::Duration) -> AppError {
    AppError::new(ErrorCode::RateLimited, "too many requests: try again later")
        .with_details(serde_json::json!({ "retry_after_seconds": retry_after.as_secs().max(1) }))
}

/// The gate (a route layer, so the matched route is known).
pub async fn authorize(
    State(state): State<AppState>,
    params: RawPathParams,
    mut req: Request,
    next: Next,
) -> Response {
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().clone();
    // HEAD is served by the GET handler, so it needs what GET needs.
    let lookup = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let Some(rule) = permissions::find(lookup, &matched) else {
        if permissions::RULES.iter().any(|r| r.path == matched) {
            // A method the route does not have: the router answers 405, no handler runs.
            return next.run(req).await;
        }
        tracing::error!(%method, path = %matched, "route without a permission rule: refused");
        return AppError::new(ErrorCode::Forbidden, "this route has no permission rule")
            .into_response();
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    };
    let host = param("host");
    let client_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect::<String>());
    let audit = Audit::default();
    req.extensions_mut().insert(audit.clone());

    let ticket = ticket_param(req.uri().query());
    let actor = if rule.cap == Cap::Public {
        Ok(None)
    } else if let Some(ticket) = ticket.filter(|_| method == Method::GET) {
        redeem_ticket(&state, &ticket).await.and_then(|actor| {
            check(&state, rule, &actor, &req, host.as_deref()).map(|()| Some(actor))
        })
    } else {
        match authenticate(&state, req.headers()).await {
            Ok(Some(actor)) => {
                check(&state, rule, &actor, &req, host.as_deref()).map(|()| Some(actor))
            }
            Ok(None) => Err(AppError::new(
                ErrorCode::Unauthenticated,
                "sign in or send an API key",
            )),
            Err(e) => Err(e),
        }
    };
    let (response, actor) = match actor {
        Ok(actor) => {
            if let Some(a) = &actor {
                req.extensions_mut().insert(a.clone());
            }
            (next.run(req).await, actor)
        }
        Err(e) => (e.into_response(), None),
    };
    if !rule.action.is_empty() {
        let note = audit.take();
        let failed = response.status().is_client_error() || response.status().is_server_error();
        let (user_id, username) = match (&actor, note.actor) {
            (Some(a), _) => (Some(a.user.id), Some(a.user.username.clone())),
            (None, Some((id, name))) => (Some(id), Some(name)),
            (None, None) => (None, None),
        };
        let (api_key_id, api_key_name) = match actor.as_ref().map(|a| &a.credential) {
            Some(Credential::ApiKey { id, name, .. }) => (Some(*id), Some(name.clone())),
            _ => (None, None),
        };
        let entry = NewAuditEntry {
            user_id,
            username,
            api_key_id,
            api_key_name,
            action: rule.action.to_owned(),
            resource_type: permissions::resource_type(rule.action).map(str::to_owned),
            resource_id: note.resource_id.or_else(|| rule.id_param.and_then(param)),
            host,
            outcome: if failed { "failure" } else { "success" }.to_owned(),
            error_code: response
                .extensions()
                .get::<Enveloped>()
                .map(|e| e.0.as_str().to_owned())
                .or_else(|| failed.then(|| response.status().as_u16().to_string())),
            details: serde_json::Value::Object(note.details).to_string(),
            client_ip,
            user_agent,
            request_id: Some(current_request_id()),
        };
        if let Err(e) = state.store.append_audit(&entry).await {
            tracing::error!(error = %e, action = rule.action, "could not write the audit entry");
        }
    }
    response
}
