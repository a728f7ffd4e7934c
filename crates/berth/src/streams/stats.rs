//! Container stats: one engine stats stream per watched container, shared by every viewer
//! through one bounded broadcast channel of samples serialized once. The engine stream closes
//! [`LINGER`] after its last viewer leaves (a viewer who comes back in time keeps it open).
//!
//! Values are computed as the Docker CLI computes them (`docker stats`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use berth_api::ErrorCode;
use berth_api::streams::{StatsSample, StreamEnd, StreamLagged};
use bollard::errors::Error as DockerError;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::engine::{EngineError, HostHandle, Resource};
use crate::error::{AppError, AppResult};

/// How many samples a viewer may fall behind before it is told it lagged (one arrives a second).
pub const CAPACITY: usize = 16;

/// How long an engine stream stays open after its last viewer left.
pub const LINGER: Duration = Duration::from_secs(5);

/// One message to a container's viewers, serialized once.
#[derive(Debug)]
pub struct StatsMessage {
    /// Its `type`: `stats`, `end`, `error` or `lagged`.
    pub kind: &'static str,
    /// The message as sent to clients.
    pub json: Arc<str>,
    /// The stream ends after this message.
    pub last: bool,
}

impl StatsMessage {
    fn new(kind: &'static str, json: String, last: bool) -> Arc<Self> {
        Arc::new(Self {
            kind,
            json: json.into(),
            last,
        })
    }

    fn end(reason: &str) -> Arc<Self> {
        let json = serde_json::to_string(&StreamEnd {
            kind: "end".to_owned(),
            reason: reason.to_owned(),
        })
        .unwrap_or_default();
        Self::new("end", json, true)
    }

    fn error(code: ErrorCode, message: String, reconnect: bool) -> Arc<Self> {
        Self::new(
            "error",
            super::error_message(code, message, reconnect, true),
            true,
        )
    }

    fn lagged(dropped: u64) -> Arc<Self> {
        let json = serde_json::to_string(&StreamLagged {
            kind: "lagged".to_owned(),
            dropped,
        })
        .unwrap_or_default();
        Self::new("lagged", json, false)
    }
}

/// A watched container: host name and full container id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: String,
    id: String,
}

/// One open engine stream and its viewers.
struct Shared {
    /// Which stream this is (a later stream of the same container gets a new one).
    generation: u64,
    tx: broadcast::Sender<Arc<StatsMessage>>,
    /// Viewers now; the upstream task watches it to know when to linger and close.
    viewers: usize,
    viewers_tx: watch::Sender<usize>,
    /// The latest sample, handed to a new viewer at once.
    latest: Option<Arc<StatsMessage>>,
}

#[derive(Default)]
struct Inner {
    streams: Mutex<HashMap<Key, Shared>>,
    upstreams: AtomicUsize,
    viewers: AtomicUsize,
    generation: AtomicU64,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Shared>> {
        self.streams.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `msg` to a stream's viewers (and keeps it as the latest sample).
    fn publish(&self, key: &Key, generation: u64, msg: Arc<StatsMessage>) {
        let mut map = self.lock();
        if let Some(s) = map.get_mut(key).filter(|s| s.generation == generation) {
            s.latest = Some(msg.clone());
            // No viewer at this instant is fine.
            let _ = s.tx.send(msg);
        }
    }

    /// Closes a stream: its viewers get `last`, and a later viewer opens a fresh one.
    fn finish(&self, key: &Key, generation: u64, last: Arc<StatsMessage>) {
        let mut map = self.lock();
        if map.get(key).is_some_and(|s| s.generation == generation)
            && let Some(s) = map.remove(key)
        {
            let _ = s.tx.send(last);
        }
    }

    /// Closes a stream nobody watches; false when a viewer came back in the meantime.
    fn close_if_idle(&self, key: &Key, generation: u64) -> bool {
        let mut map = self.lock();
        match map.get(key) {
            Some(s) if s.generation == generation && s.viewers > 0 => false,
            Some(s) if s.generation == generation => {
                map.remove(key);
                true
            }
            _ => true,
        }
    }
}

/// The stats fan-out point: every open engine stats stream, by host and container id.
#[derive(Default)]
pub struct StatsHub {
    inner: Arc<Inner>,
}

impl StatsHub {
    /// A hub with no streams.
    pub fn new() -> Self {
        Self::default()
    }

    /// Engine stats streams open now.
    pub fn upstreams(&self) -> usize {
        self.inner.upstreams.load(Ordering::Relaxed)
    }

