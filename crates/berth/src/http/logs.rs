//! `GET /api/v1/hosts/{host}/containers/{id}/logs` (WebSocket, Server-Sent Events or JSON),
//! `…/logs/download` (the whole log as a file) and `…/logs/search` (substring or regex, with
//! context). The work is in [`crate::streams::logs`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use berth_api::ErrorEnvelope;
use berth_api::streams::{LogLine, LogSearchResult};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::containers::{ContainerPath, target};
use super::extract::{Json, MaybeWebSocket, Path, Query};
use crate::auth::Actor;
use crate::engine::{HostHandle, Resource};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::streams::logs::{self, Finish, LogRange, LogReader, SearchOptions, WsOptions};
use crate::streams::{SSE_HEADERS, wants_sse};

/// Lines sent when `tail` is not given.
const DEFAULT_TAIL: u64 = 100;

/// Header set on a plain (JSON) answer that was cut at its limit.
const TRUNCATED: &str = "x-berth-truncated";

/// What part of a container's log to send, and how.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// The last N lines, or `all` (default 100).
    tail: Option<String>,
    /// Keep sending new lines until the container stops (WebSocket and SSE only).
    follow: Option<bool>,
    /// Whether the client shows timestamps; every line carries its `time` regardless.
    #[allow(dead_code)] // a display preference: lines always carry their time
    timestamps: Option<bool>,
    /// Lines at or after this time: RFC 3339 or unix seconds.
    since: Option<String>,
    /// Lines at or before this time: RFC 3339 or unix seconds.
    until: Option<String>,
    /// Standard output (default true).
    stdout: Option<bool>,
    /// Standard error (default true).
    stderr: Option<bool>,
    /// WebSocket only: send a JSON array of up to 1000 lines per frame instead of one line per frame.
    batch: Option<bool>,
    /// A single-use ticket from `POST /api/v1/auth/ws-ticket` (instead of a cookie or key).
    #[allow(dead_code)] // read by the auth layer
    ticket: Option<String>,
}

/// The whole log as a file.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Start each line with the engine's timestamp (default false).
    timestamps: Option<bool>,
    /// Lines at or after this time: RFC 3339 or unix seconds (whole seconds).
    since: Option<String>,
    /// Lines at or before this time: RFC 3339 or unix seconds (whole seconds).
    until: Option<String>,
    /// Standard output (default true).
    stdout: Option<bool>,
    /// Standard error (default true).
    stderr: Option<bool>,
    /// A single-use ticket from `POST /api/v1/auth/ws-ticket` (for a browser download link).
    #[allow(dead_code)] // read by the auth layer
    ticket: Option<String>,
}

/// A search over a container's log (case-insensitive).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for, 1–256 characters.
    q: Option<String>,
    /// `q` is a regular expression (default: a plain substring).
    regex: Option<bool>,
    /// Lines of context before and after each match, 0–20 (default 2).
    context: Option<i64>,
    /// Matches at most, 1–1000 (default 100).
    limit: Option<i64>,
    /// Search only the last N lines, or `all` (default).
    tail: Option<String>,
    /// Lines at or after this time: RFC 3339 or unix seconds.
    since: Option<String>,
    /// Lines at or before this time: RFC 3339 or unix seconds.
    until: Option<String>,
}

fn parse_tail(v: Option<&str>, default: Option<u64>) -> AppResult<Option<u64>> {
    match v.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("all") => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| AppError::validation("tail", "tail is a number of lines or `all`")),
    }
}

/// RFC 3339, or unix seconds with an optional fraction.
fn parse_instant(field: &str, v: Option<&str>) -> AppResult<Option<DateTime<Utc>>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        AppError::validation(
            field,
            format!("`{field}` is an RFC 3339 time (2024-05-01T10:00:00Z) or unix seconds"),
        )
    };
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let secs: i64 = secs.parse().map_err(|_| bad())?;
        let nanos = if frac.is_empty() {
            0
        } else {
            let n: u32 = frac.parse().map_err(|_| bad())?;
            n * 10u32.pow(9 - u32::try_from(frac.len()).map_err(|_| bad())?)
        };
        return DateTime::from_timestamp(secs, nanos)
            .map(Some)
            .ok_or_else(bad);
    }
    logs::parse_time(v.as_bytes()).map(Some).ok_or_else(bad)
}

