//! The exec terminal: an interactive TTY in a container over a WebSocket, against the real engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use berth_api::auth::Role;
use common::{Containers, TestApp, expect_error, json, unique};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LIMIT: Duration = Duration::from_secs(15);

fn exec_path(container: &str, query: &str) -> String {
    format!("/api/v1/hosts/local/containers/{container}/exec{query}")
}

/// Opens a WebSocket with an API key (or none); the handshake's error when refused.
async fn try_open(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{}{path}", app.addr)
        .into_client_request()
        .unwrap();
    if let Some(key) = key {
        req.headers_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn open(app: &TestApp, path: &str) -> Ws {
    try_open(app, path, Some(&app.key)).await.unwrap()
}

/// The handshake's HTTP status when the upgrade was refused.
fn refused_status(err: &tokio_tungstenite::tungstenite::Error) -> u16 {
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => res.status().as_u16(),
        other => panic!("not an HTTP refusal: {other}"),
    }
}

async fn send_input(ws: &mut Ws, data: &str) {
    let msg = json!({"type": "input", "data": data}).to_string();
    ws.send(Message::Text(msg.into())).await.unwrap();
}

/// What a session sent: terminal output, control messages, and whether it was closed.
#[derive(Default, Debug)]
struct Seen {
    output: String,
    control: Vec<Value>,
    closed: bool,
}

impl Seen {
    /// Terminal output split into lines (CR and LF both end one).
    fn lines(&self) -> Vec<&str> {
        self.output.split(['\r', '\n']).collect()
    }

    fn has_line(&self, line: &str) -> bool {
        self.lines().iter().any(|l| l.trim_end() == line)
    }
}

/// Reads until `done` holds for what was seen (or the socket ends); panics after `LIMIT`.
async fn read_until(ws: &mut Ws, seen: &mut Seen, done: impl Fn(&Seen) -> bool) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !done(seen) {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("not seen in time: {seen:?}"));
        match msg {
            Some(Ok(Message::Binary(b))) => seen.output.push_str(&String::from_utf8_lossy(&b)),
            Some(Ok(Message::Text(t))) => seen.control.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                seen.closed = true;
                return;
            }
            Some(Ok(_)) => {}
        }
    }
}

/// Reads the whole session until the server closes it.
async fn read_to_close(ws: &mut Ws) -> Seen {
    let mut seen = Seen::default();
    read_until(ws, &mut seen, |s| s.closed).await;
    assert!(seen.closed, "{seen:?}");
    seen
}

/// The exec ids the engine holds for a container.
async fn exec_ids(guard: &Containers, id: &str) -> Vec<String> {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    docker
        .inspect_container(id, None)
        .await
        .unwrap()
        .exec_ids
        .unwrap_or_default()
}

/// The command lines of a container's processes (`docker top`).
async fn processes(guard: &Containers, id: &str) -> Vec<String> {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    let top = docker
        .top_processes(id, None::<bollard::query_parameters::TopOptions>)
        .await
        .unwrap();
    let titles = top.titles.unwrap_or_default();
    let cmd = titles
        .iter()
        .position(|t| t == "CMD" || t == "COMMAND")
        .unwrap();
    top.processes
        .unwrap_or_default()
        .into_iter()
        .map(|p| p[cmd].clone())
        .collect()
}

async fn sleeper(guard: &Containers) -> String {
    guard.create(&unique("exec"), &["sleep", "300"], true).await
}

#[tokio::test]
async fn echo_round_trips_through_the_default_shell() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let mut ws = open(&app, &exec_path(&id, "")).await;
    send_input(&mut ws, "echo hi\n").await;
    let mut seen = Seen::default();
    read_until(&mut ws, &mut seen, |s| s.has_line("hi") || s.closed).await;
    assert!(seen.has_line("hi"), "{seen:?}");
    // Raw keystrokes as binary frames work too; TERM is set for full-screen programs.
    ws.send(Message::Binary(
        b"echo \"$TERM\" $((40+2))\n".to_vec().into(),
    ))
    .await
    .unwrap();
    read_until(&mut ws, &mut seen, |s| {
        s.has_line("xterm-256color 42") || s.closed
    })
    .await;
    assert!(seen.has_line("xterm-256color 42"), "{seen:?}");
    // ctrl-p reaches the shell (Docker's default detach keys would swallow it): history.
    ws.send(Message::Binary(b"\x10\n".to_vec().into()))
        .await
        .unwrap();
    let twice = |s: &Seen| {
        s.lines()
            .iter()
            .filter(|l| l.trim_end() == "xterm-256color 42")
            .count()
            >= 2
    };
    read_until(&mut ws, &mut seen, |s| twice(s) || s.closed).await;
    assert!(twice(&seen), "{seen:?}");
    // `exit` ends the shell: the server says so, then closes.
    send_input(&mut ws, "exit 5\n").await;
    let rest = read_to_close(&mut ws).await;
    assert_eq!(rest.control, vec![json!({"type": "exit", "code": 5})]);
    app.stop().await;
}

