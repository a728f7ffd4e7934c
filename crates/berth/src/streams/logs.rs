//! Container logs read through the engine's `/containers/{id}/logs`: split into lines (stdout
//! and stderr told apart, TTY output as stdout), each with the engine's timestamp; sent over a
//! WebSocket or as Server-Sent Events, collected for a plain request, searched, or passed through
//! as a file.
//!
//! Engines on a unix socket or plain tcp are read directly (`logs/direct.rs`: many lines per
//! read); TLS engines, and downloads, through bollard.
//!
//! Memory stays bounded whatever the log's size: the engine stream is read only as fast as the
//! client takes lines (no queue in between, so a slow client slows the read, and one that takes
//! nothing for 10 s is dropped), a partial line is flushed once it passes [`MAX_LINE`], and
//! search keeps only its context ring and its (limited) matches.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::response::sse::Event;
use berth_api::ErrorCode;
use berth_api::streams::{LogLine, LogMatch, LogSearchResult, LogStream, StreamEnd};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::LogsOptions;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{FutureExt, SinkExt, Stream, StreamExt};
use regex::Regex;

use crate::engine::{EngineError, HostHandle, Resource};
use crate::error::AppError;

mod direct;

/// A line still unfinished once it holds this many bytes is sent as it is; the rest of it
/// follows as further lines.
pub const MAX_LINE: usize = 64 * 1024;

/// How long a client may take to accept a message before it is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Lines per WebSocket frame with `batch=true`.
const BATCH_LINES: usize = 1000;

/// Messages written to a WebSocket before it is flushed, when the engine has more at once.
const FLUSH_EVERY: usize = 1024;

/// How long lines written to a WebSocket may wait for more before they are flushed (the most
/// a line waits, unless [`FLUSH_EVERY`] comes first).
const FLUSH_DELAY: Duration = Duration::from_millis(2);

/// Which part of a log to read.
#[derive(Debug, Clone)]
pub struct LogRange {
    /// The last N lines (`None`: all).
    pub tail: Option<u64>,
    /// Lines at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Lines at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Standard output.
    pub stdout: bool,
    /// Standard error.
    pub stderr: bool,
    /// Keep reading new lines until the container stops.
    pub follow: bool,
}

impl Default for LogRange {
    fn default() -> Self {
        Self {
            tail: None,
            since: None,
            until: None,
            stdout: true,
            stderr: true,
            follow: false,
        }
    }
}

impl LogRange {
    /// The engine's query. The engine counts whole seconds: `since` is rounded down and `until`
    /// up, and [`LogReader`] drops the lines outside the exact range.
    pub fn options(&self, timestamps: bool) -> LogsOptions {
        let secs = |t: DateTime<Utc>, up: bool| {
            let s = t.timestamp() + i64::from(up && t.timestamp_subsec_nanos() > 0);
            i32::try_from(s.max(0)).unwrap_or(i32::MAX)
        };
        LogsOptions {
            follow: self.follow,
            stdout: self.stdout,
            stderr: self.stderr,
            since: self.since.map_or(0, |t| secs(t, false)),
            until: self.until.map_or(0, |t| secs(t, true)),
            timestamps,
            tail: self
                .tail
                .map_or_else(|| "all".to_owned(), |n| n.to_string()),
        }
    }
}

/// The engine's raw log stream (frames as the engine sends them).
pub fn raw(
    docker: &Docker,
    id: &str,
    range: &LogRange,
    timestamps: bool,
) -> impl Stream<Item = Result<LogOutput, DockerError>> + Send + Unpin + 'static {
    docker.logs(id, Some(range.options(timestamps)))
}

/// Maps a bollard error to an engine error: a transport failure means the engine is gone.
pub fn engine_error(host: &str, err: DockerError) -> EngineError {
    if matches!(
        err,
        DockerError::DockerResponseServerError { .. }
            | DockerError::JsonDataError { .. }
            | DockerError::JsonSerdeError { .. }
            | DockerError::DockerStreamError { .. }
    ) {
        EngineError::Api(err)
    } else {
        EngineError::Unavailable {
            host: host.to_owned(),
            reason: err.to_string(),
        }
    }
}

