//! Where events come from besides direct [`super::Notifier::publish`] calls: the Docker events
//! hub (container died, OOM-killed, unhealthy, restarting in a loop) and the host pollers'
//! status changes. Both are read from broadcast channels, so a slow notifier never slows them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{Notifier, NotifyEvent};
use crate::streams::events::Published;
use crate::streams::{HostStatusChange, Streams};

/// Starts within [`RESTART_LOOP_WINDOW`] that count as a restart loop.
pub const RESTART_LOOP_STARTS: usize = 3;

/// The window restarts are counted in.
pub const RESTART_LOOP_WINDOW: Duration = Duration::from_secs(120);

/// A `die` this soon after someone stopped or killed the container is not news.
const INTENTIONAL_STOP_GRACE: Duration = Duration::from_secs(60);

/// Attributes of container events that are not labels.
const NOT_LABELS: &[&str] = &["name", "image", "exitCode", "signal", "execDuration"];

/// Subscribes to the hubs now (so nothing published after this is missed) and follows them
/// until `shutdown`.
pub fn spawn(notifier: Arc<Notifier>, streams: &Streams, shutdown: CancellationToken) {
    let events = streams.events.subscribe();
    let hosts = streams.host_status.subscribe();
    tokio::spawn(follow_docker(notifier.clone(), events, shutdown.clone()));
    tokio::spawn(follow_hosts(notifier, hosts, shutdown));
}

async fn follow_hosts(
    notifier: Arc<Notifier>,
    mut rx: broadcast::Receiver<HostStatusChange>,
    shutdown: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = shutdown.cancelled() => return,
            c = rx.recv() => c,
        };
        match change {
            Ok(c) if c.online => notifier.publish(NotifyEvent::HostOnline { host: c.host }),
            Ok(c) => notifier.publish(NotifyEvent::HostOffline {
                host: c.host,
                error: c.error,
            }),
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// What the container follower remembers per container (by host and id).
#[derive(Default)]
struct Watch {
    starts: HashMap<(String, String), VecDeque<Instant>>,
    stopped: HashMap<(String, String), Instant>,
}

impl Watch {
    fn prune(&mut self, now: Instant) {
        if self.starts.len() + self.stopped.len() > 10_000 {
            self.starts.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < RESTART_LOOP_WINDOW)
            });
            self.stopped
                .retain(|_, t| now.duration_since(*t) < INTENTIONAL_STOP_GRACE);
        }
    }
}

async fn follow_docker(
    notifier: Arc<Notifier>,
    mut rx: broadcast::Receiver<Arc<Published>>,
    shutdown: CancellationToken,
) {
    let mut watch = Watch::default();
    loop {
        let msg = tokio::select! {
            () = shutdown.cancelled() => return,
            m = rx.recv() => m,
        };
        let msg = match msg {
            Ok(m) => m,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "notifications fell behind the Docker events");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let Some(event) = container_event(&mut watch, &msg, Instant::now()) {
            notifier.publish(event);
        }
    }
}

/// Turns one Docker event into a notification event, if it is one.
fn container_event(watch: &mut Watch, msg: &Published, now: Instant) -> Option<NotifyEvent> {
    let e = msg.event.as_ref()?;
    if e.object != "container" {
        return None;
    }
    watch.prune(now);
    let key = (e.host.clone(), e.id.clone());
    let host = e.host.clone();
    let container = e
        .name
        .clone()
        .unwrap_or_else(|| e.id.chars().take(12).collect());
    let labels: BTreeMap<String, String> = e
        .attributes
        .iter()
        .filter(|(k, _)| !NOT_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match e.action.as_str() {
        "kill" | "stop" => {
            watch.stopped.insert(key, now);
            None
        }
        "oom" => {
            // The `die` that follows is the same story.
            watch.stopped.insert(key, now);
            Some(NotifyEvent::ContainerOom {
                host,
                container,
                labels,
            })
        }
        "die" => {
            let exit_code = e.attributes.get("exitCode").and_then(|c| c.parse().ok());
            let intentional = watch
                .stopped
                .get(&key)
                .is_some_and(|t| now.duration_since(*t) < INTENTIONAL_STOP_GRACE);
            (exit_code != Some(0) && !intentional).then_some(NotifyEvent::ContainerDied {
                host,
                container,
                exit_code,
                labels,
            })
        }
        "start" => {
            let starts = watch.starts.entry(key).or_default();
            starts.push_back(now);
            while starts
                .front()
                .is_some_and(|t| now.duration_since(*t) > RESTART_LOOP_WINDOW)
            {
                starts.pop_front();
            }
            (starts.len() >= RESTART_LOOP_STARTS).then(|| NotifyEvent::ContainerRestartLoop {
                host,
                container,
                restarts: u32::try_from(starts.len()).unwrap_or(u32::MAX),
                window_secs: RESTART_LOOP_WINDOW.as_secs(),
                labels,
            })
        }
        "destroy" => {
            watch.starts.remove(&key);
            watch.stopped.remove(&key);
            None
        }
        "health_status" => (msg.detail.as_deref() == Some("unhealthy")).then_some(
            NotifyEvent::ContainerUnhealthy {
                host,
                container,
                labels,
            },
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use berth_api::streams::DockerEvent;

    use super::*;

    fn published(action: &str, detail: Option<&str>, attrs: &[(&str, &str)]) -> Published {
        let mut attributes: BTreeMap<String, String> = attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        attributes.insert("name".to_owned(), "web".to_owned());
        Published {
            host: "local".to_owned(),
            event: Some(DockerEvent {
                kind: "event".to_owned(),
                host: "local".to_owned(),
                object: "container".to_owned(),
                action: action.to_owned(),
                id: "abc".to_owned(),
                name: Some("web".to_owned()),
                attributes,
                time: chrono::Utc::now(),
            }),
            detail: detail.map(str::to_owned),
            json: Arc::from(""),
        }
    }

    #[test]
    fn crashes_count_but_stops_and_clean_exits_do_not() {
        let mut w = Watch::default();
        let now = Instant::now();
        let died = container_event(
            &mut w,
            &published("die", None, &[("exitCode", "3"), ("app", "x")]),
            now,
        );
        assert!(
            matches!(died, Some(NotifyEvent::ContainerDied { exit_code: Some(3), ref labels, .. }) if labels.get("app").is_some() && !labels.contains_key("exitCode"))
        );
        assert!(
            container_event(&mut w, &published("die", None, &[("exitCode", "0")]), now).is_none()
        );
        assert!(container_event(&mut w, &published("kill", None, &[]), now).is_none());
        assert!(
            container_event(&mut w, &published("die", None, &[("exitCode", "137")]), now).is_none()
        );
        assert!(matches!(
            container_event(
                &mut w,
                &published("health_status", Some("unhealthy"), &[]),
                now
            ),
            Some(NotifyEvent::ContainerUnhealthy { .. })
        ));
        assert!(
            container_event(
                &mut w,
                &published("health_status", Some("healthy"), &[]),
                now
            )
            .is_none()
        );
    }

    #[test]
    fn three_starts_in_the_window_are_a_restart_loop() {
        let mut w = Watch::default();
        let now = Instant::now();
        assert!(container_event(&mut w, &published("start", None, &[]), now).is_none());
        assert!(container_event(&mut w, &published("start", None, &[]), now).is_none());
        assert!(matches!(
            container_event(&mut w, &published("start", None, &[]), now),
            Some(NotifyEvent::ContainerRestartLoop { restarts: 3, .. })
        ));
    }
}
