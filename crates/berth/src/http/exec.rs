//! The exec terminal route: an interactive TTY process inside a container, over a WebSocket.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use berth_api::{ErrorCode, ErrorEnvelope};
use serde::Deserialize;
use utoipa::IntoParams;

use super::containers::{ContainerPath, target};
use super::extract::{MaybeWebSocket, Path};
use crate::auth::Actor;
use crate::auth::middleware::Audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::streams::exec::{Exec, ExecSpec, MAX_INPUT_MESSAGE};

/// The most arguments `cmd` may have, and the longest one.
const MAX_ARGS: usize = 256;
const MAX_ARG_LEN: usize = 4096;

/// What to run (described for the API docs; parsed by [`parse_query`]).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documentation only
pub struct ExecQuery {
    /// The command as an argument list, one `cmd` parameter per argument, in order, with no
    /// shell involved: `?cmd=sh&cmd=-c&cmd=echo%20hi` runs `["sh","-c","echo hi"]`.
    /// Default: bash when the image has it, else sh.
    cmd: Option<Vec<String>>,
    /// User to run as: `user`, `user:group`, `uid` or `uid:gid`. Default: the container's user.
    user: Option<String>,
    /// Working directory (absolute). Default: the container's.
    workdir: Option<String>,
    /// Initial terminal columns (default 80).
    cols: Option<u16>,
    /// Initial terminal rows (default 24).
    rows: Option<u16>,
    /// A single-use ticket from `POST /api/v1/auth/ws-ticket` (instead of a cookie or key).
    ticket: Option<String>,
}

fn size(field: &str, value: &str) -> AppResult<u16> {
    match value.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(AppError::validation(
            field,
            format!("{field} must be a number from 1 to 65535"),
        )),
    }
}

/// Parses the query (repeated `cmd` parameters make the argument list).
fn parse_query(raw: Option<&str>) -> AppResult<ExecSpec> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| AppError::validation("query", format!("bad query string: {e}")))?;
    let mut spec = ExecSpec::default();
    for (key, value) in pairs {
        match key.as_str() {
            "cmd" => {
                if value.len() > MAX_ARG_LEN || spec.cmd.len() >= MAX_ARGS {
                    return Err(AppError::validation(
                        "cmd",
                        format!("at most {MAX_ARGS} arguments of {MAX_ARG_LEN} bytes each"),
                    ));
                }
                spec.cmd.push(value);
            }
            "user" => spec.user = Some(value).filter(|v| !v.is_empty()),
            "workdir" => spec.workdir = Some(value).filter(|v| !v.is_empty()),
            "cols" => spec.cols = Some(size("cols", &value)?),
            "rows" => spec.rows = Some(size("rows", &value)?),
            // Read by the auth layer.
            "ticket" => {}
            other => {
                return Err(AppError::validation(
                    other,
                    format!(
                        "unknown query parameter `{other}`: use cmd, user, workdir, cols, rows, ticket"
                    ),
                ));
            }
        }
    }
    if spec.cmd.first().is_some_and(String::is_empty) {
        return Err(AppError::validation("cmd", "the command must not be empty"));
    }
    if spec.workdir.as_deref().is_some_and(|w| !w.starts_with('/')) {
        return Err(AppError::validation(
            "workdir",
            "workdir must be an absolute path",
        ));
    }
    Ok(spec)
}

/// An interactive terminal in a running container (WebSocket only; operators and admins, and
/// tenants in their own containers). Binary frames carry raw terminal bytes both ways; text
/// frames carry JSON control messages: from the client `ExecClientMessage`
/// (`{"type":"input","data":"…"}`, `{"type":"resize","cols":120,"rows":40}`), from the server
/// `{"type":"exit","code":0}` when the process ends (then the server closes), or a
/// `StreamError` (`fatal` ones close: unknown container `CONTAINER_NOT_FOUND`, stopped or paused
/// container `CONFLICT`). The command is given as an argument list with one `cmd` parameter per
/// argument (never through a shell); the default is bash when the image has it, else sh.
/// Closing the socket ends the process (and its children). A client that cannot take output
/// for 10 s is dropped. Audited as `container.exec` with the command.
#[utoipa::path(get, path = "/hosts/{host}/containers/{id}/exec", tag = "streams",
    params(("host" = String, Path, description = "Host name"), ("id" = String, Path, description = "Container id or name"), ExecQuery),
    responses(
        (status = 101, description = "WebSocket terminal: binary frames are raw terminal bytes; text frames are ExecClientMessage (client) or ExecExit / StreamError (server)"),
        (status = 400, description = "Not a WebSocket request, or bad parameters", body = ErrorEnvelope),
        (status = 403, description = "The role may not run commands (viewer, deployer)", body = ErrorEnvelope)))]
pub async fn exec(
    State(state): State<AppState>,
    actor: Actor,
    audit: Audit,
    Path(p): Path<ContainerPath>,
    RawQuery(raw): RawQuery,
    MaybeWebSocket(ws): MaybeWebSocket,
) -> AppResult<Response> {
    let spec = parse_query(raw.as_deref())?;
    audit.detail("command", spec.describe());
    audit.detail("argv", spec.argv());
    if let Some(user) = &spec.user {
        audit.detail("user", user.as_str());
    }
    if let Some(workdir) = &spec.workdir {
        audit.detail("workdir", workdir.as_str());
    }
    let Some(ws) = ws else {
        return Err(AppError::new(
            ErrorCode::ValidationFailed,
            "this is a terminal: open it as a WebSocket",
        ));
    };
    let ws = ws.max_message_size(MAX_INPUT_MESSAGE);
    let created = match target(&state, &actor, &p).await {
        Ok(host) => Exec::create(host, &p.id, &spec).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(exec) => {
            audit.detail("exec_id", exec.id());
            Ok(ws.on_upgrade(move |socket| exec.run(socket)))
        }
        Err(e) => {
            // A browser cannot read an HTTP error on a WebSocket: it gets the error as a message.
            audit.detail("error", e.code.as_str());
            let reconnect = e.code == ErrorCode::DockerUnavailable;
            Ok(ws.on_upgrade(move |socket| {
                super::streams::fail_ws(socket, e.code, e.message, reconnect)
            }))
        }
    }
}
