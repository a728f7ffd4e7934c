//! Runs cut off by a server that stopped or died: each running run carries a heartbeat its
//! server renews; a run whose heartbeat lapsed is closed as failed with [`INTERRUPTED`], audited
//! and told to the notifier, by whichever server sees it first (at start, then every
//! [`SWEEP`]). Without this such a run would show `running` in its history forever.

use std::time::Duration;

use berth_api::schedules::{JobSpec, RunOutcome as Outcome, RunTrigger};
use chrono::Utc;

use super::cron::ms;
use super::job::Done;
use super::{Scheduler, Source};
use crate::error::AppError;
use crate::store::{NewAuditEntry, RunRecord};

/// The message of a run closed because its server went away.
pub const INTERRUPTED: &str = "Berth stopped during this run";

/// How often a running server looks for lapsed runs (a run whose server died is closed within
/// the heartbeat plus this).
pub const SWEEP: Duration = Duration::from_secs(15);

impl Scheduler {
    /// Lets this server's running runs lapse and gives its leases back; called once at a
    /// graceful stop, before the database closes, so the next server to start closes those runs
    /// at once (a server that dies without this is caught when its heartbeats lapse).
    pub async fn stop(&self) {
        match self.ctx.store.abandon_runs(&self.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                runs = n,
                "stopping with runs in progress: they are recorded as interrupted at the next start"
            ),
            Err(e) => tracing::warn!(error = %e, "could not mark the runs in progress as cut off"),
        }
    }

    /// Closes every run whose heartbeat lapsed; how many this server closed.
    pub(super) async fn close_interrupted(&self) -> Result<usize, AppError> {
        let now = ms(Utc::now());
        let mut closed = 0;
        for run in self.ctx.store.lapsed_runs(now).await? {
            if self
                .ctx
                .store
                .close_lapsed_run(run.id, INTERRUPTED, now)
                .await?
            {
                closed += 1;
                self.tell_interrupted(&run).await;
            }
        }
        Ok(closed)
    }

    /// Audits and publishes one closed run (the run row is already closed: failures here are
    /// logged, never undo that).
    async fn tell_interrupted(&self, run: &RunRecord) {
        let (name, job) = match self.owner_of(run).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(run = run.id, error = %e, "an interrupted run's schedule or webhook is unreadable");
                (String::new(), None)
            }
        };
        let (resource_type, resource_id) = match (run.schedule_id, run.webhook_id) {
            (Some(id), _) => ("schedule", id.to_string()),
            (None, Some(id)) => ("webhook", id.to_string()),
            (None, None) => ("schedule", String::new()),
        };
        let entry = NewAuditEntry {
            username: Some("scheduler".to_owned()),
            action: format!("{resource_type}.run_interrupted"),
            resource_type: Some(resource_type.to_owned()),
            resource_id: Some(resource_id),
            host: job.as_ref().map(|j| j.host.clone()),
            outcome: "failure".to_owned(),
            error_code: Some("interrupted".to_owned()),
            details: serde_json::json!({
                "run_id": run.id,
                "name": name,
                "started_at": run.started_at,
                "trigger": run.trigger,
                "message": INTERRUPTED,
            })
            .to_string(),
            ..Default::default()
        };
        if let Err(e) = self.ctx.store.append_audit(&entry).await {
            tracing::warn!(run = run.id, error = %e, "could not audit an interrupted run");
        }
        tracing::warn!(run = run.id, name = %name, "a run was cut off by a server stop: recorded as failed");
        if let Some(job) = job {
            let source = Source {
                schedule_id: run.schedule_id,
                webhook_id: run.webhook_id,
                name,
                trigger: match run.trigger.as_str() {
                    "user" => RunTrigger::User,
                    "webhook" => RunTrigger::Webhook,
                    _ => RunTrigger::Schedule,
                },
                by: run.triggered_by.clone(),
            };
            let done = Done {
                message: INTERRUPTED.to_owned(),
                ..Default::default()
            };
            self.publish(run.id, &source, &job, Outcome::Failed, &done);
        }
    }

    /// The name and job of the schedule or webhook a run belongs to (gone: no job).
    async fn owner_of(&self, run: &RunRecord) -> Result<(String, Option<JobSpec>), AppError> {
        let found = match (run.schedule_id, run.webhook_id) {
            (Some(id), _) => self.ctx.store.schedule(id).await?.map(|s| (s.name, s.job)),
            (None, Some(id)) => self.ctx.store.webhook(id).await?.map(|w| (w.name, w.job)),
            (None, None) => None,
        };
        Ok(match found {
            Some((name, job)) => {
                let job: JobSpec = serde_json::from_str(&job).map_err(AppError::internal)?;
                (name, Some(job))
            }
            None => (String::new(), None),
        })
    }
}
