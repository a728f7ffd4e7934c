//! Fixed-window rate limits kept in memory, keyed by client address, user name or actor.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts events per key in windows of `window`; at most `limit` per window.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter of `limit` events per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key`; `Err(retry_after)` when over the limit.
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > 10_000 {
            // Bounded memory: drop windows that are over.
            buckets.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = buckets.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self
                .window
                .saturating_sub(now.duration_since(entry.0))
                .max(Duration::from_secs(1)));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Whether `key` is over the limit now, without counting.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match buckets.get(key) {
            Some((start, count))
                if now.duration_since(*start) < self.window && *count >= self.limit =>
            {
                Err(self
                    .window
                    .saturating_sub(now.duration_since(*start))
                    .max(Duration::from_secs(1)))
            }
            _ => Ok(()),
        }
    }

    /// Forgets `key` (after a successful login).
    pub fn reset(&self, key: &str) {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_within_a_window_and_resets_after() {
        let rl = RateLimiter::new(2, Duration::from_millis(200));
        assert!(rl.hit("a").is_ok());
        assert!(rl.hit("a").is_ok());
        assert!(rl.hit("a").is_err());
        assert!(rl.check("a").is_err());
        assert!(rl.hit("b").is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(rl.hit("a").is_ok());
    }
}
