//! The engine's log endpoint read straight from its socket (unix, or tcp without TLS).
//!
//! The engine writes (and flushes) one HTTP chunk per log line; through bollard every chunk is
//! handed from hyper's connection task to the reader one at a time, a task switch per line,
//! which caps a big log at well under the engine's own rate. Here one `read` takes whatever the
//! socket holds (often thousands of lines), and chunks and frames are cut from that buffer.
//! TLS hosts keep using bollard.

use std::pin::Pin;
use std::task::{Context, Poll};

use berth_api::streams::LogStream;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::LogsOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

use super::LineSplitter;

/// Bytes read from the socket at once.
const READ_SIZE: usize = 64 * 1024;
/// Response headers larger than this are refused.
const MAX_HEAD: usize = 16 * 1024;
/// An error body is read up to this size.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The engine address of a host that can be read directly: `unix:///path` or a `tcp://` /
/// `http://` address without TLS.
pub enum Address {
    /// A unix socket path.
    Unix(String),
    /// `host:port`.
    Tcp(String),
}

impl Address {
    /// The address of `url`, when it is one this reader can use.
    pub fn of(url: &str, tls: bool) -> Option<Self> {
        if tls {
            return None;
        }
        if let Some(path) = url.strip_prefix("unix://") {
            return Some(Self::Unix(path.to_owned()));
        }
        let rest = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        (!authority.is_empty()).then(|| Self::Tcp(authority.to_owned()))
    }
}

/// How the response body ends.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `Transfer-Encoding: chunked`: bytes left in the current chunk, and whether the CRLF that
    /// ends it is still to come.
    Chunked { left: usize, crlf: bool },
    /// `Content-Length`: bytes left.
    Length(u64),
    /// Until the connection closes.
    Eof,
}

/// An open log response.
pub struct DirectLog {
    conn: Box<dyn Conn>,
    read_buf: Vec<u8>,
    /// Read, not yet de-chunked.
    raw: Vec<u8>,
    /// Body bytes, not yet cut into frames.
    body: Vec<u8>,
    framing: Framing,
    /// The body is complete.
    complete: bool,
    /// The engine closed the connection.
    eof: bool,
    /// A TTY container: the body is the raw output, not frames.
    tty: bool,
    /// The frame being read: its stream, bytes left, and whether none of it was fed yet.
    frame: Option<(LogStream, usize, bool)>,
}

fn io_error(message: impl Into<String>) -> DockerError {
    DockerError::IOError {
        err: std::io::Error::other(message.into()),
    }
}

impl DirectLog {
    /// Sends the request and reads the response head; an engine error (404, …) is answered as
    /// the engine's error.
    pub async fn open(
        address: &Address,
        api_version: &str,
        id: &str,
        options: &LogsOptions,
        tty: bool,
    ) -> Result<Self, DockerError> {
        let query = serde_urlencoded::to_string(options).map_err(|e| io_error(e.to_string()))?;
        let id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect();
        let (mut conn, host): (Box<dyn Conn>, &str) = match address {
            Address::Unix(path) => (
                Box::new(tokio::net::UnixStream::connect(path).await?),
                "docker",
            ),
            Address::Tcp(authority) => {
                let stream = tokio::net::TcpStream::connect(authority.as_str()).await?;
                stream.set_nodelay(true)?;
                (Box::new(stream), authority.as_str())
            }
        };
        let request = format!(
            "GET /v{api_version}/containers/{id}/logs?{query} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: berth\r\nConnection: close\r\n\r\n"
        );
        conn.write_all(request.as_bytes()).await?;
        let mut raw = Vec::with_capacity(READ_SIZE);
        let mut read_buf = vec![0u8; READ_SIZE];
        let head_end = loop {
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if raw.len() > MAX_HEAD {
                return Err(io_error("the engine's response head is too large"));
            }
            let n = conn.read(&mut read_buf).await?;
            if n == 0 {
                return Err(io_error(
                    "the engine closed the connection without answering",
                ));
            }
            raw.extend_from_slice(&read_buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
        raw.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io_error(format!("not an HTTP answer: {head}")))?;
        let mut framing = Framing::Eof;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
            {
                framing = Framing::Chunked {
                    left: 0,
                    crlf: false,
                };
            } else if name.eq_ignore_ascii_case("content-length")
                && !matches!(framing, Framing::Chunked { .. })
            {
                framing =
                    Framing::Length(value.parse().map_err(|_| io_error("bad Content-Length"))?);
            }
        }
        let mut log = Self {
            conn,
            read_buf,
            raw,
            body: Vec::new(),
            framing,
            complete: false,
            eof: false,
            tty,
            frame: None,
        };
        if status != 200 {
            return Err(log.error_body(status).await);
        }
        log.dechunk()?;
        Ok(log)
    }

