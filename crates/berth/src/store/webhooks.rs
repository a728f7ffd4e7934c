//! Webhook rows: only the token's hash is kept; the signature secret is stored sealed.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// A webhook as stored.
#[derive(Debug, Clone, FromRow)]
pub struct WebhookRecord {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The job, JSON of `berth_api::schedules::JobSpec`.
    pub job: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// The token's first characters.
    pub token_prefix: String,
    /// `none`, `github`, `gitlab`.
    pub signature: String,
    /// The signature secret, sealed (`crate::secrets`).
    pub sealed_secret: Option<String>,
    /// Calls per minute.
    pub rate_limit_per_minute: i64,
    /// Calls that started a run.
    pub trigger_count: i64,
    /// Last such call.
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// Creator.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// What a create writes.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// Name.
    pub name: String,
    /// Job JSON.
    pub job: String,
    /// Token hash.
    pub token_hash: String,
    /// Token prefix.
    pub token_prefix: String,
    /// Signature check.
    pub signature: String,
    /// The signature secret, sealed.
    pub sealed_secret: Option<String>,
    /// Calls per minute.
    pub rate_limit_per_minute: u32,
}

macro_rules! columns {
    () => {
        "id, name, job, token_hash, token_prefix, signature, sealed_secret, rate_limit_per_minute, trigger_count, last_triggered_at, created_by, created_at"
    };
}

impl Store {
    /// Every webhook, by id.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, sqlx::Error> {
        sqlx::query_as(concat!("SELECT ", columns!(), " FROM webhooks ORDER BY id"))
            .fetch_all(&self.pool)
            .await
    }

    /// One webhook.
    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// The webhook whose token hashes to `hash`.
    pub async fn webhook_by_token_hash(
        &self,
        hash: &str,
    ) -> Result<Option<WebhookRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM webhooks WHERE token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a webhook.
    pub async fn insert_webhook(
        &self,
        w: &NewWebhook,
        created_by: Option<&str>,
    ) -> Result<WebhookRecord, sqlx::Error> {
        sqlx::query_as(concat!(
            "INSERT INTO webhooks (name, job, token_hash, token_prefix, signature, sealed_secret, rate_limit_per_minute, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
            columns!()
        ))
        .bind(&w.name)
        .bind(&w.job)
        .bind(&w.token_hash)
        .bind(&w.token_prefix)
        .bind(&w.signature)
        .bind(&w.sealed_secret)
        .bind(i64::from(w.rate_limit_per_minute))
        .bind(created_by)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
    }

    /// Replaces a webhook's definition (its token and counters stay); `None` when it does not exist.
    pub async fn replace_webhook(
        &self,
        id: i64,
        w: &NewWebhook,
    ) -> Result<Option<WebhookRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "UPDATE webhooks SET name = $2, job = $3, signature = $4, sealed_secret = $5, secret = NULL, rate_limit_per_minute = $6
             WHERE id = $1 RETURNING ",
            columns!()
        ))
        .bind(id)
        .bind(&w.name)
        .bind(&w.job)
        .bind(&w.signature)
        .bind(&w.sealed_secret)
        .bind(i64::from(w.rate_limit_per_minute))
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes a webhook; whether it existed.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// Counts a call that started a run.
    pub async fn note_webhook_trigger(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE webhooks SET trigger_count = trigger_count + 1, last_triggered_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Webhooks whose secret is still stored in plain text (written before secrets were sealed):
    /// `(id, secret)`.
    pub async fn plain_webhook_secrets(&self) -> Result<Vec<(i64, String)>, sqlx::Error> {
        sqlx::query_as("SELECT id, secret FROM webhooks WHERE secret IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await
    }

    /// Replaces plain secrets by their sealed forms, `(id, sealed)`, only where still plain. The
    /// old text is zeroed in the file as it goes (`secure_delete`) and the write-ahead log is
    /// checkpointed and emptied, so no copy of a plain secret is left in `berth.db*`. How many
    /// rows changed.
    pub async fn seal_webhook_secrets(&self, sealed: &[(i64, String)]) -> Result<u64, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *conn)
            .await?;
        let mut changed = 0;
        let result = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            for (id, value) in sealed {
                changed += sqlx::query(
                    "UPDATE webhooks SET sealed_secret = $2, secret = NULL WHERE id = $1 AND secret IS NOT NULL",
                )
                .bind(id)
                .bind(value)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await
        }
        .await;
        // The pragma is per connection: hand this one back to the pool as it was.
        sqlx::query("PRAGMA secure_delete = OFF")
            .execute(&mut *conn)
            .await?;
        result?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await?;
        Ok(changed)
    }
}
