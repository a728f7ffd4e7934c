//! Engine calls the scheduler's actions need beyond the REST routes': a command run to its end
//! with its output captured, a one-off container run and removed, and pruning of stopped
//! containers and the build cache.

use std::time::Duration;

use berth_api::containers::ContainerCreate;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::{LogsOptions, PruneBuildOptions, PruneContainersOptions};
use futures_util::StreamExt;

use super::{HostHandle, Resource};
use crate::error::AppError;

/// What a command printed (capped) and how it exited.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// stdout and stderr, interleaved, at most the cap given.
    pub output: String,
    /// Whether more was printed than kept.
    pub truncated: bool,
    /// The exit code; `None` when it did not end in time.
    pub exit_code: Option<i64>,
}

impl Captured {
    fn push(&mut self, chunk: &LogOutput, cap: usize) {
        let bytes = chunk.as_ref();
        let room = cap.saturating_sub(self.output.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        let take = bytes.len().min(room);
        self.output
            .push_str(&String::from_utf8_lossy(&bytes[..take]));
    }
}

impl HostHandle {
    /// Runs `command` in the container until it ends (or `limit` passes) and keeps its output.
    pub async fn exec_capture(
        &self,
        container: &str,
        command: &[String],
        limit: Duration,
        cap: usize,
    ) -> Result<Captured, AppError> {
        let options = CreateExecOptions {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(command.to_vec()),
            ..Default::default()
        };
        let key = container.to_owned();
        let created = self
            .call(|d| async move { d.create_exec(&key, options).await })
            .await
            .map_err(|e| e.into_app(Resource::Container, container))?;
        let docker = self
            .stream_client()
            .await
            .map_err(|e| e.into_app(Resource::Container, container))?;
        let mut captured = Captured::default();
        let pump = async {
            if let StartExecResults::Attached { mut output, .. } = docker
                .start_exec(&created.id, None)
                .await
                .map_err(|e| super::EngineError::Api(e).into_app(Resource::Container, container))?
            {
                while let Some(Ok(chunk)) = output.next().await {
                    captured.push(&chunk, cap);
                }
            }
            Ok::<(), AppError>(())
        };
        if tokio::time::timeout(limit, pump).await.is_err() {
            return Ok(captured);
        }
        let id = created.id.clone();
        let inspected = self
            .call(|d| async move { d.inspect_exec(&id).await })
            .await
            .map_err(|e| e.into_app(Resource::Container, container))?;
        captured.exit_code = inspected.exit_code;
        Ok(captured)
    }

    /// Creates and starts a container from `spec` (already policy-checked), waits for it to end
    /// (at most `limit`), keeps its output, and removes it whatever happened.
    pub async fn run_once(
        &self,
        spec: &ContainerCreate,
        limit: Duration,
        cap: usize,
    ) -> Result<Captured, AppError> {
        let created = self.create_container(spec).await?;
        let docker = self.stream_client().await;
        let mut captured = Captured::default();
        if let Ok(docker) = docker {
            let wait = async {
                let mut waits = docker.wait_container(&created.id, None);
                match waits.next().await {
                    Some(Ok(res)) => Some(res.status_code),
                    // The engine reports a non-zero exit as an error carrying the code.
                    Some(Err(bollard::errors::Error::DockerContainerWaitError {
                        code, ..
                    })) => Some(code),
                    _ => None,
                }
            };
            captured.exit_code = tokio::time::timeout(limit, wait).await.ok().flatten();
            let options = LogsOptions {
                stdout: true,
                stderr: true,
                ..Default::default()
            };
            let mut logs = docker.logs(&created.id, Some(options));
            let read = async {
                while let Some(Ok(chunk)) = logs.next().await {
                    captured.push(&chunk, cap);
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
        }
        self.remove_container(&created.id, true, true).await?;
        Ok(captured)
    }

    /// Removes stopped containers (those with `label` only, when given); how many and the bytes freed.
    pub async fn prune_stopped_containers(
        &self,
        label: Option<&str>,
    ) -> Result<(usize, u64), AppError> {
        let options = PruneContainersOptions {
            filters: label.map(|l| {
                std::collections::HashMap::from([("label".to_owned(), vec![l.to_owned()])])
            }),
        };
        let res = self
            .call(|d| async move { d.prune_containers(Some(options)).await })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok((
            res.containers_deleted.unwrap_or_default().len(),
            u64::try_from(res.space_reclaimed.unwrap_or(0)).unwrap_or(0),
        ))
    }

    /// Clears the build cache; the bytes freed.
    pub async fn prune_build_cache(&self) -> Result<u64, AppError> {
        let res = self
            .call_within(Duration::from_secs(300), |d| async move {
                d.prune_build(None::<PruneBuildOptions>).await
            })
            .await
            .map_err(|e| e.into_app(Resource::Engine, ""))?;
        Ok(u64::try_from(res.space_reclaimed.unwrap_or(0)).unwrap_or(0))
    }
}
