//! The scheduler task: one incremental cycle at start, then the assess + plan cycle on the
//! cron schedule, each tick only on the replica that holds the scheduler lease (so a tick
//! runs once cluster-wide), and the lease given back on a graceful stop.

use super::clock::Clock;
use super::context::App;
use super::engine::Engine;
use super::schedule::{Schedule, TickKind};
use crate::cycle::{self, CycleOptions};
use crate::store::LeaseRequest;
use crate::store::Scope;
use std::sync::Arc;
use tokio::sync::watch;

/// The `engine_state` row the replicas compete for.
pub const LEASE: &str = "scheduler";

/// This process's name in the lease row: `HOSTNAME:pid`, what an operator reading
/// `engine_state` can find.
pub fn default_owner() -> String {
    format!(
        "{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "rapport".into()),
        std::process::id()
    )
}

/// What the scheduler task needs besides the store: when to tick, in whose name, on which
/// clock, and where to count finished ticks (tests wait on it).
pub struct Scheduler {
    pub schedule: Schedule,
    pub owner: String,
    pub clock: Clock,
    pub ticks: watch::Sender<u64>,
}

impl Scheduler {
    /// Ticks until `stop` turns true (or the schedule has no next tick), then releases the
    /// lease.
    pub async fn run(
        self,
        app: Arc<App>,
        engine: watch::Receiver<Arc<Engine>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut next = (self.clock.now(), TickKind::Incremental);
        loop {
            if self.clock.sleep_until(next.0, &mut stop).await {
                break;
            }
            self.tick(&app, &engine, next.1).await;
            self.ticks.send_modify(|n| *n += 1);
            match self.schedule.next(self.clock.now()) {
                Some(n) => next = n,
                None => break,
            }
        }
        release(&app, &self.owner).await;
    }

    /// One tick: the cycle, if this replica holds (or takes) the lease. Failures are logged;
    /// the next tick tries again.
    async fn tick(&self, app: &App, engine: &watch::Receiver<Arc<Engine>>, kind: TickKind) {
        let now = self.clock.now();
        let lease_until = now + app.config.scheduler.lease.chrono();
        match app
            .store
            .try_lease(LeaseRequest {
                name: LEASE,
                owner: &self.owner,
                now,
                until: lease_until,
            })
            .await
        {
            Ok(true) => {
                let campaigns = engine.borrow().campaigns.clone();
                let scope = match kind {
                    TickKind::Full => Ok(Scope::All),
                    TickKind::Incremental => cycle::incremental_scope(&*app.store).await,
                };
                let result = match scope {
                    Ok(scope) => {
                        cycle::run(
                            &*app.store,
                            &app.config,
                            &campaigns,
                            &CycleOptions {
                                scope,
                                now,
                                dry_run: false,
                            },
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(r) => tracing::info!(
                        kind = ?kind, assessed = r.assessed, level_changes = r.level_changes,
                        queued = r.queued, seconds = r.seconds, "Cycle done."
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "Cycle failed; the next tick retries.")
                    }
                }
                forget_unconfirmed(app, now).await;
            }
            Ok(false) => tracing::debug!("Another replica holds the scheduler lease."),
            Err(e) => tracing::error!(error = %e, "Cannot take the scheduler lease."),
        }
    }
}

/// Unconfirmed sign-ups per transaction: small, so a backlog never holds the write lock long.
const FORGET_BATCH: u32 = 500;

/// Deletes the sign-ups of double opt-in left unconfirmed for `consent.unconfirmed_ttl`
/// (each logged as expired in the consent log, which stays). A failure is logged; the next
/// tick tries again.
pub(crate) async fn forget_unconfirmed(app: &App, now: chrono::DateTime<chrono::Utc>) {
    let before = now - app.config.consent.unconfirmed_ttl.chrono();
    loop {
        match app
            .store
            .forget_unconfirmed(before, FORGET_BATCH, now)
            .await
        {
            Ok(ids) if ids.is_empty() => break,
            Ok(ids) => {
                tracing::info!(count = ids.len(), "Forgot unconfirmed sign-ups.");
                if ids.len() < FORGET_BATCH as usize {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Cannot forget unconfirmed sign-ups; the next tick retries.");
                break;
            }
        }
    }
}

/// On a graceful stop: without this the lease stays ours until it expires
/// (`scheduler.lease`, 5 minutes by default) and every other replica skips its ticks.
async fn release(app: &App, owner: &str) {
    match app.store.release_lease(LEASE, owner).await {
        Ok(true) => tracing::info!("Released the scheduler lease."),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "Cannot release the scheduler lease; it expires on its own.")
        }
    }
}