/// A line being assembled from several chunks.
#[derive(Debug, Default)]
struct Partial {
    /// The bytes so far (with the timestamp, unless `stamped`).
    buf: Vec<u8>,
    /// A line is in progress (its start was seen, its end not yet).
    open: bool,
    /// Its timestamp was already taken out (into `time`): it was force-flushed once.
    stamped: bool,
    /// Its timestamp, once taken out.
    time: Option<DateTime<Utc>>,
}

/// Splits engine chunks into lines. The engine is always asked for timestamps, so every line
/// starts with one (`2024-05-01T10:00:00.123456789Z text`).
#[derive(Debug, Default)]
pub struct LineSplitter {
    out: Partial,
    err: Partial,
}

impl LineSplitter {
    /// Takes one engine chunk; complete lines go to `lines`.
    pub fn feed(&mut self, chunk: LogOutput, lines: &mut VecDeque<LogLine>) {
        let (stream, framed, data) = match chunk {
            LogOutput::StdOut { message } => (LogStream::Stdout, true, message),
            LogOutput::StdErr { message } => (LogStream::Stderr, true, message),
            // A TTY container's output: one stream, not framed by message.
            LogOutput::Console { message } => (LogStream::Stdout, false, message),
            LogOutput::StdIn { .. } => return,
        };
        self.feed_bytes(stream, framed, &data, lines);
    }

    /// Takes bytes of one stream: `framed` when they start an engine message (which begins with
    /// its own timestamp), else a continuation of the byte stream.
    pub fn feed_bytes(
        &mut self,
        stream: LogStream,
        framed: bool,
        data: &[u8],
        lines: &mut VecDeque<LogLine>,
    ) {
        let partial = match stream {
            LogStream::Stdout => &mut self.out,
            LogStream::Stderr => &mut self.err,
        };
        let mut data: &[u8] = data;
        if framed && partial.open {
            // A frame is one engine message with its own timestamp; after a partial message
            // (a line the engine cut at 16 KiB) the next one continues it.
            data = split_time(data).1;
        }
        while !data.is_empty() {
            if let Some(i) = data.iter().position(|b| *b == b'\n') {
                let (segment, rest) = (&data[..i], &data[i + 1..]);
                data = rest;
                if partial.open {
                    partial.buf.extend_from_slice(segment);
                    lines.push_back(take_line(partial, stream));
                    partial.open = false;
                    partial.stamped = false;
                    partial.time = None;
                } else {
                    lines.push_back(make_line(stream, segment, None));
                }
            } else {
                partial.buf.extend_from_slice(data);
                partial.open = true;
                data = &[];
                if partial.buf.len() >= MAX_LINE {
                    // Too long to keep: send what we have; the rest follows as more lines.
                    let line = take_line(partial, stream);
                    partial.time = line.time;
                    partial.stamped = true;
                    lines.push_back(line);
                }
            }
        }
    }

    /// At the end of the stream: what is left of unfinished lines.
    pub fn finish(&mut self, lines: &mut VecDeque<LogLine>) {
        for (partial, stream) in [
            (&mut self.out, LogStream::Stdout),
            (&mut self.err, LogStream::Stderr),
        ] {
            if partial.open && !partial.buf.is_empty() {
                lines.push_back(take_line(partial, stream));
            }
            *partial = Partial::default();
        }
    }
}

fn take_line(partial: &mut Partial, stream: LogStream) -> LogLine {
    let line = make_line(
        stream,
        &partial.buf,
        partial.stamped.then_some(partial.time),
    );
    partial.buf.clear();
    line
}

/// A line from its bytes: `known` is its timestamp when already taken out, else the bytes start
/// with one.
fn make_line(stream: LogStream, raw: &[u8], known: Option<Option<DateTime<Utc>>>) -> LogLine {
    let (time, text) = match known {
        Some(time) => (time, raw),
        None => split_time(raw),
    };
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    LogLine {
        kind: "line".to_owned(),
        stream,
        time,
        line: String::from_utf8_lossy(text).into_owned(),
    }
}

