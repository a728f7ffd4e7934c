//! The periodic update check: every `update_check_interval`, each running container's image is
//! pulled and compared with the one it runs (`engine::update::check_update`), and
//! [`NotifyEvent::UpdateAvailable`] is published when a container newly has an update, so
//! users hear of it without asking. A container whose update was announced is not announced
//! again each round, only when a newer image than the announced one appears.
//!
//! The work is bounded: one host at a time, each image pulled once per host per round, at most
//! [`CONCURRENT_CHECKS`] pulls at once; a round that outlasts the interval delays the next.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{Notifier, NotifyEvent};
use crate::engine::containers::ListFilter;
use crate::engine::update::check_update;
use crate::engine::{Engines, HostHandle};
use crate::store::{NewAuditEntry, Store};

/// Images pulled at once on a host.
pub const CONCURRENT_CHECKS: usize = 4;

/// (host, container name) → the newest image id already announced for it.
type Announced = HashMap<(String, String), String>;

/// Starts the check loop (until `shutdown`); with no interval it is off and nothing starts.
pub fn spawn(
    store: Store,
    engines: Arc<Engines>,
    notifier: Arc<Notifier>,
    interval: Option<Duration>,
    label: Option<String>,
    shutdown: CancellationToken,
) {
    let Some(interval) = interval else {
        return;
    };
    tokio::spawn(async move {
        let mut announced = Announced::new();
        // The first round waits one interval: a starting server has enough to do.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let round = round(
                &store,
                &engines,
                &notifier,
                label.as_deref(),
                &mut announced,
            );
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = round => {}
            }
        }
    });
}

/// One round over every host.
async fn round(
    store: &Store,
    engines: &Engines,
    notifier: &Notifier,
    label: Option<&str>,
    announced: &mut Announced,
) {
    let hosts = engines.all();
    // Forget containers of hosts that are gone; each host below forgets its own gone containers.
    announced.retain(|(host, _), _| hosts.iter().any(|h| h.name() == host));
    for host in hosts {
        check_host(store, &host, notifier, label, announced).await;
    }
}

/// Checks the running containers of one host, each image pulled once.
async fn check_host(
    store: &Store,
    host: &Arc<HostHandle>,
    notifier: &Notifier,
    label: Option<&str>,
    announced: &mut Announced,
) {
    let filter = ListFilter {
        labels: label.map(str::to_owned).into_iter().collect(),
        ..Default::default()
    };
    let containers = match host.list_containers(&filter).await {
        Ok(list) => list,
        Err(e) => {
            tracing::debug!(host = host.name(), error = %e.message, "update check: host skipped");
            return;
        }
    };
    // Containers grouped by image reference: the first of each group pulls, the rest compare.
    let mut by_image: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &containers {
        by_image
            .entry(c.image.clone())
            .or_default()
            .push(c.name.clone());
    }
    let results: Vec<_> = futures_util::stream::iter(by_image.into_values())
        .map(|names| {
            let host = host.clone();
            async move {
                let mut out = Vec::with_capacity(names.len());
                for (i, name) in names.into_iter().enumerate() {
                    let result = check_update(&host, &name, i == 0).await;
                    out.push((name, result));
                }
                out
            }
        })
        .buffer_unordered(CONCURRENT_CHECKS)
        .collect()
        .await;
    let running: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    announced.retain(|(h, name), _| h != host.name() || running.contains(&name.as_str()));
    let (mut found, mut failed) = (0usize, 0usize);
    for (name, result) in results.into_iter().flatten() {
        let check = match result {
            Ok(check) => check,
            Err(e) => {
                // Built locally, or its registry is unreachable: nothing to compare with.
                failed += 1;
                tracing::debug!(host = host.name(), container = %name, error = %e.message, "update check failed");
                continue;
            }
        };
        let key = (check.host.clone(), check.name.clone());
        if !check.update_available {
            announced.remove(&key);
            continue;
        }
        found += 1;
        if announced.get(&key) != Some(&check.latest_image_id) {
            notifier.publish(NotifyEvent::UpdateAvailable {
                host: check.host.clone(),
                container: check.name.clone(),
                image: check.image.clone(),
            });
            audit_found(store, &check).await;
            announced.insert(key, check.latest_image_id);
        }
    }
    tracing::debug!(
        host = host.name(),
        containers = containers.len(),
        updates = found,
        failed,
        "update check done"
    );
}

/// The pull that found a new image moved the host's tag: on record as the check API's action,
/// done by `update-check` (rounds that find nothing new write nothing, or the log would fill
/// with one entry per container every round).
async fn audit_found(store: &Store, check: &crate::engine::update::UpdateCheck) {
    let entry = NewAuditEntry {
        username: Some("update-check".to_owned()),
        action: "container.update_check".to_owned(),
        resource_type: Some("container".to_owned()),
        resource_id: Some(check.name.clone()),
        host: Some(check.host.clone()),
        outcome: "success".to_owned(),
        details: serde_json::json!({
            "image": check.image,
            "update_available": true,
            "current_image_id": check.current_image_id,
            "latest_image_id": check.latest_image_id,
        })
        .to_string(),
        ..Default::default()
    };
    if let Err(e) = store.append_audit(&entry).await {
        tracing::warn!(container = %check.name, error = %e, "could not audit an update check");
    }
}
