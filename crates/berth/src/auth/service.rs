//! Account rules: the first admin, login, password changes, users, sessions and API keys.

use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::auth::{
    ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyScope, Role, Session, User, UserCreate, UserUpdate,
};
use chrono::Utc;
use regex::Regex;

use super::ratelimit::RateLimiter;
use super::{Actor, password, tokens};
use crate::config::Config;
use crate::error::AppError;
use crate::store::{ApiKeyRecord, NewUser, SessionRecord, Store, UserRecord};

/// The in-memory rate limits.
pub struct Limits {
    /// Login attempts per client address.
    pub login_ip: RateLimiter,
    /// Login attempts per user name.
    pub login_user: RateLimiter,
    /// API requests per user, when configured.
    pub api: Option<RateLimiter>,
}

impl Limits {
    /// Limits from the configuration.
    pub fn new(config: &Config) -> Self {
        let window = Duration::from_secs(15 * 60);
        Self {
            login_ip: RateLimiter::new(config.login_attempts, window),
            login_user: RateLimiter::new(config.login_attempts, window),
            api: (config.api_rate_limit > 0)
                .then(|| RateLimiter::new(config.api_rate_limit, Duration::from_secs(60))),
        }
    }
}

/// Creates `admin` when there are no users: with the configured password, or a random one that
/// is logged once and must be changed at first login.
pub async fn bootstrap_admin(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let (secret, must_change) = match &config.admin_password {
        Some(p) => (p.expose().to_owned(), false),
        None => (tokens::random_token(18), true),
    };
    let hash = password::hash(&secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .insert_user(&NewUser {
            username: "admin",
            password_hash: &hash,
            role: Role::Admin,
            hosts: None,
            must_change_password: must_change,
        })
        .await?;
    if must_change {
        // The one time a password is printed: the operator needs it to sign in.
        tracing::warn!(
            "created user `admin` with the one-time password {secret} (it must be changed at first login)"
        );
    } else {
        tracing::info!("created user `admin` with the configured password");
    }
    Ok(())
}

fn valid_username(name: &str) -> Result<(), AppError> {
    static RE: std::sync::LazyLock<Option<Regex>> =
        std::sync::LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$").ok());
    if RE.as_ref().is_some_and(|re| re.is_match(name)) {
        Ok(())
    } else {
        Err(AppError::validation(
            "username",
            "3–64 letters, digits, `.`, `_`, `-`, starting with a letter or digit",
        ))
    }
}

fn check_hosts(hosts: &[String], known: &[String]) -> Result<(), AppError> {
    for (i, h) in hosts.iter().enumerate() {
        if !known.contains(h) {
            return Err(AppError::validation(
                format!("hosts.{i}"),
                format!("no host named `{h}`"),
            ));
        }
    }
    Ok(())
}

/// The API view of a user.
pub fn user_view(u: &UserRecord) -> User {
    User {
        id: u.id,
        username: u.username.clone(),
        role: u.role(),
        hosts: u.host_grants(),
        disabled: u.disabled,
        must_change_password: u.must_change_password,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
    }
}

/// The API view of a key.
pub fn key_view(k: &ApiKeyRecord) -> ApiKey {
    ApiKey {
        id: k.id,
        username: k.username.clone(),
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        scope: k.scope(),
        created_at: k.created_at,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
}

/// The API view of a session.
pub fn session_view(s: &SessionRecord, current: Option<&str>) -> Session {
    Session {
        id: s.id.clone(),
        username: s.username.clone(),
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        expires_at: s.expires_at,
        client_ip: s.client_ip.clone(),
        user_agent: s.user_agent.clone(),
        current: current == Some(s.id.as_str()),
    }
}

/// A new session: the cookie token (to set) and its CSRF token.
pub struct NewSession {
    /// The cookie value.
    pub token: String,
    /// The CSRF token.
    pub csrf_token: String,
}

/// Checks credentials (rate limited per address and per name; unknown users and wrong passwords
/// answer alike, in similar time) and opens a session.
pub async fn login(
    store: &Store,
    config: &Config,
    limits: &Limits,
    username: &str,
    secret: &str,
    client_ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(UserRecord, NewSession), AppError> {
    let ip_key = format!("ip:{}", client_ip.unwrap_or("?"));
    let user_key = format!("user:{}", username.to_lowercase());
    limits
        .login_ip
        .check(&ip_key)
        .map_err(super::middleware::rate_limited)?;
    limits
        .login_user
        .check(&user_key)
        .map_err(super::middleware::rate_limited)?;
    let user = store.user_by_name(username).await?;
    let ok = match &user {
        Some(u) => password::verify(secret, &u.password_hash),
        None => {
            let _ = password::verify(secret, password::dummy_hash());
            false
        }
    };
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            let _ = limits.login_ip.hit(&ip_key);
            let _ = limits.login_user.hit(&user_key);
            return Err(AppError::new(
                ErrorCode::Unauthenticated,
                "wrong user name or password",
            ));
        }
    };
    limits.login_user.reset(&user_key);
    let session = NewSession {
        token: tokens::random_token(32),
        csrf_token: tokens::random_token(24),
    };
    let expires = Utc::now()
        + chrono::Duration::hours(i64::try_from(config.session_max_hours).unwrap_or(168));
    store
        .insert_session(
            &uuid::Uuid::new_v4().to_string(),
            &tokens::hash(&session.token),
            user.id,
            &session.csrf_token,
            expires,
            client_ip,
            user_agent,
        )
        .await?;
    store.touch_login(user.id).await?;
    Ok((user, session))
}

/// Changes the actor's own password; other sessions of the user end.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    if !password::verify(current, &actor.user.password_hash) {
        return Err(AppError::validation(
            "current_password",
            "the current password is wrong",
        ));
    }
    password::check("new_password", &actor.user.username, new)?;
    if current == new {
        return Err(AppError::validation(
            "new_password",
            "choose a password different from the current one",
        ));
    }
    let mut user = actor.user.clone();
    user.password_hash = password::hash(new)?;
    user.must_change_password = false;
    store.update_user(&user).await?;
    let keep = actor.session_id();
    store.delete_user_sessions(user.id, keep).await?;
    Ok(())
}

