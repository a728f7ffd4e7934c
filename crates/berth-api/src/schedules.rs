//! Schedules, their runs, webhooks in, and container tags and links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// What a schedule or webhook does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum JobAction {
    /// Start the container.
    Start,
    /// Stop the container.
    Stop,
    /// Restart the container.
    Restart,
    /// Pause the container.
    Pause,
    /// Unpause the container.
    Unpause,
    /// Send a signal (`signal`, default SIGKILL).
    Kill,
    /// Pull the image and recreate the container when it changed (safe update).
    Update,
    /// Run `command` inside the container; output and exit code are kept.
    Exec,
    /// Run a one-off container from `image` (with `command`); removed after, output kept.
    Run,
    /// Prune the host: the parts named in `prune`.
    Prune,
}

impl JobAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
            Self::Kill => "kill",
            Self::Update => "update",
            Self::Exec => "exec",
            Self::Run => "run",
            Self::Prune => "prune",
        }
    }

    /// Whether the action works on containers (else on hosts: `run`, `prune`).
    pub fn needs_container(self) -> bool {
        !matches!(self, Self::Run | Self::Prune)
    }
}

/// A part of a host that `prune` may clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PrunePart {
    /// Stopped containers.
    Containers,
    /// Dangling images.
    Images,
    /// Unused volumes.
    Volumes,
    /// Unused networks.
    Networks,
    /// The build cache.
    BuildCache,
}

/// Every container carrying a label (`key` or `key=value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Selector {
    /// `key` or `key=value`.
    pub label: String,
}

/// One action on one target: what a schedule fires and what a webhook is bound to.
/// Exactly one of `container`, `selector`, `tag` for container actions; none for `run`/`prune`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct JobSpec {
    /// Host name, or `*` for every host.
    pub host: String,
    /// A container by name (names survive recreation; ids do not).
    #[serde(default)]
    pub container: Option<String>,
    /// Every container matching a label (with `prune`: only stopped containers with it go).
    #[serde(default)]
    pub selector: Option<Selector>,
    /// Every container with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// What to do (required).
    #[serde(default)]
    pub action: Option<JobAction>,
    /// `exec`: the command; `run`: the command (optional).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// `run`: the image.
    #[serde(default)]
    pub image: Option<String>,
    /// `run`: the network (default: the engine's default).
    #[serde(default)]
    pub network: Option<String>,
    /// `kill`: the signal (default SIGKILL).
    #[serde(default)]
    pub signal: Option<String>,
    /// `prune`: what to clean (default: containers and images).
    #[serde(default)]
    pub prune: Option<Vec<PrunePart>>,
    /// A run taking longer fails as `timed_out` (seconds, default 3600).
    #[serde(default)]
    pub max_runtime_secs: Option<u32>,
    /// Attempts after a failure (default 0).
    #[serde(default)]
    pub retries: Option<u32>,
    /// First wait before a retry, doubled each time (seconds, default 10).
    #[serde(default)]
    pub retry_backoff_secs: Option<u32>,
}

/// `POST /api/v1/schedules` and `PUT /api/v1/schedules/{id}`: a cron or one-time schedule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ScheduleCreate {
    /// A name for people.
    pub name: String,
    /// The action and its target.
    #[serde(flatten)]
    pub job: JobSpec,
    /// Cron expression: 5 fields (minute hour day month weekday; names like MON and JAN,
    /// Sunday 0 or 7, ranges, steps) or 6 with seconds first.
    #[serde(default)]
    pub cron: Option<String>,
    /// One-time: when to run (instead of `cron`).
    #[serde(default)]
    pub run_at: Option<DateTime<Utc>>,
    /// IANA time zone of `cron` (default: the server's).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Whether it fires (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// After downtime: run once for what was missed (true) or skip it (false, default).
    #[serde(default)]
    pub catch_up: Option<bool>,
}

