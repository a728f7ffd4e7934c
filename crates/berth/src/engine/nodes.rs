//! Engine calls the vantage6 node manager needs beyond the generic ones: containers by label, a
//! raw inspect, a create from a complete body (the node's is built to match the CLI's exactly),
//! waiting for an auto-removed container to go, and the volume names.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, ContainerInspectResponse, ContainerSummary};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListVolumesOptions, WaitContainerOptions,
};
use futures_util::StreamExt;

use super::{HostHandle, Resource};
use crate::error::AppError;

impl HostHandle {
    /// Every container (running or not) carrying `label` (`key=value`).
    pub async fn containers_labelled(
        &self,
        label: &str,
    ) -> Result<Vec<ContainerSummary>, AppError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_owned(),
                vec![label.to_owned()],
            )])),
            ..Default::default()
        };
        self.call(|d| async move { d.list_containers(Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))
    }

    /// The engine's inspect of a container, or `None` when there is none of that id or name.
    pub async fn inspect_raw(
        &self,
        id: &str,
    ) -> Result<Option<ContainerInspectResponse>, AppError> {
        let key = id.to_owned();
        match self
            .call(|d| async move { d.inspect_container(&key, None).await })
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e.into_app(Resource::Container, id)),
        }
    }

    /// Creates a container named `name` from `body` as it is; answers its id.
    pub async fn create_raw(
        &self,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<String, AppError> {
        let image = body.image.clone().unwrap_or_default();
        let options = CreateContainerOptions {
            name: Some(name.to_owned()),
            ..Default::default()
        };
        self.call(|d| async move { d.create_container(Some(options), body).await })
            .await
            .map(|c| c.id)
            .map_err(|e| match e.status() {
                Some(404) => e.into_app(Resource::Image, &image),
                _ => e.into_app(Resource::Container, name),
            })
    }

    /// Waits, at most `limit`, until the container is removed (auto-remove after it ended).
    pub async fn wait_removed(&self, id: &str, limit: Duration) {
        let key = id.to_owned();
        let _ = self
            .call_within(limit, |d| async move {
                let options = WaitContainerOptions {
                    condition: "removed".to_owned(),
                };
                let mut waiting = Box::pin(d.wait_container(&key, Some(options)));
                while let Some(r) = waiting.next().await {
                    match r {
                        Ok(_) => {}
                        // Already gone, or ended with an error status: either way, done.
                        Err(bollard::errors::Error::DockerResponseServerError {
                            status_code: 404,
                            ..
                        })
                        | Err(bollard::errors::Error::DockerContainerWaitError { .. }) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            })
            .await;
    }

    /// The names of every volume.
    pub async fn volume_names(&self) -> Result<Vec<String>, AppError> {
        let res = self
            .call(|d| async move { d.list_volumes(None::<ListVolumesOptions>).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(res
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }
}
