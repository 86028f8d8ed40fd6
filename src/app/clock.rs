//! The daemon's time. In production the wall clock; in tests a [`ManualClock`] that only moves
//! when the test moves it, so a test runs the real scheduler and senders in-process and decides
//! when a tick is due instead of waiting for the cron schedule (or sleeping).

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where the scheduler and the senders read the time.
#[derive(Clone, Default)]
pub enum Clock {
    /// The wall clock (`rapport run`).
    #[default]
    System,
    /// A clock a test sets; everything the daemon decides and records happens at its time.
    Manual(ManualClock),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Manual(m) => m.now(),
        }
    }

    /// The instant a dispatcher should record sends at: none on the wall clock (it records
    /// when SMTP answered), the manual clock's time otherwise (as `run --once --now` does).
    pub fn replay(&self) -> Option<DateTime<Utc>> {
        match self {
            Clock::System => None,
            Clock::Manual(m) => Some(m.now()),
        }
    }

    /// Waits until the clock reads `at` or later, or until `stop` turns true; true when
    /// stopping. The wall clock sleeps; a manual clock waits for the test to move it.
    pub async fn sleep_until(&self, at: DateTime<Utc>, stop: &mut watch::Receiver<bool>) -> bool {
        match self {
            Clock::System => nap(stop, (at - Utc::now()).to_std().unwrap_or_default()).await,
            Clock::Manual(m) => {
                if *stop.borrow() {
                    return true;
                }
                let mut time = m.0.subscribe();
                tokio::select! {
                    _ = time.wait_for(|t| *t >= at) => *stop.borrow(),
                    _ = stop.changed() => true,
                }
            }
        }
    }

    /// Waits `d` of real time, less when a manual clock moves (what was not due may be due
    /// now), or until `stop` turns true; true when stopping.
    pub async fn pause(&self, d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
        match self {
            Clock::System => nap(stop, d).await,
            Clock::Manual(m) => {
                if *stop.borrow() {
                    return true;
                }
                let mut time = m.0.subscribe();
                tokio::select! {
                    _ = tokio::time::sleep(d) => *stop.borrow(),
                    _ = time.changed() => *stop.borrow(),
                    _ = stop.changed() => true,
                }
            }
        }
    }
}

/// A clock that stands still until [`set`](ManualClock::set) or
/// [`advance`](ManualClock::advance); clones share one time.
#[derive(Clone)]
pub struct ManualClock(Arc<watch::Sender<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(watch::Sender::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    /// Moves the clock to `at` (also backwards) and wakes whatever waits on it.
    pub fn set(&self, at: DateTime<Utc>) {
        self.0.send_replace(at);
    }

    pub fn advance(&self, by: chrono::TimeDelta) {
        self.0.send_modify(|t| *t += by);
    }
}

impl From<ManualClock> for Clock {
    fn from(m: ManualClock) -> Clock {
        Clock::Manual(m)
    }
}

/// Sleeps for `d` or until asked to stop; returns true when stopping.
pub async fn nap(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_the_sleeper_when_it_reaches_the_instant() {
        let t0: DateTime<Utc> = "2026-11-25T12:00:00Z".parse().unwrap();
        let manual = ManualClock::new(t0);
        let clock = Clock::from(manual.clone());
        let (_stop_tx, mut stop) = watch::channel(false);
        let at = t0 + chrono::TimeDelta::minutes(1);
        let sleeper = tokio::spawn(async move { clock.sleep_until(at, &mut stop).await });
        manual.advance(chrono::TimeDelta::seconds(30));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "30 s are not a minute");
        manual.advance(chrono::TimeDelta::seconds(30));
        assert!(!sleeper.await.unwrap(), "woken by the clock, not by a stop");
    }

    #[tokio::test]
    async fn a_stop_ends_every_wait() {
        let manual = ManualClock::new(Utc::now());
        let clock = Clock::from(manual);
        let (stop_tx, mut stop) = watch::channel(false);
        stop_tx.send(true).unwrap();
        let far = Utc::now() + chrono::TimeDelta::days(1);
        assert!(clock.sleep_until(far, &mut stop).await);
        assert!(Clock::System.sleep_until(far, &mut stop).await);
        assert!(clock.pause(Duration::from_secs(60), &mut stop).await);
    }
}