    /// Reads a (small) error body and makes it the engine's error.
    async fn error_body(&mut self, status: u16) -> DockerError {
        while !self.complete && !self.eof && self.body.len() < MAX_ERROR_BODY {
            if self.dechunk().is_err() {
                break;
            }
            if self.complete {
                break;
            }
            match self.conn.read(&mut self.read_buf).await {
                Ok(0) | Err(_) => self.eof = true,
                Ok(n) => self.raw.extend_from_slice(&self.read_buf[..n]),
            }
        }
        let _ = self.dechunk();
        let text = String::from_utf8_lossy(&self.body).into_owned();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        DockerError::DockerResponseServerError {
            status_code: status,
            message,
        }
    }

    /// Moves what was read into the body, taking out the chunk framing.
    fn dechunk(&mut self) -> Result<(), DockerError> {
        let mut at = 0;
        loop {
            let rest = &self.raw[at..];
            match &mut self.framing {
                Framing::Eof => {
                    self.body.extend_from_slice(rest);
                    at = self.raw.len();
                    if self.eof {
                        self.complete = true;
                    }
                    break;
                }
                Framing::Length(left) => {
                    let take = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    self.body.extend_from_slice(&rest[..take]);
                    at += take;
                    *left -= take as u64;
                    if *left == 0 {
                        self.complete = true;
                    }
                    break;
                }
                Framing::Chunked { left, crlf } => {
                    if self.complete {
                        at = self.raw.len();
                        break;
                    }
                    if *left > 0 {
                        let take = rest.len().min(*left);
                        if take == 0 {
                            break;
                        }
                        self.body.extend_from_slice(&rest[..take]);
                        at += take;
                        *left -= take;
                        if *left == 0 {
                            *crlf = true;
                        }
                    } else if *crlf {
                        if rest.len() < 2 {
                            break;
                        }
                        if &rest[..2] != b"\r\n" {
                            return Err(io_error("bad chunked encoding from the engine"));
                        }
                        at += 2;
                        *crlf = false;
                    } else {
                        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                            if rest.len() > 1024 {
                                return Err(io_error("bad chunked encoding from the engine"));
                            }
                            break;
                        };
                        let size_text = String::from_utf8_lossy(&rest[..end]);
                        let size_text = size_text.split(';').next().unwrap_or_default().trim();
                        let size = usize::from_str_radix(size_text, 16)
                            .map_err(|_| io_error("bad chunked encoding from the engine"))?;
                        at += end + 2;
                        if size == 0 {
                            // Trailers, if any, are of no interest.
                            self.complete = true;
                        } else {
                            *left = size;
                        }
                    }
                }
            }
        }
        self.raw.drain(..at);
        Ok(())
    }

    /// Cuts the body into frames (or, for a TTY, takes it as it is) and feeds the splitter.
    pub fn decode(
        &mut self,
        splitter: &mut LineSplitter,
        lines: &mut std::collections::VecDeque<berth_api::streams::LogLine>,
    ) {
        if self.tty {
            if !self.body.is_empty() {
                splitter.feed_bytes(LogStream::Stdout, false, &self.body, lines);
                self.body.clear();
            }
            return;
        }
        let mut at = 0;
        loop {
            let rest = &self.body[at..];
            match &mut self.frame {
                Some((stream, left, first)) => {
                    let take = rest.len().min(*left);
                    if take == 0 && *left > 0 {
                        break;
                    }
                    splitter.feed_bytes(*stream, *first, &rest[..take], lines);
                    *first = false;
                    *left -= take;
                    at += take;
                    if *left == 0 {
                        self.frame = None;
                    }
                }
                None => {
                    if rest.len() < 8 {
                        break;
                    }
                    let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
                    // 1 stdout, 2 stderr (0, stdin, never comes in logs).
                    let stream = if rest[0] == 2 {
                        LogStream::Stderr
                    } else {
                        LogStream::Stdout
                    };
                    at += 8;
                    if len > 0 {
                        self.frame = Some((stream, len, true));
                    }
                }
            }
        }
        self.body.drain(..at);
    }

    /// Whether the whole body was read (once decoded, all of it was given out; a frame the
    /// engine cut short is given out as far as it goes).
    pub fn finished(&self) -> bool {
        self.complete
    }

    /// Reads more from the engine: `Ok(true)` when something came, `Ok(false)` at the end.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, String>> {
        if self.complete {
            return Poll::Ready(Ok(false));
        }
        let mut buf = ReadBuf::new(&mut self.read_buf);
        match Pin::new(&mut self.conn).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.to_string())),
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                if n == 0 {
                    self.eof = true;
                } else {
                    self.raw.extend_from_slice(&self.read_buf[..n]);
                }
                if let Err(e) = self.dechunk() {
                    return Poll::Ready(Err(e.to_string()));
                }
                if n == 0 && !self.complete {
                    return Poll::Ready(Err(
                        "the engine closed the log stream before its end".to_owned()
                    ));
                }
                Poll::Ready(Ok(n > 0 || !self.complete))
            }
        }
    }
}

