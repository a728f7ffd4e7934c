//! Exec terminals: an interactive TTY process inside a container, attached to one WebSocket.
//!
//! Binary frames carry raw terminal bytes both ways; text frames carry JSON control messages
//! ([`ExecClientMessage`] from the client, [`ExecExit`] and stream errors from the server).
//! Output to a slow client is sent one chunk at a time with a 10 s bound: a client that cannot
//! take a chunk in time is dropped (the engine then holds the process's output back, so memory
//! never grows). Docker does not end an exec when its attach connection closes, so when the
//! client goes away first the session's processes are ended explicitly (see [`Exec::kill`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use berth_api::ErrorCode;
use berth_api::streams::{ExecClientMessage, ExecExit};
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::engine::{HostHandle, Resource};
use crate::error::AppError;
use crate::streams::error_message;

/// The script of the default command: bash when the image has it, else sh.
pub const DEFAULT_SHELL: &str =
    "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi";

/// How long one chunk of output may take to reach the client before it is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one piece of input may wait for the process to take it.
pub const INPUT_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that marks every process of one session (so it can be ended).
pub const SESSION_VAR: &str = "BERTH_EXEC_SESSION";

/// The terminal size when the client names none.
pub const DEFAULT_SIZE: (u16, u16) = (80, 24);

/// Docker's default detach keys (ctrl-p, ctrl-q) would swallow ctrl-p (shell history); this
/// sequence is one nobody types.
const DETACH_KEYS: &str = "ctrl-],ctrl-^,ctrl-],ctrl-^";

/// The largest message a terminal client may send.
pub const MAX_INPUT_MESSAGE: usize = 1 << 20;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct ExecSpec {
    /// The argument list (no shell involved); empty: the default shell.
    pub cmd: Vec<String>,
    /// `user`, `user:group`, `uid` or `uid:gid`.
    pub user: Option<String>,
    /// The working directory (absolute).
    pub workdir: Option<String>,
    /// Initial columns.
    pub cols: Option<u16>,
    /// Initial rows.
    pub rows: Option<u16>,
}

impl ExecSpec {
    /// The argument list given to the engine.
    pub fn argv(&self) -> Vec<String> {
        if self.cmd.is_empty() {
            vec!["/bin/sh".into(), "-c".into(), DEFAULT_SHELL.into()]
        } else {
            self.cmd.clone()
        }
    }

    /// The command for people (and the audit log).
    pub fn describe(&self) -> String {
        if self.cmd.is_empty() {
            "bash, else sh (default shell)".to_owned()
        } else {
            self.cmd.join(" ")
        }
    }
}

/// A created exec, not yet started.
pub struct Exec {
    host: Arc<HostHandle>,
    container: String,
    id: String,
    marker: String,
    size: (u16, u16),
}

/// Why a session ended.
enum End {
    /// The process closed its terminal (it exited).
    Exited,
    /// The client closed the socket, or could not take output in time.
    ClientGone,
    /// The engine connection failed.
    EngineFailed(String),
    /// The host was removed or the server is stopping.
    HostStopped,
    /// The process took no input for [`INPUT_TIMEOUT`] while the client kept sending.
    InputStalled,
}

impl Exec {
    /// Creates the exec in `container` (an id or name). Fails like the REST routes: unknown
    /// container, stopped or paused container (conflict), engine unavailable.
    pub async fn create(
        host: Arc<HostHandle>,
        container: &str,
        spec: &ExecSpec,
    ) -> Result<Self, AppError> {
        let marker = uuid::Uuid::new_v4().simple().to_string();
        let options = CreateExecOptions {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(true),
            detach_keys: Some(DETACH_KEYS.to_owned()),
            env: Some(vec![
                "TERM=xterm-256color".to_owned(),
                format!("{SESSION_VAR}={marker}"),
            ]),
            cmd: Some(spec.argv()),
            user: spec.user.clone(),
            working_dir: spec.workdir.clone(),
            ..Default::default()
        };
        let key = container.to_owned();
        let created = host
            .call(|d| async move { d.create_exec(&key, options).await })
            .await
            .map_err(|e| e.into_app(Resource::Container, container))?;
        Ok(Self {
            host,
            container: container.to_owned(),
            id: created.id,
            marker,
            size: (
                spec.cols.unwrap_or(DEFAULT_SIZE.0),
                spec.rows.unwrap_or(DEFAULT_SIZE.1),
            ),
        })
    }

