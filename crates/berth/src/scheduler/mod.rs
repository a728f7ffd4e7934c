//! Schedules and webhooks in: cron and one-time timings, the timer queue that fires them, the
//! runs they make (with skip-while-running, catch-up, maximum run time, retries with backoff),
//! and the outcome of every run published for the notifier.
//!
//! Exactly once across servers sharing a database: a server fires an occurrence only after
//! moving the schedule's `next_run` past it with a compare-and-set ([`Store::claim_occurrence`]);
//! a run holds a lease row so an overlapping run is skipped, even on another server.

pub mod cron;
pub mod hook_secrets;
mod interrupted;
pub mod job;
mod queue;
mod update;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_api::ErrorCode;
use berth_api::schedules::{
    JobAction, JobSpec, RunOutcome as Outcome, RunTrigger, Schedule, ScheduleCreate, ScheduleRun,
};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use self::cron::{When, from_ms, ms};
use self::job::{Ctx, Done};
use crate::config::Config;
use crate::engine::{Engines, HostHandle};
use crate::error::AppError;
use crate::store::{
    NewAuditEntry, NewRun, NewSchedule, RunRecord, ScheduleRecord, Store, WebhookRecord,
};

pub use queue::Change;
pub use update::{SafeUpdate, notify_event};

/// Runs kept per schedule and per webhook (older ones are pruned hourly).
pub const RUNS_KEPT: i64 = 500;

/// Output kept per run.
pub const OUTPUT_CAP: usize = 16 * 1024;

/// A due time further back than this when the server starts was missed while it was down
/// (a little lateness of a running server is not downtime).
pub const MISSED_GRACE_MS: i64 = 3_000;

/// Actions whose engine code lives elsewhere; the merger plugs in the real one.
pub trait ActionRunner: Send + Sync {
    /// Safe update of one container: answers what it did ([`SafeUpdate`] in the server).
    fn update(
        &self,
        host: Arc<HostHandle>,
        container: String,
    ) -> BoxFuture<'static, Result<String, AppError>>;
}

/// A finished run, for subscribers (the notifier).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run.
    pub run_id: i64,
    /// Its schedule.
    pub schedule_id: Option<i64>,
    /// Its webhook.
    pub webhook_id: Option<i64>,
    /// The schedule's or webhook's name.
    pub name: String,
    /// Host (`*`: all).
    pub host: String,
    /// The target, described.
    pub target: String,
    /// The action.
    pub action: JobAction,
    /// Whether it succeeded.
    pub ok: bool,
    /// Succeeded, failed, timed out or skipped.
    pub outcome: Outcome,
    /// Per target: what happened or why it failed.
    pub message: String,
    /// What started it.
    pub trigger: RunTrigger,
    /// The user or webhook.
    pub triggered_by: Option<String>,
}

/// The scheduler: shared by the HTTP handlers and the timer loop.
pub struct Scheduler {
    ctx: Ctx,
    /// This server's lease owner id.
    owner: String,
    changes: mpsc::UnboundedSender<Change>,
    outcomes: broadcast::Sender<RunOutcome>,
    hook_hits: Mutex<HashMap<i64, VecDeque<Instant>>>,
    shutdown: CancellationToken,
}

impl Scheduler {
    /// Makes the scheduler and starts its loop (it ends with `shutdown`).
    pub fn start(
        store: Store,
        engines: Arc<Engines>,
        config: Arc<Config>,
        runner: Arc<dyn ActionRunner>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let scheduler = Arc::new(Self {
            ctx: Ctx {
                store,
                engines,
                config,
                runner,
            },
            owner: uuid::Uuid::new_v4().to_string(),
            changes: tx,
            outcomes: broadcast::channel(256).0,
            hook_hits: Mutex::new(HashMap::new()),
            shutdown,
        });
        tokio::spawn(queue::run(scheduler.clone(), rx));
        scheduler
    }

    /// Every finished run, as it finishes.
    pub fn subscribe(&self) -> broadcast::Receiver<RunOutcome> {
        self.outcomes.subscribe()
    }

    fn push(&self, id: i64, due: Option<i64>) {
        let _ = self.changes.send(Change { id, due });
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.ctx.store
    }

    // ---- schedules ----

