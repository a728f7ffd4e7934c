//! Housekeeping of what the audit and auth tables accumulate: entries past the retention
//! period and sessions past their expiry, pruned at start and every hour.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::store::Store;

/// Prunes once now, then every hour until `shutdown`.
pub async fn housekeeping(
    store: Store,
    config: std::sync::Arc<Config>,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let retention = chrono::Duration::days(i64::from(config.audit_retention_days));
        match store.prune_audit(Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(entries = n, "pruned audit entries past retention"),
            Err(e) => tracing::warn!(error = %e, "could not prune the audit log"),
        }
        let idle =
            chrono::Duration::minutes(i64::try_from(config.session_idle_minutes).unwrap_or(720));
        if let Err(e) = store.delete_expired_sessions(Utc::now() - idle).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}
