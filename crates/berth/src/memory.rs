//! Giving freed memory back to the system once the server goes quiet.
//!
//! glibc's malloc keeps what a thread once freed in that thread's arena and returns only the top
//! of each arena, so after the startup work or a burst of requests (a 200-container list is
//! about a megabyte of JSON per call) Berth stayed resident at its high-water mark: about 4 MB of
//! its 24 MB idle footprint. `malloc_trim(0)` walks every arena and hands free pages back with
//! `madvise`. It locks each arena while it walks it, so it runs only when no request has come
//! for a couple of seconds, on a blocking thread, and once per quiet spell.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Requests seen since start (bumped by the outermost middleware).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// How long without a request counts as quiet.
const QUIET: Duration = Duration::from_secs(2);

/// Notes a request (called once per request, before it is handled).
pub fn note_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// Trims the allocator after startup and after each burst of requests, once the server has been
/// quiet for [`QUIET`]; ends with `shutdown`.
pub async fn trim_when_quiet(shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(QUIET);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut quiet = Quiet::default();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return,
        }
        if quiet.tick(REQUESTS.load(Ordering::Relaxed)) {
            // A panicking trim is not worth ending the loop for: there is nothing to undo.
            let _ = tokio::task::spawn_blocking(trim).await;
        }
    }
}

/// Decides, tick by tick, when the server has gone quiet: the request count has not moved for
/// a whole tick, and has moved since the last trim (the first quiet spell after start counts).
#[derive(Debug, Default)]
struct Quiet {
    last_seen: Option<u64>,
    acted_at: Option<u64>,
}

impl Quiet {
    /// One tick with the request count `now`: whether to trim.
    fn tick(&mut self, now: u64) -> bool {
        let act = self.last_seen == Some(now) && self.acted_at != Some(now);
        if act {
            self.acted_at = Some(now);
        }
        self.last_seen = Some(now);
        act
    }
}

/// Asks glibc for its free pages back; elsewhere there is nothing to do (musl, and other
/// allocators, do not keep pages the way glibc does).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(
    unsafe_code,
    reason = "malloc_trim is a C function; the one unsafe call in Berth"
)]
fn trim() {
    // SAFETY: malloc_trim takes no pointers and has no caller-side invariants; glibc documents it
    // as safe to call at any time from any thread (it locks each arena itself).
    let released = unsafe { libc::malloc_trim(0) } != 0;
    tracing::debug!(released, "gave free heap pages back to the system");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_after_start_and_once_after_each_burst_never_during_one() {
        let mut quiet = Quiet::default();
        // Start: the first tick only looks; the second, with no request between, trims.
        assert!(!quiet.tick(0));
        assert!(quiet.tick(0));
        // Still quiet: no second trim for the same spell.
        assert!(!quiet.tick(0));
        assert!(!quiet.tick(0));
        // A burst: requests between every tick, so never a trim while it lasts.
        for n in 1..=10 {
            assert!(!quiet.tick(n), "trimmed mid-burst at {n}");
        }
        // The first quiet tick after it trims, once.
        assert!(quiet.tick(10));
        assert!(!quiet.tick(10));
        // One lone request is a burst too.
        assert!(!quiet.tick(11));
        assert!(quiet.tick(11));
    }

    #[test]
    fn a_trim_is_harmless_at_any_time() {
        let held: Vec<Vec<u8>> = (0..64).map(|i| vec![i; 64 * 1024]).collect();
        trim();
        assert!(
            held.iter()
                .enumerate()
                .all(|(i, v)| v.iter().all(|b| usize::from(*b) == i))
        );
    }
}