#[tokio::test]
async fn a_resize_shows_in_stty_size_and_the_initial_size_is_honoured() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let mut ws = open(&app, &exec_path(&id, "?cols=100&rows=30")).await;
    send_input(&mut ws, "stty size\n").await;
    let mut seen = Seen::default();
    read_until(&mut ws, &mut seen, |s| s.has_line("30 100") || s.closed).await;
    assert!(seen.has_line("30 100"), "{seen:?}");
    let resize = json!({"type": "resize", "cols": 120, "rows": 40}).to_string();
    ws.send(Message::Text(resize.into())).await.unwrap();
    send_input(&mut ws, "stty size\n").await;
    read_until(&mut ws, &mut seen, |s| s.has_line("40 120") || s.closed).await;
    assert!(seen.has_line("40 120"), "{seen:?}");
    ws.close(None).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn an_explicit_command_reports_its_exit_code_then_closes() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let mut ws = open(&app, &exec_path(&id, "?cmd=sh&cmd=-c&cmd=exit%203")).await;
    let seen = read_to_close(&mut ws).await;
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 3})]);
    // Arguments go to the process as given, never through a shell.
    let mut ws = open(
        &app,
        &exec_path(&id, "?cmd=echo&cmd=a%20%20b&cmd=%24HOME%3Bx"),
    )
    .await;
    let seen = read_to_close(&mut ws).await;
    assert!(seen.has_line("a  b $HOME;x"), "{seen:?}");
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 0})]);
    app.stop().await;
}

#[tokio::test]
async fn user_and_workdir_are_honoured() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let query = "?user=1234:1234&workdir=/bin&cmd=sh&cmd=-c&cmd=echo%20uid%3D%24(id%20-u)%3B%20pwd";
    let mut ws = open(&app, &exec_path(&id, query)).await;
    let seen = read_to_close(&mut ws).await;
    assert!(seen.has_line("uid=1234"), "{seen:?}");
    assert!(seen.has_line("/bin"), "{seen:?}");
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 0})]);
    // Without them: the container's own user and directory.
    let mut ws = open(&app, &exec_path(&id, "?cmd=sh&cmd=-c&cmd=id%20-u%3Bpwd")).await;
    let seen = read_to_close(&mut ws).await;
    assert!(seen.has_line("0") && seen.has_line("/"), "{seen:?}");
    // A directory that does not exist: the engine's reason on the terminal, exit 126.
    let mut ws = open(&app, &exec_path(&id, "?workdir=/nowhere&cmd=pwd")).await;
    let seen = read_to_close(&mut ws).await;
    assert!(seen.output.contains("/nowhere"), "{seen:?}");
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 126})]);
    app.stop().await;
}

