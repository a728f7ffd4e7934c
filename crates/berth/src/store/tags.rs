//! Tags with colours, and the tags and web-UI link of each container (by host and name).

use sqlx::FromRow;

use super::Store;

/// A tag.
#[derive(Debug, Clone, FromRow)]
pub struct TagRecord {
    /// Name.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// One container's tags and link.
#[derive(Debug, Clone, Default)]
pub struct ContainerMetaRecord {
    /// Host.
    pub host: String,
    /// Container name.
    pub container: String,
    /// Tags, by name.
    pub tags: Vec<String>,
    /// Web-UI link.
    pub web_url: Option<String>,
}

impl Store {
    /// Every tag, by name.
    pub async fn list_tags(&self) -> Result<Vec<TagRecord>, sqlx::Error> {
        sqlx::query_as("SELECT name, color FROM tags ORDER BY name")
            .fetch_all(&self.pool)
            .await
    }

    /// One tag.
    pub async fn tag(&self, name: &str) -> Result<Option<TagRecord>, sqlx::Error> {
        sqlx::query_as("SELECT name, color FROM tags WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Creates a tag; `false` when the name is taken.
    pub async fn insert_tag(&self, name: &str, color: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "INSERT INTO tags (name, color, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(color)
        .bind(chrono::Utc::now())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Changes a tag's colour; whether it exists.
    pub async fn set_tag_color(&self, name: &str, color: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("UPDATE tags SET color = $2 WHERE name = $1")
            .bind(name)
            .bind(color)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// Deletes a tag (and takes it off every container); whether it existed.
    pub async fn delete_tag(&self, name: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM tags WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// `(host, container)` of every container with `tag`.
    pub async fn containers_with_tag(
        &self,
        tag: &str,
    ) -> Result<Vec<(String, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT host, container FROM container_tags WHERE tag = $1 ORDER BY host, container",
        )
        .bind(tag)
        .fetch_all(&self.pool)
        .await
    }

    /// Tags and links of every container (of one host, when given).
    pub async fn list_container_meta(
        &self,
        host: Option<&str>,
    ) -> Result<Vec<ContainerMetaRecord>, sqlx::Error> {
        let tags: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT host, container, tag FROM container_tags WHERE $1 IS NULL OR host = $1 ORDER BY host, container, tag",
        )
        .bind(host)
        .fetch_all(&self.pool)
        .await?;
        let links: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT host, container, web_url FROM container_links WHERE $1 IS NULL OR host = $1",
        )
        .bind(host)
        .fetch_all(&self.pool)
        .await?;
        let mut map: std::collections::BTreeMap<(String, String), ContainerMetaRecord> =
            std::collections::BTreeMap::new();
        for (h, c, t) in tags {
            map.entry((h.clone(), c.clone()))
                .or_insert_with(|| ContainerMetaRecord {
                    host: h,
                    container: c,
                    ..Default::default()
                })
                .tags
                .push(t);
        }
        for (h, c, url) in links {
            map.entry((h.clone(), c.clone()))
                .or_insert_with(|| ContainerMetaRecord {
                    host: h,
                    container: c,
                    ..Default::default()
                })
                .web_url = Some(url);
        }
        Ok(map.into_values().collect())
    }

    /// Replaces one container's tags and link (in one transaction).
    pub async fn set_container_meta(
        &self,
        host: &str,
        container: &str,
        tags: &[String],
        web_url: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM container_tags WHERE host = $1 AND container = $2")
            .bind(host)
            .bind(container)
            .execute(&mut *tx)
            .await?;
        for tag in tags {
            sqlx::query(
                "INSERT INTO container_tags (host, container, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(host)
            .bind(container)
            .bind(tag)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM container_links WHERE host = $1 AND container = $2")
            .bind(host)
            .bind(container)
            .execute(&mut *tx)
            .await?;
        if let Some(url) = web_url {
            sqlx::query(
                "INSERT INTO container_links (host, container, web_url) VALUES ($1, $2, $3)",
            )
            .bind(host)
            .bind(container)
            .bind(url)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }
}
