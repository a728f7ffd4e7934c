//! Each host's container list, kept fresh by its Docker events so lists need not ask the engine
//! every time.
//!
//! The cache holds every container of the host (`all=true`, unfiltered); lists filter it in
//! memory. It is served only while it is known to be current:
//! - the host's event stream is connected, and the rows were read after it (re)connected (events
//!   missed while it was down cannot have been seen);
//! - no event or change through Berth came since the rows were read: every container event and
//!   every container change Berth makes (create, start, remove, …) bumps a generation, and rows
//!   read before the bump are stale. Berth's own changes bump it when the engine has answered,
//!   so a list right after them reads the engine (read-your-writes);
//! - the rows are younger than [`MAX_AGE`]: the engine's status text ("Up 5 minutes") changes
//!   with time alone, and this also bounds any event lost in a reconnect race.
//!
//! Otherwise the list reads the engine; one read at a time refreshes the cache (concurrent
//! lists wait for it rather than all asking the engine). A list served from the cache still
//! pings the engine, so a frozen engine (whose event stream stays open) is 503 as before.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_api::containers::{ContainerState, ContainerSummary};

use super::containers::ListFilter;

/// How long rows may be served at most, events or not.
pub const MAX_AGE: Duration = Duration::from_secs(2);

/// One host's cached container list.
#[derive(Default)]
pub struct ContainerCache {
    state: Mutex<State>,
    /// Held while the engine is read to refresh the rows.
    refreshing: tokio::sync::Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct State {
    rows: Option<Arc<Vec<ContainerSummary>>>,
    /// The generation the rows were read in.
    read_in: u64,
    read_at: Option<Instant>,
    /// Bumped by every event, change and (dis)connect.
    generation: u64,
    connected: bool,
}

impl ContainerCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Something changed (an event, a change made through Berth): rows read before are stale.
    pub fn invalidate(&self) {
        self.lock().generation += 1;
    }

    /// The event stream (re)connected or broke; either way rows read before are stale.
    pub fn set_connected(&self, connected: bool) {
        let mut s = self.lock();
        s.connected = connected;
        s.generation += 1;
    }

    /// Whether the event stream is connected (the cache may serve).
    pub fn connected(&self) -> bool {
        self.lock().connected
    }

    /// The rows, when they are current.
    pub fn fresh(&self) -> Option<Arc<Vec<ContainerSummary>>> {
        let s = self.lock();
        let current = s.connected
            && s.read_in == s.generation
            && s.read_at.is_some_and(|t| t.elapsed() < MAX_AGE);
        current.then(|| s.rows.clone()).flatten()
    }

    /// Starts a refresh: the generation to pass to [`ContainerCache::install`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps rows read in `generation` (started at `read_at`), unless newer ones are there.
    pub fn install(&self, generation: u64, read_at: Instant, rows: Arc<Vec<ContainerSummary>>) {
        let mut s = self.lock();
        if s.rows.is_none() || generation >= s.read_in {
            s.rows = Some(rows);
            s.read_in = generation;
            s.read_at = Some(read_at);
        }
    }

    /// Serializes refreshes.
    pub async fn refresh_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.refreshing.lock().await
    }

    /// Counts a list served from the cache (`true`) or read from the engine.
    pub fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Lists served from the cache and read from the engine so far (tests and metrics).
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// Whether the filter can be answered from the cache. The engine's `ancestor` filter also
/// matches images built on the named one, and its `name` filter is a regular expression: those
/// are left to the engine.
pub fn can_serve(filter: &ListFilter) -> bool {
    filter.image.is_none()
        && filter.name.as_deref().is_none_or(|n| {
            !n.chars().any(|c| {
                matches!(
                    c,
                    '.' | '*'
                        | '+'
                        | '?'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '|'
                        | '^'
                        | '$'
                        | '\\'
                )
            })
        })
}

