//! Docker events: one engine subscription per host, fanned out to every subscriber through one
//! bounded broadcast channel. Each event is serialized once; subscribers only filter and send.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::streams::DockerEvent;
use bollard::query_parameters::EventsOptions;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::broadcast;

use crate::engine::HostHandle;

/// How many messages a subscriber may fall behind before it is told it lagged.
pub const CAPACITY: usize = 4096;

/// One published message: an event, or a host's stream error.
#[derive(Debug)]
pub struct Published {
    /// The host.
    pub host: String,
    /// The event (None for an error notice).
    pub event: Option<DockerEvent>,
    /// What the engine appended to the action (`health_status: unhealthy` → `unhealthy`).
    pub detail: Option<String>,
    /// The message as sent to clients.
    pub json: Arc<str>,
}

/// The fan-out point.
pub struct EventHub {
    tx: broadcast::Sender<Arc<Published>>,
}

impl EventHub {
    /// A hub with no subscribers.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
        }
    }

    /// A new subscription, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    /// Current subscribers.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    fn publish(&self, msg: Published) {
        // No subscribers is fine.
        let _ = self.tx.send(Arc::new(msg));
    }

    fn publish_event(&self, event: DockerEvent, detail: Option<String>) {
        let json: Arc<str> = serde_json::to_string(&event).unwrap_or_default().into();
        self.publish(Published {
            host: event.host.clone(),
            event: Some(event),
            detail,
            json,
        });
    }

    fn publish_error(&self, host: &str, message: String) {
        let json = crate::streams::error_message(
            ErrorCode::DockerUnavailable,
            format!("host `{host}`: {message}"),
            true,
            false,
        );
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        value["host"] = serde_json::Value::String(host.to_owned());
        self.publish(Published {
            host: host.to_owned(),
            event: None,
            detail: None,
            json: value.to_string().into(),
        });
    }
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new()
    }
}

/// Maps an engine event.
fn map(host: &str, e: bollard::models::EventMessage) -> DockerEvent {
    let actor = e.actor.unwrap_or_default();
    let attributes: BTreeMap<String, String> =
        actor.attributes.unwrap_or_default().into_iter().collect();
    let time = e
        .time_nano
        .map(DateTime::from_timestamp_nanos)
        .or_else(|| e.time.and_then(|t| DateTime::from_timestamp(t, 0)))
        .unwrap_or_else(Utc::now);
    DockerEvent {
        kind: "event".to_owned(),
        host: host.to_owned(),
        object: e.typ.map(|t| t.to_string()).unwrap_or_default(),
        // Docker appends details to some actions ("exec_start: sh"); keep the verb.
        action: e
            .action
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        id: actor.id.unwrap_or_default(),
        name: attributes.get("name").cloned(),
        attributes,
        time,
    }
}

/// Follows one host's events until it is removed or the server stops; after an outage it
/// resumes from the last event it saw, so nothing in between is lost.
pub async fn follow(host: Arc<HostHandle>, hub: Arc<super::Streams>) {
    let mut since: Option<DateTime<Utc>> = None;
    let mut failing = false;
    loop {
        if host.stopped() {
            return;
        }
        let docker = match host.stream_client().await {
            Ok(d) => d,
            Err(e) => {
                if !failing {
                    hub.events.publish_error(
                        host.name(),
                        e.into_app(crate::engine::Resource::Engine, "").message,
                    );
                    failing = true;
                }
                if host.sleep_or_stop(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        // After an outage, ask for what happened since the last event seen (and skip that one).
        let options = EventsOptions {
            since: since.map(|t| format!("{}.{:09}", t.timestamp(), t.timestamp_subsec_nanos())),
            ..Default::default()
        };
        let mut stream = Box::pin(docker.events(Some(options)));
        // From here on the container list cache may serve (it is refreshed after this).
        host.cache.set_connected(true);
        loop {
            let next = tokio::select! {
                () = host.stop_token().cancelled() => return,
                next = stream.next() => next,
            };
            match next {
                Some(Ok(msg)) => {
                    let detail = msg
                        .action
                        .as_deref()
                        .and_then(|a| a.split_once(':'))
                        .map(|(_, d)| d.trim().to_owned());
                    let event = map(host.name(), msg);
                    if since.is_some_and(|t| event.time <= t) {
                        continue;
                    }
                    since = Some(event.time);
                    if changes_lists(&event) {
                        host.cache.invalidate();
                    }
                    // The same events keep the host's counts fresh without waiting for a poll.
                    if event.object == "container"
                        && matches!(
                            event.action.as_str(),
                            "start" | "die" | "pause" | "unpause" | "destroy" | "create"
                        )
                    {
                        host.poke();
                    }
                    hub.events.publish_event(event, detail);
                }
                Some(Err(e)) => {
                    hub.events.publish_error(host.name(), e.to_string());
                    failing = true;
                    break;
                }
                None => {
                    hub.events.publish_error(
                        host.name(),
                        "the engine closed the event stream".to_owned(),
                    );
                    failing = true;
                    break;
                }
            }
        }
        // Events may be missed until the stream is back: lists read the engine meanwhile.
        host.cache.set_connected(false);
        if host.sleep_or_stop(Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Whether an event may change what a container list shows (exec, attach, resize, copy and
/// the like do not).
fn changes_lists(event: &DockerEvent) -> bool {
    match event.object.as_str() {
        "container" => {
            !(event.action.starts_with("exec_")
                || matches!(
                    event.action.as_str(),
                    "attach"
                        | "detach"
                        | "resize"
                        | "top"
                        | "export"
                        | "commit"
                        | "copy"
                        | "archive-path"
                        | "extract-to-dir"
                ))
        }
        "network" => matches!(event.action.as_str(), "connect" | "disconnect"),
        // A list names a container's image by tag while it has one.
        "image" => matches!(event.action.as_str(), "tag" | "untag" | "delete"),
        _ => false,
    }
}
