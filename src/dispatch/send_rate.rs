//! A transport's send rate, adapted to what its server says: additive increase while
//! replies are clean, multiplicative decrease when it says "slow down" (AIMD, as TCP does
//! with its window) — cut to 90 % of what the server accepted in the last second, so a
//! server with a fixed allowed rate is approached from just below rather than sawed at
//! from half of it (a plain halving averaged three quarters of the allowed rate). [`Aimd`] is the pure rule, with the time passed in; [`SendRate`] applies
//! it to a `governor` limiter (rebuilt when the rate changes, at most once a second) and
//! publishes the current rate in `/metrics`.

use crate::mailer::SendOutcome;
use crate::metric_names::{EMAILS_THROTTLED, TRANSPORT_RATE};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The rate never falls below one email a second: a throttling server still sees a probe
/// now and then, and replies that turn clean are noticed.
const FLOOR: f64 = 1.0;
/// A throttle cuts the rate to this share of what the server accepted in the last interval
/// (never more than this share of the rate it refused): a server that took nothing gets
/// the floor at once, one that took nearly everything a 10 % cut.
const DECREASE: f64 = 0.9;
/// At most one change per interval: replies to emails sent before the last change say
/// nothing about the new rate.
const INTERVAL: Duration = Duration::from_secs(1);
/// Each clean interval adds this share of the ceiling (or, when unlimited, of the rate set
/// at the last cut).
const STEP: f64 = 0.05;

/// The AIMD rule. `None` as a rate means unlimited.
#[derive(Debug, Clone)]
pub struct Aimd {
    /// The configured rate (`rate_per_second`), `None` when 0 (unlimited).
    ceiling: Option<f64>,
    current: Option<f64>,
    /// The rate the server refused last: where an unlimited transport is unlimited again.
    refused_at: f64,
    /// What each clean interval adds.
    step: f64,
    last_change: Option<Instant>,
}

impl Aimd {
    pub fn new(rate_per_second: u32) -> Self {
        let ceiling = (rate_per_second > 0).then_some(f64::from(rate_per_second));
        Aimd {
            ceiling,
            current: ceiling,
            refused_at: ceiling.unwrap_or(FLOOR),
            step: ceiling.map_or(1.0, |c| (c * STEP).max(1.0)),
            last_change: None,
        }
    }

    /// Emails per second allowed now; `None` = unlimited.
    pub fn rate(&self) -> Option<f64> {
        self.current
    }

    fn quiet_since_change(&self, now: Instant) -> bool {
        self.last_change
            .is_none_or(|at| now.saturating_duration_since(at) >= INTERVAL)
    }

    /// The server said "slow down". `attempted` is the rate we were sending at (what an
    /// unlimited transport is cut from), `accepted` the rate the server took since the last
    /// change. True when the rate changed.
    pub fn throttled(&mut self, now: Instant, attempted: f64, accepted: f64) -> bool {
        if !self.quiet_since_change(now) {
            return false;
        }
        let from = self.current.unwrap_or(attempted).max(FLOOR);
        let to = (accepted.min(from) * DECREASE).max(FLOOR);
        self.refused_at = from;
        if self.ceiling.is_none() {
            self.step = (to * STEP).max(1.0);
        }
        self.current = Some(to);
        self.last_change = Some(now);
        true
    }

    /// A clean reply (sent, or refused for a reason of the email's own). True when the
    /// rate changed.
    pub fn clean(&mut self, now: Instant) -> bool {
        let Some(current) = self.current else {
            return false;
        };
        if self.ceiling == Some(current) || !self.quiet_since_change(now) {
            return false;
        }
        let next = current + self.step;
        self.current = match self.ceiling {
            Some(c) => Some(next.min(c)),
            // Unlimited again once past where the server pushed back last time.
            None if next >= self.refused_at => None,
            None => Some(next),
        };
        self.last_change = Some(now);
        true
    }
}

/// One transport's adaptive rate, shared by its workers.
pub struct SendRate {
    transport: String,
    rule: Mutex<Aimd>,
    limiter: RwLock<Option<Arc<DefaultDirectRateLimiter>>>,
    /// Since the last change: when it was, emails attempted, emails the server accepted.
    window: Mutex<Window>,
}

impl SendRate {
    pub fn new(transport: &str, rate_per_second: u32) -> Self {
        let rule = Aimd::new(rate_per_second);
        let rate = SendRate {
            transport: transport.to_owned(),
            limiter: RwLock::new(limiter(rule.rate(), true)),
            rule: Mutex::new(rule),
            window: Mutex::new(Window::from(Instant::now())),
        };
        rate.publish();
        rate
    }

    /// Emails per second allowed now; `None` = unlimited.
    pub fn current(&self) -> Option<f64> {
        self.rule.lock().ok().and_then(|r| r.rate())
    }

    /// Waits for this transport's next send slot.
    pub async fn ready(&self) {
        let limiter = self.limiter.read().ok().and_then(|l| l.clone());
        if let Some(l) = limiter {
            l.until_ready().await;
        }
        if let Ok(mut w) = self.window.lock() {
            w.attempted += 1;
        }
    }

