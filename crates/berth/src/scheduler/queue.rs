//! The timer queue: a min-heap of `(due, schedule id)` with lazy deletion, reloaded from the
//! database at start and every [`RESYNC`] (so schedules another server created are seen), and
//! updated at once when this server changes a schedule.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Scheduler;
use super::cron::ms;

/// How often the queue is rebuilt from the database.
pub const RESYNC: Duration = Duration::from_secs(10);

/// How often old runs are pruned.
pub const HOUSEKEEPING: Duration = Duration::from_secs(3600);

/// A schedule's next due time changed (`None`: it no longer fires).
#[derive(Debug, Clone, Copy)]
pub struct Change {
    /// Schedule id.
    pub id: i64,
    /// Next due time, unix ms.
    pub due: Option<i64>,
}

/// About 40 bytes per enabled schedule: 10,000 of them take well under a megabyte.
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(i64, i64)>>,
    current: HashMap<i64, i64>,
}

impl Queue {
    fn set(&mut self, id: i64, due: Option<i64>) {
        match due {
            Some(due) => {
                if self.current.insert(id, due) != Some(due) {
                    self.heap.push(Reverse((due, id)));
                }
            }
            None => {
                self.current.remove(&id);
            }
        }
        // Stale entries pile up when schedules change often; rebuild when they dominate.
        if self.heap.len() > 2 * self.current.len() + 1024 {
            self.heap = self
                .current
                .iter()
                .map(|(id, due)| Reverse((*due, *id)))
                .collect();
        }
    }

    fn replace(&mut self, rows: Vec<(i64, i64)>) {
        self.current = rows.iter().copied().collect();
        self.heap = rows
            .into_iter()
            .map(|(id, due)| Reverse((due, id)))
            .collect();
    }

    /// The earliest live due time.
    fn peek(&mut self) -> Option<i64> {
        while let Some(Reverse((due, id))) = self.heap.peek().copied() {
            if self.current.get(&id) == Some(&due) {
                return Some(due);
            }
            self.heap.pop();
        }
        None
    }

    /// The next live entry due at or before `now`, removed.
    fn pop_due(&mut self, now: i64) -> Option<(i64, i64)> {
        let due = self.peek()?;
        if due > now {
            return None;
        }
        let Reverse((due, id)) = self.heap.pop()?;
        self.current.remove(&id);
        Some((due, id))
    }
}

/// Runs until the server stops.
pub(super) async fn run(scheduler: Arc<Scheduler>, mut changes: mpsc::UnboundedReceiver<Change>) {
    // Runs a previous server left `running` are closed before anything fires again.
    sweep_interrupted(&scheduler).await;
    if let Err(e) = scheduler.recover_missed().await {
        tracing::warn!(error = %e, "could not check for runs missed while down");
    }
    let mut queue = Queue::default();
    let mut resync = tokio::time::interval(RESYNC);
    resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
    housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sweep = tokio::time::interval_at(
        tokio::time::Instant::now() + super::interrupted::SWEEP,
        super::interrupted::SWEEP,
    );
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let wait = queue.peek().map_or(Duration::from_secs(3600), |due| {
            Duration::from_millis(u64::try_from(due - ms(chrono::Utc::now())).unwrap_or(0))
        });
        tokio::select! {
            biased;
            () = scheduler.shutdown.cancelled() => break,
            Some(change) = changes.recv() => queue.set(change.id, change.due),
            _ = resync.tick() => match scheduler.ctx.store.due_index().await {
                Ok(rows) => queue.replace(rows),
                Err(e) => tracing::warn!(error = %e, "could not reload the schedules"),
            },
            _ = housekeeping.tick() => match scheduler.ctx.store.prune_runs(super::RUNS_KEPT).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "pruned old schedule runs"),
                Err(e) => tracing::warn!(error = %e, "could not prune schedule runs"),
            },
            _ = sweep.tick() => sweep_interrupted(&scheduler).await,
            () = tokio::time::sleep(wait) => {
                let now = ms(chrono::Utc::now());
                while let Some((due, id)) = queue.pop_due(now) {
                    let s = scheduler.clone();
                    tokio::spawn(async move { s.fire(id, due).await });
                }
            }
        }
    }
}

async fn sweep_interrupted(scheduler: &Scheduler) {
    match scheduler.close_interrupted().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(runs = n, "closed runs cut off by a server stop"),
        Err(e) => tracing::warn!(error = %e, "could not close runs cut off by a server stop"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_live_entry_comes_first_and_stale_ones_are_skipped() {
        let mut q = Queue::default();
        q.set(1, Some(300));
        q.set(2, Some(100));
        q.set(3, Some(200));
        q.set(2, Some(400)); // moved: its old entry at 100 is stale
        q.set(3, None); // removed
        assert_eq!(q.peek(), Some(300));
        assert_eq!(q.pop_due(250), None);
        assert_eq!(q.pop_due(1000), Some((300, 1)));
        assert_eq!(q.pop_due(1000), Some((400, 2)));
        assert_eq!(q.pop_due(1000), None);
    }
}
