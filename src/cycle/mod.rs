//! One assess + plan cycle: stream every customer's facts (SQL aggregates), classify and
//! plan in Rust, write back only what changed, queue at most one email per customer.
//!
//! `run` does the I/O; what to write is decided without it, chunk by chunk: `Basis::assess`
//! (levels, and who could get an email), then `Basis::decide` with the plan contexts the
//! store looked up for those.

mod assessed;
mod basis;
mod best_hours;
mod decide;
pub mod experiments;
mod plan_parts;
mod report;
pub mod segment;
mod tiers_state;

pub use basis::{message_id_domain, windows};
pub use plan_parts::{PlanParts, see_level_change, suppression_of, timezone_of};
pub use report::{CyclePhases, CycleReport, PlannedEmail};

use crate::campaigns::Campaign;
use crate::config::Config;
use crate::store::CycleWrites;
use crate::store::{PlanContext, Scope, StatsTable, Store, StoreError};
use crate::valuation;
use assessed::AssessedChunk;
use basis::Basis;
use chrono::{DateTime, Utc};
use decide::Decisions;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use report::Stopwatch;
use std::collections::HashMap;
use std::time::Instant;

/// Customers per chunk: big enough for few round trips, small enough for bounded memory.
const CHUNK: usize = 2_000;

/// Rows written by one cycle (deliveries queued, levels changed) after which the table's
/// planner statistics and visibility map are refreshed: a first cycle writes every
/// customer's levels, and without statistics the next cycle would plan its reads of them for
/// an empty table (and read every dead version a rewrite left).
const REFRESH_STATISTICS_AFTER: u64 = 10_000;

/// Name of the engine_state row holding the last cycle's start (the incremental watermark).
pub const WATERMARK: &str = "cycle.watermark";

#[derive(Debug, Clone)]
pub struct CycleOptions {
    pub scope: Scope,
    /// The instant the cycle decides for (`--now` replays a chosen time).
    pub now: DateTime<Utc>,
    /// Decide and report, write nothing.
    pub dry_run: bool,
}

