//! Notifications out: events from the rest of Berth ([`Notifier::publish`]) are matched against
//! the rules and sent to their channels (Discord, ntfy, Slack, a generic webhook, e-mail).
//!
//! Publishing never waits: events go into a bounded queue read by one dispatcher task; each send
//! runs in its own task (at most [`MAX_CONCURRENT_SENDS`] at once) with its retries, so a channel
//! that is down holds up nothing else. Every send's outcome is stored as a delivery.

pub mod channels;
pub mod event;
pub mod rules;
pub mod send;
pub mod shoutrrr;
pub mod sources;
pub mod update_watch;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_api::notify::{Delivery, NotifyEventKind};
use chrono::Utc;
use tokio::sync::{Semaphore, broadcast, mpsc};
use tokio_util::sync::CancellationToken;

pub use event::NotifyEvent;
pub use send::Policy;

use crate::error::AppError;
use crate::secrets::SecretBox;
use crate::store::{ChannelRecord, DeliveryRecord, Store};

/// Events waiting for the dispatcher; beyond this, new ones are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 1024;

/// Sends in flight at once.
pub const MAX_CONCURRENT_SENDS: usize = 16;

/// Attempts of a "send test" (it answers within the request).
pub const TEST_ATTEMPTS: u32 = 3;

/// Failed sign-ins for one user name within [`LOGIN_FAILURE_WINDOW`] that make an event.
pub const LOGIN_FAILURE_THRESHOLD: u32 = 5;

/// The window failed sign-ins are counted in.
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The notification service; cheap to share (`Arc`).
pub struct Notifier {
    tx: mpsc::Sender<Queued>,
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    secrets: Arc<SecretBox>,
    /// Made at the first send: its TLS roots cost memory an idle server need not hold.
    client: std::sync::OnceLock<reqwest::Client>,
    policy: Policy,
    /// Last send per (rule, event key), unix ms: a cache of the stored cooldowns (filled as
    /// keys are met), so an event in its cooldown is dropped without a database round trip.
    cooldowns: Mutex<HashMap<(i64, String), i64>>,
    sends: Arc<Semaphore>,
    shutdown: CancellationToken,
    dropped: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    login_failures: Mutex<HashMap<String, (Instant, u32)>>,
}

struct Queued {
    event: NotifyEvent,
    at: chrono::DateTime<Utc>,
}

impl Notifier {
    /// Starts the dispatcher; it stops with `shutdown`.
    pub fn start(
        store: Store,
        secrets: Arc<SecretBox>,
        policy: Policy,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let inner = Arc::new(Inner {
            store,
            secrets,
            client: std::sync::OnceLock::new(),
            policy,
            cooldowns: Mutex::new(HashMap::new()),
            sends: Arc::new(Semaphore::new(MAX_CONCURRENT_SENDS)),
            shutdown,
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            login_failures: Mutex::new(HashMap::new()),
        });
        tokio::spawn(prune_cooldowns(inner.store.clone()));
        tokio::spawn(dispatch_loop(inner.clone(), rx));
        Arc::new(Self { tx, inner })
    }

    /// Queues an event for the rules; never waits (a full queue drops it with a warning).
    pub fn publish(&self, event: NotifyEvent) {
        let queued = Queued {
            event,
            at: Utc::now(),
        };
        if let Err(e) = self.tx.try_send(queued) {
            let n = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            let kind = match &e {
                mpsc::error::TrySendError::Full(q) | mpsc::error::TrySendError::Closed(q) => {
                    q.event.kind()
                }
            };
            tracing::warn!(event = ?kind, dropped = n, "notification queue full: event dropped");
        }
    }