/// Creates a user.
pub async fn create_user(
    store: &Store,
    known_hosts: &[String],
    req: &UserCreate,
) -> Result<UserRecord, AppError> {
    valid_username(&req.username)?;
    password::check("password", &req.username, &req.password)?;
    if let Some(hosts) = &req.hosts {
        check_hosts(hosts, known_hosts)?;
    }
    let hash = password::hash(&req.password)?;
    store
        .insert_user(&NewUser {
            username: &req.username,
            password_hash: &hash,
            role: req.role,
            hosts: req.hosts.as_deref(),
            must_change_password: req.must_change_password,
        })
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::UserExists,
                format!("a user named `{}` exists", req.username),
            )
            .with_field("username")
        })
}

/// Finds a user by id or name, or 404.
pub async fn find_user(store: &Store, key: &str) -> Result<UserRecord, AppError> {
    let found = match key.parse::<i64>() {
        Ok(id) => store.user_by_id(id).await?,
        Err(_) => store.user_by_name(key).await?,
    };
    found.ok_or_else(|| AppError::new(ErrorCode::UserNotFound, format!("no user `{key}`")))
}

/// Applies an admin's change to a user; refuses to leave no enabled admin.
pub async fn update_user(
    store: &Store,
    known_hosts: &[String],
    key: &str,
    req: &UserUpdate,
) -> Result<UserRecord, AppError> {
    let mut user = find_user(store, key).await?;
    let was_active_admin = user.role() == Role::Admin && !user.disabled;
    if let Some(role) = req.role {
        user.role = role.as_str().to_owned();
    }
    if req.all_hosts && req.hosts.is_some() {
        return Err(AppError::validation(
            "all_hosts",
            "give hosts or all_hosts, not both",
        ));
    }
    if let Some(hosts) = &req.hosts {
        check_hosts(hosts, known_hosts)?;
        user.hosts = Some(serde_json::to_string(hosts).map_err(AppError::internal)?);
    }
    if req.all_hosts {
        user.hosts = None;
    }
    if let Some(disabled) = req.disabled {
        user.disabled = disabled;
    }
    if let Some(p) = &req.password {
        password::check("password", &user.username, p)?;
        user.password_hash = password::hash(p)?;
        user.must_change_password = true;
    }
    let still_active_admin = user.role() == Role::Admin && !user.disabled;
    if was_active_admin && !still_active_admin && store.count_active_admins().await? <= 1 {
        return Err(AppError::new(
            ErrorCode::LastAdmin,
            "this is the last enabled admin: make another admin first",
        ));
    }
    store.update_user(&user).await?;
    if user.disabled || req.password.is_some() {
        store.delete_user_sessions(user.id, None).await?;
    }
    Ok(user)
}

