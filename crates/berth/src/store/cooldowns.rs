//! Notification cooldowns: when each rule last sent for each event key, so a restart (or a
//! second server on this database) does not send again within a rule's cooldown.

use super::Store;

impl Store {
    /// Starts a cooldown for (rule, key) at `now` (unix ms) unless one started after `since`:
    /// whether the caller may send. One statement, so of two servers racing exactly one wins.
    pub async fn claim_cooldown(
        &self,
        rule_id: i64,
        key: &str,
        now: i64,
        since: i64,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "INSERT INTO notification_cooldowns (rule_id, event_key, last_sent) VALUES ($1, $2, $3)
             ON CONFLICT (rule_id, event_key) DO UPDATE SET last_sent = excluded.last_sent
             WHERE notification_cooldowns.last_sent <= $4",
        )
        .bind(rule_id)
        .bind(key)
        .bind(now)
        .bind(since)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// When (rule, key) last sent, unix ms.
    pub async fn cooldown_last_sent(
        &self,
        rule_id: i64,
        key: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT last_sent FROM notification_cooldowns WHERE rule_id = $1 AND event_key = $2",
        )
        .bind(rule_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
    }

    /// Forgets cooldowns that started before `before` (longer ago than any cooldown lasts).
    pub async fn prune_cooldowns(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM notification_cooldowns WHERE last_sent < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
