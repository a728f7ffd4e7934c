//! Users, sessions and API keys.

use berth_api::auth::{ApiKeyScope, Role};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Store;

/// A user row.
#[derive(Debug, Clone, FromRow)]
pub struct UserRecord {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role name.
    pub role: String,
    /// JSON array of host names, or NULL for all.
    pub hosts: Option<String>,
    /// Disabled.
    pub disabled: bool,
    /// Must change password.
    pub must_change_password: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    /// The role (an unknown stored role reads as the least powerful).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    /// Host grants; `None` is every host.
    pub fn host_grants(&self) -> Option<Vec<String>> {
        self.hosts
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
    }
}

/// A session row joined with its user.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRecord {
    /// Public id.
    pub id: String,
    /// Owner.
    pub user_id: i64,
    /// CSRF token.
    pub csrf_token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// Client address.
    pub client_ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Owner's name.
    pub username: String,
}

/// An API key row joined with its owner's name.
#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Visible prefix.
    pub prefix: String,
    /// Scope name.
    pub scope: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Owner's name.
    pub username: String,
}

impl ApiKeyRecord {
    /// The scope (unknown reads as read-only).
    pub fn scope(&self) -> ApiKeyScope {
        ApiKeyScope::parse(&self.scope).unwrap_or(ApiKeyScope::Read)
    }
}

macro_rules! user_columns {
    () => {
        "id, username, password_hash, role, hosts, disabled, must_change_password, created_at, last_login_at"
    };
}

macro_rules! session_columns {
    () => {
        "s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.client_ip, s.user_agent, u.username"
    };
}

macro_rules! key_columns {
    () => {
        "k.id, k.user_id, k.name, k.prefix, k.scope, k.created_at, k.expires_at, k.last_used_at, k.revoked_at, u.username"
    };
}

/// Fields of a new user.
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// Argon2id hash.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Host grants.
    pub hosts: Option<&'a [String]>,
    /// Must change password at first login.
    pub must_change_password: bool,
}

impl Store {
    /// Number of users.
    pub async fn count_users(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
    }

    /// Number of enabled admins.
    pub async fn count_active_admins(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE")
            .fetch_one(&self.pool)
            .await
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY username"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// A user by name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Inserts a user; `Ok(None)` when the name is taken.
    pub async fn insert_user(&self, user: &NewUser<'_>) -> Result<Option<UserRecord>, sqlx::Error> {
        let now = Utc::now();
        let hosts = user
            .hosts
            .map(|h| serde_json::to_string(h).unwrap_or_else(|_| "[]".to_owned()));
        let res = sqlx::query_as(concat!(
            "INSERT INTO users (username, password_hash, role, hosts, must_change_password, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ",
            user_columns!()
        ))
        .bind(user.username)
        .bind(user.password_hash)
        .bind(user.role.as_str())
        .bind(hosts)
        .bind(user.must_change_password)
        .bind(now)
        .fetch_one(&self.pool)
        .await;
        match res {
            Ok(row) => Ok(Some(row)),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes a user's role, grants and flags.
    pub async fn update_user(&self, user: &UserRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE users SET role = $1, hosts = $2, disabled = $3, must_change_password = $4, password_hash = $5, updated_at = $6
             WHERE id = $7",
        )
        .bind(&user.role)
        .bind(&user.hosts)
        .bind(user.disabled)
        .bind(user.must_change_password)
        .bind(&user.password_hash)
        .bind(Utc::now())
        .bind(user.id)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// Records a successful login.
    pub async fn touch_login(&self, user_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(Utc::now())
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Deletes a user (sessions and keys go with it).
    pub async fn delete_user(&self, id: i64) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    /// Creates a session.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_session(
        &self,
        id: &str,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        client_ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_ip, user_agent)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .bind(client_ip)
        .bind(user_agent)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The session whose token hashes to `token_hash`.
    pub async fn session_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
    }

    /// Sessions of one user, or of everyone.
    pub async fn list_sessions(
        &self,
        user_id: Option<i64>,
    ) -> Result<Vec<SessionRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE ($1 IS NULL OR s.user_id = $1) ORDER BY s.last_seen_at DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Marks a session used now.
    pub async fn touch_session(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(Utc::now())
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Deletes a session (of `user_id` when given); whether it existed.
    pub async fn delete_session(
        &self,
        id: &str,
        user_id: Option<i64>,
    ) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE id = $1 AND ($2 IS NULL OR user_id = $2)")
                .bind(id)
                .bind(user_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// Deletes every session of a user (after a password change or reset).
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        except: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)")
            .bind(user_id)
            .bind(except)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Deletes sessions past their expiry or idle too long.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
                .bind(Utc::now())
                .bind(idle_before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Creates an API key; answers its id.
    pub async fn insert_api_key(
        &self,
        user_id: i64,
        name: &str,
        prefix: &str,
        key_hash: &str,
        scope: ApiKeyScope,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO api_keys (user_id, name, prefix, key_hash, scope, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(scope.as_str())
        .bind(Utc::now())
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await
    }

    /// The key whose hash is `key_hash`.
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await
    }

    /// One key by id.
    pub async fn api_key(&self, id: i64) -> Result<Option<ApiKeyRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Keys of one user, or of everyone.
    pub async fn list_api_keys(
        &self,
        user_id: Option<i64>,
    ) -> Result<Vec<ApiKeyRecord>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE ($1 IS NULL OR k.user_id = $1) ORDER BY k.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Records a key's use.
    pub async fn touch_api_key(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(Utc::now())
            .bind(id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Revokes a key; whether it was active.
    pub async fn revoke_api_key(&self, id: i64) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(Utc::now())
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }
}