/// The rows the engine would answer for `filter`, as it filters them.
pub fn apply(rows: &[ContainerSummary], filter: &ListFilter) -> Vec<ContainerSummary> {
    rows.iter().filter(|c| keeps(c, filter)).cloned().collect()
}

fn keeps(c: &ContainerSummary, filter: &ListFilter) -> bool {
    let state_ok = if !filter.status.is_empty() {
        filter
            .status
            .iter()
            .any(|s| ContainerState::parse(s) == c.state)
    } else {
        // Without `all`, the engine lists what it counts as running: paused and restarting too.
        filter.all
            || matches!(
                c.state,
                ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
            )
    };
    let name_ok = filter
        .name
        .as_deref()
        .is_none_or(|n| format!("/{}", c.name).contains(n));
    let labels_ok = filter
        .labels
        .iter()
        .all(|selector| match selector.split_once('=') {
            Some((key, value)) => c.labels.get(key).is_some_and(|v| v == value),
            None => c.labels.contains_key(selector),
        });
    state_ok && name_ok && labels_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, state: ContainerState, labels: &[(&str, &str)]) -> ContainerSummary {
        ContainerSummary {
            host: "local".into(),
            id: name.into(),
            name: name.into(),
            image: "busybox".into(),
            image_id: String::new(),
            command: String::new(),
            created: chrono::Utc::now(),
            state,
            status: String::new(),
            ports: Vec::new(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            networks: Vec::new(),
        }
    }

    #[test]
    fn filters_match_what_the_engine_keeps() {
        let rows = vec![
            row("web-1", ContainerState::Running, &[("app", "web")]),
            row(
                "web-2",
                ContainerState::Exited,
                &[("app", "web"), ("tier", "")],
            ),
            row("db", ContainerState::Paused, &[("app", "db")]),
        ];
        let names = |f: &ListFilter| -> Vec<String> {
            apply(&rows, f).into_iter().map(|c| c.name).collect()
        };
        assert_eq!(names(&ListFilter::default()), ["web-1", "db"]);
        let all = ListFilter {
            all: true,
            ..Default::default()
        };
        assert_eq!(names(&all).len(), 3);
        let status = ListFilter {
            status: vec!["exited".into(), "paused".into()],
            ..Default::default()
        };
        assert_eq!(names(&status), ["web-2", "db"]);
        let labels = ListFilter {
            all: true,
            labels: vec!["app=web".into(), "tier".into()],
            ..Default::default()
        };
        assert_eq!(names(&labels), ["web-2"]);
        let name = ListFilter {
            all: true,
            name: Some("web".into()),
            ..Default::default()
        };
        assert_eq!(names(&name), ["web-1", "web-2"]);
        assert!(can_serve(&name));
        assert!(!can_serve(&ListFilter {
            name: Some("^web".into()),
            ..Default::default()
        }));
        assert!(!can_serve(&ListFilter {
            image: Some("busybox".into()),
            ..Default::default()
        }));
    }

    #[test]
    fn rows_are_served_only_while_connected_and_unchanged() {
        let cache = ContainerCache::default();
        let rows = Arc::new(Vec::new());
        let g = cache.generation();
        cache.install(g, Instant::now(), rows.clone());
        assert!(cache.fresh().is_none(), "not connected yet");
        cache.set_connected(true);
        assert!(cache.fresh().is_none(), "read before the stream connected");
        let g = cache.generation();
        cache.install(g, Instant::now(), rows.clone());
        assert!(cache.fresh().is_some());
        cache.invalidate();
        assert!(cache.fresh().is_none(), "a change came after the read");
        let g = cache.generation();
        cache.install(g, Instant::now(), rows.clone());
        cache.set_connected(false);
        assert!(cache.fresh().is_none(), "the stream broke");
        // A read that started before a change does not count as current once installed.
        cache.set_connected(true);
        let g = cache.generation();
        cache.invalidate();
        cache.install(g, Instant::now(), rows);
        assert!(cache.fresh().is_none());
    }
}