fn parse_streams(stdout: Option<bool>, stderr: Option<bool>) -> AppResult<(bool, bool)> {
    let (out, err) = (stdout.unwrap_or(true), stderr.unwrap_or(true));
    if !out && !err {
        return Err(AppError::validation(
            "stdout",
            "ask for stdout, stderr or both",
        ));
    }
    Ok((out, err))
}

impl LogsQuery {
    fn range(&self) -> AppResult<LogRange> {
        let (stdout, stderr) = parse_streams(self.stdout, self.stderr)?;
        Ok(LogRange {
            tail: parse_tail(self.tail.as_deref(), Some(DEFAULT_TAIL))?,
            since: parse_instant("since", self.since.as_deref())?,
            until: parse_instant("until", self.until.as_deref())?,
            stdout,
            stderr,
            follow: self.follow.unwrap_or(false),
        })
    }
}

/// The container's host and full id (after checking that the caller may see it), and a reader.
async fn open(
    state: &AppState,
    actor: &Actor,
    p: &ContainerPath,
    range: &LogRange,
) -> AppResult<(Arc<HostHandle>, String, LogReader)> {
    let c = resolve(state, actor, p).await?;
    let reader = LogReader::open(&c.host, &c.id, range, c.tty)
        .await
        .map_err(|e| e.into_app(Resource::Container, &p.id))?;
    Ok((c.host, c.id, reader))
}

/// A container the caller may see.
struct Resolved {
    host: Arc<HostHandle>,
    /// Its full id.
    id: String,
    name: String,
    tty: bool,
}

async fn resolve(state: &AppState, actor: &Actor, p: &ContainerPath) -> AppResult<Resolved> {
    let host = target(state, actor, p).await?;
    let c = host.inspect_container_raw(&p.id).await?;
    Ok(Resolved {
        host,
        id: c.id.unwrap_or_else(|| p.id.clone()),
        name: c
            .name
            .map(|n| n.trim_start_matches('/').to_owned())
            .unwrap_or_else(|| p.id.clone()),
        tty: c.config.and_then(|c| c.tty).unwrap_or(false),
    })
}

