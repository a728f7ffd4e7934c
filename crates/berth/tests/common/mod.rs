//! Test harness: a real `berth` server on port 0 with a fresh database, a client that speaks the
//! API, and helpers to make (and always clean up) real containers on the real engines.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod receiver;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use berth::config::Config;
use berth::state::AppState;
use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, RemoveContainerOptions,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The busybox image the CI script builds (`FROM scratch` + static busybox).
pub fn test_image() -> String {
    std::env::var("BERTH_TEST_IMAGE").unwrap_or_else(|_| "berth-test/busybox:latest".to_owned())
}

/// A second image that differs from the first.
pub fn test_image_alt() -> String {
    std::env::var("BERTH_TEST_IMAGE_ALT").unwrap_or_else(|_| "berth-test/busybox:alt".to_owned())
}

/// The primary engine's address.
pub fn docker1_url() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
}

/// The second engine's unix socket (started by scripts/test-env.sh).
pub fn docker2_url() -> String {
    std::env::var("BERTH_TEST_DOCKER2")
        .unwrap_or_else(|_| "unix:///run/berth-test/docker2.sock".to_owned())
}

/// The second engine's TLS endpoint.
pub fn docker2_tcp_url() -> String {
    std::env::var("BERTH_TEST_DOCKER2_TCP").unwrap_or_else(|_| "tcp://127.0.0.1:23760".to_owned())
}

/// Folder with ca.pem, cert.pem, key.pem for the second engine's TLS endpoint.
pub fn tls_dir() -> std::path::PathBuf {
    std::env::var("BERTH_TEST_TLS_DIR")
        .unwrap_or_else(|_| "/run/berth-test/tls".to_owned())
        .into()
}

/// The local registry (`127.0.0.1:5000`) of the test environment. A test that needs it fails,
/// saying how to get one, rather than passing without having checked anything.
pub fn registry() -> String {
    std::env::var("BERTH_TEST_REGISTRY")
        .ok()
        .filter(|s| !s.is_empty())
        .expect(
            "BERTH_TEST_REGISTRY is not set: run scripts/test-env.sh, then `. /run/berth-test/env`",
        )
}

/// `s` percent-encoded for a path segment or a query value: everything but RFC 3986's unreserved
/// characters (so an image reference's `/`, `:` and `@`, and a timestamp's `+`).
pub fn enc(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// A unique name with a readable prefix.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// The first admin's password in every test server.
pub const ADMIN_PASSWORD: &str = "berth-test-admin-password";

/// The password of users made with [`TestApp::create_user`].
pub const USER_PASSWORD: &str = "berth-test-user-password";

/// A running Berth server.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client that authenticates as `admin` with an admin-scope API key (named `tests`).
    pub client: reqwest::Client,
    /// A client without credentials.
    pub anon: reqwest::Client,
    /// The key `client` sends.
    pub key: String,
    /// Its state (for reaching into subsystems).
    pub state: AppState,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Everything the server logs in this test process, for tests that search it.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// The log lines captured so far in this process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(
        &LOGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned()
}

/// A signed-in browser session (cookie and CSRF token).
pub struct Session {
    /// `berth_session=…`.
    pub cookie: String,
    /// The CSRF token.
    pub csrf: String,
}

