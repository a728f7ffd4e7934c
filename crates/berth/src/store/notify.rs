//! Notification channels, rules and deliveries.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// A channel as stored: settings without secrets, secrets sealed.
#[derive(Debug, Clone, FromRow)]
pub struct ChannelRecord {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// `discord`, `ntfy`, `slack`, `webhook`, `email`.
    pub kind: String,
    /// Whether it sends.
    pub enabled: bool,
    /// JSON settings without secret fields.
    pub settings: String,
    /// Sealed JSON object of the secret fields.
    pub secrets: Option<String>,
    /// Scheme and host, for display.
    pub target: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a channel row holds besides its id and times.
#[derive(Debug, Clone)]
pub struct ChannelRow<'a> {
    /// Unique name.
    pub name: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Enabled.
    pub enabled: bool,
    /// JSON settings without secrets.
    pub settings: &'a str,
    /// Sealed secrets.
    pub secrets: Option<&'a str>,
    /// Display target.
    pub target: &'a str,
}

/// A rule as stored (lists as JSON arrays).
#[derive(Debug, Clone, FromRow)]
pub struct RuleRecord {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Whether it applies.
    pub enabled: bool,
    /// JSON array of event kinds.
    pub events: String,
    /// JSON array of channel ids.
    pub channels: String,
    /// JSON array of host names.
    pub hosts: String,
    /// JSON array of tags.
    pub tags: String,
    /// JSON array of label selectors.
    pub labels: String,
    /// Cooldown in seconds.
    pub cooldown_secs: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a rule row holds besides its id and times.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// Unique name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// JSON array.
    pub events: String,
    /// JSON array.
    pub channels: String,
    /// JSON array.
    pub hosts: String,
    /// JSON array.
    pub tags: String,
    /// JSON array.
    pub labels: String,
    /// Seconds.
    pub cooldown_secs: i64,
}

/// One send's outcome.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRecord {
    /// Row id.
    pub id: i64,
    /// Channel (None once deleted).
    pub channel_id: Option<i64>,
    /// Channel name then.
    pub channel_name: String,
    /// Rule, if one matched.
    pub rule_id: Option<i64>,
    /// Event kind (snake case).
    pub event: String,
    /// Deduplication key.
    pub event_key: String,
    /// Title.
    pub title: String,
    /// Accepted.
    pub ok: bool,
    /// Last error.
    pub error: Option<String>,
    /// Attempts.
    pub attempts: i64,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Done.
    pub finished_at: DateTime<Utc>,
}

/// How many deliveries are kept; older ones are dropped as new ones come.
const KEEP_DELIVERIES: i64 = 10_000;

macro_rules! channel_columns {
    () => {
        "id, name, kind, enabled, settings, secrets, target, created_at, updated_at"
    };
}

macro_rules! rule_columns {
    () => {
        "id, name, enabled, events, channels, hosts, tags, labels, cooldown_secs, created_at, updated_at"
    };
}

macro_rules! delivery_columns {
    () => {
        "id, channel_id, channel_name, rule_id, event, event_key, title, ok, error, attempts, created_at, finished_at"
    };
}