/// A connection to the engine.
trait Conn: AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Conn for T {}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    fn log(framing: Framing, tty: bool, raw: &[u8]) -> DirectLog {
        DirectLog {
            conn: Box::new(tokio::io::duplex(16).0),
            read_buf: vec![0; 16],
            raw: raw.to_vec(),
            body: Vec::new(),
            framing,
            complete: false,
            eof: false,
            tty,
            frame: None,
        }
    }

    fn frame(stream: u8, text: &str) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
        f.extend_from_slice(text.as_bytes());
        f
    }

    #[test]
    fn chunks_and_frames_split_anywhere_give_whole_lines() {
        let mut body = frame(1, "2024-05-01T10:00:00Z out\n");
        body.extend(frame(2, "2024-05-01T10:00:01Z err\n"));
        let mut chunked = Vec::new();
        for piece in body.chunks(7) {
            chunked.extend(format!("{:x}\r\n", piece.len()).into_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let mut l = log(
            Framing::Chunked {
                left: 0,
                crlf: false,
            },
            false,
            &[],
        );
        let mut splitter = LineSplitter::default();
        let mut lines = VecDeque::new();
        // Arrives three bytes at a time.
        for piece in chunked.chunks(3) {
            l.raw.extend_from_slice(piece);
            l.dechunk().unwrap();
            l.decode(&mut splitter, &mut lines);
        }
        assert!(l.finished());
        let got: Vec<(LogStream, String)> = lines.into_iter().map(|l| (l.stream, l.line)).collect();
        assert_eq!(
            got,
            [
                (LogStream::Stdout, "out".to_owned()),
                (LogStream::Stderr, "err".to_owned())
            ]
        );
    }

    #[test]
    fn a_tty_body_is_stdout_as_it_is() {
        let mut l = log(Framing::Length(40), true, b"2024-05-01T10:00:00Z tty\r\n");
        l.dechunk().unwrap();
        let mut splitter = LineSplitter::default();
        let mut lines = VecDeque::new();
        l.decode(&mut splitter, &mut lines);
        assert_eq!(lines[0].line, "tty");
        assert_eq!(lines[0].stream, LogStream::Stdout);
    }

    #[test]
    fn only_plain_addresses_are_read_directly() {
        assert!(
            matches!(Address::of("unix:///var/run/docker.sock", false), Some(Address::Unix(p)) if p == "/var/run/docker.sock")
        );
        assert!(
            matches!(Address::of("tcp://10.0.0.5:2375", false), Some(Address::Tcp(a)) if a == "10.0.0.5:2375")
        );
        assert!(Address::of("tcp://10.0.0.5:2376", true).is_none());
        assert!(Address::of("https://10.0.0.5:2376", false).is_none());
    }
}
