//! Failover between transports: one that cannot be reached (connections refused or timed
//! out) for `failover_after` is down, and its emails go to the next transport in the file's
//! order that is up; a probe connection every few seconds notices when it is back, and its
//! emails return to it. [`Availability`] is the pure rule, with the time passed in;
//! [`Health`] shares it between a transport's workers and publishes
//! `rapport_transport_up{transport}`.

use crate::mailer::SendOutcome;
use crate::metric_names::TRANSPORT_UP;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often a transport that is down is probed.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Whether a transport can be reached, from what its sends and probes said.
#[derive(Debug, Clone)]
pub struct Availability {
    failover_after: Duration,
    /// Since when every attempt to reach it failed (None: the last one worked).
    failing_since: Option<Instant>,
    down: bool,
    probing: bool,
    last_probe: Option<Instant>,
}

impl Availability {
    pub fn new(failover_after: Duration) -> Self {
        Availability {
            failover_after,
            failing_since: None,
            down: false,
            probing: false,
            last_probe: None,
        }
    }

    pub fn is_down(&self) -> bool {
        self.down
    }

    /// Could not connect (refused, timed out before the greeting). True when this made the
    /// transport down.
    pub fn unreachable(&mut self, now: Instant) -> bool {
        let since = *self.failing_since.get_or_insert(now);
        let was = self.down;
        self.down = now.saturating_duration_since(since) >= self.failover_after;
        self.down && !was
    }

    /// A server answered (a send, whatever its reply, or a probe). True when the transport
    /// was down and is up again.
    pub fn reached(&mut self) -> bool {
        let was = self.down;
        self.failing_since = None;
        self.down = false;
        was
    }

    /// Whether to start a probe now (down, none running, the last one long enough ago);
    /// when true, a probe counts as running until [`Availability::probed`].
    pub fn probe_due(&mut self, now: Instant) -> bool {
        let due = self.down
            && !self.probing
            && self
                .last_probe
                .is_none_or(|at| now.saturating_duration_since(at) >= PROBE_EVERY);
        if due {
            self.probing = true;
            self.last_probe = Some(now);
        }
        due
    }

    /// A probe ended. True when it brought the transport back.
    pub fn probed(&mut self, reached: bool) -> bool {
        self.probing = false;
        reached && self.reached()
    }
}

/// Where emails meant for lane `preferred` go now: there if it is up, else the next lane in
/// order that is up (wrapping round), else there anyway (nothing better; its emails are put
/// back while it stays unreachable).
pub fn choose(down: &[bool], preferred: usize) -> usize {
    let n = down.len();
    (0..n)
        .map(|k| (preferred + k) % n)
        .find(|&i| !down[i])
        .unwrap_or(preferred)
}

/// One transport's [`Availability`], shared by its workers and its probes.
pub struct Health {
    transport: String,
    rule: Mutex<Availability>,
    /// False while every attempt since the last success reached the server: the common
    /// case, read without the lock on every send.
    failing: AtomicBool,
}

impl Health {
    pub fn new(transport: &str, failover_after: Duration) -> Self {
        let health = Health {
            transport: transport.to_owned(),
            rule: Mutex::new(Availability::new(failover_after)),
            failing: AtomicBool::new(false),
        };
        health.publish(true);
        health
    }

    pub fn is_down(&self) -> bool {
        self.rule.lock().is_ok_and(|r| r.is_down())
    }

