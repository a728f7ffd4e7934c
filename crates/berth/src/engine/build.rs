//! Image builds and pushes. Both are long engine streams: each line is handed to a callback (the
//! task stream shows it live) and folded into one result, which a failed build keeps too, so the
//! user sees the output that led to the error.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::body::Bytes;
use berth_api::ErrorCode;
use berth_api::images::{ImageBuildResult, ImagePushResult, RegistryAuth};
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{BuildImageOptions, PushImageOptions};
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::images::split_tag;
use super::{EngineError, HostHandle, Resource};
use crate::error::AppError;

/// How long a build or a push may take before Berth gives up on it.
const BUILD_LIMIT: Duration = Duration::from_secs(60 * 60);

/// Build output lines kept in the result; a long build keeps its last ones (where errors are).
const LOG_LINES: usize = 2000;

/// Chunks a spooled context is streamed to the engine in.
const CHUNK: usize = 64 * 1024;

/// The files a build starts from: a tar archive (plain or gzip; the engine unpacks either).
pub enum BuildContext {
    /// Small contexts (the one-file archive of a JSON build) are kept in memory.
    Memory(Bytes),
    /// Uploaded contexts are spooled to a file, so a large one never sits in memory; the file
    /// is removed when this is dropped.
    Spooled(tempfile::NamedTempFile),
}

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Tags for the result; the first is given by the engine, the others added afterwards.
    pub tags: Vec<String>,
    /// Path of the Dockerfile inside the context.
    pub dockerfile: String,
    /// `ARG` values.
    pub build_args: HashMap<String, String>,
    /// Skip the layer cache.
    pub nocache: bool,
    /// Pull newer base images first.
    pub pull: bool,
}

/// A build that failed: why, and what it printed until then.
#[derive(Debug)]
pub struct BuildFailed {
    /// The engine's error.
    pub error: AppError,
    /// The output so far (no id).
    pub result: ImageBuildResult,
}

/// Build output, folded: complete lines (the engine splits them across messages) and the id.
struct BuildLog {
    lines: VecDeque<String>,
    pending: String,
    id: Option<String>,
}

impl BuildLog {
    fn new() -> Self {
        Self {
            lines: VecDeque::new(),
            pending: String::new(),
            id: None,
        }
    }

    /// Adds engine text; answers the complete lines it finished.
    fn add(&mut self, text: &str) -> Vec<String> {
        self.pending.push_str(text);
        let mut done = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=end).collect();
            let line = line.trim_end().to_owned();
            if !line.is_empty() {
                done.push(line);
            }
        }
        for line in &done {
            self.keep(line.clone());
        }
        done
    }

    /// The text after the last newline, once the stream ends.
    fn flush(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending).trim_end().to_owned();
        (!rest.is_empty()).then(|| {
            self.keep(rest.clone());
            rest
        })
    }

    fn keep(&mut self, line: String) {
        if self.lines.len() == LOG_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    fn result(self, tags: &[String]) -> ImageBuildResult {
        ImageBuildResult {
            id: self.id,
            tags: tags.to_vec(),
            log: self.lines.into(),
        }
    }
}

/// `Step 2/5 : COPY …` → (2, 5): the classic builder's own progress.
fn step_of(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("Step ")?;
    let (count, _) = rest.split_once(' ')?;
    let (current, total) = count.split_once('/')?;
    Some((current.parse().ok()?, total.parse().ok()?))
}