/// Splits `2024-05-01T10:00:00.123456789Z text` into the time and the text; without a
/// timestamp, the whole input is text.
fn split_time(raw: &[u8]) -> (Option<DateTime<Utc>>, &[u8]) {
    let end = raw.iter().take(40).position(|b| *b == b' ');
    match end.and_then(|i| parse_time(&raw[..i]).map(|t| (t, i))) {
        Some((time, i)) => (Some(time), &raw[i + 1..]),
        None => (None, raw),
    }
}

/// Parses the engine's RFC 3339 timestamps; the usual `…T…Z` form without chrono's general parser.
pub fn parse_time(s: &[u8]) -> Option<DateTime<Utc>> {
    fast_time(s).or_else(|| {
        let s = std::str::from_utf8(s).ok()?;
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn fast_time(s: &[u8]) -> Option<DateTime<Utc>> {
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b'T'
        || s[13] != b':'
        || s[16] != b':'
        || s.last() != Some(&b'Z')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        s[r].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let mut nanos = 0u32;
    let frac = &s[19..s.len() - 1];
    if !frac.is_empty() {
        let digits = frac.strip_prefix(b".")?;
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = num(20..20 + digits.len())? * 10u32.pow(9 - u32::try_from(digits.len()).ok()?);
    }
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?
        .and_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)
        .map(|t| t.and_utc())
}

/// Where a log's bytes come from.
enum Source {
    /// bollard (TLS hosts).
    Client(Pin<Box<dyn Stream<Item = Result<LogOutput, DockerError>> + Send>>),
    /// The engine's socket, read directly.
    Direct(Box<direct::DirectLog>),
}

/// A container's log as a stream of lines.
pub struct LogReader {
    source: Source,
    host: String,
    splitter: LineSplitter,
    ready: VecDeque<LogLine>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    done: bool,
}

impl LogReader {
    /// Starts reading `id`'s log on `host` (always with timestamps); `tty` says whether the
    /// container has a terminal (its log is then one raw stream).
    pub async fn open(
        host: &HostHandle,
        id: &str,
        range: &LogRange,
        tty: bool,
    ) -> Result<Self, EngineError> {
        let source = match direct::Address::of(&host.record.url, host.record.tls) {
            Some(address) => {
                let options = range.options(true);
                let key = id.to_owned();
                let log = host
                    .call(|docker| async move {
                        let api = docker.client_version().to_string();
                        direct::DirectLog::open(&address, &api, &key, &options, tty).await
                    })
                    .await?;
                Source::Direct(Box::new(log))
            }
            None => Source::Client(Box::pin(raw(&host.stream_client().await?, id, range, true))),
        };
        Ok(Self {
            source,
            host: host.name().to_owned(),
            splitter: LineSplitter::default(),
            ready: VecDeque::new(),
            since: range.since,
            until: range.until,
            done: false,
        })
    }

    fn in_range(&self, line: &LogLine) -> bool {
        match line.time {
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u),
            None => true,
        }
    }
}

impl Stream for LogReader {
    type Item = Result<LogLine, EngineError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            while let Some(line) = this.ready.pop_front() {
                if this.in_range(&line) {
                    return Poll::Ready(Some(Ok(line)));
                }
            }
            if this.done {
                return Poll::Ready(None);
            }
            match &mut this.source {
                Source::Client(inner) => match inner.as_mut().poll_next(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => this.splitter.feed(chunk, &mut this.ready),
                    Poll::Ready(Some(Err(e))) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(engine_error(&this.host, e))));
                    }
                    Poll::Ready(None) => {
                        this.done = true;
                        this.splitter.finish(&mut this.ready);
                    }
                },
                Source::Direct(log) => {
                    log.decode(&mut this.splitter, &mut this.ready);
                    if !this.ready.is_empty() {
                        continue;
                    }
                    if log.finished() {
                        this.done = true;
                        this.splitter.finish(&mut this.ready);
                        continue;
                    }
                    match log.poll_fill(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(_)) => {}
                        Poll::Ready(Err(reason)) => {
                            this.done = true;
                            return Poll::Ready(Some(Err(EngineError::Unavailable {
                                host: this.host.clone(),
                                reason,
                            })));
                        }
                    }
                }
            }
        }
    }
}