fn unique_or<T>(res: Result<T, sqlx::Error>) -> Result<Option<T>, sqlx::Error> {
    match res {
        Ok(row) => Ok(Some(row)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Every channel, by name.
    pub async fn list_channels(&self) -> Result<Vec<ChannelRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM notification_channels ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// One channel.
    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM notification_channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a channel; `Ok(None)` when the name is taken.
    pub async fn insert_channel(
        &self,
        row: &ChannelRow<'_>,
    ) -> Result<Option<ChannelRecord>, sqlx::Error> {
        let now = Utc::now();
        unique_or(
            sqlx::query_as(concat!(
                "INSERT INTO notification_channels (name, kind, enabled, settings, secrets, target, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ",
                channel_columns!()
            ))
            .bind(row.name)
            .bind(row.kind)
            .bind(row.enabled)
            .bind(row.settings)
            .bind(row.secrets)
            .bind(row.target)
            .bind(now)
            .fetch_one(&self.pool)
            .await,
        )
    }

    /// Replaces a channel's fields; `Ok(None)` when the new name is taken. The caller checked
    /// that the row exists.
    pub async fn update_channel(
        &self,
        id: i64,
        row: &ChannelRow<'_>,
    ) -> Result<Option<ChannelRecord>, sqlx::Error> {
        unique_or(
            sqlx::query_as(concat!(
                "UPDATE notification_channels SET name = $2, kind = $3, enabled = $4, settings = $5,
                 secrets = $6, target = $7, updated_at = $8 WHERE id = $1 RETURNING ",
                channel_columns!()
            ))
            .bind(id)
            .bind(row.name)
            .bind(row.kind)
            .bind(row.enabled)
            .bind(row.settings)
            .bind(row.secrets)
            .bind(row.target)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await,
        )
    }

    /// Deletes a channel (its deliveries stay, without the channel id); whether it existed.
    pub async fn delete_channel(&self, id: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query("DELETE FROM notification_channels WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE notification_deliveries SET channel_id = NULL WHERE channel_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    /// Replaces a rule's channel list (a JSON array).
    pub async fn set_rule_channels(&self, id: i64, channels: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE notification_rules SET channels = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(channels)
            .bind(Utc::now())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Every rule, by name.
    pub async fn list_rules(&self) -> Result<Vec<RuleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            rule_columns!(),
            " FROM notification_rules ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// The enabled rules (what the dispatcher matches events against).
    pub async fn enabled_rules(&self) -> Result<Vec<RuleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            rule_columns!(),
            " FROM notification_rules WHERE enabled ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// One rule.
    pub async fn rule(&self, id: i64) -> Result<Option<RuleRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            rule_columns!(),
            " FROM notification_rules WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a rule; `Ok(None)` when the name is taken.
    pub async fn insert_rule(&self, row: &RuleRow) -> Result<Option<RuleRecord>, sqlx::Error> {
        unique_or(
            sqlx::query_as(concat!(
                "INSERT INTO notification_rules (name, enabled, events, channels, hosts, tags, labels, cooldown_secs, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ",
                rule_columns!()
            ))
            .bind(&row.name)
            .bind(row.enabled)
            .bind(&row.events)
            .bind(&row.channels)
            .bind(&row.hosts)
            .bind(&row.tags)
            .bind(&row.labels)
            .bind(row.cooldown_secs)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await,
        )
    }

    /// Replaces a rule's fields; `Ok(None)` when the new name is taken.
    pub async fn update_rule(
        &self,
        id: i64,
        row: &RuleRow,
    ) -> Result<Option<RuleRecord>, sqlx::Error> {
        unique_or(
            sqlx::query_as(concat!(
                "UPDATE notification_rules SET name = $2, enabled = $3, events = $4, channels = $5,
                 hosts = $6, tags = $7, labels = $8, cooldown_secs = $9, updated_at = $10
                 WHERE id = $1 RETURNING ",
                rule_columns!()
            ))
            .bind(id)
            .bind(&row.name)
            .bind(row.enabled)
            .bind(&row.events)
            .bind(&row.channels)
            .bind(&row.hosts)
            .bind(&row.tags)
            .bind(&row.labels)
            .bind(row.cooldown_secs)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await,
        )
    }

    /// Deletes a rule; whether it existed.
    pub async fn delete_rule(&self, id: i64) -> Result<bool, sqlx::Error> {
        let res = sqlx::query("DELETE FROM notification_rules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }

    /// Records a send's outcome (and forgets the oldest beyond the ones kept); `d.id` is ignored.
    pub async fn insert_delivery(&self, d: &DeliveryRecord) -> Result<DeliveryRecord, sqlx::Error> {
        let row: DeliveryRecord = sqlx::query_as(concat!(
            "INSERT INTO notification_deliveries (channel_id, channel_name, rule_id, event, event_key, title, ok, error, attempts, created_at, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
            delivery_columns!()
        ))
        .bind(d.channel_id)
        .bind(&d.channel_name)
        .bind(d.rule_id)
        .bind(&d.event)
        .bind(&d.event_key)
        .bind(&d.title)
        .bind(d.ok)
        .bind(&d.error)
        .bind(d.attempts)
        .bind(d.created_at)
        .bind(d.finished_at)
        .fetch_one(&self.pool)
        .await?;
        sqlx::query("DELETE FROM notification_deliveries WHERE id <= $1")
            .bind(row.id - KEEP_DELIVERIES)
            .execute(&self.pool)
            .await?;
        Ok(row)
    }

    /// Deliveries newest first, optionally of one channel, older than `before`.
    pub async fn list_deliveries(
        &self,
        channel_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM notification_deliveries
             WHERE ($1 IS NULL OR channel_id = $1) AND ($2 IS NULL OR id < $2)
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(channel_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }
}