/// Runs one cycle.
pub async fn run(
    store: &dyn Store,
    cfg: &Config,
    campaigns: &[Campaign],
    opts: &CycleOptions,
) -> Result<CycleReport, StoreError> {
    let started = Instant::now();
    let full = matches!(opts.scope, Scope::All);
    // Taken before any facts are read: see `Facts::cycle_watermark` (store/facts.rs).
    let watermark = if opts.dry_run || matches!(opts.scope, Scope::One(_)) {
        None
    } else {
        store.cycle_watermark().await?
    };
    let mut report = CycleReport::default();
    let mut phases = CyclePhases::default();
    let mut watch = Stopwatch::start();
    // Read (or fitted) before the tiers: ranking by predicted value scores with it.
    let model = if valuation::model::needed(campaigns, &cfg.strategy) {
        valuation::model::model(store, opts.now, opts.dry_run).await?
    } else {
        None
    };
    watch.lap(&mut phases.rhythm);
    let tiers = tiers_state::tiers(store, cfg, opts.now, full, model.as_ref()).await?;
    let decide = full && !opts.dry_run;
    let campaigns = experiments::prepare(store, cfg, campaigns, opts.now, decide).await?;
    watch.lap(&mut phases.tiers);
    let mut basis = Basis::new(cfg, &tiers, &campaigns, opts.now);
    basis.model = model;
    let mut shop_hour = best_hours::ShopHour::default();
    let mut rx = store.facts_chunks(opts.scope.clone(), basis.facts_windows(&opts.scope), CHUNK);
    // Each chunk's decisions are written while the next chunks are assessed and planned: on
    // a first cycle the write is the longest phase, and its statements run on the database
    // while the engine plans. Up to `store.cycle_writes_at_once()` writes are in flight (each
    // its own transaction; chunks hold different customers, so planning one never needs
    // another's uncommitted rows, and their writes touch different rows): on PostgreSQL a
    // second write runs on the core the first one and the planning leave idle.
    let at_once = store.cycle_writes_at_once().max(1);
    let mut writing = FuturesOrdered::new();
    let mut next = rx.recv().await;
    watch.lap(&mut phases.facts_wait);
    while let Some(chunk) = next {
        let plan_chunk = async {
            let chunk = basis.assess(chunk?);
            watch.lap(&mut phases.classify);
            let contexts = plan_contexts(store, &basis, &chunk).await?;
            watch.lap(&mut phases.plan_context);
            let mut decisions = basis.decide(chunk, contexts);
            if !decisions.pending.is_empty() {
                let extras = condition_extras(store, &decisions).await?;
                basis.decide_pending(&mut decisions, extras);
            }
            best_hours::place(store, &basis, &mut decisions, &mut shop_hour).await?;
            watch.lap(&mut phases.plan);
            let following = rx.recv().await;
            watch.lap(&mut phases.facts_wait);
            Ok::<_, StoreError>((decisions, following))
        };
        let (decisions, following) =
            planning_while_writing(plan_chunk, &mut writing, &mut report).await?;
        // A full window waits for its oldest write before this one starts (on SQLite, with
        // one at once, a second would only wait for the write lock): that wait is the write
        // phase.
        while writing.len() >= at_once {
            let Some(done) = writing.next().await else {
                break;
            };
            written(done?, &mut report);
        }
        watch.lap(&mut phases.write);
        writing.push_back(write(store, decisions, opts.dry_run, basis.now));
        next = following;
    }
    while let Some(done) = writing.next().await {
        written(done?, &mut report);
    }
    watch.lap(&mut phases.write);
    watch.lap(&mut phases.facts_wait);
    if !opts.dry_run && full {
        store.refresh_product_pairs().await?;
    }
    watch.lap(&mut phases.product_pairs);
    if !opts.dry_run {
        refresh_statistics(store, &report).await?;
    }
    watch.lap(&mut phases.statistics);
    if let Some(mark) = watermark {
        store.set_state(WATERMARK, &mark.to_rfc3339()).await?;
    }
    report.phases = phases;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The plan contexts the chunk's facts did not bring (no round trip when they brought all).
async fn plan_contexts(
    store: &dyn Store,
    basis: &Basis<'_>,
    chunk: &AssessedChunk,
) -> Result<HashMap<String, PlanContext>, StoreError> {
    let lookups = chunk.lookups(basis);
    if lookups.is_empty() {
        return Ok(HashMap::new());
    }
    store.plan_contexts(&basis.context_request(&lookups)).await
}

/// What the pending customers' conditions read beyond the facts, in one lookup per kind.
async fn condition_extras(
    store: &dyn Store,
    decisions: &Decisions,
) -> Result<HashMap<String, crate::domain::ConditionExtras>, StoreError> {
    let pending = &decisions.pending;
    let ids: Vec<String> = pending
        .iter()
        .map(|p| p.customer_id().to_string())
        .collect();
    let needs = pending
        .iter()
        .fold(crate::conditions::Needs::default(), |n, p| n.union(p.needs));
    let order_ids: Vec<String> = if needs.items {
        pending
            .iter()
            .flat_map(|p| p.order_ids().cloned())
            .collect()
    } else {
        Vec::new()
    };
    store.condition_extras(&ids, needs, &order_ids).await
}

/// Runs `plan` to its end while the writes in flight go on, taking in those that finish.
async fn planning_while_writing<T, W>(
    plan: impl Future<Output = Result<T, StoreError>>,
    writing: &mut FuturesOrdered<W>,
    report: &mut CycleReport,
) -> Result<T, StoreError>
where
    W: Future<Output = Result<(Decisions, u64), StoreError>>,
{
    let mut plan = std::pin::pin!(plan);
    loop {
        tokio::select! {
            biased;
            planned = &mut plan => return planned,
            Some(done) = writing.next(), if !writing.is_empty() => written(done?, report),
        }
    }
}

/// Counts a chunk whose write committed.
fn written((decisions, queued): (Decisions, u64), report: &mut CycleReport) {
    report.queued += queued;
    report.add(decisions);
}

/// Writes one chunk's decisions in one transaction; gives them back with the deliveries
/// inserted. Most chunks of a steady-state cycle change nothing, and get no empty write
/// transaction.
async fn write(
    store: &dyn Store,
    decisions: Decisions,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<(Decisions, u64), StoreError> {
    if dry_run || decisions.is_empty() {
        return Ok((decisions, 0));
    }
    let queued = store
        .apply_cycle_notifying(
            CycleWrites {
                changes: &decisions.changes,
                deliveries: &decisions.deliveries,
                notifications: &decisions.notifications,
            },
            now,
        )
        .await?;
    Ok((decisions, queued))
}

/// After a cycle that wrote many rows, refreshes the written tables' statistics (vacuum and
/// analyze on PostgreSQL) rather than leaving the next cycle to read the dead versions.
async fn refresh_statistics(store: &dyn Store, report: &CycleReport) -> Result<(), StoreError> {
    let mut stale = Vec::new();
    if report.queued >= REFRESH_STATISTICS_AFTER {
        stale.push(StatsTable::Deliveries);
    }
    if report.level_changes >= REFRESH_STATISTICS_AFTER {
        stale.push(StatsTable::CustomerLevels);
    }
    if stale.is_empty() {
        return Ok(());
    }
    store.refresh_statistics(&stale).await
}

/// The scope of an incremental cycle: customers touched since the last cycle started
/// (everyone when no cycle has run yet).
pub async fn incremental_scope(store: &dyn Store) -> Result<Scope, StoreError> {
    Ok(match store.get_state(WATERMARK).await? {
        Some(t) => match DateTime::parse_from_rfc3339(&t) {
            Ok(t) => Scope::TouchedSince(t.with_timezone(&Utc)),
            Err(_) => Scope::All,
        },
        None => Scope::All,
    })
}

/// The tiers saved by the last full cycle (computed now when none ran yet), and the model
/// each customer's predicted value is scored with when they rank by it (see [`score`]).
pub async fn current_tiers(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<(crate::levels::MarginTiers, Option<crate::predict::Model>), StoreError> {
    let model = tiers_state::ranking_model(store, cfg, now).await?;
    let tiers = tiers_state::tiers(store, cfg, now, false, model.as_ref()).await?;
    Ok((tiers, model))
}

pub use tiers_state::score;

#[cfg(test)]
mod tests;