impl HostHandle {
    /// Builds an image from `context`. `progress` sees each output line and, on `Step n/m`
    /// lines, the step reached.
    pub async fn build_image(
        &self,
        context: BuildContext,
        options: &BuildOptions,
        mut progress: impl FnMut(&str, Option<(u64, u64)>) + Send,
    ) -> Result<ImageBuildResult, BuildFailed> {
        let first = options.tags.first().cloned().unwrap_or_default();
        let query = BuildImageOptions {
            dockerfile: options.dockerfile.clone(),
            t: Some(first.clone()),
            nocache: options.nocache,
            pull: options.pull.then(|| "1".to_owned()),
            rm: true,
            forcerm: true,
            buildargs: (!options.build_args.is_empty()).then(|| options.build_args.clone()),
            ..Default::default()
        };
        let body = match context {
            BuildContext::Memory(bytes) => bollard::body_full(bytes),
            BuildContext::Spooled(file) => bollard::body_try_stream(spooled(file)),
        };
        let mut log = BuildLog::new();
        let outcome = self
            .call_within(BUILD_LIMIT, |d| {
                let log = &mut log;
                let progress = &mut progress;
                async move {
                    let mut stream = Box::pin(d.build_image(query, None, Some(body)));
                    while let Some(msg) = stream.next().await {
                        let msg = msg?;
                        if let Some(id) = msg.aux.and_then(|a| a.id) {
                            log.id = Some(id);
                        }
                        let text = match (msg.stream, msg.status) {
                            (Some(text), _) => text,
                            // Base image pulls (`pull`) report status lines instead.
                            (None, Some(status)) => match msg.id {
                                Some(id) => format!("{id}: {status}\n"),
                                None => format!("{status}\n"),
                            },
                            (None, None) => continue,
                        };
                        for line in log.add(&text) {
                            progress(&line, step_of(&line));
                        }
                    }
                    Ok(())
                }
            })
            .await;
        if let Some(line) = log.flush() {
            progress(&line, None);
        }
        let error = match outcome {
            Ok(()) if log.id.is_some() => None,
            Ok(()) => Some(AppError::new(
                ErrorCode::DockerError,
                "the engine ended the build without naming an image",
            )),
            Err(e) => Some(stream_failure("building", &first, e)),
        };
        if let Some(error) = error {
            return Err(BuildFailed {
                error,
                result: log.result(&options.tags),
            });
        }
        let id = log.id.clone().unwrap_or_default();
        for extra in options.tags.iter().skip(1) {
            let (repo, tag) = split_tag(extra);
            if let Err(error) = self.tag_image(&id, repo, tag).await {
                return Err(BuildFailed {
                    error,
                    result: log.result(&options.tags),
                });
            }
        }
        Ok(log.result(&options.tags))
    }

    /// Pushes `repo:tag` to its registry. `progress` sees each engine message with the layers
    /// done so far and the layers to push.
    pub async fn push_image(
        &self,
        repo: &str,
        tag: &str,
        auth: Option<&RegistryAuth>,
        mut progress: impl FnMut(&str, u64, u64) + Send,
    ) -> Result<ImagePushResult, AppError> {
        let image = format!("{repo}:{tag}");
        let credentials = auth.map(|a| DockerCredentials {
            username: Some(a.username.clone()),
            password: Some(a.password.clone()),
            serveraddress: Some(registry_of(repo).to_owned()),
            ..Default::default()
        });
        let options = PushImageOptions {
            tag: Some(tag.to_owned()),
            platform: None,
        };
        let mut agg = PushProgress::default();
        let outcome = self
            .call_within(BUILD_LIMIT, |d| {
                let agg = &mut agg;
                let progress = &mut progress;
                let repo = repo.to_owned();
                async move {
                    let mut stream = Box::pin(d.push_image(&repo, Some(options), credentials));
                    while let Some(msg) = stream.next().await {
                        let msg = msg?;
                        let line = agg.add(&msg);
                        let (current, total) = agg.done();
                        progress(&line, current, total);
                    }
                    Ok(())
                }
            })
            .await;
        outcome.map_err(|e| stream_failure("pushing", &image, e))?;
        Ok(ImagePushResult {
            image,
            digest: agg.digest,
            layers_pushed: u32::try_from(agg.pushed).unwrap_or(u32::MAX),
            layers_existing: u32::try_from(agg.existing).unwrap_or(u32::MAX),
            status: agg.last_status,
        })
    }
}

/// The registry part of a repository (`docker.io` when it names none), as the engine keys
/// credentials.
fn registry_of(repo: &str) -> &str {
    match repo.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "https://index.docker.io/v1/",
    }
}

/// The engine's error, with what Berth was doing; the text is the engine's (a failing `RUN`,
/// an unknown instruction, a registry refusing a push).
fn stream_failure(doing: &str, image: &str, e: EngineError) -> AppError {
    let reason = match e {
        EngineError::Api(bollard::errors::Error::DockerStreamError { error }) => error,
        EngineError::Api(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
            message
        }
        other => return other.into_app(Resource::Image, image),
    };
    AppError::new(
        ErrorCode::DockerError,
        format!("{doing} `{image}` failed: {}", reason.trim()),
    )
    .with_details(serde_json::json!({ "image": image }))
}

/// Reads a spooled context in chunks. The stream owns the file, so it is removed once the
/// engine has read it (or the stream is dropped).
fn spooled(
    file: tempfile::NamedTempFile,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::try_unfold((file, None), |(file, open)| async move {
        let mut handle = match open {
            Some(handle) => handle,
            None => tokio::fs::File::open(file.path()).await?,
        };
        let mut buf = Vec::with_capacity(CHUNK);
        let read = (&mut handle)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .await?;
        Ok((read > 0).then(|| (Bytes::from(buf), (file, Some(handle)))))
    })
}

/// The engine's push messages, folded. The engine's messages name no layer in bollard's model,
/// but each layer says `Preparing` once and ends once, `Pushed`, `Layer already exists` or
/// `Mounted from …` (taken from another repository of the registry), which is enough to count
/// layers done out of layers.
#[derive(Default)]
struct PushProgress {
    layers: u64,
    pushed: u64,
    existing: u64,
    digest: Option<String>,
    last_status: String,
}