    /// The engine's exec id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Starts the process and pumps the terminal until the process ends or the client leaves;
    /// then nothing of the session is left running.
    pub async fn run(self, socket: WebSocket) {
        let id = self.id.clone();
        let started = self
            .host
            .call(|d| async move {
                d.start_exec(
                    &id,
                    Some(StartExecOptions {
                        detach: false,
                        tty: true,
                        output_capacity: None,
                    }),
                )
                .await
            })
            .await;
        let (mut output, mut input) = match started {
            Ok(StartExecResults::Attached { output, input }) => (output, input),
            Ok(StartExecResults::Detached) => {
                return fail(
                    socket,
                    ErrorCode::DockerError,
                    "the engine did not attach the terminal".to_owned(),
                    false,
                )
                .await;
            }
            Err(e) => {
                let e = e.into_app(Resource::Container, &self.container);
                let reconnect = e.code == ErrorCode::DockerUnavailable;
                return fail(socket, e.code, e.message, reconnect).await;
            }
        };
        if let Err(e) = self.resize(self.size.0, self.size.1).await {
            tracing::debug!(exec = %self.id, error = %e.message, "initial terminal size not set");
        }

        let (mut sink, mut incoming) = socket.split();
        // Notices from the reading side (bad control messages) for the writing side; a full
        // channel drops them, never blocks.
        let (notice_tx, mut notice_rx) = mpsc::channel::<String>(8);

        let to_client = async {
            loop {
                let message = tokio::select! {
                    chunk = output.next() => match chunk {
                        Some(Ok(out)) => Message::Binary(out.into_bytes()),
                        Some(Err(e)) => return End::EngineFailed(e.to_string()),
                        None => return End::Exited,
                    },
                    Some(text) = notice_rx.recv() => Message::Text(text.into()),
                };
                match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
                    Ok(Ok(())) => {}
                    _ => return End::ClientGone,
                }
            }
        };
        let from_client = async {
            let mut input_open = true;
            while let Some(msg) = incoming.next().await {
                let bytes = match msg {
                    Ok(Message::Binary(b)) => b,
                    Ok(Message::Text(t)) => match serde_json::from_str(t.as_str()) {
                        Ok(ExecClientMessage::Input { data }) => data.into_bytes().into(),
                        Ok(ExecClientMessage::Resize { cols, rows }) => {
                            if let Err(e) = self.resize(cols, rows).await {
                                let _ = notice_tx
                                    .try_send(error_message(e.code, e.message, false, false));
                            }
                            continue;
                        }
                        Err(e) => {
                            let _ = notice_tx.try_send(error_message(
                                ErrorCode::ValidationFailed,
                                format!("not a control message ({e}): send {{\"type\":\"input\",\"data\":…}} or {{\"type\":\"resize\",\"cols\":…,\"rows\":…}}, or raw bytes as binary frames"),
                                false,
                                false,
                            ));
                            continue;
                        }
                    },
                    Ok(Message::Close(_)) | Err(_) => return End::ClientGone,
                    Ok(_) => continue,
                };
                // Once the process has closed its input, keystrokes are dropped (its output
                // still goes out, and the client may still close).
                // A process that takes no input for a minute while the client keeps sending
                // ends the session (the client's close could not be seen meanwhile).
                if input_open {
                    let write = async {
                        input.write_all(&bytes).await?;
                        input.flush().await
                    };
                    match tokio::time::timeout(INPUT_TIMEOUT, write).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => input_open = false,
                        Err(_) => return End::InputStalled,
                    }
                }
            }
            End::ClientGone
        };
        let end = tokio::select! {
            end = to_client => end,
            end = from_client => end,
            () = self.host.stop_token().cancelled() => End::HostStopped,
        };
        // Closes the engine's attach connection.
        drop(output);
        drop(input);

        let (last, code) = match end {
            End::Exited => {
                let code = self.exit_code().await;
                // Whatever the shell left behind (`cmd &`) goes with it.
                self.kill().await;
                let exit = ExecExit {
                    kind: "exit".to_owned(),
                    code,
                };
                (Some(serde_json::to_string(&exit).unwrap_or_default()), code)
            }
            End::ClientGone => {
                self.kill().await;
                (None, None)
            }
            End::EngineFailed(reason) => {
                self.kill().await;
                let msg = error_message(
                    ErrorCode::DockerUnavailable,
                    format!("the terminal's engine connection failed: {reason}"),
                    true,
                    true,
                );
                (Some(msg), None)
            }
            End::InputStalled => {
                self.kill().await;
                let msg = error_message(
                    ErrorCode::Conflict,
                    format!(
                        "the process took no input for {} s: the session was ended",
                        INPUT_TIMEOUT.as_secs()
                    ),
                    false,
                    true,
                );
                (Some(msg), None)
            }
            End::HostStopped => (
                Some(error_message(
                    ErrorCode::DockerUnavailable,
                    "the host was removed or the server is stopping",
                    true,
                    true,
                )),
                None,
            ),
        };
        tracing::debug!(exec = %self.id, ?code, "exec session ended");
        if let Some(text) = last {
            let _ = tokio::time::timeout(SEND_TIMEOUT, async {
                let _ = sink.send(Message::Text(text.into())).await;
                let _ = sink.send(Message::Close(None)).await;
            })
            .await;
        }
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
    }

    /// Sets the terminal size.
    async fn resize(&self, cols: u16, rows: u16) -> Result<(), AppError> {
        if cols == 0 || rows == 0 {
            return Err(AppError::validation(
                "resize",
                "cols and rows must be at least 1",
            ));
        }
        let id = self.id.clone();
        self.host
            .call(|d| async move {
                d.resize_exec(
                    &id,
                    ResizeExecOptions {
                        height: rows,
                        width: cols,
                    },
                )
                .await
            })
            .await
            .map_err(|e| e.into_app(Resource::Container, &self.container))
    }

    /// The exit code once the process has ended (the engine records it shortly after the
    /// terminal closes); `None` when it still runs after 2 s, or the engine cannot say.
    async fn exit_code(&self) -> Option<i64> {
        for _ in 0..40 {
            let id = self.id.clone();
            match self
                .host
                .call(|d| async move { d.inspect_exec(&id).await })
                .await
            {
                Ok(r) if r.running != Some(true) => return r.exit_code,
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(_) => return None,
            }
        }
        None
    }

    /// Ends every process of the session: the engine has no call for it, so a second exec
    /// (as root) sends SIGHUP, then SIGKILL after 1 s, to the processes whose environment
    /// carries this session's marker (zombies count as ended: an orphan's parent may be a
    /// container init that never reaps). Needs `/bin/sh` and `cat` in the container; best
    /// effort, bounded.
    async fn kill(&self) {
        // Not gated on the exec still running: the session's shell may already have ended on
        // the hang-up while a background child of it lives on.
        let script = format!(
            "m='{SESSION_VAR}={marker}'; p=''; \
             for d in /proc/[0-9]*; do \
               case \"$(cat \"$d/environ\" 2>/dev/null)\" in *\"$m\"*) p=\"$p ${{d#/proc/}}\";; esac; \
             done; \
             [ -z \"$p\" ] && exit 0; \
             kill -HUP $p 2>/dev/null; \
             for i in 1 2 3 4 5 6 7 8 9 10; do \
               alive=''; for q in $p; do \
                 case \"$(cat /proc/$q/stat 2>/dev/null)\" in ''|*') Z '*) ;; *) alive=\"$alive $q\";; esac; \
               done; \
               [ -z \"$alive\" ] && exit 0; sleep 0.1; \
             done; \
             kill -KILL $alive 2>/dev/null; exit 0",
            marker = self.marker
        );
        let options = CreateExecOptions {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            user: Some("0".to_owned()),
            cmd: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script]),
            ..Default::default()
        };
        let container = self.container.clone();
        let result = self
            .host
            .call_within(Duration::from_secs(15), |d| async move {
                let killer = d.create_exec(&container, options).await?;
                if let StartExecResults::Attached { mut output, .. } =
                    d.start_exec(&killer.id, None).await?
                {
                    while let Some(chunk) = output.next().await {
                        chunk?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            let e = e.into_app(Resource::Container, &self.container);
            if matches!(e.code, ErrorCode::Conflict | ErrorCode::ContainerNotFound) {
                // The container stopped or went: so did the session's processes.
                return;
            }
            tracing::warn!(exec = %self.id, container = %self.container, error = %e.message,
                "could not end the processes of a closed terminal");
        }
    }
}

/// A fatal stream error as the only message, then close.
async fn fail(mut socket: WebSocket, code: ErrorCode, message: String, reconnect: bool) {
    let _ = tokio::time::timeout(SEND_TIMEOUT, async {
        let _ = socket
            .send(Message::Text(
                error_message(code, message, reconnect, true).into(),
            ))
            .await;
        let _ = socket.send(Message::Close(None)).await;
    })
    .await;
}
