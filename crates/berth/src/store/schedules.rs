//! Schedule rows (with the compare-and-set that makes firing exactly-once) and run history.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// A schedule as stored; `job` is the JSON of `berth_api::schedules::JobSpec`.
#[derive(Debug, Clone, FromRow)]
pub struct ScheduleRecord {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The job, JSON.
    pub job: String,
    /// Cron expression.
    pub cron: Option<String>,
    /// One-time run.
    pub run_at: Option<DateTime<Utc>>,
    /// IANA zone.
    pub timezone: String,
    /// Fires.
    pub enabled: bool,
    /// Makes up a run missed while down.
    pub catch_up: bool,
    /// The occurrence to fire next, unix ms.
    pub next_run: Option<i64>,
    /// The server running it now.
    pub lease_owner: Option<String>,
    /// Until when that lease holds, unix ms.
    pub lease_until: Option<i64>,
    /// Creator.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

/// What a create or replace writes.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    /// Name.
    pub name: String,
    /// Job JSON.
    pub job: String,
    /// Cron.
    pub cron: Option<String>,
    /// One-time.
    pub run_at: Option<DateTime<Utc>>,
    /// Zone.
    pub timezone: String,
    /// Enabled.
    pub enabled: bool,
    /// Catch up.
    pub catch_up: bool,
    /// First occurrence, unix ms.
    pub next_run: Option<i64>,
}

/// A run to record.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Schedule.
    pub schedule_id: Option<i64>,
    /// Webhook.
    pub webhook_id: Option<i64>,
    /// Due time.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// `running`, or `skipped` for a run that never starts.
    pub outcome: String,
    /// Why (skipped runs).
    pub message: Option<String>,
    /// `schedule`, `user`, `webhook`.
    pub trigger: String,
    /// Who.
    pub triggered_by: Option<String>,
    /// The server carrying a `running` run out (its heartbeat starts with the run).
    pub owner: Option<String>,
}

/// A stored run.
#[derive(Debug, Clone, FromRow)]
pub struct RunRecord {
    /// Id.
    pub id: i64,
    /// Schedule.
    pub schedule_id: Option<i64>,
    /// Webhook.
    pub webhook_id: Option<i64>,
    /// Due time.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Outcome.
    pub outcome: String,
    /// Message.
    pub message: Option<String>,
    /// Output.
    pub output: Option<String>,
    /// Exit code.
    pub exit_code: Option<i64>,
    /// Attempts.
    pub attempts: i64,
    /// Trigger.
    pub trigger: String,
    /// Who.
    pub triggered_by: Option<String>,
}

macro_rules! columns {
    () => {
        "id, name, job, cron, run_at, timezone, enabled, catch_up, next_run, lease_owner, lease_until, created_by, created_at, updated_at"
    };
}

macro_rules! run_columns {
    () => {
        "id, schedule_id, webhook_id, scheduled_for, started_at, finished_at, outcome, message, output, exit_code, attempts, trigger, triggered_by"
    };
}

/// How long a running run's heartbeat lasts unless renewed (the running server renews it every
/// third of this): a run cut off by a server that died is closed within about this time.
pub const RUN_HEARTBEAT_MS: i64 = 30_000;

impl Store {
    /// Every schedule, by id.
    pub async fn list_schedules(&self) -> Result<Vec<ScheduleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM schedules ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// One schedule.
    pub async fn schedule(&self, id: i64) -> Result<Option<ScheduleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM schedules WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a schedule.
    pub async fn insert_schedule(
        &self,
        s: &NewSchedule,
        created_by: Option<&str>,
    ) -> Result<ScheduleRecord, sqlx::Error> {
        sqlx::query_as(concat!(
            "INSERT INTO schedules (name, job, cron, run_at, timezone, enabled, catch_up, next_run, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ",
            columns!()
        ))
        .bind(&s.name)
        .bind(&s.job)
        .bind(&s.cron)
        .bind(s.run_at)
        .bind(&s.timezone)
        .bind(s.enabled)
        .bind(s.catch_up)
        .bind(s.next_run)
        .bind(created_by)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
    }

