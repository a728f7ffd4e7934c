//! Berth: one program that runs, schedules and watches containers on every Docker host you own.
//!
//! The library holds the server; `main.rs` is a thin command line over it. Subsystems are folders:
//! `http/` (routes and middleware), `engine/` (Docker hosts), `store/` (SQL).

pub mod audit;
pub mod auth;
pub mod config;
pub mod engine;
pub mod error;
pub mod http;
pub mod memory;
pub mod notify;
pub mod scheduler;
pub mod secrets;
pub mod state;
pub mod store;
pub mod streams;
pub mod validate;
pub mod vantage6;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::engine::Engines;
use crate::state::AppState;
use crate::store::Store;

/// Opens the store, registers the hosts and starts their pollers: everything but the listener.
pub async fn build_state(config: Config, shutdown: CancellationToken) -> anyhow::Result<AppState> {
    let store = Store::open(&config.data_dir).await?;
    let streams = Arc::new(streams::Streams::new());
    let engines = Arc::new(Engines::new(
        &config.data_dir,
        Duration::from_secs(config.docker_timeout_secs),
        Duration::from_secs(config.poll_interval_secs),
        shutdown.clone(),
        streams.clone(),
    ));
    engines
        .load(&store, &config.docker_host)
        .await
        .context("loading hosts")?;
    auth::service::bootstrap_admin(&store, &config)
        .await
        .context("creating the first admin")?;
    let secrets = Arc::new(secrets::SecretBox::load_or_create(
        &config.data_dir,
        config.secret_key_file.as_deref(),
    )?);
    scheduler::hook_secrets::seal_plain(&store, &secrets)
        .await
        .context("sealing webhook secrets")?;
    let notifier = notify::Notifier::start(
        store.clone(),
        secrets.clone(),
        notify::Policy {
            attempts: config.notify_attempts,
            backoff: Duration::from_millis(config.notify_backoff_ms),
            ..notify::Policy::default()
        },
        shutdown.clone(),
    );
    notify::sources::spawn(notifier.clone(), &streams, shutdown.clone());
    let config = Arc::new(config);
    let scheduler = scheduler::Scheduler::start(
        store.clone(),
        engines.clone(),
        config.clone(),
        Arc::new(scheduler::SafeUpdate::new(notifier.clone())),
        shutdown.clone(),
    );
    notifier.follow(scheduler.subscribe(), scheduler::notify_event);
    notify::update_watch::spawn(
        store.clone(),
        engines.clone(),
        notifier.clone(),
        config.update_check_interval,
        config.update_check_label.clone(),
        shutdown.clone(),
    );
    Ok(AppState {
        scheduler,
        store,
        engines,
        limits: Arc::new(auth::service::Limits::new(&config)),
        streams,
        config,
        shutdown,
        started_at: Instant::now(),
        secrets,
        notifier,
    })
}

/// How long in-flight requests may take to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// `berth serve`: runs until SIGINT/SIGTERM, then finishes in-flight requests, stops background
/// loops and closes the database.
pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting berth {}", env!("CARGO_PKG_VERSION"));
    let shutdown = CancellationToken::new();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let state = build_state(config, shutdown.clone()).await?;
    tokio::spawn(signal_shutdown(shutdown.clone())?);
    tracing::info!(address = %listener.local_addr()?, "listening");
    tokio::spawn(memory::trim_when_quiet(shutdown.clone()));
    tokio::spawn(audit::housekeeping(
        state.store.clone(),
        state.config.clone(),
        shutdown.clone(),
    ));
    let store = state.store.clone();
    let scheduler = state.scheduler.clone();
    let mut server = tokio::spawn(http::serve(listener, state, shutdown.clone()));
    tokio::select! {
        result = &mut server => result??,
        () = shutdown.cancelled() => {
            // In-flight requests get a grace period; streams that outlive it are cut.
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(result) => result??,
                Err(_) => {
                    tracing::warn!("requests still open after {} s: closing them", SHUTDOWN_GRACE.as_secs());
                    server.abort();
                }
            }
        }
    }
    // Runs still in progress are cut off: say so in the database while it is open.
    scheduler.stop().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Registers SIGINT/SIGTERM handlers now (before the server says it listens, so a signal sent
/// right after that is never lost) and cancels `shutdown` on the first one.
fn signal_shutdown(
    shutdown: CancellationToken,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
        shutdown.cancel();
    })
}
