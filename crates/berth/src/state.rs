//! `AppState`: everything a request handler needs, passed explicitly (never global).

use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::engine::Engines;
use crate::store::Store;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The Docker hosts.
    pub engines: Arc<Engines>,
    /// Event, stats and task hubs; WebSocket tickets.
    pub streams: Arc<crate::streams::Streams>,
    /// Login and API rate limits.
    pub limits: Arc<crate::auth::service::Limits>,
    /// The effective configuration.
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down; long streams end on it so shutdown completes.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Schedules and webhooks in (the timer loop runs until `shutdown`).
    pub scheduler: Arc<crate::scheduler::Scheduler>,
    /// When the server started.
    pub started_at: Instant,
    /// Seals secrets stored in the database (key outside it).
    pub secrets: Arc<crate::secrets::SecretBox>,
    /// Notifications out: publish events, send tests.
    pub notifier: Arc<crate::notify::Notifier>,
}