#[tokio::test]
async fn viewers_and_deployers_are_refused_before_anything_starts() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let before = exec_ids(&guard, &id).await;
    for role in [Role::Viewer, Role::Deployer] {
        let name = unique("exec-user");
        app.create_user(&name, role, None).await;
        let key = app.api_key_for(&name, common::USER_PASSWORD, "admin").await;
        let err = try_open(&app, &exec_path(&id, "?cmd=sh"), Some(&key))
            .await
            .expect_err("upgrade refused");
        assert_eq!(refused_status(&err), 403, "{role:?}");
        // A plain request gets the envelope.
        let res = app
            .anon
            .get(app.url(&exec_path(&id, "")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
    assert_eq!(exec_ids(&guard, &id).await, before, "no exec was created");
    // A read-only key of an admin is refused too; no credentials at all is a 401.
    let key = app
        .api_key_for("admin", common::ADMIN_PASSWORD, "read")
        .await;
    let err = try_open(&app, &exec_path(&id, ""), Some(&key))
        .await
        .err()
        .unwrap();
    assert_eq!(refused_status(&err), 403);
    let err = try_open(&app, &exec_path(&id, ""), None)
        .await
        .err()
        .unwrap();
    assert_eq!(refused_status(&err), 401);
    assert_eq!(exec_ids(&guard, &id).await, before, "no exec was created");
    // An operator may.
    let name = unique("exec-op");
    app.create_user(&name, Role::Operator, None).await;
    let key = app.api_key_for(&name, common::USER_PASSWORD, "write").await;
    let mut ws = try_open(&app, &exec_path(&id, "?cmd=true"), Some(&key))
        .await
        .unwrap();
    let seen = read_to_close(&mut ws).await;
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 0})]);
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_names_the_command() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let marker = unique("audit");
    let query = format!("?cmd=echo&cmd={marker}&user=0");
    let mut ws = open(&app, &exec_path(&id, &query)).await;
    read_to_close(&mut ws).await;
    let mut ws = open(&app, &exec_path(&id, "")).await;
    ws.close(None).await.unwrap();
    let (status, page) = json(app.get("/api/v1/audit?action=container.exec").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{page}");
    let details = |e: &Value| match &e["details"] {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap(),
        other => other.clone(),
    };
    // Newest first: the default shell, then the echo.
    let (shell, echo) = (&entries[0], &entries[1]);
    assert_eq!(echo["outcome"], "success");
    assert_eq!(echo["resource_type"], "container");
    assert_eq!(echo["resource_id"], id.as_str());
    assert_eq!(echo["host"], "local");
    assert_eq!(echo["username"], "admin");
    let d = details(echo);
    assert_eq!(d["command"], format!("echo {marker}"), "{d}");
    assert_eq!(d["argv"], json!(["echo", marker]));
    assert_eq!(d["user"], "0");
    assert!(d["exec_id"].as_str().is_some_and(|s| s.len() == 64), "{d}");
    let d = details(shell);
    assert!(
        d["command"].as_str().unwrap().contains("default shell"),
        "{d}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_container_gets_a_fatal_error_then_close() {
    let app = TestApp::spawn().await;
    let mut ws = open(&app, &exec_path(&unique("no-such"), "")).await;
    let seen = read_to_close(&mut ws).await;
    assert_eq!(seen.control.len(), 1, "{seen:?}");
    let e = &seen.control[0];
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "CONTAINER_NOT_FOUND");
    assert_eq!(e["fatal"], true);
    assert_eq!(e["reconnect"], false);
    assert!(seen.output.is_empty());
    // An unknown host too.
    let mut ws = open(&app, "/api/v1/hosts/nope/containers/x/exec").await;
    let seen = read_to_close(&mut ws).await;
    assert_eq!(seen.control[0]["code"], "HOST_NOT_FOUND", "{seen:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_stopped_container_gets_a_conflict() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = guard
        .create(&unique("exec-stopped"), &["sleep", "300"], false)
        .await;
    let mut ws = open(&app, &exec_path(&id, "")).await;
    let seen = read_to_close(&mut ws).await;
    assert_eq!(seen.control.len(), 1, "{seen:?}");
    assert_eq!(seen.control[0]["code"], "CONFLICT", "{seen:?}");
    assert_eq!(seen.control[0]["fatal"], true);
    app.stop().await;
}

#[tokio::test]
async fn a_plain_request_and_bad_parameters_are_answered_with_the_envelope() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let before = exec_ids(&guard, &id).await;
    let body = expect_error(
        app.get(&exec_path(&id, "")).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket"),
        "{body}"
    );
    for query in ["?cols=0", "?rows=x", "?workdir=tmp", "?bogus=1", "?cmd="] {
        let err = try_open(&app, &exec_path(&id, query), Some(&app.key))
            .await
            .err()
            .unwrap();
        assert_eq!(refused_status(&err), 400, "{query}");
    }
    assert_eq!(exec_ids(&guard, &id).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_control_message_is_reported_and_the_session_goes_on() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let mut ws = open(&app, &exec_path(&id, "?cmd=sh")).await;
    ws.send(Message::Text(r#"{"type":"launch"}"#.into()))
        .await
        .unwrap();
    let mut seen = Seen::default();
    read_until(&mut ws, &mut seen, |s| !s.control.is_empty() || s.closed).await;
    assert_eq!(seen.control[0]["type"], "error");
    assert_eq!(seen.control[0]["code"], "VALIDATION_FAILED");
    assert_eq!(seen.control[0]["fatal"], false);
    send_input(&mut ws, "echo still-here\n").await;
    read_until(&mut ws, &mut seen, |s| s.has_line("still-here") || s.closed).await;
    assert!(seen.has_line("still-here"), "{seen:?}");
    ws.close(None).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_ws_ticket_opens_a_terminal_once() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let (_, t) = json(app.post("/api/v1/auth/ws-ticket", &json!({})).await).await;
    let ticket = t["ticket"].as_str().unwrap().to_owned();
    let path = exec_path(&id, &format!("?cmd=echo&cmd=ticketed&ticket={ticket}"));
    let mut ws = try_open(&app, &path, None).await.unwrap();
    let seen = read_to_close(&mut ws).await;
    assert!(seen.has_line("ticketed"), "{seen:?}");
    assert_eq!(seen.control, vec![json!({"type": "exit", "code": 0})]);
    let err = try_open(&app, &path, None).await.err().unwrap();
    assert_eq!(refused_status(&err), 401);
    app.stop().await;
}

#[tokio::test]
async fn closing_the_client_ends_the_process_and_its_children() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    let mut ws = open(&app, &exec_path(&id, "")).await;
    // The shell starts a child that would outlive a plain detach.
    send_input(&mut ws, "sleep 4321 & echo started\n").await;
    let mut seen = Seen::default();
    read_until(&mut ws, &mut seen, |s| s.has_line("started") || s.closed).await;
    assert!(seen.has_line("started"), "{seen:?}");
    let running = processes(&guard, &id).await;
    assert!(
        running.iter().any(|p| p.contains("sleep 4321")),
        "{running:?}"
    );
    assert!(running.len() >= 3, "{running:?}");
    ws.close(None).await.unwrap();
    drop(ws);
    let started = std::time::Instant::now();
    loop {
        let running = processes(&guard, &id).await;
        if running == vec!["sleep 300".to_owned()] {
            break;
        }
        assert!(started.elapsed() < LIMIT, "still running: {running:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Also when the socket just drops (no close frame).
    let mut ws = open(&app, &exec_path(&id, "?cmd=sh")).await;
    send_input(&mut ws, "echo ready\n").await;
    let mut seen = Seen::default();
    read_until(&mut ws, &mut seen, |s| s.has_line("ready") || s.closed).await;
    drop(ws);
    loop {
        let running = processes(&guard, &id).await;
        if running == vec!["sleep 300".to_owned()] {
            break;
        }
        assert!(started.elapsed() < LIMIT * 2, "still running: {running:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn only_operators_and_admins_may_exec_even_a_tenant_in_its_own_container() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("tenant");
    app.create_user(&name, Role::User, None).await;
    let key = app.api_key_for(&name, common::USER_PASSWORD, "write").await;
    let theirs = guard
        .create_with(
            &unique("exec-own"),
            &["sleep", "300"],
            true,
            [("berth.owner".to_owned(), name.clone())].into(),
            Default::default(),
        )
        .await;
    let before = exec_ids(&guard, &theirs).await;
    let err = try_open(&app, &exec_path(&theirs, "?cmd=true"), Some(&key))
        .await
        .expect_err("a tenant's exec must be refused");
    assert_eq!(refused_status(&err), 403);
    assert_eq!(exec_ids(&guard, &theirs).await, before, "no exec was created");
    // The tenant still controls the container's lifecycle: it is the exec that is refused.
    let res = app
        .anon
        .post(app.url(&format!("/api/v1/hosts/local/containers/{theirs}/pause")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_its_process_ended() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let id = sleeper(&guard).await;
    // `yes` writes as fast as it can; this client never reads.
    let ws = open(&app, &exec_path(&id, "?cmd=yes&cmd=flood")).await;
    let started = std::time::Instant::now();
    while !processes(&guard, &id)
        .await
        .iter()
        .any(|p| p.contains("yes"))
    {
        assert!(started.elapsed() < LIMIT, "yes never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        let running = processes(&guard, &id).await;
        if !running.iter().any(|p| p.contains("yes")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "still running: {running:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Dropped after the 10 s send bound, not before.
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    drop(ws);
    app.stop().await;
}
