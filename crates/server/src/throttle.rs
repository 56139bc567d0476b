//! In-memory limits against guessing and flooding, kept per process: `Backoff` (after a few
//! failures, each further one locks its key for twice as long as the last) and `Quota` (at most
//! so many events per key in a sliding window). Keys are what is limited: an account and a client
//! address together, an address alone, an ID number. Both forget old keys so that memory stays
//! bounded whatever the callers send.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys a limit remembers before it drops those that no longer limit anything.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// After `free` failures of a key, each further failure locks the key for `base` × 2^(n − free − 1)
/// (at most `max`); a key without failures for `forget` starts again from zero.
#[derive(Debug)]
pub struct Backoff<K> {
    free: u32,
    base: Duration,
    max: Duration,
    forget: Duration,
    map: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Clone> Backoff<K> {
    pub fn new(free: u32, base: Duration, max: Duration, forget: Duration) -> Backoff<K> {
        Backoff { free, base, max, forget, map: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` while `key` is locked.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(map) = self.map.lock() else { return Ok(()) };
        match map.get(key).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure of `key`; returns how long the key is now locked (zero if not).
    pub fn fail(&self, key: &K, now: Instant) -> Duration {
        let Ok(mut map) = self.map.lock() else { return Duration::ZERO };
        if map.len() >= MAX_KEYS {
            let forget = self.forget;
            map.retain(|_, f| now.saturating_duration_since(f.last) < forget || f.locked_until.is_some_and(|u| u > now));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let f = map.entry(key.clone()).or_insert(Failures { count: 0, last: now, locked_until: None });
        if now.saturating_duration_since(f.last) >= self.forget && f.locked_until.is_none_or(|u| u <= now) {
            *f = Failures { count: 0, last: now, locked_until: None };
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count <= self.free {
            return Duration::ZERO;
        }
        let doublings = (f.count - self.free - 1).min(20);
        let lock = self.base.saturating_mul(1 << doublings).min(self.max);
        f.locked_until = Some(now + lock);
        lock
    }

    /// Forgets `key`'s failures (after a success).
    pub fn clear(&self, key: &K) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(key);
        }
    }
}

/// At most `limit` events per key within any `window`.
#[derive(Debug)]
pub struct Quota<K> {
    limit: usize,
    window: Duration,
    map: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq + Clone> Quota<K> {
    pub fn new(limit: usize, window: Duration) -> Quota<K> {
        Quota { limit: limit.max(1), window, map: Mutex::new(HashMap::new()) }
    }

    /// Counts an event of `key` if the key has room; `Err(wait)` (and nothing counted) if not.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Ok(mut map) = self.map.lock() else { return Ok(()) };
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.saturating_duration_since(*t) < window));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let q = map.entry(key.clone()).or_default();
        while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now.saturating_duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

/// Whole seconds to wait, at least one (for `Retry-After` and the messages).
pub fn seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_locks_after_the_free_failures_and_doubles() {
        let b: Backoff<&str> = Backoff::new(3, Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(600));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.check(&"k", t0).is_ok());
            assert_eq!(b.fail(&"k", t0), Duration::ZERO);
        }
        assert_eq!(b.fail(&"k", t0), Duration::from_secs(1));
        assert_eq!(b.check(&"k", t0), Err(Duration::from_secs(1)));
        assert!(b.check(&"other", t0).is_ok(), "other keys are untouched");
        let t1 = t0 + Duration::from_secs(1);
        assert!(b.check(&"k", t1).is_ok(), "the lock ends");
        assert_eq!(b.fail(&"k", t1), Duration::from_secs(2));
        assert_eq!(b.fail(&"k", t1), Duration::from_secs(4));
        assert_eq!(b.fail(&"k", t1), Duration::from_secs(5), "capped");
        b.clear(&"k");
        assert!(b.check(&"k", t1).is_ok());
        assert_eq!(b.fail(&"k", t1), Duration::ZERO, "a success starts again");
    }

    #[test]
    fn backoff_forgets_old_failures() {
        let b: Backoff<u8> = Backoff::new(1, Duration::from_secs(1), Duration::from_secs(60), Duration::from_secs(10));
        let t0 = Instant::now();
        b.fail(&1, t0);
        assert_eq!(b.fail(&1, t0 + Duration::from_secs(11)), Duration::ZERO, "the first failure was forgotten");
    }

    #[test]
    fn quota_allows_the_limit_per_window() {
        let q: Quota<&str> = Quota::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(q.take(&"a", t0).is_ok());
        assert!(q.take(&"a", t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(q.take(&"a", t0 + Duration::from_secs(20)), Err(Duration::from_secs(40)));
        assert!(q.take(&"b", t0).is_ok());
        assert!(q.take(&"a", t0 + Duration::from_secs(60)).is_ok(), "the first event left the window");
        assert_eq!(seconds(Duration::from_millis(1500)), 2);
        assert_eq!(seconds(Duration::from_secs(3)), 3);
    }
}