/// Deletes a user; refuses the last enabled admin and oneself.
pub async fn delete_user(store: &Store, actor: &Actor, key: &str) -> Result<UserRecord, AppError> {
    let user = find_user(store, key).await?;
    if user.role() == Role::Admin && !user.disabled && store.count_active_admins().await? <= 1 {
        return Err(AppError::new(
            ErrorCode::LastAdmin,
            "this is the last enabled admin: make another admin first",
        ));
    }
    if user.id == actor.user.id {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "you cannot delete yourself",
        ));
    }
    store.delete_user(user.id).await?;
    Ok(user)
}

/// Creates an API key for the actor, never above the actor's own key scope.
pub async fn create_api_key(
    store: &Store,
    actor: &Actor,
    req: &ApiKeyCreate,
) -> Result<ApiKeyCreated, AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::validation(
            "name",
            "a key name is 1–64 characters",
        ));
    }
    crate::validate::text("name", name, 64)?;
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::validation(
            "expires_at",
            "the expiry must be in the future",
        ));
    }
    if let Some(own) = actor.key_scope() {
        let rank = |s: ApiKeyScope| match s {
            ApiKeyScope::Read => 0,
            ApiKeyScope::Write => 1,
            ApiKeyScope::Admin => 2,
        };
        if rank(req.scope) > rank(own) {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                "a key cannot make a key with more power than itself",
            )
            .with_field("scope"));
        }
    }
    let (key, prefix) = tokens::new_api_key();
    let id = store
        .insert_api_key(
            actor.user.id,
            name,
            &prefix,
            &tokens::hash(&key),
            req.scope,
            req.expires_at,
        )
        .await?;
    let record = store
        .api_key(id)
        .await?
        .ok_or_else(|| AppError::internal("the new key vanished"))?;
    Ok(ApiKeyCreated {
        api_key: key_view(&record),
        key,
    })
}

/// `berth admin reset-password`: a new random password that must be changed at next login; the
/// user's sessions end and the account is enabled again.
pub async fn reset_password(store: &Store, username: &str) -> anyhow::Result<String> {
    let mut user = store
        .user_by_name(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named `{username}`"))?;
    let secret = tokens::random_token(18);
    user.password_hash = password::hash(&secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    user.must_change_password = true;
    user.disabled = false;
    store.update_user(&user).await?;
    store.delete_user_sessions(user.id, None).await?;
    store
        .append_audit(&crate::store::NewAuditEntry {
            action: "user.password_reset".to_owned(),
            resource_type: Some("user".to_owned()),
            resource_id: Some(user.username.clone()),
            outcome: "success".to_owned(),
            details: r#"{"via":"cli"}"#.to_owned(),
            ..Default::default()
        })
        .await?;
    Ok(secret)
}

/// `berth admin api-key-create`: a key for a user, printed once.
pub async fn cli_api_key(
    store: &Store,
    username: &str,
    name: &str,
    scope: &str,
) -> anyhow::Result<String> {
    let user = store
        .user_by_name(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named `{username}`"))?;
    let scope = ApiKeyScope::parse(scope)
        .ok_or_else(|| anyhow::anyhow!("scope is read, write or admin"))?;
    let (key, prefix) = tokens::new_api_key();
    let id = store
        .insert_api_key(user.id, name, &prefix, &tokens::hash(&key), scope, None)
        .await?;
    store
        .append_audit(&crate::store::NewAuditEntry {
            user_id: Some(user.id),
            username: Some(user.username.clone()),
            action: "api_key.create".to_owned(),
            resource_type: Some("api_key".to_owned()),
            resource_id: Some(id.to_string()),
            outcome: "success".to_owned(),
            details: serde_json::json!({ "via": "cli", "name": name, "scope": scope.as_str(), "prefix": prefix }).to_string(),
            ..Default::default()
        })
        .await?;
    Ok(key)
}
