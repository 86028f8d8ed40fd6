//! `[privacy] event_retention`: the daemon's task that deletes raw events older than the
//! retention, hourly, in batches of [`BATCH`] — each its own short transaction with a pause
//! after it, so the cycle, the senders and the tracking writes get the database between two
//! batches and a large backlog never blocks them. Reports do not read raw events (they sum
//! the per-delivery rollup, deliveries, orders and level history), so their figures stay.

use super::clock::Clock;
use super::context::App;
use crate::config::Duration;
use crate::store::{LeaseRequest, Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use tokio::sync::watch;

/// Events deleted per transaction.
pub const BATCH: u32 = 1_000;
/// Real time between two batches.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(50);
/// How often the task looks for old events.
const EVERY: TimeDelta = TimeDelta::hours(1);
/// One replica sweeps at a time (the others would only compete for the same rows).
const LEASE: &str = "retention";

/// The instant before which events go.
pub fn cutoff(now: DateTime<Utc>, retention: Duration) -> DateTime<Utc> {
    now - retention.chrono()
}

/// Deletes every event that occurred before `before`, batch by batch, until none is left
/// or `stop` turns true; returns how many went.
pub async fn sweep(
    store: &dyn Store,
    before: DateTime<Utc>,
    clock: &Clock,
    stop: &mut watch::Receiver<bool>,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let n = store.delete_events_before(before, BATCH).await?;
        total += n;
        if n == 0 || clock.pause(PAUSE, stop).await {
            return Ok(total);
        }
    }
}

/// The task: hourly sweeps while `event_retention` is set, until `stop`.
pub async fn run(app: Arc<App>, clock: Clock, owner: String, mut stop: watch::Receiver<bool>) {
    let Some(retention) = app.config.privacy.event_retention else {
        return;
    };
    let mut next = clock.now();
    loop {
        if clock.sleep_until(next, &mut stop).await {
            return;
        }
        let now = clock.now();
        next = now + EVERY;
        let lease = LeaseRequest {
            name: LEASE,
            owner: &owner,
            now,
            until: next,
        };
        match app.store.try_lease(lease).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "Cannot take the retention lease; trying next hour.");
                continue;
            }
        }
        let before = cutoff(now, retention);
        match sweep(&*app.store, before, &clock, &mut stop).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, %before, "Deleted raw events past retention."),
            Err(e) => tracing::warn!(error = %e, "Retention sweep failed; trying next hour."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_the_retention_before_now() {
        let now: DateTime<Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
        let two_years = Duration::parse("730d").unwrap();
        assert_eq!(
            cutoff(now, two_years),
            "2024-12-07T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
