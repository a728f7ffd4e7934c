//! Volume calls: list, inspect, create, remove, prune.

use std::collections::HashMap;

use berth_api::images::PruneResult;
use berth_api::volumes::{Volume, VolumeCreate};
use bollard::query_parameters::{ListVolumesOptions, PruneVolumesOptions, RemoveVolumeOptions};

use super::{HostHandle, Resource};
use crate::error::AppError;

fn map(v: bollard::models::Volume) -> Volume {
    Volume {
        name: v.name,
        driver: v.driver,
        mountpoint: v.mountpoint,
        created_at: v.created_at,
        labels: v.labels.into_iter().collect(),
        options: v.options.into_iter().collect(),
        scope: v
            .scope
            .map(|s| s.to_string())
            .unwrap_or_else(|| "local".to_owned()),
    }
}

impl HostHandle {
    /// Lists volumes, by name.
    pub async fn list_volumes(&self) -> Result<Vec<Volume>, AppError> {
        let res = self
            .call(|d| async move { d.list_volumes(None::<ListVolumesOptions>).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        let mut volumes: Vec<Volume> = res
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(map)
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Inspects a volume.
    pub async fn inspect_volume(&self, name: &str) -> Result<Volume, AppError> {
        let key = name.to_owned();
        self.call(|d| async move { d.inspect_volume(&key).await })
            .await
            .map(map)
            .map_err(|e| e.into_app(Resource::Volume, name))
    }

    /// Creates a volume.
    pub async fn create_volume(&self, spec: &VolumeCreate) -> Result<Volume, AppError> {
        let body = bollard::models::VolumeCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            driver_opts: Some(spec.driver_opts.clone().into_iter().collect()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..Default::default()
        };
        self.call(|d| async move { d.create_volume(body).await })
            .await
            .map(map)
            .map_err(|e| e.into_app(Resource::Volume, spec.name.as_deref().unwrap_or_default()))
    }

    /// Removes a volume.
    pub async fn remove_volume(&self, name: &str, force: bool) -> Result<(), AppError> {
        let key = name.to_owned();
        let options = RemoveVolumeOptions { force };
        self.call(|d| async move { d.remove_volume(&key, Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Volume, name))
    }

    /// Removes unused volumes; `all` includes named ones on engines that spare them by default.
    pub async fn prune_volumes(&self, all: bool) -> Result<PruneResult, AppError> {
        let res = self
            .call(|d| async move {
                // Engines before API 1.42 know no `all` filter (400) and prune named volumes anyway.
                let spares_named = d.client_version()
                    >= bollard::ClientVersion {
                        major_version: 1,
                        minor_version: 42,
                    };
                let options = PruneVolumesOptions {
                    filters: (all && spares_named)
                        .then(|| HashMap::from([("all".to_owned(), vec!["true".to_owned()])])),
                };
                d.prune_volumes(Some(options)).await
            })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(PruneResult {
            deleted: res.volumes_deleted.unwrap_or_default(),
            space_reclaimed: u64::try_from(res.space_reclaimed.unwrap_or(0)).unwrap_or(0),
        })
    }
}