    /// Follows another subsystem's broadcast channel (say, schedule run outcomes) until shutdown,
    /// publishing whatever `map` turns into an event. A lagging receiver skips what it missed.
    pub fn follow<T, F>(self: &Arc<Self>, mut rx: broadcast::Receiver<T>, map: F)
    where
        T: Clone + Send + 'static,
        F: Fn(T) -> Option<NotifyEvent> + Send + 'static,
    {
        let notifier = self.clone();
        let shutdown = self.inner.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => return,
                    next = rx.recv() => next,
                };
                match next {
                    Ok(item) => {
                        if let Some(event) = map(item) {
                            notifier.publish(event);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "notifications fell behind a broadcast");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Since start: (sends accepted, sends failed after their retries, events dropped because
    /// the queue was full).
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.inner.sent.load(Ordering::Relaxed),
            self.inner.failed.load(Ordering::Relaxed),
            self.inner.dropped.load(Ordering::Relaxed),
        )
    }

    /// The key that seals channel secrets.
    pub fn secrets(&self) -> &SecretBox {
        &self.inner.secrets
    }

    /// Counts a failed sign-in; from [`LOGIN_FAILURE_THRESHOLD`] failures in the window on, each
    /// one publishes [`NotifyEvent::LoginFailures`] (rules' cooldowns keep that to one message).
    pub fn login_failed(&self, username: &str, client_ip: Option<&str>) {
        let name: String = username.to_lowercase().chars().take(64).collect();
        let now = Instant::now();
        let count = {
            let mut map = self
                .inner
                .login_failures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.len() > 10_000 {
                map.retain(|_, (start, _)| now.duration_since(*start) < LOGIN_FAILURE_WINDOW);
            }
            let entry = map.entry(name.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= LOGIN_FAILURE_WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
            entry.1
        };
        if count >= LOGIN_FAILURE_THRESHOLD {
            self.publish(NotifyEvent::LoginFailures {
                username: name,
                client_ip: client_ip.map(str::to_owned),
                failures: count,
            });
        }
    }

    /// Sends a test message to a channel now (no rules, no cooldown; at most
    /// [`TEST_ATTEMPTS`] attempts so the request ends in time) and answers the stored outcome.
    pub async fn send_test(&self, channel: &ChannelRecord) -> Result<Delivery, AppError> {
        let config = channels::open(channel, &self.inner.secrets)?;
        let event = NotifyEvent::Test;
        let record = self
            .inner
            .send_and_record(channel, &config, None, &event, Utc::now(), TEST_ATTEMPTS)
            .await?;
        Ok(delivery_view(record))
    }
}

/// Stored cooldowns older than the longest a rule may have are of no more use.
async fn prune_cooldowns(store: Store) {
    let longest = i64::try_from(rules::MAX_COOLDOWN_SECS).unwrap_or(i64::MAX) * 1000;
    let before = Utc::now().timestamp_millis() - longest;
    if let Err(e) = store.prune_cooldowns(before).await {
        tracing::warn!(error = %e, "could not prune old notification cooldowns");
    }
}

async fn dispatch_loop(inner: Arc<Inner>, mut rx: mpsc::Receiver<Queued>) {
    loop {
        let queued = tokio::select! {
            () = inner.shutdown.cancelled() => return,
            q = rx.recv() => match q {
                Some(q) => q,
                None => return,
            },
        };
        if let Err(e) = dispatch(&inner, queued).await {
            tracing::warn!(error = %e, "could not dispatch a notification");
        }
    }
}

/// Matches one event against the enabled rules and starts a send per channel (once per
/// channel, however many rules name it), skipping rules still in their cooldown for this event.
async fn dispatch(inner: &Arc<Inner>, queued: Queued) -> Result<(), AppError> {
    let event = queued.event;
    let key = event.key();
    let mut channel_ids: Vec<(i64, i64)> = Vec::new();
    let mut seen = HashSet::new();
    let rules: Vec<rules::Parsed> = inner
        .store
        .enabled_rules()
        .await?
        .iter()
        .map(rules::Parsed::from_record)
        .collect();
    // Tags kept by Berth for the event's container (read only when a rule filters by tag).
    let stored_tags = match (event.host(), event.container()) {
        (Some(host), Some(container)) if rules.iter().any(|r| !r.tags.is_empty()) => {
            inner.store.tags_of(host, container).await?
        }
        _ => Vec::new(),
    };
    for rule in rules {
        if !rule.matches_with(&event, &stored_tags) {
            continue;
        }
        if !inner
            .start_cooldown(rule.id, &key, Duration::from_secs(rule.cooldown_secs))
            .await
        {
            tracing::debug!(rule = rule.id, key = %key, "notification suppressed: in cooldown");
            continue;
        }
        for channel in &rule.channels {
            if seen.insert(*channel) {
                channel_ids.push((*channel, rule.id));
            }
        }
    }
    for (channel_id, rule_id) in channel_ids {
        let Some(channel) = inner.store.channel(channel_id).await? else {
            continue;
        };
        if !channel.enabled {
            continue;
        }
        let config = match channels::open(&channel, &inner.secrets) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(channel = %channel.name, error = %e.message, "channel settings unreadable");
                continue;
            }
        };
        let inner = inner.clone();
        let event = event.clone();
        let at = queued.at;
        let permit = inner.sends.clone().acquire_owned().await;
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = inner
                .send_and_record(&channel, &config, Some(rule_id), &event, at, u32::MAX)
                .await
            {
                tracing::warn!(channel = %channel.name, error = %e.message, "could not record a delivery");
            }
        });
    }
    Ok(())
}