/// A line as JSON text, exactly as serde writes a [`LogLine`], without serde's general
/// machinery for the time (the WebSocket path writes millions of these).
pub fn line_json(line: &LogLine) -> String {
    let mut out = Vec::with_capacity(line.line.len() + 100);
    out.extend_from_slice(b"{\"type\":");
    let _ = serde_json::to_writer(&mut out, &line.kind);
    out.extend_from_slice(match line.stream {
        LogStream::Stdout => b",\"stream\":\"stdout\",\"time\":",
        LogStream::Stderr => b",\"stream\":\"stderr\",\"time\":",
    });
    match line.time {
        Some(t) => write_time(&mut out, t),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"line\":");
    let _ = serde_json::to_writer(&mut out, &line.line);
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// A time as chrono's serde writes it (RFC 3339, `Z`, 0, 3, 6 or 9 decimals).
fn write_time(out: &mut Vec<u8>, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999);
    let nanos = t.nanosecond();
    let Some(year) = year.filter(|_| nanos < 1_000_000_000) else {
        let _ = serde_json::to_writer(out, &t);
        return;
    };
    let digits = |out: &mut Vec<u8>, value: u32, width: u32| {
        for i in (0..width).rev() {
            let d = (value / 10u32.pow(i)) % 10;
            out.push(b"0123456789"[d as usize]);
        }
    };
    out.push(b'"');
    digits(out, year, 4);
    out.push(b'-');
    digits(out, t.month(), 2);
    out.push(b'-');
    digits(out, t.day(), 2);
    out.push(b'T');
    digits(out, t.hour(), 2);
    out.push(b':');
    digits(out, t.minute(), 2);
    out.push(b':');
    digits(out, t.second(), 2);
    let (width, value) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (3, nanos / 1_000_000)
    } else if nanos.is_multiple_of(1000) {
        (6, nanos / 1000)
    } else {
        (9, nanos)
    };
    if width > 0 {
        out.push(b'.');
        digits(out, value, width);
    }
    out.extend_from_slice(b"Z\"");
}

/// Why a stream stopped, as the client is told.
pub enum Finish {
    /// `{"type":"end","reason":…}`.
    End(String),
    /// A fatal stream error.
    Error {
        /// Its code.
        code: ErrorCode,
        /// For people.
        message: String,
        /// Trying again later may work.
        reconnect: bool,
    },
}

impl Finish {
    /// The error an engine failure is answered with.
    pub fn from_engine(err: EngineError, id: &str) -> Self {
        let reconnect = err.is_unavailable();
        Self::from_app(&err.into_app(Resource::Container, id), reconnect)
    }

    /// The server is stopping, or the host was removed.
    pub fn stopping() -> Self {
        Self::Error {
            code: ErrorCode::DockerUnavailable,
            message: "the server is stopping or the host was removed".to_owned(),
            reconnect: true,
        }
    }

    /// A failure found before the stream started.
    pub fn from_app(err: &AppError, reconnect: bool) -> Self {
        Self::Error {
            code: err.code,
            message: err.message.clone(),
            reconnect: reconnect || err.code == ErrorCode::DockerUnavailable,
        }
    }

    /// The message as JSON text, and its SSE event name.
    fn message(&self) -> (&'static str, String) {
        match self {
            Self::End(reason) => (
                "end",
                serde_json::to_string(&StreamEnd {
                    kind: "end".to_owned(),
                    reason: reason.clone(),
                })
                .unwrap_or_default(),
            ),
            Self::Error {
                code,
                message,
                reconnect,
            } => (
                "error",
                super::error_message(*code, message.clone(), *reconnect, true),
            ),
        }
    }
}

/// How a log stream that ran to its end finishes: without `follow`, the log was read to its end;
/// following, the engine ends the stream when the container stops (or when it goes away).
pub async fn finish(host: &HostHandle, id: &str, follow: bool) -> Finish {
    if !follow {
        return Finish::End("end of log".to_owned());
    }
    let key = id.to_owned();
    match host
        .call(|d| async move { d.inspect_container(&key, None).await })
        .await
    {
        Ok(c) if c.state.as_ref().and_then(|s| s.running) == Some(true) => {
            Finish::End("container restarted".to_owned())
        }
        Ok(_) => Finish::End("container stopped".to_owned()),
        Err(e) if e.status() == Some(404) => Finish::End("container removed".to_owned()),
        Err(e) => Finish::from_engine(e, id),
    }
}