impl Session {
    /// GET with the cookie.
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.anon
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// POST JSON with the cookie and CSRF token.
    pub async fn post(&self, app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
        app.anon
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// DELETE with the cookie and CSRF token.
    pub async fn delete(&self, app: &TestApp, path: &str) -> reqwest::Response {
        app.anon
            .delete(app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Starts a server with the default test configuration against the primary engine.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `tweak` has adjusted the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(dir.path(), &docker1_url());
        config.admin_password = Some(berth::config::Secret::new(ADMIN_PASSWORD));
        tweak(&mut config);
        let shutdown = CancellationToken::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = berth::build_state(config, shutdown.clone()).await.unwrap();
        // The harness's own key, made the way `berth admin api-key-create` makes one.
        let key = berth::auth::service::cli_api_key(&state.store, "admin", "tests", "admin")
            .await
            .unwrap();
        let server = tokio::spawn(berth::http::serve(
            listener,
            state.clone(),
            shutdown.clone(),
        ));
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {key}").parse().unwrap(),
        );
        let app = Self {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .default_headers(headers)
                .build()
                .unwrap(),
            anon: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            key,
            state,
            shutdown,
            _dir: dir,
            server,
        };
        app.wait_online("local").await;
        app
    }

    /// Creates a user through the API (password [`USER_PASSWORD`]).
    pub async fn create_user(
        &self,
        username: &str,
        role: berth_api::auth::Role,
        hosts: Option<Vec<String>>,
    ) -> Value {
        let body = serde_json::json!({ "username": username, "password": USER_PASSWORD, "role": role, "hosts": hosts });
        let (status, user) = json(self.post("/api/v1/users", &body).await).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user
    }

    /// Signs in through the API.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let res = self
            .anon
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let (_, me) = json(res).await;
        Session {
            cookie,
            csrf: me["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Signs in as `username` and makes an API key of `scope` for them.
    pub async fn api_key_for(&self, username: &str, password: &str, scope: &str) -> String {
        let session = self.login(username, password).await;
        let res = session
            .post(
                self,
                "/api/v1/api-keys",
                &serde_json::json!({ "name": "test", "scope": scope }),
            )
            .await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["key"].as_str().unwrap().to_owned()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
        self.state.scheduler.stop().await;
        self.state.store.close().await;
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request with an optional JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap()
    }

    /// GET.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, Some(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> reqwest::Response {
        self.request(Method::POST, path, None).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request(Method::PATCH, path, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(Method::DELETE, path, None).await
    }

    /// Sends the `events` to `url` as JSON: a webhook channel and a rule with no cooldown.
    pub async fn notify_to(&self, url: &str, events: &[&str]) {
        let (status, channel) = json(
            self.post(
                "/api/v1/notifications/channels",
                &serde_json::json!({"name": "hook", "config": {"kind": "webhook", "url": url}}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{channel}");
        let (status, rule) = json(
            self.post(
                "/api/v1/notifications/rules",
                &serde_json::json!({"name": "to-hook", "events": events, "channels": [channel["id"]],
                        "cooldown_secs": 0}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
    }

    /// Adds a host through the API and waits until it is online.
    pub async fn add_host(&self, name: &str, url: &str) -> Value {
        let res = self
            .post(
                "/api/v1/hosts",
                &serde_json::json!({ "name": name, "url": url }),
            )
            .await;
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.wait_online(name).await;
        body
    }

    /// Waits (up to 20 s) until the poller reports the host online.
    pub async fn wait_online(&self, name: &str) {
        self.wait_status(name, "online", Duration::from_secs(20))
            .await;
    }

    /// Waits until the host's status is `status`; panics after `limit`.
    pub async fn wait_status(&self, name: &str, status: &str, limit: Duration) {
        let started = std::time::Instant::now();
        loop {
            let state = self
                .state
                .engines
                .get(name)
                .ok()
                .map(|h| serde_json::to_value(h.state()).unwrap());
            if state.as_ref().is_some_and(|s| s["status"] == status) {
                return;
            }
            assert!(
                started.elapsed() < limit,
                "host {name} not {status} after {limit:?}: {state:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Reads a response as (status, JSON body); a non-JSON body becomes a JSON string.
pub async fn json(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts an error envelope with this status and code; answers the body.
pub async fn expect_error(res: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let request_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let (got, body) = json(res).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["request_id"].as_str(), request_id.as_deref(), "{body}");
    body
}

/// Real containers made directly on an engine (not through Berth), labelled with a per-test id
/// and removed when this guard drops.
pub struct Containers {
    /// The engine.
    pub docker: Docker,
    /// The engine's address.
    pub url: String,
    /// The label value every container of this guard carries under `berth.test`.
    pub run_id: String,
}

impl Containers {
    /// A guard on the primary engine.
    pub fn local() -> Self {
        Self::on(&docker1_url())
    }

    /// A guard on the engine at `url` (unix://).
    pub fn on(url: &str) -> Self {
        let docker = Docker::connect_with_unix(url, 120, bollard::API_DEFAULT_VERSION).unwrap();
        Self {
            docker,
            url: url.to_owned(),
            run_id: unique("run"),
        }
    }

    /// The label filter that finds this guard's containers: `berth.test=<run id>`.
    pub fn label(&self) -> String {
        format!("berth.test={}", self.run_id)
    }

    /// Creates (and with `start` starts) a busybox container running `cmd`; answers its id.
    pub async fn create(&self, name: &str, cmd: &[&str], start: bool) -> String {
        self.create_with(name, cmd, start, HashMap::new(), HostConfig::default())
            .await
    }

    /// Like [`Containers::create`] with extra labels and host config.
    pub async fn create_with(
        &self,
        name: &str,
        cmd: &[&str],
        start: bool,
        labels: HashMap<String, String>,
        host_config: HostConfig,
    ) -> String {
        let docker = self.docker.clone().negotiate_version().await.unwrap();
        let mut all_labels = labels;
        all_labels.insert("berth.test".to_owned(), self.run_id.clone());
        let mut hc = host_config;
        if hc.network_mode.is_none() {
            // The second engine has no bridge; `none` works on both.
            hc.network_mode = Some("none".to_owned());
        }
        let body = ContainerCreateBody {
            image: Some(test_image()),
            cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
            labels: Some(all_labels),
            host_config: Some(hc),
            ..Default::default()
        };
        let created = docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(name.to_owned()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .unwrap();
        if start {
            docker.start_container(&created.id, None).await.unwrap();
        }
        created.id
    }

    /// Removes every container carrying this guard's label (also run on drop).
    pub async fn cleanup(&self) {
        let docker = self.docker.clone().negotiate_version().await.unwrap();
        let filters = HashMap::from([("label".to_owned(), vec![self.label()])]);
        let list = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .unwrap_or_default();
        for c in list {
            if let Some(id) = c.id {
                let _ = docker
                    .remove_container(
                        &id,
                        Some(RemoveContainerOptions {
                            force: true,
                            v: true,
                            link: false,
                        }),
                    )
                    .await;
            }
        }
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        // Synchronous, so it also runs when a test panics; the CLI avoids needing a runtime here.
        let host = self.url.clone();
        let ids = std::process::Command::new("docker")
            .args([
                "-H",
                &host,
                "ps",
                "-aq",
                "--filter",
                &format!("label={}", self.label()),
            ])
            .output();
        if let Ok(out) = ids {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            if !ids.is_empty() {
                let _ = std::process::Command::new("docker")
                    .args(["-H", &host, "rm", "-fv"])
                    .args(&ids)
                    .output();
            }
        }
    }
}

impl TestApp {
    /// Starts a server whose data (database, TLS files) lives in `data_dir`, which the caller
    /// owns: a second server started on the same folder sees what the first one saved.
    pub async fn spawn_in(data_dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> Self {
        let data_dir = data_dir.to_owned();
        Self::spawn_with(move |c| {
            c.data_dir = data_dir;
            tweak(c);
        })
        .await
    }
}

/// A unix socket that forwards every connection to the primary engine, until dropped.
pub struct Proxy {
    task: tokio::task::JoinHandle<()>,
    path: std::path::PathBuf,
}

impl Proxy {
    /// Listens at `path` and forwards to the primary engine.
    pub fn start(path: &std::path::Path) -> Self {
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path).unwrap();
        let target = docker1_url().trim_start_matches("unix://").to_owned();
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) cuts every open connection too.
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::UnixStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Self {
            task,
            path: path.to_owned(),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}
