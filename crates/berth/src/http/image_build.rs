//! `POST /api/v1/hosts/{host}/images/build` and `…/images/{image}/push`: both answer 202 with a
//! task whose progress carries the engine's lines, as a background pull does.
//!
//! A build takes its context as a tar archive (plain or gzip) with the options as query
//! parameters, the way `docker build` sends it, or a JSON body with Dockerfile text alone (the
//! web UI's form), which becomes a one-file archive.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use berth_api::images::{ImageBuildRequest, ImagePushRequest};
use berth_api::streams::Task;
use berth_api::{ErrorCode, ErrorEnvelope};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;

use super::extract::{Json, OptionalJson, Path};
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::engine::build::{BuildContext, BuildOptions, dockerfile_tar};
use crate::engine::images::split_tag;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate;

/// Tags one build may apply.
const MAX_TAGS: usize = 16;

/// Build options of a tar upload (`docker build`'s names where they fit).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BuildQuery {
    /// A tag for the result, e.g. `registry.example.com/team/app:1.0`; repeat for more (at least one).
    tag: Vec<String>,
    /// Path of the Dockerfile inside the context [default: `Dockerfile`].
    dockerfile: Option<String>,
    /// A build argument `NAME=value`; repeat for more. Not for secrets: the image keeps them.
    buildarg: Vec<String>,
    /// Build every step again instead of reusing cached layers.
    nocache: Option<bool>,
    /// Pull newer versions of the base images first.
    pull: Option<bool>,
}

impl BuildQuery {
    /// Parses the raw query by hand: `tag` repeats, which the usual extractor cannot take.
    fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|e| AppError::validation("query", format!("bad query parameters: {e}")))?;
        let mut q = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "tag" => q.tag.push(value),
                "dockerfile" => q.dockerfile = Some(value),
                "buildarg" => q.buildarg.push(value),
                "nocache" => q.nocache = Some(flag("nocache", &value)?),
                "pull" => q.pull = Some(flag("pull", &value)?),
                other => {
                    return Err(AppError::validation(
                        other,
                        format!(
                            "`{other}` is not a build option (known: tag, dockerfile, buildarg, nocache, pull)"
                        ),
                    ));
                }
            }
        }
        Ok(q)
    }

    /// The first option given, for a JSON build that must have none.
    fn first_key(&self) -> Option<&'static str> {
        [
            ("tag", !self.tag.is_empty()),
            ("dockerfile", self.dockerfile.is_some()),
            ("buildarg", !self.buildarg.is_empty()),
            ("nocache", self.nocache.is_some()),
            ("pull", self.pull.is_some()),
        ]
        .into_iter()
        .find_map(|(key, given)| given.then_some(key))
    }

    fn into_options(self) -> Result<BuildOptions, AppError> {
        let mut build_args = BTreeMap::new();
        for pair in self.buildarg {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(AppError::validation(
                    "buildarg",
                    format!("`{pair}` is not `NAME=value`"),
                ));
            };
            build_args.insert(name.to_owned(), value.to_owned());
        }
        options(
            "tag",
            self.tag,
            self.dockerfile.unwrap_or_else(|| "Dockerfile".to_owned()),
            build_args,
            "buildarg",
            self.nocache.unwrap_or(false),
            self.pull.unwrap_or(false),
        )
    }
}

fn flag(field: &str, value: &str) -> Result<bool, AppError> {
    match value {
        "" | "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(AppError::validation(
            field,
            format!("`{value}` is not true or false"),
        )),
    }
}