/// What a WebSocket client asked for.
#[derive(Debug, Clone, Copy)]
pub struct WsOptions {
    /// Follow new lines.
    pub follow: bool,
    /// Send a JSON array of lines per frame instead of one line per frame.
    pub batch: bool,
}

enum Outcome {
    ClientGone,
    Stopping,
    Failed(EngineError),
    Ended,
}

/// Sends a log over a WebSocket: one `LogLine` per text frame (or, with `batch`, an array of
/// them), then `end` or a fatal error, then a close frame. Frames are written into the socket's
/// buffer and flushed every [`FLUSH_EVERY`] messages, or once the engine has had nothing more
/// for [`FLUSH_DELAY`] after the first unflushed one: a big log goes out in large writes, not a
/// system call per line, and a quiet one without delay to speak of.
pub async fn send_ws(
    socket: WebSocket,
    mut reader: LogReader,
    host: Arc<HostHandle>,
    id: String,
    opts: WsOptions,
) {
    let (mut sink, mut incoming) = socket.split();
    // The client's side is watched by a task of its own: polling the socket for input at every
    // turn of the loop below costs more than the loop itself.
    let gone = tokio_util::sync::CancellationToken::new();
    let watcher = AbortOnDrop(tokio::spawn({
        let gone = gone.clone();
        async move {
            while let Some(msg) = incoming.next().await {
                if closed(Some(msg)) {
                    break;
                }
            }
            gone.cancel();
        }
    }));
    let mut unflushed = 0usize;
    let mut batch: Vec<LogLine> = Vec::new();
    let mut since_check = 0usize;
    // When the oldest line not yet flushed was written.
    let mut dirty_since: Option<tokio::time::Instant> = None;
    let outcome = 'read: loop {
        let next = match reader.next().now_or_never() {
            Some(item) => item,
            // The engine has nothing at hand: wait for it, and flush what was written once it
            // has been waiting for FLUSH_DELAY.
            None => loop {
                let flush_at = dirty_since.map(|t| t + FLUSH_DELAY);
                tokio::select! {
                    item = reader.next() => break item,
                    () = gone.cancelled() => break 'read Outcome::ClientGone,
                    () = host.stop_token().cancelled() => break 'read Outcome::Stopping,
                    () = tokio::time::sleep_until(flush_at.unwrap_or_else(tokio::time::Instant::now)), if flush_at.is_some() => {
                        if flush_all(&mut sink, &mut batch).await.is_err() {
                            break 'read Outcome::ClientGone;
                        }
                        unflushed = 0;
                        dirty_since = None;
                    }
                }
            },
        };
        let line = match next {
            Some(Ok(line)) => line,
            Some(Err(e)) => break Outcome::Failed(e),
            None => break Outcome::Ended,
        };
        if dirty_since.is_none() {
            dirty_since = Some(tokio::time::Instant::now());
        }
        if opts.batch {
            batch.push(line);
            if batch.len() >= BATCH_LINES {
                if send_batch(&mut sink, &mut batch).await.is_err() {
                    break Outcome::ClientGone;
                }
                unflushed += 1;
            }
        } else {
            if timed(sink.feed(Message::Text(line_json(&line).into())))
                .await
                .is_err()
            {
                break Outcome::ClientGone;
            }
            unflushed += 1;
        }
        if unflushed >= FLUSH_EVERY {
            if timed(sink.flush()).await.is_err() {
                break Outcome::ClientGone;
            }
            unflushed = 0;
            if batch.is_empty() {
                dirty_since = None;
            }
        }
        // While the engine never waits, still notice a client that said goodbye.
        since_check += 1;
        if since_check >= 1024 {
            since_check = 0;
            if host.stopped() {
                break Outcome::Stopping;
            }
            if gone.is_cancelled() {
                break Outcome::ClientGone;
            }
        }
    };
    // The engine stream stops here, before anything else waits.
    drop(reader);
    drop(watcher);
    let finish = match outcome {
        Outcome::ClientGone => return,
        Outcome::Stopping => Finish::stopping(),
        Outcome::Failed(e) => Finish::from_engine(e, &id),
        Outcome::Ended => {
            if !batch.is_empty() && send_batch(&mut sink, &mut batch).await.is_err() {
                return;
            }
            finish(&host, &id, opts.follow).await
        }
    };
    let _ = timed(sink.send(Message::Text(finish.message().1.into()))).await;
    let _ = timed(sink.send(Message::Close(Some(CloseFrame {
        code: 1000,
        reason: "".into(),
    }))))
    .await;
}