    /// Learns from one reply: a throttle lowers the rate, a clean reply raises it.
    pub fn observe(&self, outcome: &SendOutcome) {
        let now = Instant::now();
        let changed = {
            let Ok(mut rule) = self.rule.lock() else {
                return;
            };
            if outcome.is_sent()
                && let Ok(mut w) = self.window.lock()
            {
                w.accepted += 1;
            }
            if outcome.is_throttle() {
                metrics::counter!(EMAILS_THROTTLED, "transport" => self.transport.clone())
                    .increment(1);
                let (attempted, accepted) = self.rates(now);
                rule.throttled(now, attempted, accepted)
            } else if outcome.is_sent() || !outcome.is_retry() {
                rule.clean(now)
            } else {
                false
            }
        };
        if changed && let Ok(mut w) = self.window.lock() {
            *w = Window::from(now);
        }
        if changed {
            let rate = self.current();
            if let Ok(mut l) = self.limiter.write() {
                *l = limiter(rate, false);
            }
            match rate {
                Some(r) => {
                    tracing::info!(transport = %self.transport, rate = r, "Send rate changed.")
                }
                None => tracing::info!(transport = %self.transport, "Send rate unlimited again."),
            }
            self.publish();
        }
    }

    /// Emails per second attempted and accepted since the last change.
    fn rates(&self, now: Instant) -> (f64, f64) {
        let Ok(w) = self.window.lock() else {
            return (FLOOR, 0.0);
        };
        let seconds = now
            .saturating_duration_since(w.since)
            .as_secs_f64()
            .max(0.1);
        (w.attempted as f64 / seconds, w.accepted as f64 / seconds)
    }

    /// The gauge: the rate allowed now, 0 when unlimited (as in `rate_per_second`).
    pub(super) fn publish(&self) {
        metrics::gauge!(TRANSPORT_RATE, "transport" => self.transport.clone())
            .set(self.current().unwrap_or(0.0));
    }
}

/// What a transport did since its rate last changed.
#[derive(Debug, Clone, Copy)]
struct Window {
    since: Instant,
    attempted: u64,
    accepted: u64,
}

impl From<Instant> for Window {
    fn from(since: Instant) -> Self {
        Window {
            since,
            attempted: 0,
            accepted: 0,
        }
    }
}

/// A limiter for `rate`. The configured rate keeps a second's burst (as before adaptive
/// rates); a lowered one paces strictly, a tenth of a second's burst at most, so the server
/// that pushed back sees the lower rate at once.
fn limiter(rate: Option<f64>, configured: bool) -> Option<Arc<DefaultDirectRateLimiter>> {
    let rate = rate?;
    let quota = if configured {
        Quota::per_second(NonZeroU32::new(rate.round() as u32)?)
    } else {
        let burst = NonZeroU32::new((rate / 10.0).floor() as u32).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(Duration::from_secs_f64(1.0 / rate))?.allow_burst(burst)
    };
    Some(Arc::new(RateLimiter::direct(quota)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: f64) -> Instant {
        start + Duration::from_secs_f64(seconds)
    }

    #[test]
    fn a_throttle_cuts_below_what_the_server_took_once_per_interval() {
        let t = Instant::now();
        let mut r = Aimd::new(100);
        assert!(r.throttled(at(t, 0.0), 100.0, 60.0));
        assert_eq!(r.rate(), Some(54.0));
        assert!(
            !r.throttled(at(t, 0.5), 54.0, 0.0),
            "replies still in flight"
        );
        assert_eq!(r.rate(), Some(54.0));
        assert!(r.throttled(at(t, 1.0), 54.0, 54.0));
        assert!((r.rate().unwrap() - 48.6).abs() < 1e-9, "{:?}", r.rate());
    }

    #[test]
    fn a_server_that_took_nothing_gets_the_floor_at_once() {
        let t = Instant::now();
        let mut r = Aimd::new(300);
        r.throttled(at(t, 0.0), 300.0, 0.0);
        assert_eq!(r.rate(), Some(FLOOR));
    }

    #[test]
    fn clean_replies_add_back_up_to_the_ceiling() {
        let t = Instant::now();
        let mut r = Aimd::new(100);
        r.throttled(at(t, 0.0), 100.0, 50.0);
        assert_eq!(r.rate(), Some(45.0));
        assert!(!r.clean(at(t, 0.2)), "no increase right after a decrease");
        let mut steps = 0;
        while r.rate() != Some(100.0) {
            steps += 1;
            assert!(r.clean(at(t, f64::from(steps))), "one step per interval");
            assert!(steps < 20, "recovers within about ten intervals");
        }
        assert_eq!(steps, 11, "45 → 100 in steps of 5");
        assert!(!r.clean(at(t, 30.0)), "stays at the ceiling");
    }

    #[test]
    fn an_unlimited_transport_is_cut_from_what_the_server_took_and_becomes_unlimited_again() {
        let t = Instant::now();
        let mut r = Aimd::new(0);
        assert_eq!(r.rate(), None);
        assert!(!r.clean(at(t, 0.0)), "nothing to raise");
        r.throttled(at(t, 0.0), 400.0, 200.0);
        assert_eq!(r.rate(), Some(180.0));
        let mut steps = 0;
        while r.rate().is_some() {
            steps += 1;
            r.clean(at(t, f64::from(steps)));
            assert!(steps < 40, "{:?}", r.rate());
        }
        assert_eq!(steps, 25, "180 → 400 in steps of 9");
    }

    #[test]
    fn limiters_pace_a_lowered_rate_strictly() {
        let l = limiter(Some(2.0), false).expect("limiter");
        assert!(l.check().is_ok());
        assert!(l.check().is_err(), "one slot, then half a second");
        assert!(limiter(None, false).is_none());
    }
}
