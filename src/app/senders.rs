//! The sender task: claims what is due, sends it through the dispatcher's worker pool, and
//! waits a second when nothing is due. A reload (SIGHUP) swaps in a dispatcher built from
//! the new campaigns and templates; a stop finishes (and records) the batch in flight.

use super::clock::Clock;
use super::context::App;
use super::engine::Engine;
use crate::dispatch::{DispatchReport, Dispatcher};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long an idle sender waits before it looks at the outbox again.
const IDLE: Duration = Duration::from_secs(1);
/// How long it waits after the store failed, before trying again.
const AFTER_ERROR: Duration = Duration::from_secs(5);

/// Sends until `stop` turns true, then closes the dispatcher (results written, SMTP QUIT).
pub async fn run(
    app: Arc<App>,
    clock: Clock,
    mut engine: watch::Receiver<Arc<Engine>>,
    mut stop: watch::Receiver<bool>,
) {
    let (mut dispatcher, mut built_at) = build(&app, &clock, &engine.borrow_and_update(), None);
    loop {
        if *stop.borrow() {
            break;
        }
        // On a manual clock the dispatcher records at the clock's time: a moved clock needs
        // a dispatcher for the new time (the wall clock's `replay` is always None).
        if engine.has_changed().unwrap_or(false) || clock.replay() != built_at {
            dispatcher.close().await;
            (dispatcher, built_at) =
                build(&app, &clock, &engine.borrow_and_update(), Some(&dispatcher));
        }
        let mut report = DispatchReport::default();
        match dispatcher.run_batch(clock.now(), &mut report).await {
            Ok(0) => {
                if clock.pause(IDLE, &mut stop).await {
                    break;
                }
            }
            Ok(n) => tracing::info!(
                claimed = n,
                sent = report.sent,
                retried = report.retried,
                throttled = report.throttled,
                failed_over = report.failed_over,
                failed = report.failed,
                suppressed = report.suppressed,
                cancelled = report.cancelled,
                "Batch sent."
            ),
            Err(e) => {
                tracing::error!(error = %e, "Sending failed; retrying shortly.");
                if clock.pause(AFTER_ERROR, &mut stop).await {
                    break;
                }
            }
        }
    }
    dispatcher.close().await;
}

/// A dispatcher from `engine`, recording at the clock's time when it is a manual one, and
/// keeping what `previous` knew of the transports that did not change (a relay known to be
/// down stays down across a SIGHUP, a throttled one keeps its lowered rate).
fn build(
    app: &App,
    clock: &Clock,
    engine: &Engine,
    previous: Option<&Dispatcher>,
) -> (Dispatcher, Option<DateTime<Utc>>) {
    let dispatcher = engine.dispatcher(&app.config, app.store.clone());
    let dispatcher = match previous {
        Some(p) => dispatcher.keep_state_of(p),
        None => dispatcher,
    };
    let replay = clock.replay();
    match replay {
        Some(at) => (dispatcher.with_clock(at), replay),
        None => (dispatcher, replay),
    }
}