/// A schedule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Schedule {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The action and its target.
    #[serde(flatten)]
    pub job: JobSpec,
    /// Cron expression (cron schedules).
    pub cron: Option<String>,
    /// When it runs (one-time schedules).
    pub run_at: Option<DateTime<Utc>>,
    /// IANA time zone.
    pub timezone: String,
    /// Whether it fires.
    pub enabled: bool,
    /// Whether a run missed during downtime is made up once.
    pub catch_up: bool,
    /// The next (up to) 5 times it fires; empty when disabled or done.
    pub next_runs: Vec<DateTime<Utc>>,
    /// Whether a run is in progress.
    pub running: bool,
    /// Who created it.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// Done without error.
    Succeeded,
    /// Failed; `message` says why.
    Failed,
    /// Ran past the maximum run time.
    TimedOut,
    /// Not run: the previous run was still going, or it was missed while the server was down.
    Skipped,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunTrigger {
    /// The schedule came due.
    Schedule,
    /// A user asked (`run now`).
    User,
    /// A webhook was called.
    Webhook,
}

/// One run of a schedule or webhook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ScheduleRun {
    /// Id.
    pub id: i64,
    /// The schedule (none for webhook runs).
    pub schedule_id: Option<i64>,
    /// The webhook (webhook runs).
    pub webhook_id: Option<i64>,
    /// The due time it was fired for (schedule runs).
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Outcome.
    pub outcome: RunOutcome,
    /// Per target: what happened (or why it failed).
    pub message: Option<String>,
    /// `exec`/`run` output (truncated to 16 KiB).
    pub output: Option<String>,
    /// `exec`/`run` exit code (the last target's).
    pub exit_code: Option<i64>,
    /// Attempts made (1 + retries used).
    pub attempts: u32,
    /// What started it.
    pub trigger: RunTrigger,
    /// The user or webhook that started it.
    pub triggered_by: Option<String>,
}

/// A page of runs, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ScheduleRuns {
    /// Runs.
    pub runs: Vec<ScheduleRun>,
}

/// How a webhook checks the caller's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SignatureCheck {
    /// The token alone.
    None,
    /// `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the secret>`.
    Github,
    /// `X-Gitlab-Token: <secret>`.
    Gitlab,
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct WebhookCreate {
    /// A name for people (and the audit log: `webhook:<name>`).
    pub name: String,
    /// The action and its target.
    #[serde(flatten)]
    pub job: JobSpec,
    /// Signature check (default none).
    #[serde(default)]
    pub signature: Option<SignatureCheck>,
    /// The shared secret of the signature check (required with one).
    #[serde(default)]
    pub secret: Option<String>,
    /// Calls allowed per minute (default 10).
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// A webhook (never with its token or secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Webhook {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The action and its target.
    #[serde(flatten)]
    pub job: JobSpec,
    /// The token's first characters, to recognise it.
    pub token_prefix: String,
    /// Signature check.
    pub signature: SignatureCheck,
    /// Calls allowed per minute.
    pub rate_limit_per_minute: u32,
    /// Calls that started a run.
    pub trigger_count: i64,
    /// The last such call.
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The answer to a create: the token and URL, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct WebhookCreated {
    /// The webhook.
    pub webhook: Webhook,
    /// The token (only its hash is kept).
    pub token: String,
    /// The path to POST to: `/api/v1/hooks/<token>`.
    pub path: String,
}

/// The answer to a webhook call: the run it started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct RunStarted {
    /// The run (see its schedule's or webhook's runs).
    pub run_id: i64,
}

/// A tag with its colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Tag {
    /// Name (1–64 characters: letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// Tags and web-UI link of one container (kept by host and container name).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ContainerMeta {
    /// Host.
    pub host: String,
    /// Container name.
    pub container: String,
    /// Tag names.
    pub tags: Vec<String>,
    /// Link to the container's own web UI.
    pub web_url: Option<String>,
}

/// `PATCH …/containers/{id}/meta`: what is given replaces what was.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ContainerMetaUpdate {
    /// Tag names (each must exist); replaces the container's tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// `http(s)://…`; an empty string removes the link.
    #[serde(default)]
    pub web_url: Option<String>,
}

/// `PUT /api/v1/tags/{tag}`: a new colour.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TagUpdate {
    /// `#rrggbb`.
    pub color: String,
}
