//! The audit log: append, query, prune. There is no update.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// An entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    /// User id.
    pub user_id: Option<i64>,
    /// User name.
    pub username: Option<String>,
    /// API key id.
    pub api_key_id: Option<i64>,
    /// API key name.
    pub api_key_name: Option<String>,
    /// `resource.action`.
    pub action: String,
    /// Resource kind.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Error code of a failure.
    pub error_code: Option<String>,
    /// JSON details.
    pub details: String,
    /// Client address.
    pub client_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, FromRow)]
pub struct AuditRecord {
    /// Id.
    pub id: i64,
    /// Time.
    pub time: DateTime<Utc>,
    /// User name.
    pub username: Option<String>,
    /// Key name.
    pub api_key_name: Option<String>,
    /// Action.
    pub action: String,
    /// Resource kind.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Error code.
    pub error_code: Option<String>,
    /// JSON details.
    pub details: String,
    /// Client address.
    pub client_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
}

/// Filters of an audit query; every one optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// User name.
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `.` (`container.`).
    pub action: Option<String>,
    /// Resource kind.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Host.
    pub host: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
    /// From (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Until (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Only entries with a smaller id (paging).
    pub before: Option<i64>,
}

macro_rules! audit_where {
    () => {
        " WHERE ($1 IS NULL OR username = $1)
            AND ($2 IS NULL OR action = $2 OR (substr($2, -1) = '.' AND substr(action, 1, length($2)) = $2))
            AND ($3 IS NULL OR resource_type = $3)
            AND ($4 IS NULL OR resource_id = $4)
            AND ($5 IS NULL OR host = $5)
            AND ($6 IS NULL OR outcome = $6)
            AND ($7 IS NULL OR time >= $7)
            AND ($8 IS NULL OR time < $8)"
    };
}

impl Store {
    /// Appends an entry.
    pub async fn append_audit(&self, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (time, user_id, username, api_key_id, api_key_name, action, resource_type, resource_id,
                                    host, outcome, error_code, details, client_ip, user_agent, request_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(Utc::now())
        .bind(e.user_id)
        .bind(&e.username)
        .bind(e.api_key_id)
        .bind(&e.api_key_name)
        .bind(&e.action)
        .bind(&e.resource_type)
        .bind(&e.resource_id)
        .bind(&e.host)
        .bind(&e.outcome)
        .bind(&e.error_code)
        .bind(&e.details)
        .bind(&e.client_ip)
        .bind(&e.user_agent)
        .bind(&e.request_id)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Entries matching `f`, newest first, at most `limit`; and how many match in all.
    pub async fn query_audit(
        &self,
        f: &AuditFilter,
        limit: i64,
    ) -> Result<(Vec<AuditRecord>, i64), sqlx::Error> {
        let rows = sqlx::query_as(concat!(
            "SELECT id, time, username, api_key_name, action, resource_type, resource_id, host, outcome, error_code,
                    details, client_ip, user_agent, request_id FROM audit_log",
            audit_where!(),
            " AND ($9 IS NULL OR id < $9) ORDER BY id DESC LIMIT $10"
        ))
        .bind(&f.actor)
        .bind(&f.action)
        .bind(&f.resource_type)
        .bind(&f.resource_id)
        .bind(&f.host)
        .bind(&f.outcome)
        .bind(f.since)
        .bind(f.until)
        .bind(f.before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let total = sqlx::query_scalar(concat!("SELECT COUNT(*) FROM audit_log", audit_where!()))
            .bind(&f.actor)
            .bind(&f.action)
            .bind(&f.resource_type)
            .bind(&f.resource_id)
            .bind(&f.host)
            .bind(&f.outcome)
            .bind(f.since)
            .bind(f.until)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows, total))
    }

    /// Deletes entries older than `before`; how many.
    pub async fn prune_audit(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE time < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
