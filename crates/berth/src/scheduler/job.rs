//! A job: one action on one target. Checked when a schedule or webhook is saved; resolved to
//! containers (by name, label or tag, on one host or all) and carried out when it fires.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::containers::ContainerCreate;
use berth_api::schedules::{JobAction, JobSpec, PrunePart};

use super::{ActionRunner, OUTPUT_CAP};
use crate::config::Config;
use crate::engine::containers::ListFilter;
use crate::engine::{Engines, HostHandle, policy};
use crate::error::AppError;
use crate::store::Store;
use crate::validate;

/// Default maximum run time.
pub const DEFAULT_MAX_RUNTIME_SECS: u32 = 3600;
/// Default first retry wait.
pub const DEFAULT_BACKOFF_SECS: u32 = 10;

/// Checks a job and fills its defaults; errors name the field at fault.
pub fn check(mut job: JobSpec, engines: &Engines) -> Result<JobSpec, AppError> {
    if job.host != "*" {
        validate::host_name("host", &job.host)?;
        engines.get(&job.host).map_err(|e| e.with_field("host"))?;
    }
    let action = job
        .action
        .ok_or_else(|| AppError::validation("action", "name an action: start, stop, restart, pause, unpause, kill, update, exec, run or prune"))?;
    let targets = usize::from(job.container.is_some())
        + usize::from(job.selector.is_some())
        + usize::from(job.tag.is_some());
    if action.needs_container() {
        if targets != 1 {
            return Err(AppError::validation(
                "container",
                format!(
                    "`{}` needs exactly one target: `container`, `selector` or `tag`",
                    action.as_str()
                ),
            ));
        }
    } else if job.container.is_some()
        || job.tag.is_some()
        || (action == JobAction::Run && targets != 0)
    {
        // `prune` may keep a `selector`: it narrows the stopped containers removed.
        return Err(AppError::validation(
            "container",
            format!(
                "`{}` works on hosts: give no `container` or `tag`",
                action.as_str()
            ),
        ));
    }
    if let Some(name) = &job.container {
        validate::container_name("container", name)?;
    }
    if let Some(sel) = &job.selector
        && (sel.label.is_empty() || sel.label.starts_with('=') || sel.label.len() > 256)
    {
        return Err(AppError::validation(
            "selector.label",
            "a label selector is `key` or `key=value`",
        ));
    }
    if let Some(tag) = &job.tag {
        validate::tag("tag", tag)?;
    }
    match action {
        JobAction::Exec if job.command.as_ref().is_none_or(Vec::is_empty) => {
            return Err(AppError::validation(
                "command",
                "`exec` needs a command, e.g. [\"sh\", \"-c\", \"…\"]",
            ));
        }
        JobAction::Run => {
            let image = job
                .image
                .as_deref()
                .ok_or_else(|| AppError::validation("image", "`run` needs an image"))?;
            validate::image_ref("image", image)?;
            if let Some(net) = &job.network {
                validate::object_name("network", net)?;
            }
        }
        JobAction::Kill => {
            if let Some(sig) = &job.signal {
                validate::signal("signal", sig)?;
            }
        }
        JobAction::Prune if job.prune.as_ref().is_none_or(Vec::is_empty) => {
            job.prune = Some(vec![PrunePart::Containers, PrunePart::Images]);
        }
        _ => {}
    }
    if !matches!(action, JobAction::Exec | JobAction::Run) && job.command.is_some() {
        return Err(AppError::validation(
            "command",
            "only `exec` and `run` take a command",
        ));
    }
    let max = job.max_runtime_secs.unwrap_or(DEFAULT_MAX_RUNTIME_SECS);
    if !(1..=86_400).contains(&max) {
        return Err(AppError::validation(
            "max_runtime_secs",
            "1 to 86400 seconds",
        ));
    }
    job.max_runtime_secs = Some(max);
    let retries = job.retries.unwrap_or(0);
    if retries > 10 {
        return Err(AppError::validation("retries", "at most 10"));
    }
    job.retries = Some(retries);
    let backoff = job.retry_backoff_secs.unwrap_or(DEFAULT_BACKOFF_SECS);
    if !(1..=3600).contains(&backoff) {
        return Err(AppError::validation(
            "retry_backoff_secs",
            "1 to 3600 seconds",
        ));
    }
    job.retry_backoff_secs = Some(backoff);
    Ok(job)
}

/// A short description of the target, for messages and notifications.
pub fn describe_target(job: &JobSpec) -> String {
    let what = if let Some(c) = &job.container {
        c.clone()
    } else if let Some(s) = &job.selector {
        format!("label {}", s.label)
    } else if let Some(t) = &job.tag {
        format!("tag {t}")
    } else {
        "host".to_owned()
    };
    format!("{}/{what}", job.host)
}

