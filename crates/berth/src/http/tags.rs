//! Tags with colours and the web-UI link of containers (kept by host and container name, so
//! they survive recreation). Container lists filter by tag with `?tag=`.

use std::collections::{BTreeSet, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::containers::ContainerSummary;
use berth_api::schedules::{ContainerMeta, ContainerMetaUpdate, Tag, TagUpdate};
use berth_api::{ErrorCode, ErrorEnvelope};
use futures_util::future::join_all;
use serde::Deserialize;
use utoipa::IntoParams;

use super::containers::{ContainerPath, target};
use super::extract::{Json, Path, Query};
use super::middleware::no_content;
use crate::auth::{Actor, OWNER_LABEL};
use crate::engine::containers::ListFilter;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::ContainerMetaRecord;
use crate::validate;

fn tag_not_found(name: &str) -> AppError {
    AppError::new(ErrorCode::TagNotFound, format!("no tag named `{name}`"))
}

/// Every tag.
#[utoipa::path(get, path = "/tags", tag = "tags", responses((status = 200, body = Vec<Tag>)))]
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<Tag>>> {
    Ok(Json(
        state
            .store
            .list_tags()
            .await?
            .into_iter()
            .map(|t| Tag {
                name: t.name,
                color: t.color,
            })
            .collect(),
    ))
}

/// Creates a tag.
#[utoipa::path(post, path = "/tags", tag = "tags", request_body = Tag,
    responses((status = 201, body = Tag), (status = 400, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Json(tag): Json<Tag>,
) -> AppResult<(StatusCode, Json<Tag>)> {
    validate::tag("name", &tag.name)?;
    validate::color("color", &tag.color)?;
    if !state.store.insert_tag(&tag.name, &tag.color).await? {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("a tag named `{}` exists", tag.name),
        )
        .with_field("name"));
    }
    Ok((StatusCode::CREATED, Json(tag)))
}

/// Changes a tag's colour.
#[utoipa::path(put, path = "/tags/{tag}", tag = "tags", params(("tag" = String, Path, description = "Tag name")), request_body = TagUpdate,
    responses((status = 200, body = Tag), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(req): Json<TagUpdate>,
) -> AppResult<Json<Tag>> {
    validate::color("color", &req.color)?;
    if !state.store.set_tag_color(&name, &req.color).await? {
        return Err(tag_not_found(&name));
    }
    Ok(Json(Tag {
        name,
        color: req.color,
    }))
}

/// Deletes a tag (and takes it off every container).
#[utoipa::path(delete, path = "/tags/{tag}", tag = "tags", params(("tag" = String, Path, description = "Tag name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> AppResult<Response> {
    if !state.store.delete_tag(&name).await? {
        return Err(tag_not_found(&name));
    }
    Ok(no_content())
}

/// Which host's containers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetaQuery {
    /// Only this host.
    #[serde(default)]
    host: Option<String>,
}

fn meta_view(m: ContainerMetaRecord) -> ContainerMeta {
    ContainerMeta {
        host: m.host,
        container: m.container,
        tags: m.tags,
        web_url: m.web_url,
    }
}

/// Tags and web-UI links of every container that has any (join with a container list by host and name).
/// Narrowed like container lists: to the hosts the caller may see and, for a tenant, to the
/// containers it owns (asked of each engine concerned; a host that does not answer shows none).
#[utoipa::path(get, path = "/container-meta", tag = "tags", params(MetaQuery), responses((status = 200, body = Vec<ContainerMeta>)))]
pub async fn list_meta(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<MetaQuery>,
) -> AppResult<Json<Vec<ContainerMeta>>> {
    let mut rows = state.store.list_container_meta(q.host.as_deref()).await?;
    rows.retain(|m| actor.may_see_host(&m.host));
    if let Some(owner) = actor.owner_filter() {
        let filter = ListFilter {
            all: true,
            labels: vec![format!("{OWNER_LABEL}={owner}")],
            ..Default::default()
        };
        let hosts: BTreeSet<&str> = rows.iter().map(|m| m.host.as_str()).collect();
        let lists = join_all(
            hosts
                .into_iter()
                .filter_map(|h| state.engines.get(h).ok())
                .map(|host| {
                    let filter = &filter;
                    async move { host.list_containers(filter).await }
                }),
        )
        .await;
        let own: HashSet<(String, String)> = lists
            .into_iter()
            .flatten()
            .flatten()
            .map(|c| (c.host, c.name))
            .collect();
        rows.retain(|m| own.contains(&(m.host.clone(), m.container.clone())));
    }
    Ok(Json(rows.into_iter().map(meta_view).collect()))
}