/// Checks what both forms share; `tags_field` and `args_field` are the names the caller used.
fn options(
    tags_field: &str,
    tags: Vec<String>,
    dockerfile: String,
    build_args: BTreeMap<String, String>,
    args_field: &str,
    nocache: bool,
    pull: bool,
) -> Result<BuildOptions, AppError> {
    if tags.is_empty() {
        return Err(AppError::validation(
            tags_field,
            "at least one tag is required, e.g. `team/app:1.0`",
        ));
    }
    if tags.len() > MAX_TAGS {
        return Err(AppError::validation(
            tags_field,
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    for tag in &tags {
        validate::image_ref(tags_field, tag)?;
        // A digest or an id names content, not a name the build could give.
        if tag.contains('@') || tag.starts_with("sha256:") {
            return Err(AppError::validation(
                tags_field,
                format!("`{tag}` is a digest or id; a tag looks like `team/app:1.0`"),
            ));
        }
    }
    let bad_path = dockerfile.is_empty()
        || dockerfile.len() > 255
        || dockerfile.starts_with('/')
        || dockerfile.split('/').any(|part| part == "..");
    if bad_path {
        return Err(AppError::validation(
            "dockerfile",
            "the Dockerfile's path inside the context, e.g. `Dockerfile` or `docker/app.Dockerfile`",
        ));
    }
    for name in build_args.keys() {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= 128;
        if !valid {
            return Err(AppError::validation(
                args_field,
                format!("`{name}` is not a build argument name (letters, digits, `_`)"),
            ));
        }
    }
    Ok(BuildOptions {
        tags,
        dockerfile,
        build_args: build_args.into_iter().collect::<HashMap<_, _>>(),
        nocache,
        pull,
    })
}

/// How the body is sent.
enum BodyKind {
    Json,
    Tar,
}

fn body_kind(headers: &HeaderMap) -> Result<BodyKind, AppError> {
    let value = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "application/x-tar"
        | "application/tar"
        | "application/gzip"
        | "application/x-gzip"
        | "application/octet-stream" => Ok(BodyKind::Tar),
        _ => Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the build context as `Content-Type: application/x-tar` (or application/gzip), or a Dockerfile as `application/json`",
        )),
    }
}

fn too_large(limit: u64) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("the build context is larger than this server accepts ({limit} bytes)"),
    )
    .with_details(serde_json::json!({ "limit": limit }))
}

/// Writes the upload to a temporary file in the data folder, stopping at `limit` bytes.
async fn spool(state: &AppState, request: Request, limit: u64) -> AppResult<BuildContext> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let temp = tempfile::Builder::new()
        .prefix(".build-context-")
        .tempfile_in(&state.config.data_dir)
        .map_err(AppError::internal)?;
    let mut file = tokio::fs::File::from_std(temp.reopen().map_err(AppError::internal)?);
    let mut body = request.into_body().into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::validation("body", format!("the build context could not be read: {e}"))
        })?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).await.map_err(AppError::internal)?;
    }
    file.flush().await.map_err(AppError::internal)?;
    if total == 0 {
        return Err(AppError::validation(
            "body",
            "the build context is empty: send a tar archive holding at least a Dockerfile",
        ));
    }
    Ok(BuildContext::Spooled(temp))
}

