//! Per-IP rate limits and the per-secret passphrase lockout.
//!
//! Each process counts per IP in memory ([`RateLimiter`]): the cheap, early check, exact
//! on the embedded store (one process per directory). Instances sharing a Redis store
//! also count each create and reveal there ([`Hit`], taken in the same script as the
//! write, so at no extra round trip), so N instances allow the limit, not N times it.
//! The lockout is in memory for the embedded store and in Redis for the Redis store.
//!
//! v1 counts anonymous creates and reveals per client IP in a fixed window
//! (1000 per 20 minutes by default); accounts are exempt. Wrong passphrases are
//! counted per secret: 20 within 10 minutes lock the secret for 30 minutes
//! (reference §2.6). Both tables are pruned by the background sweeper.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// A fixed-window counter per IP.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: u64,
    hits: Mutex<HashMap<IpAddr, (u64, u32)>>,
}

impl RateLimiter {
    /// `limit` events per `window` seconds; a limit of 0 disables the check.
    pub fn new(limit: u32, window: u64) -> Self {
        RateLimiter {
            limit,
            window: window.max(1),
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event; `false` when the caller is over the limit.
    pub fn allow(&self, ip: IpAddr, now: u64) -> bool {
        if self.limit == 0 {
            return true;
        }
        let start = now - now % self.window;
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let e = hits.entry(ip).or_insert((start, 0));
        if e.0 != start {
            *e = (start, 0);
        }
        e.1 = e.1.saturating_add(1);
        e.1 <= self.limit
    }

    /// This event, for the store to count across instances; `None` when the limit is off.
    pub fn hit(&self, bucket: &'static str, ip: IpAddr) -> Option<Hit> {
        (self.limit > 0).then_some(Hit {
            bucket,
            client: ip,
            limit: self.limit,
            window: self.window,
        })
    }

    /// Forgets windows that have ended.
    pub fn prune(&self, now: u64) {
        let start = now - now % self.window;
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (s, _)| *s == start);
    }
}

/// One create or reveal of a client, counted by the store with the write it comes with.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// `creates` or `reveals`.
    pub bucket: &'static str,
    /// The client's IP.
    pub client: IpAddr,
    /// Events allowed per window.
    pub limit: u32,
    /// Window in seconds (fixed windows, as [`RateLimiter`]).
    pub window: u64,
}

impl Hit {
    /// The counter's name for the window holding `now` (the store adds its prefix).
    pub fn counter(&self, now: u64) -> String {
        format!(
            "rate:{}:{}:{}",
            self.bucket,
            self.client,
            now - now % self.window
        )
    }
}

/// Wrong-passphrase counting per secret key.
#[derive(Debug)]
pub struct Lockout {
    max_failures: usize,
    window: u64,
    lock_for: u64,
    entries: Mutex<HashMap<String, LockEntry>>,
}

#[derive(Debug, Default)]
struct LockEntry {
    failures: VecDeque<u64>,
    locked_until: u64,
}

/// Wrong passphrases that lock a secret…
pub const LOCK_AFTER: usize = 20;
/// …when they come within this many seconds…
pub const LOCK_WINDOW: u64 = 600;
/// …lock it for this many seconds (reference §2.6).
pub const LOCK_FOR: u64 = 1800;

impl Default for Lockout {
    fn default() -> Self {
        Lockout::new(LOCK_AFTER, LOCK_WINDOW, LOCK_FOR)
    }
}

impl Lockout {
    /// `max_failures` within `window` seconds lock a secret for `lock_for` seconds.
    pub fn new(max_failures: usize, window: u64, lock_for: u64) -> Self {
        Lockout {
            max_failures: max_failures.max(1),
            window,
            lock_for,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the secret is locked at `now`.
    pub fn is_locked(&self, key: &str, now: u64) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .is_some_and(|e| e.locked_until > now)
    }

    /// Records a wrong passphrase; returns whether the secret is now locked.
    pub fn fail(&self, key: &str, now: u64) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = entries.entry(key.to_owned()).or_default();
        while e.failures.front().is_some_and(|&t| t + self.window <= now) {
            e.failures.pop_front();
        }
        e.failures.push_back(now);
        if e.failures.len() >= self.max_failures {
            e.locked_until = now + self.lock_for;
            e.failures.clear();
        }
        e.locked_until > now
    }

    /// Drops entries with no recent failure and no running lock.
    pub fn prune(&self, now: u64) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, e| {
                e.locked_until > now || e.failures.back().is_some_and(|&t| t + self.window > now)
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_resets() {
        let r = RateLimiter::new(2, 60);
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!(r.allow(ip, 120));
        assert!(r.allow(ip, 121));
        assert!(!r.allow(ip, 122));
        assert!(r.allow(ip, 180));
        assert!(RateLimiter::new(0, 60).allow(ip, 1));
    }

    #[test]
    fn twenty_failures_lock_for_thirty_minutes() {
        let l = Lockout::default();
        for i in 0..19 {
            assert!(!l.fail("k", 1000 + i));
        }
        assert!(!l.is_locked("k", 1019));
        assert!(l.fail("k", 1019));
        assert!(l.is_locked("k", 1019 + 1799));
        assert!(!l.is_locked("k", 1019 + 1800));
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let l = Lockout::default();
        for i in 0..19 {
            l.fail("k", i);
        }
        assert!(!l.fail("k", 700));
    }

    #[test]
    fn a_failure_stops_counting_exactly_when_its_window_ends() {
        // Two failures lock; the first counts until 100 + 600.
        let within = Lockout::new(2, 600, 1800);
        within.fail("k", 100);
        assert!(within.fail("k", 699));
        let after = Lockout::new(2, 600, 1800);
        after.fail("k", 100);
        assert!(!after.fail("k", 700));
    }

    #[test]
    fn a_lock_ends_exactly_when_its_time_is_up() {
        let l = Lockout::new(2, 600, 1800);
        l.fail("k", 1000);
        assert!(l.fail("k", 1000));
        assert!(l.is_locked("k", 2799));
        // At 2800 the lock is over: a wrong passphrase then is the first of a new count.
        assert!(!l.fail("k", 2800));
    }

    #[test]
    fn pruning_keeps_only_recent_failures_and_running_locks() {
        let l = Lockout::new(2, 600, 1800);
        l.fail("recent", 1000); // counts until 1600
        l.fail("locked", 1000);
        l.fail("locked", 1000); // locked until 2800
        let kept = |now| {
            l.prune(now);
            let entries = l.entries.lock().unwrap_or_else(|e| e.into_inner());
            let mut keys: Vec<String> = entries.keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(kept(1599), ["locked", "recent"]);
        assert_eq!(kept(1600), ["locked"]);
        assert_eq!(kept(2799), ["locked"]);
        assert_eq!(kept(2800), Vec::<String>::new());
    }
}