impl Inner {
    /// Whether a send for (rule, key) may go now; if so, the cooldown starts. The database
    /// decides (cooldowns outlive a restart and hold across servers); the cache only answers
    /// "still cooling down" early. A database error lets the event through on the cache's word:
    /// a duplicate message beats a lost one.
    async fn start_cooldown(&self, rule: i64, key: &str, cooldown: Duration) -> bool {
        if cooldown.is_zero() {
            return true;
        }
        let now = Utc::now().timestamp_millis();
        let since = now.saturating_sub(i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX));
        let k = (rule, key.to_owned());
        if self.cached_cooldown(&k).is_some_and(|last| last > since) {
            return false;
        }
        let (allowed, last) = match self.store.claim_cooldown(rule, key, now, since).await {
            Ok(true) => (true, Some(now)),
            Ok(false) => {
                let last = self
                    .store
                    .cooldown_last_sent(rule, key)
                    .await
                    .ok()
                    .flatten();
                (false, last)
            }
            Err(e) => {
                tracing::warn!(rule, error = %e, "could not store a notification cooldown");
                (true, Some(now))
            }
        };
        if let Some(last) = last {
            let mut map = self
                .cooldowns
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if map.len() > 10_000 {
                let day_ago = now - 86_400_000;
                map.retain(|_, last| *last > day_ago);
            }
            map.insert(k, last);
        }
        allowed
    }

    fn cached_cooldown(&self, k: &(i64, String)) -> Option<i64> {
        self.cooldowns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(k)
            .copied()
    }

    async fn send_and_record(
        &self,
        channel: &ChannelRecord,
        config: &berth_api::notify::ChannelConfig,
        rule_id: Option<i64>,
        event: &NotifyEvent,
        at: chrono::DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<DeliveryRecord, AppError> {
        let msg = send::Message::of(event);
        let policy = Policy {
            attempts: self.policy.attempts.min(max_attempts),
            ..self.policy
        };
        let client = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(self.policy.timeout)
                .connect_timeout(self.policy.timeout.min(Duration::from_secs(10)))
                .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
                // A redirect could carry a webhook's token to another host.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default()
        });
        let outcome = send::deliver(client, config, &msg, policy, &self.shutdown).await;
        let counter = if outcome.ok { &self.sent } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        if outcome.ok {
            tracing::info!(channel = %channel.name, event = %msg.event, attempts = outcome.attempts, "notification sent");
        } else {
            tracing::warn!(channel = %channel.name, event = %msg.event, attempts = outcome.attempts, error = ?outcome.error, "notification failed");
        }
        let record = DeliveryRecord {
            id: 0,
            channel_id: Some(channel.id),
            channel_name: channel.name.clone(),
            rule_id,
            event: msg.event,
            event_key: msg.key,
            title: msg.title,
            ok: outcome.ok,
            error: outcome.error,
            attempts: i64::from(outcome.attempts),
            created_at: at,
            finished_at: Utc::now(),
        };
        Ok(self.store.insert_delivery(&record).await?)
    }
}

/// The API view of a delivery.
pub fn delivery_view(r: DeliveryRecord) -> Delivery {
    Delivery {
        id: r.id,
        channel_id: r.channel_id,
        channel_name: r.channel_name,
        rule_id: r.rule_id,
        event: event::kind_from_name(&r.event).unwrap_or(NotifyEventKind::Test),
        event_key: r.event_key,
        title: r.title,
        ok: r.ok,
        error: r.error,
        attempts: u32::try_from(r.attempts).unwrap_or(0),
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}
