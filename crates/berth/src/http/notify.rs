//! `/api/v1/notifications/…`: channels (with "send test"), rules, and the deliveries log.
//! Admins only; channel secrets go in and never come out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::notify::{
    Channel, ChannelConfig, ChannelCreate, ChannelUpdate, Delivery, DeliveryPage, Rule, RuleCreate,
    RuleUpdate,
};
use berth_api::{ErrorCode, ErrorEnvelope};
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{Json, Path, Query};
use super::middleware::no_content;
use crate::auth::middleware::Audit;
use crate::error::{AppError, AppResult};
use crate::notify::{channels, delivery_view, rules, shoutrrr};
use crate::state::AppState;
use crate::store::{ChannelRecord, ChannelRow, RuleRecord};

/// Ids are numbers; anything else is a 400 naming `id`.
fn parse_id(id: &str) -> AppResult<i64> {
    id.parse()
        .map_err(|_| AppError::validation("id", "an id is a whole number"))
}

fn channel_not_found(id: i64) -> AppError {
    AppError::new(
        ErrorCode::NotificationChannelNotFound,
        format!("no notification channel has id {id}"),
    )
}

fn rule_not_found(id: i64) -> AppError {
    AppError::new(
        ErrorCode::NotificationRuleNotFound,
        format!("no notification rule has id {id}"),
    )
}

fn name_taken(name: &str) -> AppError {
    AppError::new(ErrorCode::Conflict, format!("the name `{name}` is taken")).with_field("name")
}

async fn load_channel(state: &AppState, id: i64) -> AppResult<ChannelRecord> {
    state
        .store
        .channel(id)
        .await?
        .ok_or_else(|| channel_not_found(id))
}

/// The configuration from `config` or a shoutrrr `url` (exactly one).
fn config_from(
    config: Option<ChannelConfig>,
    url: Option<&str>,
) -> AppResult<Option<ChannelConfig>> {
    match (config, url) {
        (Some(_), Some(_)) => Err(AppError::validation(
            "url",
            "send `config` or `url`, not both",
        )),
        (Some(c), None) => Ok(Some(c)),
        (None, Some(u)) => Ok(Some(shoutrrr::parse(u)?)),
        (None, None) => Ok(None),
    }
}

/// Checks a configuration; one made from a shoutrrr URL is reported against `url`.
fn validate(config: &ChannelConfig, from_url: bool) -> AppResult<()> {
    channels::validate(config).map_err(|e| {
        if from_url {
            let part = e.field.clone().unwrap_or_default();
            let part = part.trim_start_matches("config.");
            AppError::validation("url", format!("{part}: {}", e.message))
        } else {
            e
        }
    })
}

/// Every channel (secrets left out).
#[utoipa::path(get, path = "/notifications/channels", tag = "notifications",
    responses((status = 200, body = Vec<Channel>), (status = 403, body = ErrorEnvelope)))]
pub async fn list_channels(State(state): State<AppState>) -> AppResult<Json<Vec<Channel>>> {
    let list = state.store.list_channels().await?;
    Ok(Json(
        list.iter()
            .map(|c| channels::view(c, &state.secrets))
            .collect(),
    ))
}

