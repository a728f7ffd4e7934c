//! System calls: engine information and disk usage.

use std::collections::HashSet;

use berth_api::system::{DiskUsage, DiskUsageItem, SystemInfo};
use bollard::query_parameters::{ListContainersOptions, ListImagesOptions};

use super::{HostHandle, Resource};
use crate::error::AppError;

/// Total, active, size and reclaimable, as the engine reports each kind.
type UsageCounts = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);

fn n(v: Option<i64>) -> u64 {
    v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)
}

impl HostHandle {
    /// What the engine says about itself.
    pub async fn system_info(&self) -> Result<SystemInfo, AppError> {
        let (negotiated, info, version) = self
            .call(|d| async move {
                let info = d.info().await?;
                let version = d.version().await?;
                Ok((d.client_version().to_string(), info, version))
            })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        let mut runtimes: Vec<String> = info.runtimes.unwrap_or_default().into_keys().collect();
        runtimes.sort();
        Ok(SystemInfo {
            host: self.name().to_owned(),
            name: info.name,
            server_version: info.server_version,
            api_version: version.api_version,
            negotiated_api_version: negotiated,
            operating_system: info.operating_system,
            os_type: info.os_type,
            architecture: info.architecture,
            kernel_version: info.kernel_version,
            cpus: info.ncpu,
            memory_bytes: info.mem_total,
            containers: info.containers.unwrap_or(0),
            containers_running: info.containers_running.unwrap_or(0),
            containers_paused: info.containers_paused.unwrap_or(0),
            containers_stopped: info.containers_stopped.unwrap_or(0),
            images: info.images.unwrap_or(0),
            storage_driver: info.driver,
            docker_root_dir: info.docker_root_dir,
            swarm: info
                .swarm
                .and_then(|s| s.local_node_state)
                .map(|s| s.to_string()),
            runtimes,
            warnings: info.warnings.unwrap_or_default(),
        })
    }

    /// Disk usage by kind. Engines from API 1.52 summarize it themselves; for older ones Berth
    /// adds up the image and container lists (volume sizes and build cache are then unknown: 0).
    pub async fn disk_usage(&self) -> Result<DiskUsage, AppError> {
        let df = self
            .call(|d| async move { d.df(None).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        let item = |u: Option<UsageCounts>| {
            u.map(|(total, active, size, reclaimable)| DiskUsageItem {
                count: n(total),
                active: n(active),
                size: n(size),
                reclaimable: n(reclaimable),
            })
        };
        let images = item(
            df.image_usage
                .map(|u| (u.total_count, u.active_count, u.total_size, u.reclaimable)),
        );
        let containers = item(
            df.container_usage
                .map(|u| (u.total_count, u.active_count, u.total_size, u.reclaimable)),
        );
        let volumes = item(
            df.volume_usage
                .map(|u| (u.total_count, u.active_count, u.total_size, u.reclaimable)),
        );
        let build_cache = item(
            df.build_cache_usage
                .map(|u| (u.total_count, u.active_count, u.total_size, u.reclaimable)),
        );
        if let (Some(images), Some(containers), Some(volumes), Some(build_cache)) =
            (&images, &containers, &volumes, &build_cache)
        {
            return Ok(DiskUsage {
                images: images.clone(),
                containers: containers.clone(),
                volumes: volumes.clone(),
                build_cache: build_cache.clone(),
            });
        }
        self.disk_usage_from_lists().await
    }

    async fn disk_usage_from_lists(&self) -> Result<DiskUsage, AppError> {
        let (images, containers, volumes) = self
            .call(|d| async move {
                let images = d.list_images(Some(ListImagesOptions::default())).await?;
                let containers = d
                    .list_containers(Some(ListContainersOptions {
                        all: true,
                        size: true,
                        ..Default::default()
                    }))
                    .await?;
                let volumes = d
                    .list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
                    .await?;
                Ok((images, containers, volumes))
            })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        let used_images: HashSet<&str> = containers
            .iter()
            .filter_map(|c| c.image_id.as_deref())
            .collect();
        let mut image_usage = DiskUsageItem::default();
        for i in &images {
            let size = u64::try_from(i.size).unwrap_or(0);
            image_usage.count += 1;
            image_usage.size += size;
            if used_images.contains(i.id.as_str()) {
                image_usage.active += 1;
            } else {
                image_usage.reclaimable += size;
            }
        }
        let mut container_usage = DiskUsageItem::default();
        for c in &containers {
            let size = n(c.size_rw);
            container_usage.count += 1;
            container_usage.size += size;
            if c.state.as_ref().map(AsRef::as_ref) == Some("running") {
                container_usage.active += 1;
            } else {
                container_usage.reclaimable += size;
            }
        }
        let used_volumes: HashSet<&str> = containers
            .iter()
            .flat_map(|c| c.mounts.iter().flatten())
            .filter_map(|m| m.name.as_deref())
            .collect();
        let volume_list = volumes.volumes.unwrap_or_default();
        let volume_usage = DiskUsageItem {
            count: volume_list.len() as u64,
            active: volume_list
                .iter()
                .filter(|v| used_volumes.contains(v.name.as_str()))
                .count() as u64,
            size: 0,
            reclaimable: 0,
        };
        Ok(DiskUsage {
            images: image_usage,
            containers: container_usage,
            volumes: volume_usage,
            build_cache: DiskUsageItem::default(),
        })
    }
}