/// The audit action a job's effect is recorded under.
pub fn audit_action(action: JobAction) -> String {
    match action {
        JobAction::Prune => "host.prune".to_owned(),
        other => format!("container.{}", other.as_str()),
    }
}

/// What carrying out a job needs.
#[derive(Clone)]
pub struct Ctx {
    /// The database (tags).
    pub store: Store,
    /// The hosts.
    pub engines: Arc<Engines>,
    /// The policy for `run`.
    pub config: Arc<Config>,
    /// Actions implemented elsewhere (update).
    pub runner: Arc<dyn ActionRunner>,
}

/// How one attempt went.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// Every target succeeded.
    pub ok: bool,
    /// One line per target.
    pub message: String,
    /// `exec`/`run` output.
    pub output: Option<String>,
    /// The last exit code.
    pub exit_code: Option<i64>,
    /// Whether retrying could help (not when the target is gone).
    pub retryable: bool,
}

enum Target {
    Container(Arc<HostHandle>, String),
    Host(Arc<HostHandle>),
}

async fn resolve(ctx: &Ctx, job: &JobSpec) -> Result<Vec<Target>, AppError> {
    let hosts = if job.host == "*" {
        ctx.engines.all()
    } else {
        vec![ctx.engines.get(&job.host)?]
    };
    let action = job.action.unwrap_or(JobAction::Start);
    if !action.needs_container() {
        return Ok(hosts.into_iter().map(Target::Host).collect());
    }
    let mut out = Vec::new();
    if let Some(name) = &job.container {
        for host in hosts {
            match host.inspect_container_raw(name).await {
                Ok(_) => out.push(Target::Container(host, name.to_owned())),
                Err(e) if e.code == ErrorCode::ContainerNotFound => {}
                Err(e) if job.host == "*" => {
                    tracing::warn!(host = host.name(), error = %e, "host skipped by a job");
                }
                Err(e) => return Err(e),
            }
        }
        if out.is_empty() {
            return Err(AppError::new(
                ErrorCode::ContainerNotFound,
                format!(
                    "the target no longer exists: no container named `{name}` on {}",
                    where_(job)
                ),
            ));
        }
    } else if let Some(sel) = &job.selector {
        let filter = ListFilter {
            all: true,
            labels: vec![sel.label.clone()],
            ..Default::default()
        };
        for host in hosts {
            match host.list_containers(&filter).await {
                Ok(rows) => out.extend(
                    rows.into_iter()
                        .map(|c| Target::Container(host.clone(), c.name)),
                ),
                Err(e) if job.host == "*" => {
                    tracing::warn!(host = host.name(), error = %e, "host skipped by a job");
                }
                Err(e) => return Err(e),
            }
        }
        if out.is_empty() {
            return Err(AppError::new(
                ErrorCode::ContainerNotFound,
                format!(
                    "no container matches label `{}` on {}",
                    sel.label,
                    where_(job)
                ),
            ));
        }
    } else if let Some(tag) = &job.tag {
        for (host, name) in ctx.store.containers_with_tag(tag).await? {
            if let Some(h) = hosts.iter().find(|h| h.name() == host) {
                out.push(Target::Container(h.clone(), name));
            }
        }
        if out.is_empty() {
            return Err(AppError::new(
                ErrorCode::ContainerNotFound,
                format!("no container has tag `{tag}` on {}", where_(job)),
            ));
        }
    }
    Ok(out)
}

fn where_(job: &JobSpec) -> String {
    if job.host == "*" {
        "any host".to_owned()
    } else {
        format!("host `{}`", job.host)
    }
}

/// Carries out one attempt of `job` on every target.
pub async fn execute(ctx: &Ctx, job: &JobSpec, limit: Duration) -> Done {
    let targets = match resolve(ctx, job).await {
        Ok(t) => t,
        Err(e) => {
            return Done {
                ok: false,
                retryable: !matches!(
                    e.code,
                    ErrorCode::ContainerNotFound | ErrorCode::HostNotFound
                ),
                message: e.message,
                ..Default::default()
            };
        }
    };
    let mut done = Done {
        ok: true,
        ..Default::default()
    };
    let mut output = String::new();
    for target in &targets {
        let (label, result) = match target {
            Target::Container(host, name) => (
                format!("{}/{name}", host.name()),
                on_container(ctx, job, host, name, limit).await,
            ),
            Target::Host(host) => (host.name().to_owned(), on_host(ctx, job, host, limit).await),
        };
        match result {
            Ok((line, captured)) => {
                if let Some(c) = captured {
                    if targets.len() > 1 {
                        let _ = writeln!(output, "== {label}");
                    }
                    output.push_str(&c.output);
                    if c.truncated {
                        output.push_str("\n…[truncated]\n");
                    }
                    done.exit_code = c.exit_code;
                    match c.exit_code {
                        Some(0) => {}
                        Some(code) => {
                            done.ok = false;
                            done.retryable = true;
                            let _ = writeln!(done.message, "{label}: exited with code {code}");
                            continue;
                        }
                        None => {
                            done.ok = false;
                            let _ = writeln!(
                                done.message,
                                "{label}: did not end within the maximum run time"
                            );
                            continue;
                        }
                    }
                }
                let _ = writeln!(done.message, "{label}: {line}");
            }
            Err(e) => {
                done.ok = false;
                done.retryable |= !matches!(
                    e.code,
                    ErrorCode::ContainerNotFound | ErrorCode::HostNotFound
                );
                let _ = writeln!(done.message, "{label}: {}", e.message);
            }
        }
    }
    if !output.is_empty() || matches!(job.action, Some(JobAction::Exec | JobAction::Run)) {
        done.output = Some(truncate(output));
    }
    done.message = done.message.trim_end().to_owned();
    done
}