/// Answers a WebSocket whose stream could not start: a fatal error, then close.
pub async fn fail_ws(mut socket: WebSocket, finish: Finish) {
    let _ = timed(socket.send(Message::Text(finish.message().1.into()))).await;
    let _ = timed(socket.send(Message::Close(Some(CloseFrame {
        code: 1000,
        reason: "".into(),
    }))))
    .await;
}

/// A task that is aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn closed(msg: Option<Result<Message, axum::Error>>) -> bool {
    matches!(msg, Some(Ok(Message::Close(_)) | Err(_)) | None)
}

async fn timed<T, E>(f: impl Future<Output = Result<T, E>>) -> Result<T, ()> {
    let mut f = std::pin::pin!(f);
    // Most sends complete at once (into the socket's buffer): no timer for those.
    if let Poll::Ready(result) = futures_util::poll!(f.as_mut()) {
        return result.map_err(|_| ());
    }
    match tokio::time::timeout(SEND_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        _ => Err(()),
    }
}

/// Sends a pending batch, then flushes the socket.
async fn flush_all<S>(sink: &mut S, batch: &mut Vec<LogLine>) -> Result<(), ()>
where
    S: futures_util::Sink<Message> + Unpin,
{
    if !batch.is_empty() {
        send_batch(sink, batch).await?;
    }
    timed(sink.flush()).await
}

async fn send_batch<S>(sink: &mut S, batch: &mut Vec<LogLine>) -> Result<(), ()>
where
    S: futures_util::Sink<Message> + Unpin,
{
    let mut text = String::with_capacity(batch.iter().map(|l| l.line.len() + 100).sum());
    text.push('[');
    for (i, line) in batch.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&line_json(line));
    }
    text.push(']');
    batch.clear();
    timed(sink.feed(Message::Text(text.into()))).await
}

/// A log as Server-Sent Events: `line` events, then one `end` or `error` event.
pub fn sse(
    reader: LogReader,
    host: Arc<HostHandle>,
    id: String,
    follow: bool,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    futures_util::stream::unfold(Some(reader), move |state| {
        let host = host.clone();
        let id = id.clone();
        async move {
            let mut reader = state?;
            let next = tokio::select! {
                next = reader.next() => Some(next),
                () = host.stop_token().cancelled() => None,
            };
            let finish = match next {
                None => Finish::stopping(),
                Some(next) => match next {
                    Some(Ok(line)) => {
                        let data = line_json(&line);
                        return Some((Ok(Event::default().event("line").data(data)), Some(reader)));
                    }
                    Some(Err(e)) => Finish::from_engine(e, &id),
                    None => {
                        drop(reader);
                        finish(&host, &id, follow).await
                    }
                },
            };
            let (name, data) = finish.message();
            Some((Ok(Event::default().event(name).data(data)), None))
        }
    })
}

/// The lines a plain request gets at most.
pub const COLLECT_MAX_LINES: usize = 10_000;
/// The text a plain request gets at most (bytes).
pub const COLLECT_MAX_BYTES: usize = 8 * 1024 * 1024;

/// Reads a log (without follow) into memory, up to [`COLLECT_MAX_LINES`] lines or
/// [`COLLECT_MAX_BYTES`]; answers the lines and whether the log went on.
pub async fn collect(mut reader: LogReader) -> Result<(Vec<LogLine>, bool), EngineError> {
    let mut lines = Vec::new();
    let mut bytes = 0usize;
    while let Some(line) = reader.next().await {
        let line = line?;
        if lines.len() >= COLLECT_MAX_LINES || bytes + line.line.len() > COLLECT_MAX_BYTES {
            return Ok((lines, true));
        }
        bytes += line.line.len();
        lines.push(line);
    }
    Ok((lines, false))
}