impl PushProgress {
    /// Folds one message in; answers the line to show.
    fn add(&mut self, msg: &bollard::models::PushImageInfo) -> String {
        let status = msg.status.clone().unwrap_or_default();
        match status.as_str() {
            "Preparing" => self.layers += 1,
            "Pushed" => self.pushed += 1,
            "Layer already exists" => self.existing += 1,
            s if s.starts_with("Mounted from ") => self.existing += 1,
            _ => {}
        }
        if let Some(d) = status
            .split_once("digest: ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
        {
            self.digest = Some(d.to_owned());
        }
        if !matches!(status.as_str(), "Pushing" | "Waiting") {
            self.last_status.clone_from(&status);
        }
        status
    }

    /// Layers done, and layers.
    fn done(&self) -> (u64, u64) {
        (self.pushed + self.existing, self.layers)
    }
}

/// A one-file tar archive holding `Dockerfile`: the context of a build from text alone.
pub fn dockerfile_tar(dockerfile: &str) -> Bytes {
    let data = dockerfile.as_bytes();
    let mut header = [0u8; 512];
    let field = |h: &mut [u8; 512], at: usize, value: &[u8]| {
        h[at..at + value.len()].copy_from_slice(value);
    };
    field(&mut header, 0, b"Dockerfile");
    field(&mut header, 100, b"0000644\0");
    field(&mut header, 108, b"0000000\0");
    field(&mut header, 116, b"0000000\0");
    field(
        &mut header,
        124,
        format!("{:011o}\0", data.len()).as_bytes(),
    );
    field(&mut header, 136, b"00000000000\0");
    field(&mut header, 148, b"        ");
    field(&mut header, 156, b"0");
    field(&mut header, 257, b"ustar\0");
    field(&mut header, 263, b"00");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    field(&mut header, 148, format!("{sum:06o}\0 ").as_bytes());
    let padding = (512 - data.len() % 512) % 512;
    let mut out = Vec::with_capacity(512 + data.len() + padding + 1024);
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len() + padding + 1024, 0);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_is_split_into_whole_lines_across_messages() {
        let mut log = BuildLog::new();
        assert!(log.add("Step 1/3 : FROM busy").is_empty());
        assert_eq!(
            log.add("box\n ---> abc\n\n"),
            ["Step 1/3 : FROM busybox", " ---> abc"]
        );
        assert_eq!(log.add("tail"), Vec::<String>::new());
        assert_eq!(log.flush().as_deref(), Some("tail"));
        assert_eq!(log.lines.len(), 3);
    }

    #[test]
    fn steps_are_read_from_the_classic_builders_lines() {
        assert_eq!(step_of("Step 2/5 : COPY a /"), Some((2, 5)));
        assert_eq!(step_of(" ---> Running in abc"), None);
        assert_eq!(step_of("Step x/5 : RUN"), None);
    }

    #[test]
    fn the_one_file_archive_is_a_valid_ustar_header_and_padded() {
        let tar = dockerfile_tar("FROM scratch\n");
        assert_eq!(tar.len() % 512, 0);
        assert_eq!(tar.len(), 512 + 512 + 1024);
        assert_eq!(&tar[0..10], b"Dockerfile");
        assert_eq!(&tar[257..262], b"ustar");
        let stored: u32 =
            u32::from_str_radix(std::str::from_utf8(&tar[148..154]).unwrap_or_default(), 8)
                .unwrap_or_default();
        let mut header = tar[..512].to_vec();
        header[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, header.iter().map(|b| u32::from(*b)).sum::<u32>());
        assert_eq!(&tar[512..525], b"FROM scratch\n");
    }

    #[test]
    fn a_push_counts_each_layer_once_however_it_ends() {
        let mut agg = PushProgress::default();
        for status in [
            "The push refers to repository [127.0.0.1:5000/a]",
            "Preparing",
            "Preparing",
            "Preparing",
            "Pushing",
            "Pushed",
            "Layer already exists",
            "Mounted from team/base",
            "v1: digest: sha256:abc size: 736",
        ] {
            agg.add(&bollard::models::PushImageInfo {
                status: Some(status.to_owned()),
                ..Default::default()
            });
        }
        assert_eq!(agg.done(), (3, 3));
        assert_eq!(agg.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(agg.last_status, "v1: digest: sha256:abc size: 736");
    }

    #[test]
    fn credentials_are_keyed_by_the_registry_the_repository_names() {
        assert_eq!(registry_of("127.0.0.1:5000/team/app"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/app"), "localhost");
        assert_eq!(registry_of("team/app"), "https://index.docker.io/v1/");
        assert_eq!(registry_of("app"), "https://index.docker.io/v1/");
    }
}