/// Cuts text to the output cap at a character boundary.
pub fn truncate(mut s: String) -> String {
    if s.len() > OUTPUT_CAP {
        let mut cut = OUTPUT_CAP;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("\n…[truncated]");
    }
    s
}

type Outcome = Result<(String, Option<crate::engine::jobs::Captured>), AppError>;

async fn on_container(
    ctx: &Ctx,
    job: &JobSpec,
    host: &Arc<HostHandle>,
    name: &str,
    limit: Duration,
) -> Outcome {
    let plain = |what: &str| Ok((what.to_owned(), None));
    match job.action.unwrap_or(JobAction::Start) {
        JobAction::Start => host
            .start_container(name)
            .await
            .and_then(|()| plain("started")),
        JobAction::Stop => host
            .stop_container(name, None)
            .await
            .and_then(|()| plain("stopped")),
        JobAction::Restart => host
            .restart_container(name, None)
            .await
            .and_then(|()| plain("restarted")),
        JobAction::Pause => host
            .pause_container(name)
            .await
            .and_then(|()| plain("paused")),
        JobAction::Unpause => host
            .unpause_container(name)
            .await
            .and_then(|()| plain("unpaused")),
        JobAction::Kill => host
            .kill_container(name, job.signal.as_deref())
            .await
            .and_then(|()| plain("killed")),
        JobAction::Update => ctx
            .runner
            .update(host.clone(), name.to_owned())
            .await
            .map(|m| (m, None)),
        JobAction::Exec => {
            let command = job.command.clone().unwrap_or_default();
            let c = host.exec_capture(name, &command, limit, OUTPUT_CAP).await?;
            Ok(("ran".to_owned(), Some(c)))
        }
        JobAction::Run | JobAction::Prune => on_host(ctx, job, host, limit).await,
    }
}

async fn on_host(ctx: &Ctx, job: &JobSpec, host: &Arc<HostHandle>, limit: Duration) -> Outcome {
    match job.action.unwrap_or(JobAction::Prune) {
        JobAction::Run => {
            let mut spec = ContainerCreate {
                image: job.image.clone().unwrap_or_default(),
                name: Some(format!(
                    "berth-run-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                )),
                command: job.command.clone(),
                network: job.network.clone(),
                start: true,
                ..Default::default()
            };
            spec.labels.insert("berth.job".to_owned(), "run".to_owned());
            policy::check_create(&mut spec, &ctx.config.policy)?;
            let c = host.run_once(&spec, limit, OUTPUT_CAP).await?;
            let name = spec.name.unwrap_or_default();
            Ok((format!("ran one-off container `{name}` (removed)"), Some(c)))
        }
        JobAction::Prune => {
            let mut parts = Vec::new();
            for part in job.prune.clone().unwrap_or_default() {
                let line = match part {
                    PrunePart::Containers => {
                        let label = job.selector.as_ref().map(|s| s.label.as_str());
                        let (n, bytes) = host.prune_stopped_containers(label).await?;
                        format!("{n} containers ({bytes} bytes)")
                    }
                    PrunePart::Images => {
                        let r = host.prune_images(false).await?;
                        format!("{} images ({} bytes)", r.deleted.len(), r.space_reclaimed)
                    }
                    PrunePart::Volumes => {
                        let r = host.prune_volumes(false).await?;
                        format!("{} volumes ({} bytes)", r.deleted.len(), r.space_reclaimed)
                    }
                    PrunePart::Networks => {
                        let r = host.prune_networks().await?;
                        format!("{} networks", r.deleted.len())
                    }
                    PrunePart::BuildCache => {
                        format!("build cache ({} bytes)", host.prune_build_cache().await?)
                    }
                };
                parts.push(line);
            }
            Ok((format!("pruned {}", parts.join(", ")), None))
        }
        _ => Err(AppError::new(ErrorCode::InternalError, "not a host action")),
    }
}