    /// Learns from one send's outcome.
    pub fn observe(&self, outcome: &SendOutcome) {
        let unreachable = outcome.is_unreachable();
        if !unreachable && !self.failing.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut rule) = self.rule.lock() else {
            return;
        };
        self.failing.store(unreachable, Ordering::Relaxed);
        if unreachable {
            if rule.unreachable(Instant::now()) {
                tracing::warn!(transport = %self.transport, reason = %outcome, "Transport down: unreachable for failover_after; its emails go to the next transport that is up, if any.");
                self.publish(false);
            }
        } else if rule.reached() {
            self.back();
        }
    }

    /// Takes over what `previous` (the same relay before a reload) knew: down or failing
    /// since when, and when it was last probed; this transport's own `failover_after`
    /// stays. A probe still running belongs to `previous`, so none counts as running here.
    pub fn keep_state_of(&self, previous: &Health) {
        let Ok(old) = previous.rule.lock().map(|r| r.clone()) else {
            return;
        };
        let Ok(mut rule) = self.rule.lock() else {
            return;
        };
        let failover_after = rule.failover_after;
        *rule = Availability {
            failover_after,
            probing: false,
            ..old
        };
        self.failing
            .store(previous.failing.load(Ordering::Relaxed), Ordering::Relaxed);
        self.publish(!rule.down);
    }

    /// True when a probe should start now (see [`Availability::probe_due`]).
    pub fn probe_due(&self) -> bool {
        self.rule
            .lock()
            .is_ok_and(|mut r| r.probe_due(Instant::now()))
    }

    /// A probe ended with `result`.
    pub fn probed(&self, result: Result<(), String>) {
        let Ok(mut rule) = self.rule.lock() else {
            return;
        };
        match result {
            Ok(()) if rule.probed(true) => {
                self.failing.store(false, Ordering::Relaxed);
                self.back()
            }
            Ok(()) => {}
            Err(reason) => {
                rule.probed(false);
                tracing::debug!(transport = %self.transport, %reason, "Transport still unreachable.");
            }
        }
    }

    fn back(&self) {
        tracing::info!(transport = %self.transport, "Transport reachable again; its emails come back to it.");
        self.publish(true);
    }

    fn publish(&self, up: bool) {
        metrics::gauge!(TRANSPORT_UP, "transport" => self.transport.clone()).set(if up {
            1.0
        } else {
            0.0
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn a_transport_is_down_only_once_it_failed_for_the_whole_failover_time() {
        let t = Instant::now();
        let mut a = Availability::new(Duration::from_secs(30));
        assert!(!a.unreachable(at(t, 0)));
        assert!(!a.unreachable(at(t, 29)));
        assert!(!a.is_down());
        assert!(a.unreachable(at(t, 30)), "down after 30 s of failures");
        assert!(!a.unreachable(at(t, 31)), "reported once");
        assert!(a.is_down());
    }

    #[test]
    fn a_server_answering_in_between_starts_the_failover_time_again() {
        let t = Instant::now();
        let mut a = Availability::new(Duration::from_secs(30));
        a.unreachable(at(t, 0));
        assert!(!a.reached(), "was not down");
        assert!(!a.unreachable(at(t, 40)), "the clock restarted at 40 s");
        assert!(a.unreachable(at(t, 70)));
    }

    #[test]
    fn a_down_transport_is_probed_every_few_seconds_and_a_good_probe_brings_it_back() {
        let t = Instant::now();
        let mut a = Availability::new(Duration::ZERO);
        assert!(!a.probe_due(t), "up: no probe");
        a.unreachable(t);
        assert!(a.probe_due(t));
        assert!(!a.probe_due(at(t, 5)), "one probe at a time");
        assert!(!a.probed(false));
        assert!(!a.probe_due(at(t, 1)), "not again within PROBE_EVERY");
        assert!(a.probe_due(at(t, 2)));
        assert!(a.probed(true), "back");
        assert!(!a.is_down());
    }

    #[test]
    fn emails_go_to_the_next_transport_that_is_up_in_file_order() {
        assert_eq!(choose(&[false, false], 0), 0);
        assert_eq!(choose(&[true, false, false], 0), 1);
        assert_eq!(choose(&[true, true, false], 0), 2, "skips one that is down");
        assert_eq!(choose(&[false, false, true], 2), 0, "wraps round");
        assert_eq!(choose(&[true, true], 1), 1, "all down: its own");
    }
}
