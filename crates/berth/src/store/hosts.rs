//! Host rows.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// A host as stored.
#[derive(Debug, Clone, FromRow)]
pub struct HostRecord {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Engine address.
    pub url: String,
    /// Colour.
    pub color: String,
    /// Description.
    pub description: Option<String>,
    /// Whether TLS material is on disk for it.
    pub tls: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

macro_rules! columns {
    () => {
        "id, name, url, color, description, tls, created_at, updated_at"
    };
}

impl Store {
    /// Every host, by name.
    pub async fn list_hosts(&self) -> Result<Vec<HostRecord>, sqlx::Error> {
        sqlx::query_as(concat!("SELECT ", columns!(), " FROM hosts ORDER BY name"))
            .fetch_all(&self.pool)
            .await
    }

    /// One host by name.
    pub async fn host(&self, name: &str) -> Result<Option<HostRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM hosts WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a host; `Ok(None)` when the name is taken.
    pub async fn insert_host(
        &self,
        name: &str,
        url: &str,
        color: &str,
        description: Option<&str>,
        tls: bool,
    ) -> Result<Option<HostRecord>, sqlx::Error> {
        let now = Utc::now();
        let res = sqlx::query_as(concat!(
            "INSERT INTO hosts (name, url, color, description, tls, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ",
            columns!()
        ))
        .bind(name)
        .bind(url)
        .bind(color)
        .bind(description)
        .bind(tls)
        .bind(now)
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(row) => Ok(Some(row)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a host's settings; `Ok(None)` when the new name is taken.
    pub async fn update_host(
        &self,
        id: i64,
        rec: &HostRecord,
    ) -> Result<Option<HostRecord>, sqlx::Error> {
        let res = sqlx::query_as(concat!(
            "UPDATE hosts SET name = $1, url = $2, color = $3, description = $4, tls = $5, updated_at = $6
             WHERE id = $7 RETURNING ",
            columns!()
        ))
        .bind(&rec.name)
        .bind(&rec.url)
        .bind(&rec.color)
        .bind(&rec.description)
        .bind(rec.tls)
        .bind(Utc::now())
        .bind(id)
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(row) => Ok(Some(row)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a host; whether it existed.
    pub async fn delete_host(&self, name: &str) -> Result<bool, sqlx::Error> {
        let res = sqlx::query("DELETE FROM hosts WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() > 0)
    }
}