    fn prepare(&self, req: ScheduleCreate, now: DateTime<Utc>) -> Result<NewSchedule, AppError> {
        let name = req.name.trim();
        if name.is_empty() {
            return Err(AppError::validation("name", "a schedule needs a name"));
        }
        crate::validate::text("name", name, 100)?;
        let job = job::check(req.job, &self.ctx.engines)?;
        let (timezone, tz) = cron::parse_zone(req.timezone.as_deref())?;
        let when = match (&req.cron, req.run_at) {
            (Some(expr), None) => When::Cron {
                cron: Box::new(cron::parse_cron(expr)?),
                tz,
            },
            (None, Some(at)) => {
                if at <= now {
                    return Err(AppError::validation("run_at", "`run_at` is in the past"));
                }
                When::Once(at)
            }
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    "cron",
                    "give `cron` or `run_at`, not both",
                ));
            }
            (None, None) => {
                return Err(AppError::validation(
                    "cron",
                    "give `cron` (repeating) or `run_at` (once)",
                ));
            }
        };
        let enabled = req.enabled.unwrap_or(true);
        let next = when.next_after(now);
        if matches!(when, When::Cron { .. }) && next.is_none() {
            return Err(AppError::validation("cron", "the expression never fires"));
        }
        Ok(NewSchedule {
            name: name.to_owned(),
            job: serde_json::to_string(&job).map_err(AppError::internal)?,
            cron: req.cron.map(|c| c.trim().to_owned()),
            run_at: req.run_at,
            timezone,
            enabled,
            catch_up: req.catch_up.unwrap_or(false),
            next_run: next.filter(|_| enabled).map(ms),
        })
    }

    /// Creates a schedule.
    pub async fn create(&self, req: ScheduleCreate, by: &str) -> Result<Schedule, AppError> {
        let new = self.prepare(req, Utc::now())?;
        let rec = self.ctx.store.insert_schedule(&new, Some(by)).await?;
        self.push(rec.id, rec.next_run);
        Ok(view(&rec))
    }

    /// Replaces a schedule's definition.
    pub async fn replace(&self, id: i64, req: ScheduleCreate) -> Result<Schedule, AppError> {
        let new = self.prepare(req, Utc::now())?;
        let rec = self
            .ctx
            .store
            .replace_schedule(id, &new)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.push(rec.id, rec.next_run);
        Ok(view(&rec))
    }

    /// Enables or disables a schedule.
    pub async fn set_enabled(&self, id: i64, enabled: bool) -> Result<Schedule, AppError> {
        let rec = self.get_record(id).await?;
        let next = if enabled {
            when_of(&rec)?.next_after(Utc::now()).map(ms)
        } else {
            None
        };
        let rec = self
            .ctx
            .store
            .set_schedule_enabled(id, enabled, next)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.push(rec.id, rec.next_run);
        Ok(view(&rec))
    }

    /// Deletes a schedule and its history.
    pub async fn delete(&self, id: i64) -> Result<(), AppError> {
        if !self.ctx.store.delete_schedule(id).await? {
            return Err(not_found(id));
        }
        self.push(id, None);
        Ok(())
    }

    /// One schedule's row.
    pub async fn get_record(&self, id: i64) -> Result<ScheduleRecord, AppError> {
        self.ctx
            .store
            .schedule(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// One schedule.
    pub async fn get(&self, id: i64) -> Result<Schedule, AppError> {
        Ok(view(&self.get_record(id).await?))
    }

    /// Every schedule.
    pub async fn list(&self) -> Result<Vec<Schedule>, AppError> {
        Ok(self
            .ctx
            .store
            .list_schedules()
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// "Run now" by a user; the run's id (it may be recorded as skipped).
    pub async fn run_now(self: &Arc<Self>, id: i64, by: &str) -> Result<i64, AppError> {
        let rec = self.get_record(id).await?;
        self.run_schedule(&rec, RunTrigger::User, None, Some(by.to_owned()))
            .await
    }

    /// Fires the occurrence `due` of schedule `id`, if this server wins it.
    async fn fire(self: Arc<Self>, id: i64, due: i64) {
        let rec = match self.ctx.store.schedule(id).await {
            Ok(Some(rec)) => rec,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(schedule = id, error = %e, "could not read a due schedule");
                return;
            }
        };
        if !rec.enabled || rec.next_run != Some(due) {
            self.push(id, rec.next_run.filter(|_| rec.enabled));
            return;
        }
        let next = match when_of(&rec) {
            Ok(when) => when.next_after(Utc::now().max(from_ms(due))).map(ms),
            Err(e) => {
                tracing::warn!(schedule = id, error = %e, "a stored schedule no longer parses");
                None
            }
        };
        match self.ctx.store.claim_occurrence(id, due, next).await {
            Ok(true) => self.push(id, next),
            Ok(false) => {
                // Another server won it (or the schedule changed): follow what is stored.
                if let Ok(Some(now)) = self.ctx.store.schedule(id).await {
                    self.push(id, now.next_run.filter(|_| now.enabled));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(schedule = id, error = %e, "could not claim a due run");
                return;
            }
        }
        if let Err(e) = self
            .run_schedule(&rec, RunTrigger::Schedule, Some(from_ms(due)), None)
            .await
        {
            tracing::warn!(schedule = id, error = %e, "could not start a due run");
        }
    }

    /// At start: occurrences due while no server ran are skipped (recorded as such) or, with
    /// `catch_up`, left due so they run once now.
    async fn recover_missed(&self) -> Result<(), AppError> {
        let now = Utc::now();
        for rec in self.ctx.store.list_schedules().await? {
            let Some(due) = rec
                .next_run
                .filter(|d| rec.enabled && *d < ms(now) - MISSED_GRACE_MS)
            else {
                continue;
            };
            if rec.catch_up {
                continue;
            }
            let next = when_of(&rec)?.next_after(now).map(ms);
            if self.ctx.store.claim_occurrence(rec.id, due, next).await? {
                self.ctx
                    .store
                    .insert_run(&NewRun {
                        schedule_id: Some(rec.id),
                        webhook_id: None,
                        scheduled_for: Some(from_ms(due)),
                        started_at: now,
                        outcome: "skipped".to_owned(),
                        message: Some(
                            "missed: no server was running at that time (catch_up is off)"
                                .to_owned(),
                        ),
                        trigger: "schedule".to_owned(),
                        triggered_by: None,
                        owner: None,
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Starts a run of a schedule unless one is still running (then records a skipped run).
    async fn run_schedule(
        self: &Arc<Self>,
        rec: &ScheduleRecord,
        trigger: RunTrigger,
        scheduled_for: Option<DateTime<Utc>>,
        by: Option<String>,
    ) -> Result<i64, AppError> {
        let job: JobSpec = serde_json::from_str(&rec.job).map_err(AppError::internal)?;
        let now = Utc::now();
        let until = ms(now) + LEASE_MS;
        let mut run = NewRun {
            schedule_id: Some(rec.id),
            webhook_id: None,
            scheduled_for,
            started_at: now,
            outcome: "running".to_owned(),
            message: None,
            trigger: trigger_str(trigger).to_owned(),
            triggered_by: by.clone(),
            owner: Some(self.owner.clone()),
        };
        let source = Source {
            schedule_id: Some(rec.id),
            webhook_id: None,
            name: rec.name.clone(),
            trigger,
            by,
        };
        if !self
            .ctx
            .store
            .take_lease(rec.id, &self.owner, until, ms(now))
            .await?
        {
            run.outcome = "skipped".to_owned();
            run.message = Some("skipped: the previous run is still running".to_owned());
            let run_id = self.ctx.store.insert_run(&run).await?;
            let done = Done {
                message: run.message.clone().unwrap_or_default(),
                ..Default::default()
            };
            self.publish(run_id, &source, &job, Outcome::Skipped, &done);
            return Ok(run_id);
        }
        let run_id = self.ctx.store.insert_run(&run).await?;
        let me = self.clone();
        tokio::spawn(async move {
            me.carry_out(run_id, source, job).await;
        });
        Ok(run_id)
    }

    /// Starts a run of a webhook's job; its id.
    pub async fn fire_webhook(self: &Arc<Self>, hook: &WebhookRecord) -> Result<i64, AppError> {
        let job: JobSpec = serde_json::from_str(&hook.job).map_err(AppError::internal)?;
        let by = format!("webhook:{}", hook.name);
        let run_id = self
            .ctx
            .store
            .insert_run(&NewRun {
                schedule_id: None,
                webhook_id: Some(hook.id),
                scheduled_for: None,
                started_at: Utc::now(),
                outcome: "running".to_owned(),
                message: None,
                trigger: "webhook".to_owned(),
                triggered_by: Some(by.clone()),
                owner: Some(self.owner.clone()),
            })
            .await?;
        self.ctx.store.note_webhook_trigger(hook.id).await?;
        let source = Source {
            schedule_id: None,
            webhook_id: Some(hook.id),
            name: hook.name.clone(),
            trigger: RunTrigger::Webhook,
            by: Some(by),
        };
        let me = self.clone();
        tokio::spawn(async move { me.carry_out(run_id, source, job).await });
        Ok(run_id)
    }

    /// Whether a webhook may be called now (a sliding one-minute window); else how long to wait.
    pub fn webhook_allowed(&self, id: i64, per_minute: u32) -> Result<(), Duration> {
        let window = Duration::from_secs(60);
        let now = Instant::now();
        let mut hits = self
            .hook_hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let q = hits.entry(id).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= per_minute as usize {
            let wait = q
                .front()
                .map_or(window, |t| window.saturating_sub(now.duration_since(*t)));
            return Err(wait);
        }
        q.push_back(now);
        Ok(())
    }

    /// Runs the job with its policies, records the end, releases the lease, audits, publishes.
    async fn carry_out(self: Arc<Self>, run_id: i64, source: Source, job: JobSpec) {
        // The run's heartbeat (and a schedule's lease) is renewed while it lasts; not after
        // shutdown, when `stop` has let them lapse on purpose.
        let me = self.clone();
        let schedule_id = source.schedule_id;
        let renew = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = me.shutdown.cancelled() => return,
                    () = tokio::time::sleep(LEASE / 3) => {}
                }
                let now = ms(Utc::now());
                if let Err(e) = me.ctx.store.renew_run(run_id, now + LEASE_MS, now).await {
                    tracing::warn!(run = run_id, error = %e, "could not renew a run heartbeat");
                }
                if let Some(id) = schedule_id
                    && let Err(e) = me
                        .ctx
                        .store
                        .renew_lease(id, &me.owner, now + LEASE_MS)
                        .await
                {
                    tracing::warn!(schedule = id, error = %e, "could not renew a run lease");
                }
            }
        });
        let (outcome, done, attempts) = self.attempt_all(&job).await;
        renew.abort();
        let store = &self.ctx.store;
        if let Err(e) = store
            .finish_run(
                run_id,
                outcome_str(outcome),
                Some(done.message.as_str()).filter(|m| !m.is_empty()),
                done.output.as_deref(),
                done.exit_code,
                attempts,
            )
            .await
        {
            tracing::warn!(run = run_id, error = %e, "could not record the end of a run");
        }
        if let Some(id) = source.schedule_id
            && let Err(e) = store.release_lease(id, &self.owner).await
        {
            tracing::warn!(schedule = id, error = %e, "could not release a run lease");
        }
        // A user's "run now" is audited by its request; the scheduler and webhooks act alone.
        if source.trigger != RunTrigger::User {
            let action = job.action.unwrap_or(JobAction::Start);
            let audit_action = job::audit_action(action);
            let entry = NewAuditEntry {
                username: Some(source.by.clone().unwrap_or_else(|| "scheduler".to_owned())),
                resource_type: audit_action.split('.').next().map(str::to_owned),
                action: audit_action,
                resource_id: Some(job::describe_target(&job)),
                host: Some(job.host.clone()),
                outcome: if done.ok { "success" } else { "failure" }.to_owned(),
                error_code: (!done.ok).then(|| outcome_str(outcome).to_owned()),
                details: serde_json::json!({
                    "run_id": run_id,
                    "schedule_id": source.schedule_id,
                    "webhook_id": source.webhook_id,
                    "name": source.name,
                    "trigger": trigger_str(source.trigger),
                    "message": done.message,
                })
                .to_string(),
                ..Default::default()
            };
            if let Err(e) = store.append_audit(&entry).await {
                tracing::warn!(run = run_id, error = %e, "could not audit a run");
            }
        }
        self.publish(run_id, &source, &job, outcome, &done);
    }

    /// Attempts with retries and backoff; the outcome, the last attempt's result, attempts made.
    async fn attempt_all(&self, job: &JobSpec) -> (Outcome, Done, u32) {
        let limit = Duration::from_secs(u64::from(
            job.max_runtime_secs
                .unwrap_or(job::DEFAULT_MAX_RUNTIME_SECS),
        ));
        let retries = job.retries.unwrap_or(0);
        let backoff = u64::from(job.retry_backoff_secs.unwrap_or(job::DEFAULT_BACKOFF_SECS));
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let (outcome, done) =
                match tokio::time::timeout(limit, job::execute(&self.ctx, job, limit)).await {
                    Ok(done) if done.ok => (Outcome::Succeeded, done),
                    Ok(done) => (Outcome::Failed, done),
                    Err(_) => (
                        Outcome::TimedOut,
                        Done {
                            message: format!(
                                "ran past the maximum run time of {} s",
                                limit.as_secs()
                            ),
                            retryable: true,
                            ..Default::default()
                        },
                    ),
                };
            if outcome == Outcome::Succeeded || attempts > retries || !done.retryable {
                return (outcome, done, attempts);
            }
            let wait = Duration::from_secs((backoff << (attempts - 1).min(10)).min(3600));
            tokio::select! {
                () = self.shutdown.cancelled() => return (outcome, done, attempts),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn publish(&self, run_id: i64, source: &Source, job: &JobSpec, outcome: Outcome, done: &Done) {
        let _ = self.outcomes.send(RunOutcome {
            run_id,
            schedule_id: source.schedule_id,
            webhook_id: source.webhook_id,
            name: source.name.clone(),
            host: job.host.clone(),
            target: job::describe_target(job),
            action: job.action.unwrap_or(JobAction::Start),
            ok: outcome == Outcome::Succeeded,
            outcome,
            message: done.message.clone(),
            trigger: source.trigger,
            triggered_by: source.by.clone(),
        });
    }
}

/// Who a run is for.
#[derive(Debug, Clone)]
struct Source {
    schedule_id: Option<i64>,
    webhook_id: Option<i64>,
    name: String,
    trigger: RunTrigger,
    by: Option<String>,
}

/// A run's lease lasts this long unless renewed; the running server renews it every third of
/// it, so the lease of a server that died mid-run frees the schedule within this time.
const LEASE: Duration = Duration::from_secs(30);
const LEASE_MS: i64 = crate::store::RUN_HEARTBEAT_MS;

fn not_found(id: i64) -> AppError {
    AppError::new(
        ErrorCode::ScheduleNotFound,
        format!("no schedule with id {id}"),
    )
}

/// A stored schedule's timing.
pub fn when_of(rec: &ScheduleRecord) -> Result<When, AppError> {
    match (&rec.cron, rec.run_at) {
        (Some(expr), _) => Ok(When::Cron {
            cron: Box::new(cron::parse_cron(expr)?),
            tz: cron::parse_zone(Some(&rec.timezone))?.1,
        }),
        (None, Some(at)) => Ok(When::Once(at)),
        (None, None) => Err(AppError::internal("a schedule without cron or run_at")),
    }
}

/// The API view of a schedule, with its next 5 runs.
pub fn view(rec: &ScheduleRecord) -> Schedule {
    let now = Utc::now();
    let next_runs = match (rec.enabled, rec.next_run, when_of(rec)) {
        (true, Some(next), Ok(when)) => {
            let first = from_ms(next);
            let mut runs = vec![first];
            runs.extend(when.upcoming(first, 4));
            runs
        }
        _ => Vec::new(),
    };
    Schedule {
        id: rec.id,
        name: rec.name.clone(),
        job: serde_json::from_str(&rec.job).unwrap_or_default(),
        cron: rec.cron.clone(),
        run_at: rec.run_at,
        timezone: rec.timezone.clone(),
        enabled: rec.enabled,
        catch_up: rec.catch_up,
        next_runs,
        running: rec.lease_owner.is_some() && rec.lease_until.is_some_and(|u| u > ms(now)),
        created_by: rec.created_by.clone(),
        created_at: rec.created_at,
        updated_at: rec.updated_at,
    }
}

/// The API view of a run.
pub fn run_view(r: &RunRecord) -> ScheduleRun {
    ScheduleRun {
        id: r.id,
        schedule_id: r.schedule_id,
        webhook_id: r.webhook_id,
        scheduled_for: r.scheduled_for,
        started_at: r.started_at,
        finished_at: r.finished_at,
        outcome: match r.outcome.as_str() {
            "running" => Outcome::Running,
            "succeeded" => Outcome::Succeeded,
            "timed_out" => Outcome::TimedOut,
            "skipped" => Outcome::Skipped,
            _ => Outcome::Failed,
        },
        message: r.message.clone(),
        output: r.output.clone(),
        exit_code: r.exit_code,
        attempts: u32::try_from(r.attempts).unwrap_or(0),
        trigger: match r.trigger.as_str() {
            "user" => RunTrigger::User,
            "webhook" => RunTrigger::Webhook,
            _ => RunTrigger::Schedule,
        },
        triggered_by: r.triggered_by.clone(),
    }
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Running => "running",
        Outcome::Succeeded => "succeeded",
        Outcome::Failed => "failed",
        Outcome::TimedOut => "timed_out",
        Outcome::Skipped => "skipped",
    }
}

fn trigger_str(t: RunTrigger) -> &'static str {
    match t {
        RunTrigger::Schedule => "schedule",
        RunTrigger::User => "user",
        RunTrigger::Webhook => "webhook",
    }
}
