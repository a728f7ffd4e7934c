//! `/api/v1/hosts/{host}/networks`: list, inspect, create, remove, connect, disconnect, prune.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use berth_api::ErrorEnvelope;
use berth_api::images::PruneResult;
use berth_api::networks::{Network, NetworkConnect, NetworkCreate, NetworkDisconnect};
use serde::Deserialize;

use super::extract::{Json, Path};
use super::middleware::no_content;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

/// Path of one network.
#[derive(Debug, Deserialize)]
pub struct NetworkPath {
    host: String,
    id: String,
}

/// The networks of a host.
#[utoipa::path(get, path = "/hosts/{host}/networks", tag = "networks", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = Vec<Network>), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<Vec<Network>>> {
    Ok(Json(state.engines.get(&host)?.list_networks().await?))
}

/// One network, with its containers.
#[utoipa::path(get, path = "/hosts/{host}/networks/{id}", tag = "networks",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Network id or name")),
    responses((status = 200, body = Network), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn inspect(
    State(state): State<AppState>,
    Path(p): Path<NetworkPath>,
) -> AppResult<Json<Network>> {
    Ok(Json(
        state.engines.get(&p.host)?.inspect_network(&p.id).await?,
    ))
}

fn check_cidr(field: &str, value: &str) -> AppResult<()> {
    let (ip, prefix) = value.split_once('/').ok_or_else(|| {
        AppError::validation(
            field,
            format!("`{value}` is not CIDR notation like 10.10.0.0/24"),
        )
    })?;
    let ip: std::net::IpAddr = ip
        .parse()
        .map_err(|_| AppError::validation(field, format!("`{ip}` is not an IP address")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix.parse::<u8>() {
        Ok(p) if p <= max => Ok(()),
        _ => Err(AppError::validation(
            field,
            format!("`{prefix}` is not a prefix length (0–{max})"),
        )),
    }
}

/// Creates a network.
#[utoipa::path(post, path = "/hosts/{host}/networks", tag = "networks", params(("host" = String, Path, description = "Host name")), request_body = NetworkCreate,
    responses((status = 201, body = Network), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Path(host): Path<String>,
    Json(req): Json<NetworkCreate>,
) -> AppResult<(StatusCode, Json<Network>)> {
    validate::object_name("name", &req.name)?;
    if let Some(driver) = &req.driver
        && (driver.is_empty() || driver.len() > 64 || driver.contains(char::is_whitespace))
    {
        return Err(AppError::validation(
            "driver",
            "a driver name is 1–64 characters without spaces",
        ));
    }
    if let Some(subnet) = &req.subnet {
        check_cidr("subnet", subnet)?;
    }
    if let Some(gateway) = &req.gateway {
        if req.subnet.is_none() {
            return Err(AppError::validation("gateway", "a gateway needs a subnet"));
        }
        gateway.parse::<std::net::IpAddr>().map_err(|_| {
            AppError::validation("gateway", format!("`{gateway}` is not an IP address"))
        })?;
    }
    let host = state.engines.get(&host)?;
    // Docker allows two networks of one name; Berth addresses networks by name, so it does not.
    // The engine's lookup also matches id prefixes: only a network of this very name conflicts.
    if host
        .inspect_network(&req.name)
        .await
        .is_ok_and(|n| n.name == req.name)
    {
        return Err(AppError::new(
            berth_api::ErrorCode::Conflict,
            format!("a network named `{}` already exists", req.name),
        )
        .with_field("name"));
    }
    Ok((StatusCode::CREATED, Json(host.create_network(&req).await?)))
}

/// Removes a network.
#[utoipa::path(delete, path = "/hosts/{host}/networks/{id}", tag = "networks",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Network id or name")),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(p): Path<NetworkPath>,
) -> AppResult<Response> {
    state.engines.get(&p.host)?.remove_network(&p.id).await?;
    Ok(no_content())
}

/// Attaches a container.
#[utoipa::path(post, path = "/hosts/{host}/networks/{id}/connect", tag = "networks",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Network id or name")), request_body = NetworkConnect,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn connect(
    State(state): State<AppState>,
    Path(p): Path<NetworkPath>,
    Json(req): Json<NetworkConnect>,
) -> AppResult<Response> {
    if req.container.is_empty() {
        return Err(AppError::validation(
            "container",
            "a container id or name is required",
        ));
    }
    for (i, alias) in req.aliases.iter().enumerate() {
        if alias.is_empty() || alias.len() > 255 || alias.contains(char::is_whitespace) {
            return Err(AppError::validation(
                format!("aliases.{i}"),
                "an alias is 1–255 characters without spaces",
            ));
        }
    }
    if let Some(ip) = &req.ipv4_address {
        ip.parse::<std::net::Ipv4Addr>().map_err(|_| {
            AppError::validation("ipv4_address", format!("`{ip}` is not an IPv4 address"))
        })?;
    }
    state
        .engines
        .get(&p.host)?
        .connect_network(&p.id, &req)
        .await?;
    Ok(no_content())
}

/// Detaches a container.
#[utoipa::path(post, path = "/hosts/{host}/networks/{id}/disconnect", tag = "networks",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Network id or name")), request_body = NetworkDisconnect,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn disconnect(
    State(state): State<AppState>,
    Path(p): Path<NetworkPath>,
    Json(req): Json<NetworkDisconnect>,
) -> AppResult<Response> {
    if req.container.is_empty() {
        return Err(AppError::validation(
            "container",
            "a container id or name is required",
        ));
    }
    state
        .engines
        .get(&p.host)?
        .disconnect_network(&p.id, &req.container, req.force)
        .await?;
    Ok(no_content())
}

/// Removes networks no container uses.
#[utoipa::path(post, path = "/hosts/{host}/networks/prune", tag = "networks", params(("host" = String, Path, description = "Host name")),
    responses((status = 200, body = PruneResult), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn prune(
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> AppResult<Json<PruneResult>> {
    Ok(Json(state.engines.get(&host)?.prune_networks().await?))
}
