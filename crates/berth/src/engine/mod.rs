//! Docker hosts: one bollard client per host, a poller that keeps each host's state, and the
//! calls Berth makes to engines (one file per kind of object), mapped to `berth-api` types.

pub mod build;
pub mod cache;
pub mod containers;
mod error;
pub mod hosts;
pub mod images;
pub mod jobs;
pub mod networks;
mod nodes;
pub mod policy;
pub mod system;
mod tls;
pub mod update;
pub mod volumes;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use berth_api::ErrorCode;
use berth_api::hosts::{Host, HostState, HostStatus, HostTestResult, HostTls};
use bollard::{API_DEFAULT_VERSION, Docker};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

pub use error::{EngineError, Resource};

use crate::error::AppError;
use crate::store::HostRecord;

/// Seconds bollard itself waits on one request; Berth's own, shorter bounds apply on top.
const CLIENT_TIMEOUT_SECS: u64 = 600;

/// Every known host, by name.
pub struct Engines {
    hosts: RwLock<BTreeMap<String, Arc<HostHandle>>>,
    tls_dir: PathBuf,
    call_timeout: Duration,
    poll_interval: Duration,
    shutdown: CancellationToken,
    streams: Arc<crate::streams::Streams>,
}

/// One host: its settings, its client and its live state.
pub struct HostHandle {
    /// The stored settings.
    pub record: HostRecord,
    client: RwLock<Option<Docker>>,
    state: RwLock<HostState>,
    call_timeout: Duration,
    tls_dir: Option<PathBuf>,
    stop: CancellationToken,
    /// Wakes the poller early (a container event changed the counts).
    poke: tokio::sync::Notify,
    /// The container list, kept fresh by the host's events.
    pub cache: cache::ContainerCache,
}

impl Engines {
    /// An empty registry; hosts come with [`Engines::insert`].
    pub fn new(
        data_dir: &Path,
        call_timeout: Duration,
        poll_interval: Duration,
        shutdown: CancellationToken,
        streams: Arc<crate::streams::Streams>,
    ) -> Self {
        Self {
            hosts: RwLock::new(BTreeMap::new()),
            tls_dir: data_dir.join("tls"),
            call_timeout,
            poll_interval,
            shutdown,
            streams,
        }
    }

    /// The host called `name`, or 404 `HOST_NOT_FOUND`.
    pub fn get(&self, name: &str) -> Result<Arc<HostHandle>, AppError> {
        self.read().get(name).cloned().ok_or_else(|| {
            AppError::new(ErrorCode::HostNotFound, format!("no host named `{name}`"))
                .with_details(serde_json::json!({ "host": name }))
        })
    }