    /// Viewers now, over all containers.
    pub fn viewers(&self) -> usize {
        self.inner.viewers.load(Ordering::Relaxed)
    }

    /// Starts watching a container (`id`: an id, a prefix or a name). A container that does not
    /// exist is an error; one that is not running gives a viewer that only says it ended.
    pub async fn watch(&self, host: Arc<HostHandle>, id: &str) -> AppResult<StatsViewer> {
        let c = host.inspect_container_raw(id).await?;
        let full_id = c.id.unwrap_or_else(|| id.to_owned());
        let running = c.state.and_then(|s| s.running).unwrap_or(false);
        if !running {
            return Ok(StatsViewer {
                pending: Some(StatsMessage::end("container stopped")),
                rx: None,
                guard: None,
                done: false,
            });
        }
        Ok(self.subscribe(host, full_id))
    }

    /// Joins (or opens) the shared stream of a container known by its full id.
    fn subscribe(&self, host: Arc<HostHandle>, id: String) -> StatsViewer {
        let key = Key {
            host: host.name().to_owned(),
            id,
        };
        let mut map = self.inner.lock();
        let (rx, pending, generation) = if let Some(s) = map.get_mut(&key) {
            s.viewers += 1;
            s.viewers_tx.send_replace(s.viewers);
            (s.tx.subscribe(), s.latest.clone(), s.generation)
        } else {
            let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = broadcast::channel(CAPACITY);
            let (viewers_tx, viewers_rx) = watch::channel(1);
            map.insert(
                key.clone(),
                Shared {
                    generation,
                    tx,
                    viewers: 1,
                    viewers_tx,
                    latest: None,
                },
            );
            self.inner.upstreams.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(upstream(
                host,
                key.clone(),
                generation,
                self.inner.clone(),
                viewers_rx,
            ));
            (rx, None, generation)
        };
        drop(map);
        self.inner.viewers.fetch_add(1, Ordering::Relaxed);
        StatsViewer {
            pending,
            rx: Some(rx),
            guard: Some(ViewerGuard {
                inner: self.inner.clone(),
                key,
                generation,
            }),
            done: false,
        }
    }
}

/// Leaves a stream when dropped.
struct ViewerGuard {
    inner: Arc<Inner>,
    key: Key,
    generation: u64,
}

impl Drop for ViewerGuard {
    fn drop(&mut self) {
        let mut map = self.inner.lock();
        if let Some(s) = map
            .get_mut(&self.key)
            .filter(|s| s.generation == self.generation)
        {
            s.viewers = s.viewers.saturating_sub(1);
            s.viewers_tx.send_replace(s.viewers);
        }
        drop(map);
        self.inner.viewers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One viewer of a container's stats. Dropping it leaves the stream.
pub struct StatsViewer {
    pending: Option<Arc<StatsMessage>>,
    rx: Option<broadcast::Receiver<Arc<StatsMessage>>>,
    guard: Option<ViewerGuard>,
    done: bool,
}

impl StatsViewer {
    /// The next message; `None` after the last one.
    pub async fn next(&mut self) -> Option<Arc<StatsMessage>> {
        if self.done {
            return None;
        }
        let msg = match self.pending.take() {
            Some(m) => m,
            None => match self.rx.as_mut()?.recv().await {
                Ok(m) => m,
                Err(broadcast::error::RecvError::Lagged(n)) => StatsMessage::lagged(n),
                Err(broadcast::error::RecvError::Closed) => {
                    self.done = true;
                    return None;
                }
            },
        };
        if msg.last {
            self.done = true;
            // Leave at once: nothing more will come.
            self.rx = None;
            self.guard = None;
        }
        Some(msg)
    }
}

/// Reads one container's engine stream until it ends or nobody has watched it for [`LINGER`].
async fn upstream(
    host: Arc<HostHandle>,
    key: Key,
    generation: u64,
    inner: Arc<Inner>,
    viewers: watch::Receiver<usize>,
) {
    let last = follow(&host, &key, generation, &inner, viewers).await;
    if let Some(last) = last {
        inner.finish(&key, generation, last);
    }
    inner.upstreams.fetch_sub(1, Ordering::Relaxed);
    tracing::debug!(host = %key.host, id = %key.id, "stats stream closed");
}

/// The loop of [`upstream`]; answers the last message for the viewers, or `None` when it closed
/// because nobody watched.
async fn follow(
    host: &HostHandle,
    key: &Key,
    generation: u64,
    inner: &Inner,
    mut viewers: watch::Receiver<usize>,
) -> Option<Arc<StatsMessage>> {
    let docker = match host.stream_client().await {
        Ok(d) => d,
        Err(e) => return Some(engine_failure(e, &key.id)),
    };
    let mut stream = Box::pin(docker.stats(
        &key.id,
        Some(StatsOptions {
            stream: true,
            one_shot: false,
        }),
    ));
    let mut previous: Option<Previous> = None;
    let mut idle_since: Option<Instant> = None;
    loop {
        let linger = async {
            match idle_since {
                Some(t) => tokio::time::sleep_until(t + LINGER).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = host.stop_token().cancelled() => {
                return Some(StatsMessage::error(
                    ErrorCode::DockerUnavailable,
                    format!("host `{}` was removed or the server is stopping", key.host),
                    true,
                ));
            }
            changed = viewers.changed() => {
                if changed.is_err() {
                    return None;
                }
                idle_since = (*viewers.borrow_and_update() == 0).then(Instant::now);
            }
            () = linger => {
                if inner.close_if_idle(key, generation) {
                    return None;
                }
                idle_since = None;
            }
            next = stream.next() => match next {
                Some(Ok(raw)) => {
                    if !is_live(&raw) {
                        // The engine sends empty samples once the container no longer runs.
                        return Some(StatsMessage::end("container stopped"));
                    }
                    let sample = compute(&raw, previous.as_ref());
                    previous = Some(Previous::of(&raw, &sample));
                    let json = serde_json::to_string(&sample).unwrap_or_default();
                    inner.publish(key, generation, StatsMessage::new("stats", json, false));
                }
                Some(Err(e)) => return Some(stream_failure(e, host, &key.id).await),
                None => return Some(stream_ended(host, &key.id).await),
            },
        }
    }
}

/// A sample with data: the engine reads a running container; a stopped one gets zero times.
fn is_live(raw: &ContainerStatsResponse) -> bool {
    raw.read.is_some_and(|t| t.timestamp() > 0)
}

fn engine_failure(e: EngineError, id: &str) -> Arc<StatsMessage> {
    let reconnect = e.is_unavailable();
    let err = e.into_app(Resource::Container, id);
    StatsMessage::error(err.code, err.message, reconnect)
}

async fn stream_failure(e: DockerError, host: &HostHandle, id: &str) -> Arc<StatsMessage> {
    if matches!(e, DockerError::DockerResponseServerError { .. }) {
        return engine_failure(EngineError::Api(e), id);
    }
    tracing::debug!(host = host.name(), id, error = %e, "stats stream failed");
    stream_ended(host, id).await
}

/// The engine closed the stream: the container went away, or the engine did.
async fn stream_ended(host: &HostHandle, id: &str) -> Arc<StatsMessage> {
    match host.inspect_container_raw(id).await {
        Ok(c) if c.state.as_ref().and_then(|s| s.running) == Some(true) => StatsMessage::error(
            ErrorCode::DockerUnavailable,
            format!(
                "the Docker engine of host `{}` closed the stats stream",
                host.name()
            ),
            true,
        ),
        Ok(_) => StatsMessage::end("container stopped"),
        Err(e) if e.code == ErrorCode::ContainerNotFound => StatsMessage::end("container removed"),
        Err(e) => StatsMessage::error(e.code, e.message, e.code == ErrorCode::DockerUnavailable),
    }
}

/// One sample, once (`GET` without a stream): the engine waits two reads so CPU use is known.
pub async fn one_sample(host: &HostHandle, id: &str) -> AppResult<StatsSample> {
    let key = id.to_owned();
    let raw = host
        .call(|d| async move {
            let mut s = Box::pin(d.stats(
                &key,
                Some(StatsOptions {
                    stream: false,
                    one_shot: false,
                }),
            ));
            match s.next().await {
                Some(r) => r.map(Some),
                None => Ok(None),
            }
        })
        .await
        .map_err(|e| e.into_app(Resource::Container, id))?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::DockerError,
                "the engine answered no stats sample",
            )
        })?;
    if !is_live(&raw) {
        // Not running: zeros, as `docker stats --no-stream` shows.
        return Ok(StatsSample {
            kind: "stats".to_owned(),
            ..Default::default()
        });
    }
    Ok(compute(&raw, None))
}

/// What rates are computed from.
#[derive(Debug, Clone, Copy)]
struct Previous {
    time: Option<DateTime<Utc>>,
    cpu_total: u64,
    system: u64,
    net_rx: u64,
    net_tx: u64,
    blk_read: u64,
    blk_write: u64,
}

impl Previous {
    fn of(raw: &ContainerStatsResponse, s: &StatsSample) -> Self {
        let cpu = raw.cpu_stats.as_ref();
        Self {
            time: s.time,
            cpu_total: cpu
                .and_then(|c| c.cpu_usage.as_ref())
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
            system: cpu.and_then(|c| c.system_cpu_usage).unwrap_or(0),
            net_rx: s.net_rx_bytes,
            net_tx: s.net_tx_bytes,
            blk_read: s.blk_read_bytes,
            blk_write: s.blk_write_bytes,
        }
    }
}

/// Computes a sample the way the Docker CLI does; rates come from `previous`.
fn compute(raw: &ContainerStatsResponse, previous: Option<&Previous>) -> StatsSample {
    let cpu = raw.cpu_stats.as_ref();
    let usage = cpu.and_then(|c| c.cpu_usage.as_ref());
    let cpu_total = usage.and_then(|u| u.total_usage).unwrap_or(0);
    let system = cpu.and_then(|c| c.system_cpu_usage).unwrap_or(0);
    let cpus = cpu
        .and_then(|c| c.online_cpus)
        .filter(|n| *n > 0)
        .or_else(|| {
            usage
                .and_then(|u| u.percpu_usage.as_ref())
                .and_then(|p| u32::try_from(p.len()).ok())
        })
        .unwrap_or(0);
    // The engine's previous read on this stream; before it has one, our own.
    let pre = raw.precpu_stats.as_ref();
    let (pre_total, pre_system) = match pre.and_then(|p| p.system_cpu_usage).filter(|s| *s > 0) {
        Some(pre_system) => (
            pre.and_then(|p| p.cpu_usage.as_ref())
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
            pre_system,
        ),
        None => previous.map_or((cpu_total, system), |p| (p.cpu_total, p.system)),
    };
    let cpu_percent = cpu_percent(cpu_total, pre_total, system, pre_system, cpus);

    let mem = raw.memory_stats.as_ref();
    let mem_usage = mem.and_then(|m| m.usage).unwrap_or(0);
    let cache = mem
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            // cgroup v1, then v2, then older engines.
            s.get("total_inactive_file")
                .or_else(|| s.get("inactive_file"))
                .or_else(|| s.get("cache"))
                .copied()
        })
        .unwrap_or(0);
    let memory_used = if cache < mem_usage {
        mem_usage - cache
    } else {
        mem_usage
    };
    let memory_limit = mem.and_then(|m| m.limit).unwrap_or(0);
    let memory_percent = if memory_limit > 0 {
        memory_used as f64 / memory_limit as f64 * 100.0
    } else {
        0.0
    };

    let (net_rx_bytes, net_tx_bytes) = raw.networks.as_ref().map_or((0, 0), |n| {
        n.values().fold((0u64, 0u64), |(rx, tx), i| {
            (
                rx.saturating_add(i.rx_bytes.unwrap_or(0)),
                tx.saturating_add(i.tx_bytes.unwrap_or(0)),
            )
        })
    });
    let (blk_read_bytes, blk_write_bytes) = raw
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .map_or((0, 0), |entries| {
            entries.iter().fold((0u64, 0u64), |(r, w), e| {
                let v = e.value.unwrap_or(0);
                match e.op.as_deref() {
                    Some(op) if op.eq_ignore_ascii_case("read") => (r.saturating_add(v), w),
                    Some(op) if op.eq_ignore_ascii_case("write") => (r, w.saturating_add(v)),
                    _ => (r, w),
                }
            })
        });

    let time = raw.read;
    let elapsed = previous
        .and_then(|p| p.time)
        .zip(time)
        .map(|(a, b)| (b - a).as_seconds_f64())
        .filter(|s| *s > 0.0);
    let rate = |now: u64, before: Option<u64>| match (elapsed, before) {
        (Some(secs), Some(b)) => now.saturating_sub(b) as f64 / secs,
        _ => 0.0,
    };
    StatsSample {
        kind: "stats".to_owned(),
        time,
        cpu_percent,
        cpus,
        memory_used,
        memory_limit,
        memory_percent,
        net_rx_bytes,
        net_tx_bytes,
        net_rx_rate: rate(net_rx_bytes, previous.map(|p| p.net_rx)),
        net_tx_rate: rate(net_tx_bytes, previous.map(|p| p.net_tx)),
        blk_read_bytes,
        blk_write_bytes,
        blk_read_rate: rate(blk_read_bytes, previous.map(|p| p.blk_read)),
        blk_write_rate: rate(blk_write_bytes, previous.map(|p| p.blk_write)),
        pids: raw.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    }
}

