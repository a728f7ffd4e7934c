//! Webhooks in: `/api/v1/webhooks` to manage them, `POST /api/v1/hooks/{token}` to call one.
//! The token is shown once (only its SHA-256 is kept); a signature check (GitHub's HMAC or
//! GitLab's shared token) and a per-webhook rate limit guard the call.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use berth_api::schedules::{
    RunStarted, ScheduleRuns, SignatureCheck, Webhook, WebhookCreate, WebhookCreated,
};
use berth_api::{ErrorCode, ErrorEnvelope};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::extract::{Json, Path, Query};
use super::middleware::no_content;
use super::schedules::RunsQuery;
use crate::auth::middleware::{Audit, rate_limited};
use crate::auth::{Actor, tokens};
use crate::error::{AppError, AppResult};
use crate::scheduler::{hook_secrets, job, run_view};
use crate::state::AppState;
use crate::store::{NewWebhook, WebhookRecord};

/// The prefix of every webhook token.
pub const TOKEN_PREFIX: &str = "bwh_";

fn view(w: &WebhookRecord) -> Webhook {
    Webhook {
        id: w.id,
        name: w.name.clone(),
        job: serde_json::from_str(&w.job).unwrap_or_default(),
        token_prefix: w.token_prefix.clone(),
        signature: match w.signature.as_str() {
            "github" => SignatureCheck::Github,
            "gitlab" => SignatureCheck::Gitlab,
            _ => SignatureCheck::None,
        },
        rate_limit_per_minute: u32::try_from(w.rate_limit_per_minute).unwrap_or(0),
        trigger_count: w.trigger_count,
        last_triggered_at: w.last_triggered_at,
        created_by: w.created_by.clone(),
        created_at: w.created_at,
    }
}

fn not_found() -> AppError {
    AppError::new(ErrorCode::WebhookNotFound, "no such webhook")
}

async fn record(state: &AppState, id: i64) -> AppResult<WebhookRecord> {
    state.store.webhook(id).await?.ok_or_else(not_found)
}

/// Every webhook (never its token or secret).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<Webhook>>> {
    Ok(Json(
        state
            .store
            .list_webhooks()
            .await?
            .iter()
            .map(view)
            .collect(),
    ))
}

/// Creates a webhook bound to one action on one target; answers its token, this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookCreate,
    responses((status = 201, body = WebhookCreated), (status = 400, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Json(req): Json<WebhookCreate>,
) -> AppResult<(StatusCode, Json<WebhookCreated>)> {
    let token = format!("{TOKEN_PREFIX}{}", tokens::random_token(32));
    let mut new = checked(&state, &actor, req, None)?;
    new.token_hash = tokens::hash(&token);
    new.token_prefix = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let rec = state
        .store
        .insert_webhook(&new, Some(&actor.user.username))
        .await?;
    audit.resource(rec.id.to_string());
    audit.detail("name", rec.name.clone());
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            webhook: view(&rec),
            path: format!("/api/v1/hooks/{token}"),
            token,
        }),
    ))
}

/// Checks a create or replace body; the token fields are left empty. A replace that keeps a
/// signature check may leave the secret out to keep the stored one (`kept`, still sealed): it
/// is never answered, so an editor cannot send it back.
fn checked(
    state: &AppState,
    actor: &Actor,
    req: WebhookCreate,
    kept: Option<&WebhookRecord>,
) -> AppResult<NewWebhook> {
    let name = req.name.trim().to_owned();
    if name.is_empty() {
        return Err(AppError::validation("name", "a webhook needs a name"));
    }
    crate::validate::text("name", &name, 100)?;
    if req.job.host != "*" && !actor.may_see_host(&req.job.host) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("you have no access to host `{}`", req.job.host),
        ));
    }
    let job = job::check(req.job, &state.engines)?;
    let signature = req.signature.unwrap_or(SignatureCheck::None);
    let stored = kept.and_then(|k| k.sealed_secret.clone());
    let sealed_secret = match (signature, req.secret) {
        (SignatureCheck::None, Some(_)) => {
            return Err(AppError::validation(
                "secret",
                "a secret needs a `signature` check (github or gitlab)",
            ));
        }
        (SignatureCheck::None, None) => None,
        (_, Some(s)) if (16..=256).contains(&s.len()) => {
            Some(hook_secrets::seal(&state.secrets, &s)?)
        }
        (_, None) if stored.is_some() => stored,
        (_, _) => {
            return Err(AppError::validation(
                "secret",
                "a signature check needs a secret of 16 to 256 characters",
            ));
        }
    };
    let rate = req.rate_limit_per_minute.unwrap_or(10);
    if !(1..=600).contains(&rate) {
        return Err(AppError::validation(
            "rate_limit_per_minute",
            "1 to 600 calls a minute",
        ));
    }
    let new = NewWebhook {
        name,
        job: serde_json::to_string(&job).map_err(AppError::internal)?,
        token_hash: String::new(),
        token_prefix: String::new(),
        signature: match signature {
            SignatureCheck::None => "none",
            SignatureCheck::Github => "github",
            SignatureCheck::Gitlab => "gitlab",
        }
        .to_owned(),
        sealed_secret,
        rate_limit_per_minute: rate,
    };
    Ok(new)
}