    /// Replaces a schedule's definition (its lease is kept); `None` when it does not exist.
    pub async fn replace_schedule(
        &self,
        id: i64,
        s: &NewSchedule,
    ) -> Result<Option<ScheduleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "UPDATE schedules SET name = $2, job = $3, cron = $4, run_at = $5, timezone = $6,
             enabled = $7, catch_up = $8, next_run = $9, updated_at = $10 WHERE id = $1 RETURNING ",
            columns!()
        ))
        .bind(id)
        .bind(&s.name)
        .bind(&s.job)
        .bind(&s.cron)
        .bind(s.run_at)
        .bind(&s.timezone)
        .bind(s.enabled)
        .bind(s.catch_up)
        .bind(s.next_run)
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await
    }

    /// Enables (with its next occurrence) or disables a schedule.
    pub async fn set_schedule_enabled(
        &self,
        id: i64,
        enabled: bool,
        next_run: Option<i64>,
    ) -> Result<Option<ScheduleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "UPDATE schedules SET enabled = $2, next_run = $3, updated_at = $4 WHERE id = $1 RETURNING ",
            columns!()
        ))
        .bind(id)
        .bind(enabled)
        .bind(next_run)
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes a schedule (and its runs); whether it existed.
    pub async fn delete_schedule(&self, id: i64) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM schedules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// `(id, next_run)` of every enabled schedule that has a next occurrence: the timer queue.
    pub async fn due_index(&self) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        sqlx::query_as("SELECT id, next_run FROM schedules WHERE enabled AND next_run IS NOT NULL")
            .fetch_all(&self.pool)
            .await
    }

    /// Claims the occurrence `due` by moving `next_run` on to `next`, only if it still is `due`:
    /// of two servers racing for it exactly one wins. Whether this caller won.
    pub async fn claim_occurrence(
        &self,
        id: i64,
        due: i64,
        next: Option<i64>,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE schedules SET next_run = $3 WHERE id = $1 AND enabled AND next_run = $2",
        )
        .bind(id)
        .bind(due)
        .bind(next)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Takes the running lease unless another run holds an unexpired one; whether it was taken.
    pub async fn take_lease(
        &self,
        id: i64,
        owner: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE schedules SET lease_owner = $2, lease_until = $3
             WHERE id = $1 AND (lease_owner IS NULL OR lease_until < $4)",
        )
        .bind(id)
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Extends the running lease this server holds.
    pub async fn renew_lease(&self, id: i64, owner: &str, until: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE schedules SET lease_until = $3 WHERE id = $1 AND lease_owner = $2")
            .bind(id)
            .bind(owner)
            .bind(until)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Gives the running lease back.
    pub async fn release_lease(&self, id: i64, owner: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE schedules SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Records a run; its id. A `running` run's heartbeat lasts [`RUN_HEARTBEAT_MS`] from now.
    pub async fn insert_run(&self, run: &NewRun) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO schedule_runs (schedule_id, webhook_id, scheduled_for, started_at, outcome, message, trigger, triggered_by, finished_at, owner, alive_until)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5 = 'running' THEN NULL ELSE $4 END,
                     $9, CASE WHEN $5 = 'running' THEN $10 ELSE NULL END) RETURNING id",
        )
        .bind(run.schedule_id)
        .bind(run.webhook_id)
        .bind(run.scheduled_for)
        .bind(run.started_at)
        .bind(&run.outcome)
        .bind(&run.message)
        .bind(&run.trigger)
        .bind(&run.triggered_by)
        .bind(&run.owner)
        .bind(Utc::now().timestamp_millis() + RUN_HEARTBEAT_MS)
        .fetch_one(&self.pool)
        .await
    }

    /// Extends a running run's heartbeat to `until`, unless it has already lapsed (a lapsed run
    /// may be being closed as interrupted; a late renewal must not bring it back).
    pub async fn renew_run(&self, id: i64, until: i64, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE schedule_runs SET alive_until = $2
             WHERE id = $1 AND outcome = 'running' AND alive_until >= $3",
        )
        .bind(id)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// A stopping server's last word: its running runs' heartbeats lapse now and the leases it
    /// holds are given back, so the next server to start closes those runs and fires again at
    /// once instead of waiting out the lease.
    pub async fn abandon_runs(&self, owner: &str) -> Result<u64, sqlx::Error> {
        let runs = sqlx::query(
            "UPDATE schedule_runs SET alive_until = 0 WHERE owner = $1 AND outcome = 'running'",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE schedules SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(runs)
    }

    /// Runs still `running` whose heartbeat lapsed before `now` (or that never had one: rows
    /// written before the heartbeat existed).
    pub async fn lapsed_runs(&self, now: i64) -> Result<Vec<RunRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM schedule_runs WHERE outcome = 'running' AND (alive_until IS NULL OR alive_until < $1) ORDER BY id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await
    }

    /// Closes a lapsed run as failed with `message`, only if it is still running and lapsed:
    /// of two servers sweeping at once exactly one closes it. Whether this caller did.
    pub async fn close_lapsed_run(
        &self,
        id: i64,
        message: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "UPDATE schedule_runs SET outcome = 'failed', message = $2, finished_at = $3, alive_until = NULL
             WHERE id = $1 AND outcome = 'running' AND (alive_until IS NULL OR alive_until < $4)",
        )
        .bind(id)
        .bind(message)
        .bind(Utc::now())
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records how a run ended.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_run(
        &self,
        id: i64,
        outcome: &str,
        message: Option<&str>,
        output: Option<&str>,
        exit_code: Option<i64>,
        attempts: u32,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE schedule_runs SET finished_at = $2, outcome = $3, message = $4, output = $5,
             exit_code = $6, attempts = $7, alive_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(Utc::now())
        .bind(outcome)
        .bind(message)
        .bind(output)
        .bind(exit_code)
        .bind(i64::from(attempts))
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Runs of a schedule, newest first.
    pub async fn schedule_runs(
        &self,
        schedule_id: i64,
        limit: i64,
    ) -> Result<Vec<RunRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM schedule_runs WHERE schedule_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(schedule_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Runs of a webhook, newest first.
    pub async fn webhook_runs(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Vec<RunRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM schedule_runs WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Keeps the newest `keep` runs of each schedule and each webhook; how many went.
    pub async fn prune_runs(&self, keep: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(
            "DELETE FROM schedule_runs WHERE id IN (
                SELECT id FROM (
                    SELECT id, ROW_NUMBER() OVER (
                        PARTITION BY schedule_id, webhook_id ORDER BY id DESC
                    ) AS n FROM schedule_runs
                ) AS ranked WHERE n > $1
            )",
        )
        .bind(keep)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Every run started since `since` (the benchmark reads lateness from these).
    pub async fn runs_since(&self, since: DateTime<Utc>) -> Result<Vec<RunRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM schedule_runs WHERE started_at >= $1 ORDER BY id"
        ))
        .bind(since)
        .fetch_all(&self.pool)
        .await
    }
}
