//! Sign-in attempts that failed, per address and client IP: a few a minute, then refused
//! before any password is checked. Only failures count, so a stranger who knows someone's
//! address cannot lock them out from another IP, and a person signing in often is never
//! refused.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept at most before the quiet ones are forgotten.
const KEYS: usize = 10_000;

/// Failed attempts in the last window, by key.
pub(crate) struct Attempts {
    allowed: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Attempts {
    /// `allowed` failures per `window` for each key.
    pub(crate) fn new(allowed: usize, window: Duration) -> Self {
        Self {
            allowed: allowed.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The key of `email` tried from `ip` (unknown when the server was not given the
    /// client's address).
    pub(crate) fn key(ip: Option<IpAddr>, email: &str) -> String {
        let email: String = email
            .trim()
            .to_lowercase()
            .chars()
            .take(crate::accounts::Account::MAX_CHARS)
            .collect();
        match ip {
            Some(ip) => format!("{ip} {email}"),
            None => format!("- {email}"),
        }
    }

    /// Whether `key` failed too often lately to be tried now.
    pub(crate) fn blocked(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get_mut(key) {
            Some(times) => {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    times.pop_front();
                }
                times.len() >= self.allowed
            }
            None => false,
        }
    }

    /// Counts a failure of `key`.
    pub(crate) fn failed(&self, key: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= KEYS {
            let window = self.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= window)
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        times.push_back(now);
        // Never more than a window's worth per key.
        while times.len() > self.allowed {
            times.pop_front();
        }
    }

    /// Forgets `key`'s failures: it signed in.
    pub(crate) fn succeeded(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_their_key_only_and_a_success_clears_them() {
        let attempts = Attempts::new(3, Duration::from_secs(60));
        let key = Attempts::key(Some([10, 0, 0, 1].into()), "Ana@Firm.example");
        assert_eq!(key, "10.0.0.1 ana@firm.example");
        for _ in 0..2 {
            attempts.failed(&key);
        }
        assert!(!attempts.blocked(&key));
        attempts.failed(&key);
        assert!(attempts.blocked(&key));
        let elsewhere = Attempts::key(Some([10, 0, 0, 2].into()), "ana@firm.example");
        assert!(!attempts.blocked(&elsewhere), "another IP may still try");
        attempts.succeeded(&key);
        assert!(!attempts.blocked(&key));
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let attempts = Attempts::new(1, Duration::from_millis(20));
        let key = Attempts::key(None, "ana@firm.example");
        attempts.failed(&key);
        assert!(attempts.blocked(&key));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!attempts.blocked(&key));
    }
}
