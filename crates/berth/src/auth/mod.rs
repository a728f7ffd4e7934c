//! Who may do what: authentication (session cookies, API keys), roles and capabilities, the
//! route permission table, CSRF, rate limits, and the audit entry every change writes.

pub mod middleware;
pub mod password;
pub mod permissions;
pub mod ratelimit;
pub mod service;
pub mod tokens;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use berth_api::ErrorCode;
use berth_api::auth::{ApiKeyScope, Role};

use crate::error::AppError;
use crate::store::UserRecord;

/// The label that says who owns a container (set on every container Berth creates).
pub const OWNER_LABEL: &str = "berth.owner";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "berth_session";

/// The CSRF header.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Parts of the API a read may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Hosts and their state.
    Hosts,
    /// Containers.
    Containers,
    /// Images.
    Images,
    /// Volumes and networks.
    Storage,
    /// Engine information.
    System,
    /// The API description.
    Docs,
    /// vantage6 node configurations and their containers.
    Vantage6,
    /// Schedules, their runs, webhooks.
    Schedules,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Nothing: health, login.
    Public,
    /// Any signed-in user (their own account, sessions, keys).
    Authenticated,
    /// Read an area.
    Read(Area),
    /// Create, start, stop, restart, kill, pause, rename, remove containers.
    ContainerWrite,
    /// Run commands inside containers: operators and admins only (a shell in a container is
    /// root on whatever it mounts, so tenants and deployers do not get it even on their own).
    ContainerExec,
    /// Pull images.
    ImagePull,
    /// Tag, remove, prune, build, push images.
    ImageWrite,
    /// Create, remove, prune, connect volumes and networks.
    StorageWrite,
    /// Add, edit, remove hosts.
    HostAdmin,
    /// Manage users and everyone's sessions and keys.
    UserAdmin,
    /// Read the audit log.
    AuditRead,
    /// Create, edit, start, stop, remove vantage6 nodes (their files and containers).
    Vantage6Write,
    /// Manage notification channels and rules, read deliveries (channels hold secrets).
    NotifyAdmin,
    /// Manage schedules, webhooks and tags; run schedules now.
    ScheduleWrite,
}

impl Cap {
    /// Whether `role` has this capability (before host grants and ownership).
    pub fn allowed_for(self, role: Role) -> bool {
        use Cap::*;
        match role {
            Role::Admin => true,
            Role::Operator => matches!(
                self,
                Public
                    | Authenticated
                    | Read(_)
                    | ContainerWrite
                    | ContainerExec
                    | ImagePull
                    | StorageWrite
                    | Vantage6Write
                    | ScheduleWrite
            ),
            Role::Deployer => matches!(
                self,
                Public
                    | Authenticated
                    | Read(_)
                    | ContainerWrite
                    | ImagePull
                    | ImageWrite
                    | StorageWrite
            ),
            Role::Viewer => matches!(self, Public | Authenticated | Read(_)),
            Role::User => matches!(
                self,
                Public
                    | Authenticated
                    | Read(Area::Hosts | Area::Containers | Area::Images | Area::Docs)
                    | ContainerWrite
                    | ImagePull
            ),
        }
    }

    /// Whether an API key of `scope` may use this capability with a request of `method`.
    pub fn allowed_for_scope(self, scope: ApiKeyScope, mutating: bool) -> bool {
        match scope {
            ApiKeyScope::Admin => true,
            ApiKeyScope::Write => !matches!(
                self,
                Cap::HostAdmin | Cap::UserAdmin | Cap::AuditRead | Cap::NotifyAdmin
            ),
            ApiKeyScope::Read => {
                !mutating && matches!(self, Cap::Public | Cap::Authenticated | Cap::Read(_))
            }
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session.
    Session {
        /// Public session id.
        id: String,
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// A single-use WebSocket ticket (GET stream requests only).
    Ticket,
    /// An API key.
    ApiKey {
        /// Key id.
        id: i64,
        /// Key name.
        name: String,
        /// Key scope.
        scope: ApiKeyScope,
    },
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user.
    pub user: UserRecord,
    /// Session or key.
    pub credential: Credential,
}

impl Actor {
    /// The user's role.
    pub fn role(&self) -> Role {
        self.user.role()
    }

    /// Whether the actor may see `host`.
    pub fn may_see_host(&self, host: &str) -> bool {
        self.user
            .host_grants()
            .is_none_or(|hosts| hosts.iter().any(|h| h == host))
    }

    /// The owner label value this actor's list must be narrowed to (tenants only).
    pub fn owner_filter(&self) -> Option<String> {
        (self.role() == Role::User).then(|| self.user.username.clone())
    }

    /// The session's public id, when authenticated by one.
    pub fn session_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { id, .. } => Some(id.as_str()),
            Credential::ApiKey { .. } | Credential::Ticket => None,
        }
    }

    /// The API key's scope, when authenticated by one.
    pub fn key_scope(&self) -> Option<ApiKeyScope> {
        match &self.credential {
            Credential::ApiKey { scope, .. } => Some(*scope),
            Credential::Session { .. } | Credential::Ticket => None,
        }
    }

    /// Fails with 404 unless a tenant owns the container whose labels are given.
    pub fn ensure_owns(
        &self,
        container_id: &str,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        match self.owner_filter() {
            Some(owner) if labels.get(OWNER_LABEL) != Some(&owner) => Err(AppError::new(
                ErrorCode::ContainerNotFound,
                format!("no container `{container_id}`"),
            )),
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "sign in or send an API key"))
    }
}
