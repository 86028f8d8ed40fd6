//! `rapport run --once`: one incremental (or full) assess + plan cycle, then everything due
//! sent, then done — for cron-driven deployments and for replays at a chosen instant.

use super::Failure;
use super::context::App;
use super::engine::Engine;
use crate::cycle::{self, CycleOptions, CycleReport};
use crate::dispatch::DispatchReport;
use crate::store::Scope;
use chrono::{DateTime, Utc};

/// How the one cycle runs.
#[derive(Debug, Clone, Copy)]
pub struct Once {
    /// The instant the cycle decides at and the sends are due by.
    pub now: DateTime<Utc>,
    /// `now` is also the clock of everything recorded (`--now`), not only the deadline.
    pub replay: bool,
    /// Assess every customer, not only the changed ones.
    pub full: bool,
}

/// What the one cycle did, for the command's summary line.
pub struct OnceReport {
    pub cycle: CycleReport,
    pub sent: DispatchReport,
    /// Deliveries still queued (due later, or retrying).
    pub pending: u64,
}

/// Runs the cycle, then sends everything due at `once.now`.
pub async fn run_once(app: &App, once: Once) -> Result<OnceReport, Failure> {
    let engine = Engine::load(&app.config)?;
    let scope = if once.full {
        Scope::All
    } else {
        cycle::incremental_scope(&*app.store).await?
    };
    let report = cycle::run(
        &*app.store,
        &app.config,
        &engine.campaigns,
        &CycleOptions {
            scope,
            now: once.now,
            dry_run: false,
        },
    )
    .await?;
    tracing::info!(
        assessed = report.assessed,
        level_changes = report.level_changes,
        queued = report.queued,
        seconds = report.seconds,
        "Cycle done."
    );
    let mut dispatcher = engine.dispatcher(&app.config, app.store.clone());
    if once.replay {
        dispatcher = dispatcher.with_clock(once.now);
    }
    let sent = dispatcher
        .drain(once.now)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    dispatcher.close().await;
    let pending = app.store.pending_deliveries().await?;
    Ok(OnceReport {
        cycle: report,
        sent,
        pending,
    })
}