/// Builds an image and answers the task that follows it.
#[utoipa::path(post, path = "/hosts/{host}/images/build", tag = "images",
    params(("host" = String, Path, description = "Host name"), BuildQuery),
    request_body(description = "The build context as a tar archive (plain or gzip) with the options as query parameters, or a JSON build from Dockerfile text alone (no query parameters)",
        content(("application/x-tar"), (ImageBuildRequest = "application/json"))),
    responses((status = 202, body = Task, description = "The task to follow at `/api/v1/tasks/{id}`; its `result` is an `ImageBuildResult`, a failed build's too"),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn build(
    State(state): State<AppState>,
    Path(host): Path<String>,
    actor: Actor,
    audit: Audit,
    RawQuery(query): RawQuery,
    request: Request,
) -> AppResult<Response> {
    // The host is checked before a large upload is read.
    let host = state.engines.get(&host)?;
    let (options, context) = match body_kind(request.headers())? {
        BodyKind::Json => {
            if let Some(first) = BuildQuery::parse(query.as_deref())?.first_key() {
                return Err(AppError::validation(
                    first,
                    "with a JSON body the build options go in the body",
                ));
            }
            let Json(req) = Json::<ImageBuildRequest>::from_request(request, &state).await?;
            if req.dockerfile.trim().is_empty() {
                return Err(AppError::validation(
                    "dockerfile",
                    "the Dockerfile is empty",
                ));
            }
            let context = BuildContext::Memory(dockerfile_tar(&req.dockerfile));
            let options = options(
                "tags",
                req.tags,
                "Dockerfile".to_owned(),
                req.build_args,
                "build_args",
                req.nocache,
                req.pull,
            )?;
            audit_build(&audit, &options);
            (options, context)
        }
        BodyKind::Tar => {
            let options = BuildQuery::parse(query.as_deref())?.into_options()?;
            audit_build(&audit, &options);
            let context = spool(&state, request, state.config.max_build_context_bytes).await?;
            (options, context)
        }
    };
    let first = options.tags.first().cloned().unwrap_or_default();
    let task = state.streams.tasks.create(
        "image.build",
        Some(host.name()),
        &first,
        Some(&actor.user.username),
    );
    audit.detail("task", task.snapshot().id);
    let answer = task.snapshot();
    tokio::spawn(async move {
        let mut step = (0, 0);
        let outcome = host
            .build_image(context, &options, |line, at| {
                // `Step n/m` starts step n: n - 1 are done.
                if let Some((n, m)) = at {
                    step = (n.saturating_sub(1), m);
                }
                task.progress(step.0, step.1, line);
            })
            .await;
        match outcome {
            Ok(result) => {
                // Every step is done now (the last `Step n/m` line counted n - 1).
                task.progress(step.1, step.1, "");
                let message = format!(
                    "built {} as {}",
                    result.id.as_deref().unwrap_or_default(),
                    result.tags.join(", ")
                );
                task.succeed(serde_json::to_value(result).unwrap_or_default(), &message);
            }
            Err(failed) => task.fail_with(
                serde_json::to_value(failed.result).unwrap_or_default(),
                &failed.error.message,
            ),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

fn audit_build(audit: &Audit, options: &BuildOptions) {
    audit.resource(options.tags.first().cloned().unwrap_or_default());
    audit.detail("tags", options.tags.clone());
}

/// Path of one image.
#[derive(Debug, Deserialize)]
pub struct PushPath {
    host: String,
    image: String,
}

/// Pushes an image's tag to its registry and answers the task that follows it.
#[utoipa::path(post, path = "/hosts/{host}/images/{image}/push", tag = "images",
    params(("host" = String, Path, description = "Host name"), ("image" = String, Path, description = "Image reference (percent-encoded), e.g. `registry.example.com%2Fteam%2Fapp:1.0`")),
    request_body(content = ImagePushRequest, description = "Optional"),
    responses((status = 202, body = Task, description = "The task to follow at `/api/v1/tasks/{id}`; its `result` is an `ImagePushResult`"),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn push(
    State(state): State<AppState>,
    Path(p): Path<PushPath>,
    actor: Actor,
    audit: Audit,
    OptionalJson(req): OptionalJson<ImagePushRequest>,
) -> AppResult<Response> {
    audit.resource(p.image.clone());
    if p.image.contains('@') || p.image.starts_with("sha256:") {
        return Err(AppError::validation(
            "image",
            "a push needs a repository reference like `registry.example.com/team/app:1.0`, not an id or digest",
        ));
    }
    validate::image_ref("image", &p.image)?;
    // A tag is what follows a colon after the last slash (a colon before it is a port).
    let named = p
        .image
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'));
    let (repo, tag_in_ref) = split_tag(&p.image);
    let tag = match (named, req.tag.as_deref()) {
        (true, Some(t)) if t != tag_in_ref => {
            return Err(AppError::validation(
                "tag",
                format!("`{}` already names tag `{tag_in_ref}`", p.image),
            ));
        }
        (_, Some(t)) => {
            validate::tag("tag", t)?;
            t.to_owned()
        }
        (true, None) => tag_in_ref.to_owned(),
        (false, None) => "latest".to_owned(),
    };
    if let Some(auth) = &req.auth {
        if auth.username.trim().is_empty() {
            return Err(AppError::validation(
                "auth.username",
                "a user name is required",
            ));
        }
        if auth.password.is_empty() {
            return Err(AppError::validation(
                "auth.password",
                "a password is required",
            ));
        }
        // Who signed in to the registry is worth recording; the password never is.
        audit.detail("registry_user", auth.username.clone());
    }
    let image = format!("{repo}:{tag}");
    audit.detail("tag", tag.clone());
    let host = state.engines.get(&p.host)?;
    // A missing image is a 404 now rather than a failed task later.
    host.inspect_image(&image).await?;
    let task = state.streams.tasks.create(
        "image.push",
        Some(host.name()),
        &image,
        Some(&actor.user.username),
    );
    audit.detail("task", task.snapshot().id);
    let answer = task.snapshot();
    let repo = repo.to_owned();
    tokio::spawn(async move {
        let outcome = host
            .push_image(&repo, &tag, req.auth.as_ref(), |line, done, layers| {
                task.progress(done, layers, line);
            })
            .await;
        match outcome {
            Ok(result) => {
                let message = match &result.digest {
                    Some(digest) => format!("pushed {} ({digest})", result.image),
                    None => format!("pushed {}", result.image),
                };
                task.succeed(serde_json::to_value(result).unwrap_or_default(), &message);
            }
            Err(e) => task.fail(&e.message),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}