    /// Every host, by name.
    pub fn all(&self) -> Vec<Arc<HostHandle>> {
        self.read().values().cloned().collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<HostHandle>>> {
        self.hosts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<HostHandle>>> {
        self.hosts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Where a host's TLS files live.
    pub fn tls_dir_for(&self, id: i64) -> PathBuf {
        self.tls_dir.join(id.to_string())
    }

    /// Writes (or with `None` deletes) a host's TLS client files.
    pub fn store_tls(&self, id: i64, tls: Option<&HostTls>) -> Result<(), AppError> {
        let dir = self.tls_dir_for(id);
        match tls {
            Some(tls) => tls::write(&dir, tls).map_err(AppError::internal),
            None => {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).map_err(AppError::internal)?;
                }
                Ok(())
            }
        }
    }

    /// Registers a host (replacing one of the same name) and starts polling it.
    pub fn insert(&self, record: HostRecord) -> Arc<HostHandle> {
        let tls_dir = record.tls.then(|| self.tls_dir_for(record.id));
        let handle = Arc::new(HostHandle {
            client: RwLock::new(None),
            state: RwLock::new(HostState::default()),
            call_timeout: self.call_timeout,
            tls_dir,
            stop: self.shutdown.child_token(),
            poke: tokio::sync::Notify::new(),
            cache: cache::ContainerCache::default(),
            record,
        });
        if let Some(old) = self
            .write()
            .insert(handle.record.name.clone(), handle.clone())
        {
            old.stop.cancel();
        }
        tokio::spawn(poll(
            handle.clone(),
            self.poll_interval,
            self.streams.host_status.clone(),
        ));
        tokio::spawn(crate::streams::events::follow(
            handle.clone(),
            self.streams.clone(),
        ));
        handle
    }

    /// Forgets a host and stops polling it.
    pub fn remove(&self, name: &str) -> Option<Arc<HostHandle>> {
        let removed = self.write().remove(name);
        if let Some(handle) = &removed {
            handle.stop.cancel();
        }
        removed
    }

    /// Connects to an address once and reports what answered (nothing is stored).
    pub async fn test(&self, url: &str, tls: Option<&HostTls>) -> Result<HostTestResult, AppError> {
        let scratch = match tls {
            Some(tls) => {
                let dir = tempfile_dir(&self.tls_dir)?;
                tls::write(&dir, tls).map_err(AppError::internal)?;
                Some(dir)
            }
            None => None,
        };
        let result = test_connection(url, scratch.as_deref(), self.call_timeout).await;
        if let Some(dir) = scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        result
    }
}

fn tempfile_dir(base: &Path) -> Result<PathBuf, AppError> {
    let dir = base.join(format!("test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(AppError::internal)?;
    Ok(dir)
}

/// Checks an engine address's form: `unix:///abs/path`, or `tcp://`/`http://`/`https://` with a host.
pub fn check_url(url: &str, tls: bool) -> Result<(), AppError> {
    if let Some(path) = url.strip_prefix("unix://") {
        if tls {
            return Err(AppError::validation(
                "tls",
                "TLS applies to tcp:// hosts, not unix sockets",
            ));
        }
        if !path.starts_with('/') || path.len() > 512 {
            return Err(AppError::validation(
                "url",
                "a unix:// address needs an absolute socket path",
            ));
        }
        return Ok(());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(AppError::validation(
            "url",
            format!(
                "`{url}` is not an engine address: use unix:///path/to/docker.sock or tcp://host:port"
            ),
        ));
    };
    if !matches!(scheme, "tcp" | "http" | "https") {
        return Err(AppError::validation(
            "url",
            format!("`{scheme}://` is not supported: use unix://, tcp:// (or http://, https://)"),
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.is_empty()
        || authority.len() > 255
        || authority.chars().any(|c| c.is_whitespace() || c == '@')
    {
        return Err(AppError::validation(
            "url",
            format!("`{url}` needs a host name, e.g. tcp://10.0.0.5:2376"),
        ));
    }
    if let Some((_, port)) = authority.rsplit_once(':')
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(AppError::validation(
            "url",
            format!("`{port}` is not a port number"),
        ));
    }
    if scheme == "https" && !tls {
        return Err(AppError::validation(
            "tls",
            "an https:// engine needs TLS client certificates",
        ));
    }
    Ok(())
}

/// Builds a client for `url` (no I/O happens yet).
pub fn connect(url: &str, tls_dir: Option<&Path>) -> Result<Docker, AppError> {
    check_url(url, tls_dir.is_some())?;
    let result = if url.starts_with("unix://") {
        Docker::connect_with_unix(url, CLIENT_TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else if let Some(dir) = tls_dir {
        Docker::connect_with_ssl(
            url,
            &dir.join("key.pem"),
            &dir.join("cert.pem"),
            &dir.join("ca.pem"),
            CLIENT_TIMEOUT_SECS,
            API_DEFAULT_VERSION,
        )
    } else {
        Docker::connect_with_http(url, CLIENT_TIMEOUT_SECS, API_DEFAULT_VERSION)
    };
    result.map_err(|e| AppError::validation("url", format!("cannot use `{url}`: {e}")))
}

async fn test_connection(
    url: &str,
    tls_dir: Option<&Path>,
    limit: Duration,
) -> Result<HostTestResult, AppError> {
    // A malformed address is the caller's mistake; one that cannot be used (no socket there,
    // unreadable certificates) is a failed test.
    check_url(url, tls_dir.is_some())?;
    let docker = match connect(url, tls_dir) {
        Ok(docker) => docker,
        Err(e) => return Ok(failed_test(0.0, e.message)),
    };
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit, async move {
        let docker = docker.negotiate_version().await?;
        let version = docker.version().await?;
        Ok::<_, bollard::errors::Error>((docker.client_version().to_string(), version))
    })
    .await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(match outcome {
        Ok(Ok((negotiated, version))) => HostTestResult {
            ok: true,
            latency_ms,
            engine_version: version.version,
            engine_api_version: version.api_version,
            negotiated_api_version: Some(negotiated),
            error: None,
        },
        Ok(Err(e)) => failed_test(latency_ms, e.to_string()),
        Err(_) => failed_test(
            latency_ms,
            format!("no answer within {} s", limit.as_secs()),
        ),
    })
}

fn failed_test(latency_ms: f64, error: String) -> HostTestResult {
    HostTestResult {
        ok: false,
        latency_ms,
        engine_version: None,
        engine_api_version: None,
        negotiated_api_version: None,
        error: Some(error),
    }
}

impl HostHandle {
    /// The host's name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// A snapshot of the live state.
    pub fn state(&self) -> HostState {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_state(&self, f: impl FnOnce(&mut HostState)) {
        f(&mut self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    /// The API view of this host.
    pub fn to_api(&self) -> Host {
        Host {
            name: self.record.name.clone(),
            url: self.record.url.clone(),
            color: self.record.color.clone(),
            description: self.record.description.clone(),
            tls: self.record.tls,
            state: self.state(),
            created_at: self.record.created_at,
        }
    }

    /// The negotiated client, connecting (and negotiating) first if needed.
    /// The negotiated client for a long-lived stream (no time bound; the caller handles ends).
    pub async fn stream_client(&self) -> Result<Docker, EngineError> {
        self.client().await.inspect_err(|e| self.note_failure(e))
    }

    /// Asks the poller to refresh now (container counts changed).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Cancelled when the host is removed or the server stops.
    pub fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }

    /// Whether the host was removed or the server is stopping.
    pub fn stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Sleeps `d`, or less when the host stops; whether it stopped.
    pub async fn sleep_or_stop(&self, d: Duration) -> bool {
        tokio::select! {
            () = self.stop.cancelled() => true,
            () = tokio::time::sleep(d) => false,
        }
    }

    async fn client(&self) -> Result<Docker, EngineError> {
        if let Some(docker) = self
            .client
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            return Ok(docker);
        }
        let docker = connect(&self.record.url, self.tls_dir.as_deref()).map_err(|e| {
            EngineError::Unavailable {
                host: self.name().to_owned(),
                reason: e.message,
            }
        })?;
        let docker = match tokio::time::timeout(self.call_timeout, docker.negotiate_version()).await
        {
            Ok(Ok(docker)) => docker,
            Ok(Err(e)) => return Err(self.unavailable(e.to_string())),
            Err(_) => {
                return Err(self.unavailable(format!(
                    "no answer within {} s",
                    self.call_timeout.as_secs()
                )));
            }
        };
        *self
            .client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(docker.clone());
        Ok(docker)
    }

    fn unavailable(&self, reason: String) -> EngineError {
        EngineError::Unavailable {
            host: self.name().to_owned(),
            reason,
        }
    }

    /// Runs one engine call with Berth's time bound; a transport failure marks the host offline.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, EngineError>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        self.call_within(self.call_timeout, f).await
    }

    /// Like [`HostHandle::call`], with a different time bound (pulls take longer).
    pub async fn call_within<T, F, Fut>(&self, limit: Duration, f: F) -> Result<T, EngineError>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let docker = self.client().await.inspect_err(|e| self.note_failure(e))?;
        let result = match tokio::time::timeout(limit, f(docker)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) if error::is_transport_error(&e) => Err(self.unavailable(e.to_string())),
            Ok(Err(e)) => Err(EngineError::Api(e)),
            Err(_) => Err(self.unavailable(format!("no answer within {} s", limit.as_secs()))),
        };
        if let Err(e) = &result {
            self.note_failure(e);
        }
        result
    }

    fn note_failure(&self, err: &EngineError) {
        if let EngineError::Unavailable { reason, .. } = err {
            self.mark_offline(reason.clone());
        }
    }

    fn mark_offline(&self, reason: String) {
        // A fresh client renegotiates when the engine returns (it may have been upgraded).
        *self
            .client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.set_state(|s| {
            s.status = HostStatus::Offline;
            s.error = Some(reason);
            s.last_checked = Some(Utc::now());
        });
    }

    /// Polls the engine once and records what it says.
    pub async fn refresh(&self) {
        let outcome = self
            .call(|docker| async move {
                let info = docker.info().await?;
                let version = docker.version().await?;
                Ok((
                    docker.client_version().to_string(),
                    info,
                    version.api_version,
                ))
            })
            .await;
        match outcome {
            Ok((negotiated, info, api_version)) => self.set_state(|s| {
                let now = Utc::now();
                s.status = HostStatus::Online;
                s.error = None;
                s.last_seen = Some(now);
                s.last_checked = Some(now);
                s.engine_version = info.server_version;
                s.engine_api_version = api_version;
                s.negotiated_api_version = Some(negotiated);
                s.platform = match (&info.os_type, &info.architecture) {
                    (Some(os), Some(arch)) => Some(format!("{os}/{arch}")),
                    _ => None,
                };
                s.containers_running = count(info.containers_running);
                s.containers_paused = count(info.containers_paused);
                s.containers_stopped = count(info.containers_stopped);
                s.images = count(info.images);
                s.cpus = info.ncpu.and_then(|n| u32::try_from(n).ok());
                s.memory_bytes = info.mem_total.and_then(|n| u64::try_from(n).ok());
            }),
            Err(EngineError::Api(e)) => self.set_state(|s| {
                s.status = HostStatus::Offline;
                s.error = Some(e.to_string());
                s.last_checked = Some(Utc::now());
            }),
            // `call` already marked the host offline.
            Err(EngineError::Unavailable { .. }) => {}
        }
    }
}

fn count(n: Option<i64>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// The poller: refreshes a host every `interval` until the host is removed or the server stops;
/// going offline (also when first found so) and coming back are broadcast on `changes` (for
/// notifications).
async fn poll(
    host: Arc<HostHandle>,
    interval: Duration,
    changes: tokio::sync::broadcast::Sender<crate::streams::HostStatusChange>,
) {
    // The last status seen by this poller (calls between polls may flip it and back).
    let mut reported = HostStatus::Unknown;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = host.stop.cancelled() => break,
            _ = ticker.tick() => {}
            () = host.poke.notified() => {
                // Coalesce a burst of events into one refresh.
                tokio::time::sleep(Duration::from_millis(100)).await;
                ticker.reset();
            }
        }
        let before = host.state().status;
        tokio::select! {
            () = host.stop.cancelled() => break,
            () = host.refresh() => {}
        }
        let after = host.state();
        if before != after.status {
            match after.status {
                HostStatus::Online => {
                    tracing::info!(host = host.name(), engine = ?after.engine_version, api = ?after.negotiated_api_version, "host online")
                }
                _ => tracing::warn!(host = host.name(), error = ?after.error, "host offline"),
            }
        }
        if after.status != reported {
            // A host found offline at start is news; one found online is not.
            let news = match after.status {
                HostStatus::Offline => true,
                HostStatus::Online => reported == HostStatus::Offline,
                HostStatus::Unknown => false,
            };
            if news {
                let _ = changes.send(crate::streams::HostStatusChange {
                    host: host.name().to_owned(),
                    online: after.status == HostStatus::Online,
                    error: after.error.clone(),
                });
            }
            reported = after.status;
        }
    }
}