/// Adds a channel from `config` or a shoutrrr `url`.
#[utoipa::path(post, path = "/notifications/channels", tag = "notifications", request_body = ChannelCreate,
    responses((status = 201, body = Channel), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create_channel(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<ChannelCreate>,
) -> AppResult<(StatusCode, Json<Channel>)> {
    channels::check_name("name", &req.name)?;
    let from_url = req.url.is_some();
    let config = config_from(req.config, req.url.as_deref())?
        .ok_or_else(|| AppError::validation("config", "send `config` or a shoutrrr `url`"))?;
    validate(&config, from_url)?;
    let stored = channels::seal(&config, &state.secrets)?;
    let name = req.name.trim();
    let record = state
        .store
        .insert_channel(&ChannelRow {
            name,
            kind: stored.kind,
            enabled: req.enabled.unwrap_or(true),
            settings: &stored.settings,
            secrets: stored.secrets.as_deref(),
            target: &stored.target,
        })
        .await?
        .ok_or_else(|| name_taken(name))?;
    audit.resource(record.id.to_string());
    audit.detail("name", record.name.clone());
    audit.detail("kind", record.kind.clone());
    Ok((
        StatusCode::CREATED,
        Json(channels::view(&record, &state.secrets)),
    ))
}

/// One channel (secrets left out).
#[utoipa::path(get, path = "/notifications/channels/{id}", tag = "notifications", params(("id" = i64, Path, description = "Channel id")),
    responses((status = 200, body = Channel), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn get_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Channel>> {
    let id = parse_id(&id)?;
    let record = load_channel(&state, id).await?;
    Ok(Json(channels::view(&record, &state.secrets)))
}

/// Changes a channel; a new configuration of the same kind keeps the secrets it leaves out.
#[utoipa::path(patch, path = "/notifications/channels/{id}", tag = "notifications", params(("id" = i64, Path, description = "Channel id")), request_body = ChannelUpdate,
    responses((status = 200, body = Channel), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn update_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<ChannelUpdate>,
) -> AppResult<Json<Channel>> {
    let id = parse_id(&id)?;
    let old = load_channel(&state, id).await?;
    if let Some(name) = &req.name {
        channels::check_name("name", name)?;
    }
    let from_url = req.url.is_some();
    let config = match config_from(req.config, req.url.as_deref())? {
        Some(new) => channels::keep_secrets(new, &old, &state.secrets)?,
        None => channels::open(&old, &state.secrets)?,
    };
    validate(&config, from_url)?;
    let stored = channels::seal(&config, &state.secrets)?;
    let name = req.name.as_deref().map_or(old.name.as_str(), str::trim);
    let record = state
        .store
        .update_channel(
            id,
            &ChannelRow {
                name,
                kind: stored.kind,
                enabled: req.enabled.unwrap_or(old.enabled),
                settings: &stored.settings,
                secrets: stored.secrets.as_deref(),
                target: &stored.target,
            },
        )
        .await?
        .ok_or_else(|| name_taken(name))?;
    Ok(Json(channels::view(&record, &state.secrets)))
}

/// Removes a channel (rules stop naming it; its deliveries stay).
#[utoipa::path(delete, path = "/notifications/channels/{id}", tag = "notifications", params(("id" = i64, Path, description = "Channel id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    if !state.store.delete_channel(id).await? {
        return Err(channel_not_found(id));
    }
    // Rules stop naming it (a rule left with no channel sends nothing until edited).
    for record in state.store.list_rules().await? {
        let mut rule = rules::Parsed::from_record(&record);
        if rule.channels.contains(&id) {
            rule.channels.retain(|c| *c != id);
            state
                .store
                .set_rule_channels(
                    rule.id,
                    &serde_json::to_string(&rule.channels).map_err(AppError::internal)?,
                )
                .await?;
        }
    }
    Ok(no_content())
}

/// Sends a test message now and answers its outcome (also kept as a delivery).
#[utoipa::path(post, path = "/notifications/channels/{id}/test", tag = "notifications", params(("id" = i64, Path, description = "Channel id")),
    responses((status = 200, body = Delivery, description = "The outcome; `ok` says whether the service accepted it"), (status = 404, body = ErrorEnvelope)))]
pub async fn test_channel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Delivery>> {
    let id = parse_id(&id)?;
    let record = load_channel(&state, id).await?;
    Ok(Json(state.notifier.send_test(&record).await?))
}

async fn channel_ids(state: &AppState) -> AppResult<Vec<i64>> {
    Ok(state
        .store
        .list_channels()
        .await?
        .iter()
        .map(|c| c.id)
        .collect())
}

fn rule_view(r: &RuleRecord) -> Rule {
    rules::Parsed::from_record(r).view(r)
}

/// Every rule.
#[utoipa::path(get, path = "/notifications/rules", tag = "notifications",
    responses((status = 200, body = Vec<Rule>), (status = 403, body = ErrorEnvelope)))]
pub async fn list_rules(State(state): State<AppState>) -> AppResult<Json<Vec<Rule>>> {
    Ok(Json(
        state
            .store
            .list_rules()
            .await?
            .iter()
            .map(rule_view)
            .collect(),
    ))
}

