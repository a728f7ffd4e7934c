//! Network calls: list, inspect, create, remove, connect, disconnect, prune.

use berth_api::images::PruneResult;
use berth_api::networks::{IpamSubnet, Network, NetworkConnect, NetworkContainer, NetworkCreate};
use bollard::models::{
    EndpointIpamConfig, EndpointSettings, Ipam, IpamConfig, NetworkConnectRequest,
    NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters::{InspectNetworkOptions, ListNetworksOptions, PruneNetworksOptions};

use super::{HostHandle, Resource};
use crate::error::AppError;

fn map(n: bollard::models::NetworkInspect) -> Network {
    let mut containers: Vec<NetworkContainer> = n
        .containers
        .unwrap_or_default()
        .into_iter()
        .map(|(id, c)| NetworkContainer {
            id,
            name: c.name.unwrap_or_default(),
            ipv4_address: c.ipv4_address.filter(|s| !s.is_empty()),
        })
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Network {
        id: n.id.unwrap_or_default(),
        name: n.name.unwrap_or_default(),
        driver: n.driver.unwrap_or_default(),
        scope: n.scope.unwrap_or_default(),
        internal: n.internal.unwrap_or(false),
        attachable: n.attachable.unwrap_or(false),
        ipv6: n.enable_ipv6.unwrap_or(false),
        created: n.created,
        subnets: n
            .ipam
            .and_then(|i| i.config)
            .unwrap_or_default()
            .into_iter()
            .map(|c| IpamSubnet {
                subnet: c.subnet,
                gateway: c.gateway,
            })
            .collect(),
        labels: n.labels.unwrap_or_default().into_iter().collect(),
        containers,
    }
}

fn from_list(n: bollard::models::Network) -> bollard::models::NetworkInspect {
    bollard::models::NetworkInspect {
        name: n.name,
        id: n.id,
        created: n.created,
        scope: n.scope,
        driver: n.driver,
        enable_ipv6: n.enable_ipv6,
        ipam: n.ipam,
        internal: n.internal,
        attachable: n.attachable,
        labels: n.labels,
        ..Default::default()
    }
}

impl HostHandle {
    /// Lists networks, by name.
    pub async fn list_networks(&self) -> Result<Vec<Network>, AppError> {
        let rows = self
            .call(|d| async move { d.list_networks(None::<ListNetworksOptions>).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        let mut networks: Vec<Network> = rows.into_iter().map(|n| map(from_list(n))).collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    /// Inspects a network, with its containers.
    pub async fn inspect_network(&self, id: &str) -> Result<Network, AppError> {
        let key = id.to_owned();
        self.call(|d| async move { d.inspect_network(&key, None::<InspectNetworkOptions>).await })
            .await
            .map(map)
            .map_err(|e| e.into_app(Resource::Network, id))
    }

    /// Creates a network and answers it.
    pub async fn create_network(&self, spec: &NetworkCreate) -> Result<Network, AppError> {
        let ipam = spec.subnet.as_ref().map(|subnet| Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.clone()),
                gateway: spec.gateway.clone(),
                ..Default::default()
            }]),
            ..Default::default()
        });
        let body = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: Some(spec.driver.clone().unwrap_or_else(|| "bridge".to_owned())),
            internal: Some(spec.internal),
            attachable: Some(spec.attachable),
            enable_ipv6: Some(spec.ipv6),
            ipam,
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..Default::default()
        };
        let created = self
            .call(|d| async move { d.create_network(body).await })
            .await
            .map_err(|e| e.into_app(Resource::Network, &spec.name))?;
        self.inspect_network(&created.id).await
    }

    /// Removes a network.
    pub async fn remove_network(&self, id: &str) -> Result<(), AppError> {
        let key = id.to_owned();
        self.call(|d| async move { d.remove_network(&key).await })
            .await
            .map_err(|e| e.into_app(Resource::Network, id))
    }

    /// Attaches a container to a network.
    pub async fn connect_network(&self, id: &str, req: &NetworkConnect) -> Result<(), AppError> {
        // The engine accepts any network name for a container that is not running (and the
        // container then fails to start), so check that the network exists first.
        self.inspect_network(id).await?;
        let key = id.to_owned();
        let body = NetworkConnectRequest {
            container: req.container.clone(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!req.aliases.is_empty()).then(|| req.aliases.clone()),
                ipam_config: req.ipv4_address.as_ref().map(|ip| EndpointIpamConfig {
                    ipv4_address: Some(ip.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        let result = self
            .call(|d| async move { d.connect_network(&key, body).await })
            .await;
        // A container's networks show in lists.
        self.cache.invalidate();
        match result {
            Ok(()) => Ok(()),
            Err(e) => Err(self.network_or_container(e, id, &req.container).await),
        }
    }

    /// Detaches a container from a network.
    pub async fn disconnect_network(
        &self,
        id: &str,
        container: &str,
        force: bool,
    ) -> Result<(), AppError> {
        let key = id.to_owned();
        let body = NetworkDisconnectRequest {
            container: container.to_owned(),
            force: Some(force),
        };
        let result = self
            .call(|d| async move { d.disconnect_network(&key, body).await })
            .await;
        // A container's networks show in lists.
        self.cache.invalidate();
        match result {
            Ok(()) => Ok(()),
            Err(e) => Err(self.network_or_container(e, id, container).await),
        }
    }

    /// The engine answers 404 for a missing network or container alike; tell which.
    async fn network_or_container(
        &self,
        err: super::EngineError,
        network: &str,
        container: &str,
    ) -> AppError {
        if err.status() == Some(404) && self.inspect_network(network).await.is_ok() {
            return err.into_app(Resource::Container, container);
        }
        err.into_app(Resource::Network, network)
    }

    /// Removes networks no container uses.
    pub async fn prune_networks(&self) -> Result<PruneResult, AppError> {
        let res = self
            .call(|d| async move { d.prune_networks(None::<PruneNetworksOptions>).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(PruneResult {
            deleted: res.networks_deleted.unwrap_or_default(),
            space_reclaimed: 0,
        })
    }
}
