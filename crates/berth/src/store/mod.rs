//! The store: every SQL statement Berth runs lives under this module.
//!
//! SQLite in the data folder (WAL, foreign keys on), schema by embedded migrations run at start.
//! Statements stick to SQL that PostgreSQL also speaks, so a second backend can follow.

mod audit;
mod cooldowns;
mod hosts;
mod notify;
mod users;
// schedules, webhooks in, tags (issue 5)
mod schedules;
mod tags;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use audit::{AuditFilter, AuditRecord, NewAuditEntry};
pub use hosts::HostRecord;
pub use notify::{ChannelRecord, ChannelRow, DeliveryRecord, RuleRecord, RuleRow};
pub use schedules::{NewRun, NewSchedule, RUN_HEARTBEAT_MS, RunRecord, ScheduleRecord};
pub use tags::{ContainerMetaRecord, TagRecord};
pub use users::{ApiKeyRecord, NewUser, SessionRecord, UserRecord};
pub use webhooks::{NewWebhook, WebhookRecord};

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) `berth.db` in `data_dir` and runs pending migrations.
    pub async fn open(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let path = data_dir.join("berth.db");
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .with_context(|| format!("opening database {}", path.display()))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("running database migrations")?;
        Ok(Self { pool })
    }

    /// Answers when the database does (used by readiness checks).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
    }

    /// Writes a setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }
}