/// One webhook.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = Webhook), (status = 404, body = ErrorEnvelope)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Json<Webhook>> {
    Ok(Json(view(&record(&state, id).await?)))
}

/// Replaces a webhook's action, target, signature check and rate limit; its token stays.
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "Webhook id")), request_body = WebhookCreate,
    responses((status = 200, body = Webhook), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(req): Json<WebhookCreate>,
) -> AppResult<Json<Webhook>> {
    let old = record(&state, id).await?;
    let new = checked(&state, &actor, req, Some(&old))?;
    let rec = state
        .store
        .replace_webhook(id, &new)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(view(&rec)))
}

/// Deletes a webhook (its token stops working at once).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Response> {
    if !state.store.delete_webhook(id).await? {
        return Err(not_found());
    }
    Ok(no_content())
}

/// A webhook's runs, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/runs", tag = "webhooks", params(("id" = i64, Path, description = "Webhook id"), RunsQuery),
    responses((status = 200, body = ScheduleRuns), (status = 404, body = ErrorEnvelope)))]
pub async fn runs(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<RunsQuery>,
) -> AppResult<Json<ScheduleRuns>> {
    record(&state, id).await?;
    let runs = state.store.webhook_runs(id, q.limit()).await?;
    Ok(Json(ScheduleRuns {
        runs: runs.iter().map(run_view).collect(),
    }))
}

/// Calls a webhook: its token is the credential. GitHub-style webhooks need
/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, GitLab-style `X-Gitlab-Token`.
#[utoipa::path(post, path = "/hooks/{token}", tag = "webhooks", params(("token" = String, Path, description = "The webhook's token")),
    security(()),
    responses((status = 202, body = RunStarted), (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn trigger(
    State(state): State<AppState>,
    audit: Audit,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, Json<RunStarted>)> {
    let hook = state
        .store
        .webhook_by_token_hash(&tokens::hash(&token))
        .await?
        .ok_or_else(not_found)?;
    audit.resource(hook.id.to_string());
    audit.detail("webhook", hook.name.clone());
    let per_minute = u32::try_from(hook.rate_limit_per_minute).unwrap_or(1);
    state
        .scheduler
        .webhook_allowed(hook.id, per_minute)
        .map_err(rate_limited)?;
    let secret = hook_secrets::open(&state.secrets, &hook)?;
    verify_signature(&hook, secret.as_deref(), &headers, &body)?;
    let run_id = state.scheduler.fire_webhook(&hook).await?;
    audit.detail("run_id", run_id);
    Ok((StatusCode::ACCEPTED, Json(RunStarted { run_id })))
}

fn verify_signature(
    hook: &WebhookRecord,
    secret: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<()> {
    let secret = secret.unwrap_or_default();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let bad = |what: &str| AppError::new(ErrorCode::Unauthenticated, what.to_owned());
    match hook.signature.as_str() {
        "github" => {
            let sent = header("x-hub-signature-256");
            let hex_sig = sent
                .strip_prefix("sha256=")
                .ok_or_else(|| bad("send X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>"))?;
            let sig = hex::decode(hex_sig).map_err(|_| bad("the signature is not hex"))?;
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(AppError::internal)?;
            mac.update(body);
            // `verify_slice` compares in constant time.
            mac.verify_slice(&sig)
                .map_err(|_| bad("the signature does not match the body"))
        }
        "gitlab" => {
            if tokens::constant_time_eq(header("x-gitlab-token"), secret) {
                Ok(())
            } else {
                Err(bad("send the webhook's secret as X-Gitlab-Token"))
            }
        }
        _ => Ok(()),
    }
}