/// A container's log. As a WebSocket: one `LogLine` message per line (or, with `batch=true`, a
/// JSON array of lines per message), then `{"type":"end","reason":…}` and a clean close (when
/// following: once the container stops); an unknown container is a fatal `error` message, an
/// engine that goes away an `error` with `reconnect: true`. With `Accept: text/event-stream`:
/// the same messages as Server-Sent Events named `line`, `end` and `error`. As a plain GET: a
/// JSON array of at most 10,000 lines (8 MiB of text) without follow, with
/// `X-Berth-Truncated: true` when the range held more.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/logs", tag = "streams",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), LogsQuery),
    responses((status = 200, body = Vec<LogLine>, description = "The lines (or text/event-stream of LogLine messages)"),
        (status = 101, description = "WebSocket of LogLine messages"),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn logs(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    headers: HeaderMap,
    Query(q): Query<LogsQuery>,
    MaybeWebSocket(ws): MaybeWebSocket,
) -> AppResult<Response> {
    let range = q.range()?;
    if let Some(ws) = ws {
        let opts = WsOptions {
            follow: range.follow,
            batch: q.batch.unwrap_or(false),
        };
        // Every failure past the query, the unknown container included, is a fatal message.
        return Ok(match open(&state, &actor, &p, &range).await {
            Ok((host, id, reader)) => {
                ws.on_upgrade(move |socket| logs::send_ws(socket, reader, host, id, opts))
            }
            Err(e) => {
                ws.on_upgrade(move |socket| logs::fail_ws(socket, Finish::from_app(&e, false)))
            }
        });
    }
    if wants_sse(&headers) {
        let (host, id, reader) = open(&state, &actor, &p, &range).await?;
        return Ok((
            SSE_HEADERS,
            Sse::new(logs::sse(reader, host, id, range.follow))
                .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response());
    }
    if range.follow {
        return Err(AppError::validation(
            "follow",
            "follow needs a WebSocket or `Accept: text/event-stream`",
        ));
    }
    let (_, _, reader) = open(&state, &actor, &p, &range).await?;
    let (lines, truncated) = logs::collect(reader)
        .await
        .map_err(|e| e.into_app(Resource::Container, &p.id))?;
    let mut response = Json(lines).into_response();
    if truncated {
        response
            .headers_mut()
            .insert(TRUNCATED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A file name made of the container's name: letters, digits, `.`, `_` and `-`.
fn file_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    if clean.trim_matches('.').is_empty() {
        "container.log".to_owned()
    } else {
        format!("{clean}.log")
    }
}

/// The whole log as a text file (`<name>.log`), streamed as the engine sends it: stdout and
/// stderr interleaved as written, each line as the container wrote it.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/logs/download", tag = "streams",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), DownloadQuery),
    responses((status = 200, content_type = "text/plain", body = String, description = "The log"),
        (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn download(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    Query(q): Query<DownloadQuery>,
) -> AppResult<Response> {
    let (stdout, stderr) = parse_streams(q.stdout, q.stderr)?;
    let range = LogRange {
        tail: None,
        since: parse_instant("since", q.since.as_deref())?,
        until: parse_instant("until", q.until.as_deref())?,
        stdout,
        stderr,
        follow: false,
    };
    let c = resolve(&state, &actor, &p).await?;
    let docker = c
        .host
        .stream_client()
        .await
        .map_err(|e| e.into_app(Resource::Container, &p.id))?;
    let body = Body::from_stream(logs::download(
        &docker,
        &c.id,
        &range,
        q.timestamps.unwrap_or(false),
        c.host.name().to_owned(),
    ));
    let disposition = format!("attachment; filename=\"{}\"", file_name(&c.name));
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// Searches a container's log, case-insensitively, for a substring or a regular expression;
/// each match comes with its line number in the searched range and `context` lines around it.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/logs/search", tag = "streams",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), SearchQuery),
    responses((status = 200, body = LogSearchResult), (status = 400, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub async fn search(
    State(state): State<AppState>,
    Path(p): Path<ContainerPath>,
    actor: Actor,
    Query(q): Query<SearchQuery>,
) -> AppResult<Json<LogSearchResult>> {
    let opts = search_options(&q)?;
    let range = LogRange {
        tail: parse_tail(q.tail.as_deref(), None)?,
        since: parse_instant("since", q.since.as_deref())?,
        until: parse_instant("until", q.until.as_deref())?,
        ..LogRange::default()
    };
    let (_, _, reader) = open(&state, &actor, &p, &range).await?;
    logs::search(reader, &opts)
        .await
        .map(Json)
        .map_err(|e| e.into_app(Resource::Container, &p.id))
}

fn search_options(q: &SearchQuery) -> AppResult<SearchOptions> {
    let text = q.q.as_deref().unwrap_or_default();
    let len = text.chars().count();
    if len == 0 || len > 256 {
        return Err(AppError::validation(
            "q",
            "q, what to search for, is 1 to 256 characters",
        ));
    }
    let source = if q.regex.unwrap_or(false) {
        text.to_owned()
    } else {
        regex::escape(text)
    };
    let pattern = regex::RegexBuilder::new(&source)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .dfa_size_limit(4 << 20)
        .build()
        .map_err(|e| {
            AppError::validation("q", format!("q is not a valid regular expression: {e}"))
        })?;
    let context = q.context.unwrap_or(2);
    if !(0..=20).contains(&context) {
        return Err(AppError::validation("context", "context is 0 to 20 lines"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::validation("limit", "limit is 1 to 1000 matches"));
    }
    Ok(SearchOptions {
        pattern,
        context: usize::try_from(context).unwrap_or(2),
        limit: usize::try_from(limit).unwrap_or(100),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_unix_seconds() {
        let t = parse_instant("since", Some("1714557600.25"))
            .unwrap()
            .unwrap();
        assert_eq!(t.timestamp(), 1_714_557_600);
        assert_eq!(t.timestamp_subsec_millis(), 250);
        let t = parse_instant("since", Some("2024-05-01T10:00:00Z"))
            .unwrap()
            .unwrap();
        assert_eq!(t.timestamp(), 1_714_557_600);
        assert!(parse_instant("since", Some("")).unwrap().is_none());
        let e = parse_instant("until", Some("yesterday")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("until"));
        assert!(parse_instant("until", Some("1.2.3")).is_err());
    }

    #[test]
    fn tail_is_a_count_or_all() {
        assert_eq!(parse_tail(None, Some(100)).unwrap(), Some(100));
        assert_eq!(parse_tail(Some("all"), Some(100)).unwrap(), None);
        assert_eq!(parse_tail(Some("7"), None).unwrap(), Some(7));
        assert!(parse_tail(Some("-1"), None).is_err());
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(file_name("web-1"), "web-1.log");
        assert_eq!(file_name("a\"b/c"), "a_b_c.log");
        assert_eq!(file_name(".."), "container.log");
    }
}