/// Adds a rule.
#[utoipa::path(post, path = "/notifications/rules", tag = "notifications", request_body = RuleCreate,
    responses((status = 201, body = Rule), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create_rule(
    State(state): State<AppState>,
    audit: Audit,
    Json(req): Json<RuleCreate>,
) -> AppResult<(StatusCode, Json<Rule>)> {
    let parsed = rules::Parsed {
        id: 0,
        name: req.name,
        enabled: req.enabled.unwrap_or(true),
        events: req.events,
        channels: req.channels,
        hosts: req.hosts,
        tags: req.tags,
        labels: req.labels,
        cooldown_secs: req.cooldown_secs.unwrap_or(rules::DEFAULT_COOLDOWN_SECS),
    };
    let row = parsed.to_row(&channel_ids(&state).await?)?;
    let record = state
        .store
        .insert_rule(&row)
        .await?
        .ok_or_else(|| name_taken(&row.name))?;
    audit.resource(record.id.to_string());
    audit.detail("name", record.name.clone());
    Ok((StatusCode::CREATED, Json(rule_view(&record))))
}

/// One rule.
#[utoipa::path(get, path = "/notifications/rules/{id}", tag = "notifications", params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = Rule), (status = 404, body = ErrorEnvelope)))]
pub async fn get_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<Rule>> {
    let id = parse_id(&id)?;
    let record = state
        .store
        .rule(id)
        .await?
        .ok_or_else(|| rule_not_found(id))?;
    Ok(Json(rule_view(&record)))
}

/// Changes a rule.
#[utoipa::path(patch, path = "/notifications/rules/{id}", tag = "notifications", params(("id" = i64, Path, description = "Rule id")), request_body = RuleUpdate,
    responses((status = 200, body = Rule), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn update_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<RuleUpdate>,
) -> AppResult<Json<Rule>> {
    let id = parse_id(&id)?;
    let old = state
        .store
        .rule(id)
        .await?
        .ok_or_else(|| rule_not_found(id))?;
    let mut p = rules::Parsed::from_record(&old);
    if let Some(v) = req.name {
        p.name = v;
    }
    if let Some(v) = req.enabled {
        p.enabled = v;
    }
    if let Some(v) = req.events {
        p.events = v;
    }
    if let Some(v) = req.channels {
        p.channels = v;
    }
    if let Some(v) = req.hosts {
        p.hosts = v;
    }
    if let Some(v) = req.tags {
        p.tags = v;
    }
    if let Some(v) = req.labels {
        p.labels = v;
    }
    if let Some(v) = req.cooldown_secs {
        p.cooldown_secs = v;
    }
    let row = p.to_row(&channel_ids(&state).await?)?;
    let record = state
        .store
        .update_rule(id, &row)
        .await?
        .ok_or_else(|| name_taken(&row.name))?;
    Ok(Json(rule_view(&record)))
}

/// Removes a rule.
#[utoipa::path(delete, path = "/notifications/rules/{id}", tag = "notifications", params(("id" = i64, Path, description = "Rule id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    if !state.store.delete_rule(id).await? {
        return Err(rule_not_found(id));
    }
    Ok(no_content())
}

/// Deliveries query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only this channel's.
    channel: Option<i64>,
    /// Deliveries older than this id (the previous page's `next_before`).
    before: Option<i64>,
    /// Page size 1–500 (default 50).
    limit: Option<i64>,
}

/// The outcome of each send, newest first.
#[utoipa::path(get, path = "/notifications/deliveries", tag = "notifications", params(DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Query(q): Query<DeliveryQuery>,
) -> AppResult<Json<DeliveryPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::validation("limit", "a page has 1–500 entries"));
    }
    let list = state
        .store
        .list_deliveries(q.channel, q.before, limit + 1)
        .await?;
    let more = list.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let deliveries: Vec<Delivery> = list
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(delivery_view)
        .collect();
    let next_before = more.then(|| deliveries.last().map(|d| d.id)).flatten();
    Ok(Json(DeliveryPage {
        deliveries,
        next_before,
    }))
}