/// The raw log as a stream of bytes, for a download: frames as the engine sends them, stdout and
/// stderr interleaved as written.
pub fn download(
    docker: &Docker,
    id: &str,
    range: &LogRange,
    timestamps: bool,
    host: String,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    raw(docker, id, range, timestamps).map(move |chunk| match chunk {
        Ok(LogOutput::StdIn { .. }) => Ok(Bytes::new()),
        Ok(out) => Ok(out.into_bytes()),
        Err(e) => {
            tracing::warn!(host = %host, error = %e, "log download cut short");
            Err(std::io::Error::other(e))
        }
    })
}

/// How to search a log.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// What lines must match (already case-insensitive).
    pub pattern: Regex,
    /// Lines of context before and after each match.
    pub context: usize,
    /// Matches at most.
    pub limit: usize,
}

/// The text of search results at most (bytes); past it the result is cut short.
pub const SEARCH_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Searches a log (without follow), keeping only the last `context` lines besides the matches.
pub async fn search(
    mut reader: LogReader,
    opts: &SearchOptions,
) -> Result<LogSearchResult, EngineError> {
    let mut before: VecDeque<LogLine> = VecDeque::with_capacity(opts.context + 1);
    let mut matches: Vec<LogMatch> = Vec::new();
    // Matches still collecting lines after them: (index, lines still wanted).
    let mut open: VecDeque<(usize, usize)> = VecDeque::new();
    let mut lines_searched = 0u64;
    let mut truncated = false;
    let mut bytes = 0usize;
    while let Some(line) = reader.next().await {
        let line = line?;
        lines_searched += 1;
        for (i, wanted) in &mut open {
            if let Some(m) = matches.get_mut(*i) {
                bytes += line.line.len();
                m.after.push(line.clone());
            }
            *wanted -= 1;
        }
        while open.front().is_some_and(|(_, wanted)| *wanted == 0) {
            open.pop_front();
        }
        if !truncated && opts.pattern.is_match(&line.line) {
            if matches.len() >= opts.limit || bytes > SEARCH_MAX_BYTES {
                truncated = true;
            } else {
                bytes += line.line.len() + before.iter().map(|l| l.line.len()).sum::<usize>();
                matches.push(LogMatch {
                    line_number: lines_searched,
                    line: line.clone(),
                    before: before.iter().cloned().collect(),
                    after: Vec::new(),
                });
                if opts.context > 0 {
                    open.push_back((matches.len() - 1, opts.context));
                }
            }
        }
        if truncated && open.is_empty() {
            break;
        }
        if opts.context > 0 {
            if before.len() == opts.context {
                before.pop_front();
            }
            before.push_back(line);
        }
    }
    Ok(LogSearchResult {
        matches,
        lines_searched,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut LineSplitter, chunk: LogOutput) -> Vec<LogLine> {
        let mut out = VecDeque::new();
        s.feed(chunk, &mut out);
        out.into_iter().collect()
    }

    fn out(text: &str) -> LogOutput {
        LogOutput::StdOut {
            message: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    #[test]
    fn timestamps_are_parsed_in_the_engine_form_and_in_any_rfc3339_form() {
        let t = parse_time(b"2024-05-01T10:00:00.123456789Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 123_456_789);
        assert_eq!(t.to_rfc3339(), "2024-05-01T10:00:00.123456789+00:00");
        assert_eq!(
            parse_time(b"2024-05-01T10:00:00Z").unwrap().timestamp(),
            1_714_557_600
        );
        assert_eq!(
            parse_time(b"2024-05-01T12:00:00.5+02:00")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        assert!(parse_time(b"2024-13-01T10:00:00Z").is_none());
        assert!(parse_time(b"hello").is_none());
    }

    #[test]
    fn a_frame_with_several_lines_gives_each_line_its_time() {
        let mut s = LineSplitter::default();
        let lines = feed(
            &mut s,
            out("2024-05-01T10:00:00.1Z a\n2024-05-01T10:00:01Z b\r\n"),
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, "a");
        assert_eq!(lines[1].line, "b");
        assert_eq!(lines[1].time.unwrap().timestamp(), 1_714_557_601);
    }

    #[test]
    fn a_partial_message_is_joined_with_its_continuation() {
        let mut s = LineSplitter::default();
        assert!(feed(&mut s, out("2024-05-01T10:00:00Z part one ")).is_empty());
        let lines = feed(&mut s, out("2024-05-01T10:00:00Z and two\n"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line, "part one and two");
        assert!(lines[0].time.is_some());
    }

    #[test]
    fn console_chunks_split_anywhere_make_whole_lines_on_stdout() {
        let mut s = LineSplitter::default();
        let console = |t: &str| LogOutput::Console {
            message: Bytes::copy_from_slice(t.as_bytes()),
        };
        assert!(feed(&mut s, console("2024-05-01T10:00:")).is_empty());
        let lines = feed(&mut s, console("00Z tty line\r\n2024-05-01T10:00:00Z x"));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line, "tty line");
        assert_eq!(lines[0].stream, LogStream::Stdout);
        assert!(lines[0].time.is_some());
        let mut rest = VecDeque::new();
        s.finish(&mut rest);
        assert_eq!(rest[0].line, "x");
    }

    #[test]
    fn an_endless_line_is_flushed_in_bounded_pieces() {
        let mut s = LineSplitter::default();
        let piece = "y".repeat(40 * 1024);
        let console = |t: String| LogOutput::Console {
            message: Bytes::from(t),
        };
        assert!(feed(&mut s, console(format!("2024-05-01T10:00:00Z {piece}"))).is_empty());
        let lines = feed(&mut s, console(piece.clone()));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line.len(), 80 * 1024);
        assert!(lines[0].time.is_some());
        let lines = feed(&mut s, console(format!("{piece}\n")));
        assert_eq!(lines[0].line.len(), 40 * 1024);
        assert_eq!(lines[0].time.unwrap().timestamp(), 1_714_557_600);
    }

    #[test]
    fn stderr_keeps_its_own_partial_line() {
        let mut s = LineSplitter::default();
        let err = |t: &str| LogOutput::StdErr {
            message: Bytes::copy_from_slice(t.as_bytes()),
        };
        assert!(feed(&mut s, err("2024-05-01T10:00:00Z e1 ")).is_empty());
        let lines = feed(&mut s, out("2024-05-01T10:00:00Z o\n"));
        assert_eq!(lines[0].stream, LogStream::Stdout);
        let lines = feed(&mut s, err("2024-05-01T10:00:00Z e2\n"));
        assert_eq!(lines[0].stream, LogStream::Stderr);
        assert_eq!(lines[0].line, "e1 e2");
    }

    #[test]
    fn lines_are_written_exactly_as_serde_writes_them() {
        for (time, text) in [
            (Some("2024-05-01T10:00:00Z"), "plain"),
            (
                Some("2024-05-01T10:00:00.5Z"),
                "quote \" and \\ and \u{1} and é",
            ),
            (Some("2024-05-01T10:00:00.123456Z"), ""),
            (Some("1999-12-31T23:59:59.000000001Z"), "x"),
            (None, "no time"),
        ] {
            for stream in [LogStream::Stdout, LogStream::Stderr] {
                let line = LogLine {
                    kind: "line".to_owned(),
                    stream,
                    time: time.map(|t| parse_time(t.as_bytes()).unwrap()),
                    line: text.to_owned(),
                };
                assert_eq!(line_json(&line), serde_json::to_string(&line).unwrap());
            }
        }
    }

    #[test]
    fn the_engine_query_rounds_the_range_outwards() {
        let range = LogRange {
            since: Some(parse_time(b"2024-05-01T10:00:00.5Z").unwrap()),
            until: Some(parse_time(b"2024-05-01T10:00:01.5Z").unwrap()),
            tail: Some(5),
            ..LogRange::default()
        };
        let o = range.options(true);
        assert_eq!(o.since, 1_714_557_600);
        assert_eq!(o.until, 1_714_557_602);
        assert_eq!(o.tail, "5");
        assert_eq!(LogRange::default().options(true).tail, "all");
    }
}
