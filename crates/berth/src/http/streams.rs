//! Stream routes that are not about one container: Docker events, task progress, WebSocket
//! tickets. (Container logs, exec and stats live beside the container routes.)

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use berth_api::streams::{StreamLagged, Task, WsTicket};
use berth_api::{ErrorCode, ErrorEnvelope};
use futures_util::{SinkExt, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use super::extract::{Json, MaybeWebSocket, Path, Query};
use crate::auth::{Actor, OWNER_LABEL};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::streams::events::Published;
use crate::streams::{SSE_HEADERS, error_message, wants_sse};

/// Event filters; each a comma-separated list, all optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Hosts.
    host: Option<String>,
    /// Object types: container, image, volume, network, …
    #[serde(rename = "type")]
    object: Option<String>,
    /// Actions: start, die, pull, …
    action: Option<String>,
    /// Container ids or names.
    container: Option<String>,
    /// A single-use ticket from `POST /api/v1/auth/ws-ticket` (instead of a cookie or key).
    #[allow(dead_code)] // read by the auth layer
    ticket: Option<String>,
}

fn list(v: Option<&String>) -> Option<Vec<String>> {
    v.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// What one subscriber wants to see.
struct EventFilter {
    hosts: Option<Vec<String>>,
    objects: Option<Vec<String>>,
    actions: Option<Vec<String>>,
    containers: Option<Vec<String>>,
    actor: Actor,
}

impl EventFilter {
    fn keeps(&self, msg: &Published) -> bool {
        if !self.actor.may_see_host(&msg.host)
            || self.hosts.as_ref().is_some_and(|h| !h.contains(&msg.host))
        {
            return false;
        }
        let Some(e) = &msg.event else {
            // Host errors go to everyone who may see the host.
            return true;
        };
        if let Some(owner) = self.actor.owner_filter()
            && (e.object != "container" || e.attributes.get(OWNER_LABEL) != Some(&owner))
        {
            return false;
        }
        let container_match =
            |c: &String| e.id.starts_with(c.as_str()) || e.name.as_deref() == Some(c.as_str());
        self.objects.as_ref().is_none_or(|o| o.contains(&e.object))
            && self.actions.as_ref().is_none_or(|a| a.contains(&e.action))
            && self
                .containers
                .as_ref()
                .is_none_or(|c| e.object == "container" && c.iter().any(container_match))
    }
}

/// Docker events of every host the caller may see, each naming its host. WebSocket, or
/// Server-Sent Events with `Accept: text/event-stream`.
#[utoipa::path(get, path = "/events", tag = "streams", params(EventsQuery),
    responses((status = 101, description = "WebSocket of DockerEvent messages"), (status = 200, description = "text/event-stream of DockerEvent messages"),
        (status = 400, body = ErrorEnvelope)))]
pub async fn events(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
    MaybeWebSocket(ws): MaybeWebSocket,
) -> AppResult<Response> {
    let filter = EventFilter {
        hosts: list(q.host.as_ref()),
        objects: list(q.object.as_ref()),
        actions: list(q.action.as_ref()),
        containers: list(q.container.as_ref()),
        actor,
    };
    if let Some(hosts) = &filter.hosts {
        for h in hosts {
            state.engines.get(h)?;
        }
    }
    let rx = state.streams.events.subscribe();
    if let Some(ws) = ws {
        let shutdown = state.shutdown.clone();
        return Ok(
            small_buffers(ws).on_upgrade(move |socket| events_ws(socket, rx, filter, shutdown))
        );
    }
    if wants_sse(&headers) {
        let shutdown = state.shutdown.clone();
        let stream = events_sse(rx, filter).take_until(async move { shutdown.cancelled().await });
        return Ok((
            SSE_HEADERS,
            Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response());
    }
    Err(AppError::new(
        ErrorCode::ValidationFailed,
        "this is a stream: open it as a WebSocket, or send `Accept: text/event-stream`",
    ))
}

fn lagged(n: u64) -> String {
    serde_json::to_string(&StreamLagged {
        kind: "lagged".to_owned(),
        dropped: n,
    })
    .unwrap_or_default()
}

async fn events_ws(
    socket: WebSocket,
    mut rx: tokio::sync::broadcast::Receiver<Arc<Published>>,
    filter: EventFilter,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let (mut sink, mut incoming) = socket.split();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            msg = rx.recv() => {
                let text = match msg {
                    Ok(m) if filter.keeps(&m) => m.json.to_string(),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(n)) => lagged(n),
                    Err(RecvError::Closed) => break,
                };
                // A client that cannot take a message within 10 s is dropped.
                match tokio::time::timeout(Duration::from_secs(10), sink.send(Message::Text(text.into()))).await {
                    Ok(Ok(())) => {}
                    _ => break,
                }
            }
            incoming = incoming.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = sink.close().await;
}

