//! Users, roles, sessions, API keys and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A role, from most to least power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Role {
    /// Everything, including users, hosts and settings.
    Admin,
    /// Runs containers on the granted hosts (lifecycle, exec, create, volumes, networks).
    Operator,
    /// Pulls, tags and removes images; creates and recreates containers; no exec, no users.
    Deployer,
    /// Reads everything it may see; changes nothing.
    Viewer,
    /// A tenant: sees and acts only on the containers it owns (label `berth.owner`).
    User,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Deployer,
        Role::Viewer,
        Role::User,
    ];

    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Deployer => "deployer",
            Self::Viewer => "viewer",
            Self::User => "user",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Hosts the user may see and act on; `null` means all.
    pub hosts: Option<Vec<String>>,
    /// A disabled user cannot log in and its keys stop working.
    pub disabled: bool,
    /// The password must be changed before anything else.
    pub must_change_password: bool,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/users`.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UserCreate {
    /// Login name: 3–64 letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// At least 12 characters, not the username.
    pub password: String,
    /// Role.
    pub role: Role,
    /// Limit to these hosts; omitted: all hosts.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// Make the user choose a new password at first login.
    #[serde(default)]
    pub must_change_password: bool,
}

impl std::fmt::Debug for UserCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCreate")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `PATCH /api/v1/users/{user}`: omitted fields stay.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UserUpdate {
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// New host grants; `null` inside `Some` is not expressible, so use `all_hosts`.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// Grant every host (clears `hosts`).
    #[serde(default)]
    pub all_hosts: bool,
    /// Disable or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Set a new password (an admin resetting it); the user must change it at next login.
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserUpdate")
            .field("role", &self.role)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The answer to a login and to `GET /api/v1/auth/me`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Me {
    /// The user.
    pub user: User,
    /// Send this as `X-CSRF-Token` with every cookie-authenticated request that changes something
    /// (absent when authenticated by API key).
    pub csrf_token: Option<String>,
    /// The password must be changed before anything else works.
    pub must_change_password: bool,
    /// The API key used, when authenticated by one.
    pub api_key: Option<ApiKey>,
}

/// `POST /api/v1/auth/password`.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new one: at least 12 characters, not the username, not the current one.
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// A browser session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Session {
    /// Public id (not the cookie).
    pub id: String,
    /// Whose.
    pub username: String,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Client address at login.
    pub client_ip: Option<String>,
    /// Browser at login.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// What an API key may do, within its owner's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ApiKeyScope {
    /// Reads only.
    Read,
    /// Reads and changes, but no administration (users, hosts, audit).
    Write,
    /// Everything the owner may do.
    Admin,
}

impl ApiKeyScope {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Read, Self::Write, Self::Admin]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// An API key as listed (the key itself is shown only once, at creation).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// Owner.
    pub username: String,
    /// A name to recognise it by.
    pub name: String,
    /// The key's first characters, e.g. `berth_3fa9c1`.
    pub prefix: String,
    /// Scope.
    pub scope: ApiKeyScope,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last time it was used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ApiKeyCreate {
    /// A name to recognise it by (1–64 characters).
    pub name: String,
    /// Scope.
    pub scope: ApiKeyScope,
    /// When it stops working; never when omitted.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the only time the key is shown.
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ApiKeyCreated {
    /// The key's record.
    pub api_key: ApiKey,
    /// The key: send it as `Authorization: Bearer <key>`. It cannot be shown again.
    pub key: String,
}

impl std::fmt::Debug for ApiKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyCreated")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AuditEntry {
    /// Id, increasing.
    pub id: i64,
    /// When.
    pub time: DateTime<Utc>,
    /// The user (absent for anonymous, e.g. a failed login of an unknown name).
    pub username: Option<String>,
    /// The API key used, by name.
    pub api_key: Option<String>,
    /// `resource.action`, e.g. `container.start`.
    pub action: String,
    /// Kind of resource.
    pub resource_type: Option<String>,
    /// Which one.
    pub resource_id: Option<String>,
    /// On which host.
    pub host: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// The error code of a failure.
    pub error_code: Option<String>,
    /// Extra context (never a secret).
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Client address.
    pub client_ip: Option<String>,
    /// Client software.
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

/// A page of audit entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct AuditPage {
    /// Entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// Entries matching the filter in all.
    pub total: i64,
    /// Pass as `before` to get the next page; absent on the last.
    pub next_before: Option<i64>,
}
