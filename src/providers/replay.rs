//! Remembers Mailgun signature tokens for as long as their timestamp would still be accepted,
//! so that a captured request cannot be posted again inside the tolerance window.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Thread-safe, bounded set of recently seen tokens. Time comes in as an argument.
pub struct ReplayGuard {
    inner: Mutex<Seen>,
    capacity: usize,
}

#[derive(Default)]
struct Seen {
    tokens: HashSet<String>,
    /// `(forget_at, token)` ordered by expiry, to prune and to evict the oldest first.
    by_expiry: BTreeSet<(i64, String)>,
}

impl ReplayGuard {
    /// `capacity` bounds memory. Only correctly signed tokens get here, so filling it takes
    /// the signing key; if it ever fills, the entries closest to expiry are dropped first.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Seen::default()),
            capacity: capacity.max(1),
        }
    }

    /// Records `token` until `forget_at`. Returns `false` when it was already recorded (a
    /// replay), `true` when it is new.
    pub fn check_and_remember(
        &self,
        token: &str,
        forget_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        // A poisoned lock only means another thread panicked mid-insert; the sets are
        // still consistent enough to keep refusing replays.
        let mut seen = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        seen.prune(now.timestamp());
        if seen.tokens.contains(token) {
            return false;
        }
        while seen.tokens.len() >= self.capacity {
            let Some(oldest) = seen.by_expiry.pop_first() else {
                break;
            };
            seen.tokens.remove(&oldest.1);
        }
        seen.tokens.insert(token.to_owned());
        seen.by_expiry
            .insert((forget_at.timestamp(), token.to_owned()));
        true
    }

    /// Number of tokens currently remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |s| s.tokens.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Seen {
    fn prune(&mut self, now: i64) {
        while let Some(first) = self.by_expiry.first() {
            if first.0 >= now {
                break;
            }
            if let Some((_, token)) = self.by_expiry.pop_first() {
                self.tokens.remove(&token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap_or_default()
    }

    #[test]
    fn a_token_seen_twice_is_a_replay() {
        let guard = ReplayGuard::new(10);
        assert!(guard.check_and_remember("t", at(400), at(100)));
        assert!(!guard.check_and_remember("t", at(400), at(200)));
    }

    #[test]
    fn tokens_are_forgotten_after_their_window() {
        let guard = ReplayGuard::new(10);
        assert!(guard.check_and_remember("t", at(400), at(100)));
        assert!(guard.check_and_remember("u", at(900), at(401)));
        assert_eq!(guard.len(), 1);
        assert!(guard.check_and_remember("t", at(900), at(401)));
    }

    #[test]
    fn memory_stays_within_capacity() {
        let guard = ReplayGuard::new(3);
        for i in 0..100 {
            guard.check_and_remember(&i.to_string(), at(1000) + TimeDelta::seconds(i), at(0));
        }
        assert_eq!(guard.len(), 3);
        // The newest entries are the ones kept.
        assert!(!guard.check_and_remember("99", at(2000), at(0)));
    }

    #[test]
    fn the_guard_is_shared_across_threads() {
        let guard = std::sync::Arc::new(ReplayGuard::new(1000));
        let fresh: usize = (0..4)
            .map(|_| {
                let guard = guard.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .filter(|i| guard.check_and_remember(&i.to_string(), at(500), at(0)))
                        .count()
                })
            })
            .map(|h| h.join().unwrap_or_default())
            .sum();
        assert_eq!(fresh, 100);
    }
}