fn events_sse(
    rx: tokio::sync::broadcast::Receiver<Arc<Published>>,
    filter: EventFilter,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((rx, filter), |(mut rx, filter)| async move {
        loop {
            match rx.recv().await {
                Ok(m) if filter.keeps(&m) => {
                    let kind = if m.event.is_some() { "event" } else { "error" };
                    return Some((
                        Ok(Event::default().event(kind).data(m.json.as_ref())),
                        (rx, filter),
                    ));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    return Some((
                        Ok(Event::default().event("lagged").data(lagged(n))),
                        (rx, filter),
                    ));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// Recent tasks, newest first.
#[utoipa::path(get, path = "/tasks", tag = "streams", responses((status = 200, body = Vec<Task>)))]
pub async fn tasks(State(state): State<AppState>, actor: Actor) -> Json<Vec<Task>> {
    let mine = |t: &Task| {
        actor.role() == berth_api::auth::Role::Admin
            || t.username.as_deref() == Some(actor.user.username.as_str())
    };
    Json(
        state
            .streams
            .tasks
            .list()
            .into_iter()
            .filter(|t| mine(t) && t.host.as_deref().is_none_or(|h| actor.may_see_host(h)))
            .collect(),
    )
}

/// One task: its state as JSON, or as a WebSocket that sends every change until it ends.
#[utoipa::path(get, path = "/tasks/{id}", tag = "streams", params(("id" = String, Path, description = "Task id")),
    responses((status = 200, body = Task), (status = 101, description = "WebSocket of Task messages"), (status = 404, body = ErrorEnvelope)))]
pub async fn task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    MaybeWebSocket(ws): MaybeWebSocket,
) -> AppResult<Response> {
    let handle = state
        .streams
        .tasks
        .get(&id)
        .filter(|t| {
            let t = t.snapshot();
            actor.role() == berth_api::auth::Role::Admin
                || t.username.as_deref() == Some(actor.user.username.as_str())
        })
        .ok_or_else(|| AppError::new(ErrorCode::TaskNotFound, format!("no task `{id}`")))?;
    let Some(ws) = ws else {
        return Ok(Json(handle.snapshot()).into_response());
    };
    let mut rx = handle.watch();
    let shutdown = state.shutdown.clone();
    Ok(small_buffers(ws).on_upgrade(move |mut socket| async move {
        loop {
            let task = rx.borrow_and_update().clone();
            let done = task.finished_at.is_some();
            let text = serde_json::to_string(&task).unwrap_or_default();
            if socket.send(Message::Text(text.into())).await.is_err() || done {
                break;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                changed = rx.changed() => if changed.is_err() { break },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        let _ = socket.send(Message::Close(None)).await;
    }))
}

/// A single-use ticket, valid 30 s, to open one stream with `?ticket=` (for WebSocket clients
/// that cannot send a cookie or header).
#[utoipa::path(post, path = "/auth/ws-ticket", tag = "auth", responses((status = 200, body = WsTicket), (status = 401, body = ErrorEnvelope)))]
pub async fn ws_ticket(State(state): State<AppState>, actor: Actor) -> Json<WsTicket> {
    let ticket = state.streams.tickets.issue(actor.user.id);
    Json(WsTicket {
        ticket,
        expires_at: chrono::Utc::now()
            + chrono::Duration::from_std(crate::streams::tickets::TICKET_TTL).unwrap_or_default(),
    })
}

/// Streams of small messages need small socket buffers (the defaults are 128 KiB each way,
/// which 500 event subscribers would turn into 100+ MB).
pub fn small_buffers(
    ws: axum::extract::ws::WebSocketUpgrade,
) -> axum::extract::ws::WebSocketUpgrade {
    ws.read_buffer_size(4 * 1024).write_buffer_size(8 * 1024)
}

/// A stream error sent as the only message of a WebSocket, before closing it.
pub async fn fail_ws(mut socket: WebSocket, code: ErrorCode, message: String, reconnect: bool) {
    let _ = socket
        .send(Message::Text(
            error_message(code, message, reconnect, true).into(),
        ))
        .await;
    let _ = socket.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::auth::Credential;
    use crate::store::UserRecord;

    fn admin() -> Actor {
        Actor {
            user: UserRecord {
                id: 1,
                username: "admin".to_owned(),
                password_hash: String::new(),
                role: "admin".to_owned(),
                hosts: None,
                disabled: false,
                must_change_password: false,
                created_at: chrono::Utc::now(),
                last_login_at: None,
            },
            credential: Credential::Ticket,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_how_many_messages_it_missed() {
        // A channel of two: five messages while the subscriber does not read.
        let (tx, rx) = tokio::sync::broadcast::channel(2);
        for n in 0..5 {
            tx.send(Arc::new(Published {
                host: "local".to_owned(),
                event: None,
                detail: None,
                json: format!("{{\"n\":{n}}}").into(),
            }))
            .unwrap();
        }
        drop(tx);
        let filter = EventFilter {
            hosts: None,
            objects: None,
            actions: None,
            containers: None,
            actor: admin(),
        };
        let body = Sse::new(events_sse(rx, filter)).into_response().into_body();
        let text =
            String::from_utf8(axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec()).unwrap();
        assert_eq!(
            text,
            "event: lagged\ndata: {\"type\":\"lagged\",\"dropped\":3}\n\n\
             event: error\ndata: {\"n\":3}\n\n\
             event: error\ndata: {\"n\":4}\n\n",
            "the notice, then only the newest messages the channel kept"
        );
    }
}