async fn container_name(state: &AppState, actor: &Actor, p: &ContainerPath) -> AppResult<String> {
    let host = target(state, actor, p).await?;
    Ok(host.inspect_container(&p.id).await?.name)
}

/// One container's tags and web-UI link.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/meta", tag = "tags",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 200, body = ContainerMeta), (status = 404, body = ErrorEnvelope)))]
pub async fn get_meta(
    State(state): State<AppState>,
    actor: Actor,
    Path(p): Path<ContainerPath>,
) -> AppResult<Json<ContainerMeta>> {
    let name = container_name(&state, &actor, &p).await?;
    let found = state
        .store
        .list_container_meta(Some(&p.host))
        .await?
        .into_iter()
        .find(|m| m.container == name);
    Ok(Json(found.map_or_else(
        || ContainerMeta {
            host: p.host.clone(),
            container: name.clone(),
            ..Default::default()
        },
        meta_view,
    )))
}

/// Changes one container's tags and/or web-UI link.
#[utoipa::path(patch, path = "/hosts/{host}/containers/{id}/meta", tag = "tags",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    request_body = ContainerMetaUpdate,
    responses((status = 200, body = ContainerMeta), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn set_meta(
    State(state): State<AppState>,
    actor: Actor,
    Path(p): Path<ContainerPath>,
    Json(req): Json<ContainerMetaUpdate>,
) -> AppResult<Json<ContainerMeta>> {
    for (i, tag) in req.tags.iter().flatten().enumerate() {
        if state.store.tag(tag).await?.is_none() {
            return Err(tag_not_found(tag).with_field(format!("tags.{i}")));
        }
    }
    if let Some(url) = req.web_url.as_deref().filter(|u| !u.is_empty())
        && (!(url.starts_with("http://") || url.starts_with("https://"))
            || url.len() > 2048
            || url.chars().any(char::is_whitespace))
    {
        return Err(AppError::validation(
            "web_url",
            "a link is an http:// or https:// URL without spaces",
        ));
    }
    let name = container_name(&state, &actor, &p).await?;
    let current = state
        .store
        .list_container_meta(Some(&p.host))
        .await?
        .into_iter()
        .find(|m| m.container == name)
        .unwrap_or_default();
    let mut tags = req.tags.unwrap_or(current.tags);
    tags.sort();
    tags.dedup();
    let web_url = match req.web_url {
        Some(u) if u.is_empty() => None,
        Some(u) => Some(u),
        None => current.web_url,
    };
    state
        .store
        .set_container_meta(&p.host, &name, &tags, web_url.as_deref())
        .await?;
    Ok(Json(ContainerMeta {
        host: p.host,
        container: name,
        tags,
        web_url,
    }))
}

/// Keeps the containers that carry `tag` (the `?tag=` filter of container lists).
pub async fn retain_tagged(
    state: &AppState,
    rows: &mut Vec<ContainerSummary>,
    tag: &str,
) -> AppResult<()> {
    let tagged: HashSet<(String, String)> = state
        .store
        .containers_with_tag(tag)
        .await?
        .into_iter()
        .collect();
    rows.retain(|c| tagged.contains(&(c.host.clone(), c.name.clone())));
    Ok(())
}
