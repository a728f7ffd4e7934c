//! Image calls: list, inspect, history, pull (progress aggregated), tag, remove, prune.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::images::{
    ImageDetail, ImageHistoryEntry, ImagePullResult, ImageRemoveResult, ImageSummary, PruneResult,
};
use bollard::query_parameters::{
    CreateImageOptions, ListImagesOptions, PruneImagesOptions, RemoveImageOptions, TagImageOptions,
};
use chrono::DateTime;
use futures_util::StreamExt;

use super::{EngineError, HostHandle, Resource};
use crate::error::AppError;

/// How long a pull may take before Berth gives up on it.
const PULL_LIMIT: Duration = Duration::from_secs(30 * 60);

impl HostHandle {
    /// Lists images (`all` includes intermediate layers).
    pub async fn list_images(
        &self,
        all: bool,
        dangling_only: bool,
    ) -> Result<Vec<ImageSummary>, AppError> {
        let filters = dangling_only
            .then(|| HashMap::from([("dangling".to_owned(), vec!["true".to_owned()])]));
        let options = ListImagesOptions {
            all,
            filters,
            ..Default::default()
        };
        let rows = self
            .call(|d| async move { d.list_images(Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(rows
            .into_iter()
            .map(|i| {
                let dangling = i.repo_tags.iter().all(|t| t == "<none>:<none>");
                ImageSummary {
                    id: i.id,
                    repo_tags: i
                        .repo_tags
                        .into_iter()
                        .filter(|t| t != "<none>:<none>")
                        .collect(),
                    repo_digests: i
                        .repo_digests
                        .into_iter()
                        .filter(|t| t != "<none>@<none>")
                        .collect(),
                    created: DateTime::from_timestamp(i.created, 0).unwrap_or_default(),
                    size: i.size,
                    containers: i.containers,
                    labels: i.labels.into_iter().collect(),
                    dangling,
                }
            })
            .collect())
    }

    /// Inspects an image by reference or id.
    pub async fn inspect_image(&self, image: &str) -> Result<ImageDetail, AppError> {
        let key = image.to_owned();
        let i = self
            .call(|d| async move { d.inspect_image(&key).await })
            .await
            .map_err(|e| e.into_app(Resource::Image, image))?;
        let config = i.config.unwrap_or_default();
        Ok(ImageDetail {
            id: i.id.unwrap_or_default(),
            repo_tags: i.repo_tags.unwrap_or_default(),
            repo_digests: i.repo_digests.unwrap_or_default(),
            created: i.created,
            size: i.size.unwrap_or(0),
            architecture: i.architecture,
            os: i.os,
            author: i.author.filter(|a| !a.is_empty()),
            command: config.cmd.unwrap_or_default(),
            entrypoint: config.entrypoint.unwrap_or_default(),
            env: config.env.unwrap_or_default(),
            exposed_ports: config.exposed_ports.unwrap_or_default(),
            volumes: config.volumes.unwrap_or_default(),
            working_dir: config.working_dir.filter(|w| !w.is_empty()),
            user: config.user.filter(|u| !u.is_empty()),
            labels: config
                .labels
                .unwrap_or_default()
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            layers: i.root_fs.and_then(|r| r.layers).unwrap_or_default(),
        })
    }

    /// The layers an image was built from.
    pub async fn image_history(&self, image: &str) -> Result<Vec<ImageHistoryEntry>, AppError> {
        let key = image.to_owned();
        let rows = self
            .call(|d| async move { d.image_history(&key).await })
            .await
            .map_err(|e| e.into_app(Resource::Image, image))?;
        Ok(rows
            .into_iter()
            .map(|h| ImageHistoryEntry {
                id: h.id,
                created: DateTime::from_timestamp(h.created, 0).unwrap_or_default(),
                created_by: h.created_by,
                tags: h.tags,
                size: h.size,
                comment: h.comment,
            })
            .collect())
    }

    /// Pulls an image, folding the engine's progress messages into one result. `progress` sees
    /// each message (the task stream uses it).
    pub async fn pull_image(
        &self,
        image: &str,
        platform: Option<&str>,
        mut progress: impl FnMut(&bollard::models::CreateImageInfo) + Send,
    ) -> Result<ImagePullResult, AppError> {
        let (from_image, tag) = split_tag(image);
        let before = self.image_id(image).await;
        let options = CreateImageOptions {
            from_image: Some(from_image.to_owned()),
            tag: Some(tag.to_owned()),
            platform: platform.unwrap_or_default().to_owned(),
            ..Default::default()
        };
        let mut agg = PullProgress::default();
        let outcome = self
            .call_within(PULL_LIMIT, |d| {
                let agg = &mut agg;
                let progress = &mut progress;
                async move {
                    let mut stream = Box::pin(d.create_image(Some(options), None, None));
                    while let Some(msg) = stream.next().await {
                        let msg = msg?;
                        progress(&msg);
                        agg.add(&msg);
                    }
                    Ok(())
                }
            })
            .await;
        match outcome {
            Ok(()) => {}
            Err(EngineError::Api(bollard::errors::Error::DockerStreamError { error })) => {
                return Err(pull_failed(image, &error));
            }
            Err(e) if e.is_unavailable() => return Err(e.into_app(Resource::Image, image)),
            Err(EngineError::Api(bollard::errors::Error::DockerResponseServerError {
                message,
                ..
            })) => {
                return Err(pull_failed(image, &message));
            }
            Err(e) => return Err(e.into_app(Resource::Image, image)),
        }
        let after = self.image_id(image).await;
        // A digest reference keeps its `@`; only a tag is joined with `:`.
        let separator = if image.contains('@') { '@' } else { ':' };
        Ok(ImagePullResult {
            image: format!("{from_image}{separator}{tag}"),
            updated: after.is_some() && before != after,
            id: after,
            digest: agg.digest,
            status: agg.last_status,
            layers: u32::try_from(agg.layers.len()).unwrap_or(u32::MAX),
            layers_downloaded: u32::try_from(agg.downloaded.len()).unwrap_or(u32::MAX),
            bytes_downloaded: agg.bytes.values().sum(),
        })
    }

    async fn image_id(&self, image: &str) -> Option<String> {
        let key = image.to_owned();
        self.call(|d| async move { d.inspect_image(&key).await })
            .await
            .ok()
            .and_then(|i| i.id)
    }

    /// Tags an image.
    pub async fn tag_image(&self, image: &str, repo: &str, tag: &str) -> Result<(), AppError> {
        let key = image.to_owned();
        let options = TagImageOptions {
            repo: Some(repo.to_owned()),
            tag: Some(tag.to_owned()),
        };
        self.call(|d| async move { d.tag_image(&key, Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Image, image))
    }

    /// Removes an image (or one of its tags).
    pub async fn remove_image(
        &self,
        image: &str,
        force: bool,
        noprune: bool,
    ) -> Result<ImageRemoveResult, AppError> {
        let key = image.to_owned();
        let options = RemoveImageOptions {
            force,
            noprune,
            ..Default::default()
        };
        let items = self
            .call(|d| async move { d.remove_image(&key, Some(options), None).await })
            .await
            .map_err(|e| e.into_app(Resource::Image, image))?;
        Ok(ImageRemoveResult {
            untagged: items.iter().filter_map(|i| i.untagged.clone()).collect(),
            deleted: items.iter().filter_map(|i| i.deleted.clone()).collect(),
        })
    }

    /// Removes dangling images, or with `all` every image no container uses.
    pub async fn prune_images(&self, all: bool) -> Result<PruneResult, AppError> {
        let dangling = if all { "false" } else { "true" };
        let options = PruneImagesOptions {
            filters: Some(HashMap::from([(
                "dangling".to_owned(),
                vec![dangling.to_owned()],
            )])),
        };
        let res = self
            .call_within(PULL_LIMIT, |d| async move {
                d.prune_images(Some(options)).await
            })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(PruneResult {
            deleted: res
                .images_deleted
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.deleted.or(i.untagged))
                .collect(),
            space_reclaimed: u64::try_from(res.space_reclaimed.unwrap_or(0)).unwrap_or(0),
        })
    }
}

fn pull_failed(image: &str, reason: &str) -> AppError {
    AppError::new(
        ErrorCode::ImagePullFailed,
        format!("pulling `{image}` failed: {}", reason.trim()),
    )
    .with_details(serde_json::json!({ "image": image }))
}

/// Splits `repo[:tag][@digest]` into what the engine's create call takes; `latest` by default.
pub fn split_tag(image: &str) -> (&str, &str) {
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo, digest);
    }
    match image.rsplit_once(':') {
        // A colon before the last slash belongs to a registry port, not a tag.
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    }
}

/// The engine's pull messages, folded.
#[derive(Default)]
struct PullProgress {
    layers: HashSet<String>,
    downloaded: HashSet<String>,
    bytes: HashMap<String, u64>,
    digest: Option<String>,
    last_status: String,
}

impl PullProgress {
    fn add(&mut self, msg: &bollard::models::CreateImageInfo) {
        let status = msg.status.clone().unwrap_or_default();
        match (&msg.id, status.as_str()) {
            (Some(id), "Pulling fs layer" | "Already exists" | "Waiting") => {
                self.layers.insert(id.clone());
            }
            (Some(id), "Downloading") => {
                self.layers.insert(id.clone());
                self.downloaded.insert(id.clone());
                if let Some(current) = msg.progress_detail.as_ref().and_then(|p| p.current) {
                    self.bytes
                        .insert(id.clone(), u64::try_from(current).unwrap_or(0));
                }
            }
            (Some(id), "Download complete" | "Pull complete") => {
                self.layers.insert(id.clone());
                if status == "Download complete" {
                    self.downloaded.insert(id.clone());
                }
            }
            _ => {}
        }
        if let Some(d) = status.strip_prefix("Digest: ") {
            self.digest = Some(d.to_owned());
        }
        if status.starts_with("Status: ") || self.last_status.is_empty() {
            self.last_status = status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn tags_and_registry_ports_are_told_apart() {
        assert_eq!(split_tag("nginx"), ("nginx", "latest"));
        assert_eq!(split_tag("nginx:1.27"), ("nginx", "1.27"));
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000/a/b", "latest")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b:v2"),
            ("127.0.0.1:5000/a/b", "v2")
        );
        assert_eq!(split_tag("a@sha256:abc"), ("a", "sha256:abc"));
    }
}
