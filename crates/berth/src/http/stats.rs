//! `GET /api/v1/hosts/{host}/containers/{id}/stats`: a container's stats, one sample a second,
//! from the stream its viewers share (WebSocket or Server-Sent Events), or one sample as JSON.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use berth_api::streams::StatsSample;
use berth_api::{ErrorCode, ErrorEnvelope};
use futures_util::{SinkExt, Stream, StreamExt};

use super::containers::{ContainerPath, target};
use super::extract::{Json, MaybeWebSocket, Path};
use super::streams::fail_ws;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::streams::stats::{self, StatsViewer};
use crate::streams::{SSE_HEADERS, wants_sse};

/// How long a client may take to accept one message before it is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Read buffer and largest message accepted from a client (it has nothing to say but close).
const CLIENT_BUFFER: usize = 4 * 1024;

/// A container's stats: CPU %, memory used (as the Docker CLI computes it) and limit, network
/// and block I/O totals and rates, pids. A WebSocket (or, with `Accept: text/event-stream`,
/// Server-Sent Events) sends one sample a second until the container stops
/// (`{"type":"end"}`); a plain GET answers one sample.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/stats", tag = "streams",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name")),
    responses((status = 200, body = StatsSample, description = "One sample; or text/event-stream of StatsSample messages"),
        (status = 101, description = "WebSocket of StatsSample messages"),
        (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn stats(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    headers: HeaderMap,
    MaybeWebSocket(ws): MaybeWebSocket,
) -> AppResult<Response> {
    if let Some(ws) = ws {
        // Clients only send control frames here: small buffers keep 500 viewers cheap.
        let ws = ws
            .read_buffer_size(CLIENT_BUFFER)
            .max_message_size(CLIENT_BUFFER)
            .max_frame_size(CLIENT_BUFFER);
        // Every failure, the unknown container included, is a fatal message on the socket.
        return Ok(match watch(&state, &actor, &p).await {
            Ok(viewer) => ws.on_upgrade(move |socket| stats_ws(socket, viewer)),
            Err(e) => {
                let reconnect = e.code == ErrorCode::DockerUnavailable;
                ws.on_upgrade(move |socket| fail_ws(socket, e.code, e.message, reconnect))
            }
        });
    }
    if wants_sse(&headers) {
        let viewer = watch(&state, &actor, &p).await?;
        let shutdown = state.shutdown.clone();
        let stream = stats_sse(viewer).take_until(async move { shutdown.cancelled().await });
        return Ok((
            SSE_HEADERS,
            Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response());
    }
    let host = target(&state, &actor, &p).await?;
    Ok(Json(stats::one_sample(&host, &p.id).await?).into_response())
}

async fn watch(state: &AppState, actor: &Actor, p: &ContainerPath) -> AppResult<StatsViewer> {
    let host = target(state, actor, p).await?;
    state.streams.stats.watch(host, &p.id).await
}

async fn stats_ws(socket: WebSocket, mut viewer: StatsViewer) {
    let (mut sink, mut incoming) = socket.split();
    loop {
        tokio::select! {
            msg = viewer.next() => {
                let Some(msg) = msg else { break };
                let text = Message::Text(msg.json.as_ref().into());
                match tokio::time::timeout(SEND_TIMEOUT, sink.send(text)).await {
                    Ok(Ok(())) if !msg.last => {}
                    _ => break,
                }
            }
            incoming = incoming.next() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    // Leave the shared stream before waiting on the client.
    drop(viewer);
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
}

fn stats_sse(viewer: StatsViewer) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(viewer, |mut viewer| async move {
        let msg = viewer.next().await?;
        Some((
            Ok(Event::default().event(msg.kind).data(msg.json.as_ref())),
            viewer,
        ))
    })
}