/// `(cpu_delta / system_delta) * online_cpus * 100`, as the Docker CLI computes it.
fn cpu_percent(total: u64, pre_total: u64, system: u64, pre_system: u64, cpus: u32) -> f64 {
    let cpu_delta = total as f64 - pre_total as f64;
    let system_delta = system as f64 - pre_system as f64;
    if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * f64::from(cpus) * 100.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        ContainerBlkioStatEntry, ContainerBlkioStats, ContainerCpuStats, ContainerCpuUsage,
        ContainerMemoryStats, ContainerNetworkStats, ContainerPidsStats,
    };

    fn raw(secs: i64, total: u64, system: u64, rx: u64, read: u64) -> ContainerStatsResponse {
        ContainerStatsResponse {
            read: DateTime::from_timestamp(secs, 0),
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(total),
                    percpu_usage: Some(vec![0, 0, 0, 0]),
                    ..Default::default()
                }),
                system_cpu_usage: Some(system),
                online_cpus: None,
                ..Default::default()
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(1000),
                limit: Some(4000),
                stats: Some(HashMap::from([("inactive_file".to_owned(), 200)])),
                ..Default::default()
            }),
            networks: Some(HashMap::from([
                (
                    "eth0".to_owned(),
                    ContainerNetworkStats {
                        rx_bytes: Some(rx),
                        tx_bytes: Some(10),
                        ..Default::default()
                    },
                ),
                (
                    "eth1".to_owned(),
                    ContainerNetworkStats {
                        rx_bytes: Some(rx),
                        tx_bytes: Some(5),
                        ..Default::default()
                    },
                ),
            ])),
            blkio_stats: Some(ContainerBlkioStats {
                io_service_bytes_recursive: Some(vec![
                    ContainerBlkioStatEntry {
                        op: Some("read".to_owned()),
                        value: Some(read),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("Write".to_owned()),
                        value: Some(7),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("Total".to_owned()),
                        value: Some(1_000_000),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            pids_stats: Some(ContainerPidsStats {
                current: Some(3),
                limit: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn values_are_computed_as_the_docker_cli_does() {
        let r = raw(100, 1_000, 10_000, 100, 50);
        let first = compute(&r, None);
        assert_eq!(first.cpus, 4);
        assert_eq!(first.memory_used, 800);
        assert_eq!(first.memory_limit, 4000);
        assert!((first.memory_percent - 20.0).abs() < 1e-9);
        assert_eq!((first.net_rx_bytes, first.net_tx_bytes), (200, 15));
        assert_eq!((first.blk_read_bytes, first.blk_write_bytes), (50, 7));
        assert_eq!(first.pids, 3);
        assert!(first.cpu_percent.abs() < f64::EPSILON);
        assert!(first.net_rx_rate.abs() < f64::EPSILON);

        let p = Previous::of(&r, &first);
        // Two seconds later: 500 of 4000 system ns on 4 CPUs = 50 %.
        let second = compute(&raw(102, 1_500, 14_000, 300, 250), Some(&p));
        assert!((second.cpu_percent - 50.0).abs() < 1e-9, "{second:?}");
        assert!((second.net_rx_rate - 200.0).abs() < 1e-9, "{second:?}");
        assert!((second.blk_read_rate - 100.0).abs() < 1e-9, "{second:?}");
        assert!(second.blk_write_rate.abs() < f64::EPSILON);
    }

    #[test]
    fn the_engines_previous_read_is_preferred_and_cache_never_underflows() {
        let mut r = raw(100, 3_000, 20_000, 0, 0);
        r.precpu_stats = Some(ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(1_000),
                ..Default::default()
            }),
            system_cpu_usage: Some(12_000),
            ..Default::default()
        });
        if let Some(m) = r.memory_stats.as_mut() {
            m.stats = Some(HashMap::from([("total_inactive_file".to_owned(), 5000)]));
        }
        let s = compute(&r, None);
        // 2000 / 8000 * 4 * 100
        assert!((s.cpu_percent - 100.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.memory_used, 1000);
        assert!(!is_live(&ContainerStatsResponse {
            read: DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            ..Default::default()
        }));
    }
}
