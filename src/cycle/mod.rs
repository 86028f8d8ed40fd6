//! One assess + plan cycle: stream every customer's facts (SQL aggregates), classify and
//! plan in Rust, write back only what changed, queue at most one email per customer.

mod tiers_state;

use crate::campaigns::{Campaign, Trigger};
use crate::config::Config;
use crate::domain::{Level, Timezone};
use crate::levels::{self, Assessment};
use crate::planner::{self, ComplaintRef, OrderRef, PastDelivery, PlanInput, Suppression};
use crate::store::{
    ContextRequest, FactsRow, FactsWindows, LevelChange, NewDelivery, PlanContext, Scope, Store,
    StoreError,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// Customers per chunk: big enough for few round trips, small enough for bounded memory.
const CHUNK: usize = 2_000;

/// Rows written by one cycle (deliveries queued, levels changed) after which the table's
/// planner statistics and visibility map are refreshed: a first cycle rewrites every
/// customer row, and the next full cycle would read a million dead versions with it.
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

/// One email the cycle queued (or would queue): a line of `rapport plan --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedEmail {
    pub customer_id: String,
    pub campaign: String,
    pub current_level: Level,
    pub target_level: Level,
    pub send_at: DateTime<Utc>,
    pub occurrence: String,
}

#[derive(Debug, Default)]
pub struct CycleReport {
    pub assessed: u64,
    /// Customers whose plan context (deliveries, recent orders, complaints) was fetched:
    /// those some campaign could be due for.
    pub candidates: u64,
    pub level_changes: u64,
    pub planned: Vec<PlannedEmail>,
    /// Deliveries actually inserted (0 on a dry run).
    pub queued: u64,
    pub seconds: f64,
    /// Where the time went (for the benchmark and `--verbose` logs).
    pub phases: CyclePhases,
}

/// Seconds spent per phase of a cycle. The facts arrive from a task running beside the
/// loop, so `facts_wait` is only the time the loop sat waiting for them.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct CyclePhases {
    pub tiers: f64,
    pub facts_wait: f64,
    pub classify: f64,
    pub plan_context: f64,
    pub plan: f64,
    pub write: f64,
    pub product_pairs: f64,
    /// Vacuum and statistics after a cycle that rewrote many rows (PostgreSQL).
    pub statistics: f64,
}

impl std::fmt::Display for CyclePhases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tiers {:.2} s, waiting for facts {:.2} s, classify {:.2} s, plan context {:.2} s, \
             plan {:.2} s, write {:.2} s, product pairs {:.2} s, statistics {:.2} s",
            self.tiers,
            self.facts_wait,
            self.classify,
            self.plan_context,
            self.plan,
            self.write,
            self.product_pairs,
            self.statistics
        )
    }
}

/// The windows of the facts query, as absolute instants before `now`.
pub fn windows(cfg: &Config, now: DateTime<Utc>) -> FactsWindows {
    FactsWindows {
        orders_since: now - cfg.levels.proactive_order_window.chrono(),
        margin_since: now - cfg.strategy.margin_window.chrono(),
        referrals_since: now - cfg.levels.partnership_referral_window.chrono(),
        recent_orders_since: None,
        recent_complaints_since: None,
        deliveries: false,
    }
}

/// How far back the planner needs orders and complaints: the largest `max_age`.
fn lookback(campaigns: &[Campaign]) -> (chrono::TimeDelta, chrono::TimeDelta) {
    let mut orders = chrono::TimeDelta::zero();
    let mut complaints = chrono::TimeDelta::zero();
    for c in campaigns {
        match &c.trigger {
            Trigger::Order(t) => orders = orders.max(t.max_age.chrono()),
            Trigger::Complaint(t) => complaints = complaints.max(t.max_age.chrono()),
            _ => {}
        }
    }
    (orders, complaints)
}

/// The domain Message-IDs are generated under: the sending domain of `mail.from`.
pub fn message_id_domain(cfg: &Config) -> String {
    cfg.mail
        .from
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "rapport.invalid".into())
}

pub fn suppression_of(row_suppression: Option<&str>, subscribed: bool) -> Option<Suppression> {
    match row_suppression {
        Some(r) if r.contains("bounce") => Some(Suppression::Bounced),
        Some(r) if r.contains("complain") || r.contains("spam") => Some(Suppression::Complained),
        Some(_) => Some(Suppression::Unsubscribed),
        None if !subscribed => Some(Suppression::Unsubscribed),
        None => None,
    }
}

/// The planner's view of one customer's context.
#[derive(Default)]
pub struct PlanParts {
    pub orders: Vec<OrderRef>,
    pub complaints: Vec<ComplaintRef>,
    pub deliveries: Vec<PastDelivery>,
}

impl From<PlanContext> for PlanParts {
    fn from(ctx: PlanContext) -> Self {
        PlanParts {
            orders: ctx
                .orders
                .into_iter()
                .map(|(id, occurred_at)| OrderRef { id, occurred_at })
                .collect(),
            complaints: ctx
                .complaints
                .into_iter()
                .map(|(event_id, occurred_at)| ComplaintRef {
                    event_id,
                    occurred_at,
                })
                .collect(),
            deliveries: ctx
                .deliveries
                .into_iter()
                // A delivery that failed never reached the customer: it does not count
                // towards min_gap or cool-downs (its occurrence is still taken: unique key).
                .map(|d| PastDelivery {
                    campaign: d.campaign,
                    occurrence: d.occurrence,
                    at: d.at,
                    service: d.service,
                })
                .collect(),
        }
    }
}

pub fn timezone_of(name: &str, fallback: Timezone) -> chrono_tz::Tz {
    Timezone::parse(name).unwrap_or(fallback).tz()
}

/// Runs one cycle.
pub async fn run(
    store: &dyn Store,
    cfg: &Config,
    campaigns: &[Campaign],
    opts: &CycleOptions,
) -> Result<CycleReport, StoreError> {
    let started = Instant::now();
    // Taken before any facts are read: see `Store::cycle_watermark`.
    let watermark = if opts.dry_run || matches!(opts.scope, Scope::One(_)) {
        None
    } else {
        store.cycle_watermark().await?
    };
    let now = opts.now;
    let mut phases = CyclePhases::default();
    let mut clock = Instant::now();
    let mut lap = |slot: &mut f64| {
        *slot += clock.elapsed().as_secs_f64();
        clock = Instant::now();
    };
    let tiers = tiers_state::tiers(store, cfg, now, matches!(opts.scope, Scope::All)).await?;
    lap(&mut phases.tiers);
    let (orders_back, complaints_back) = lookback(campaigns);
    let domain = message_id_domain(cfg);
    let mut report = CycleReport::default();
    let orders_since = now - orders_back;
    let complaints_since = now - complaints_back;
    let facts_windows = FactsWindows {
        recent_orders_since: Some(orders_since),
        recent_complaints_since: Some(complaints_since),
        // A full cycle plans for a third of all customers: their deliveries come with the
        // facts in one ordered scan.
        deliveries: matches!(opts.scope, Scope::All),
        ..windows(cfg, now)
    };
    let mut rx = store.facts_chunks(opts.scope.clone(), facts_windows, CHUNK);
    while let Some(chunk) = rx.recv().await {
        lap(&mut phases.facts_wait);
        let chunk = chunk?;
        report.assessed += chunk.len() as u64;
        let mut changes = Vec::new();
        let mut assessed: Vec<(FactsRow, Assessment, Option<Suppression>)> =
            Vec::with_capacity(chunk.len());
        for row in chunk {
            let mut a = levels::assess_levels(&row.facts, &cfg.levels, &cfg.strategy, &tiers, now);
            if row.stored_current != Some(a.current) || a.target != row.stored_target {
                // Only changes (and first assessments, so that the start is recorded) are
                // written, and only they need their reasons spelled out.
                a = levels::assess(&row.facts, &cfg.levels, &cfg.strategy, &tiers, now);
                changes.push(LevelChange {
                    customer_id: row.customer_id.clone(),
                    from: row.stored_current,
                    current: a.current,
                    target: a.target,
                    reasons: a.reasons.clone(),
                });
            }
            let sup = suppression_of(row.suppression.as_deref(), row.subscribed);
            assessed.push((row, a, sup));
        }
        // Only customers something could be planned for need their orders, complaints and
        // deliveries fetched: a recent order or complaint, or a campaign that is due even
        // with no history (deliveries only ever block, never enable).
        let candidate: Vec<bool> = assessed
            .iter()
            .map(|(row, a, sup)| {
                sup.is_none()
                    && (row.facts.last_order_at.is_some_and(|t| t >= orders_since)
                        || row
                            .facts
                            .last_complaint_at
                            .is_some_and(|t| t >= complaints_since)
                        || planner::pick(
                            &PlanInput {
                                assessment: a,
                                timezone: timezone_of(&row.timezone, cfg.defaults.timezone),
                                suppressed: None,
                                recent_orders: &[],
                                recent_complaints: &[],
                                deliveries: &[],
                            },
                            campaigns,
                            &cfg.planner,
                            now,
                        )
                        .is_some())
            })
            .collect();
        let ids: Vec<String> = assessed
            .iter()
            .zip(&candidate)
            .filter(|((r, _, _), c)| **c && r.deliveries.is_none())
            .map(|((r, _, _), _)| r.customer_id.clone())
            .collect();
        // Recent orders (complaints) can only exist where the facts' last order (complaint)
        // is recent: the other candidates, due for a campaign without any, need no lookup.
        let ordered_recently: Vec<String> = assessed
            .iter()
            .zip(&candidate)
            .filter(|((r, _, _), c)| {
                **c && r.recent_orders.is_none()
                    && r.facts.last_order_at.is_some_and(|t| t >= orders_since)
            })
            .map(|((r, _, _), _)| r.customer_id.clone())
            .collect();
        let complained_recently: Vec<String> = assessed
            .iter()
            .zip(&candidate)
            .filter(|((r, _, _), c)| {
                **c && r.recent_complaints.is_none()
                    && r.any_complaint_at.is_some_and(|t| t >= complaints_since)
            })
            .map(|((r, _, _), _)| r.customer_id.clone())
            .collect();
        report.candidates += candidate.iter().filter(|c| **c).count() as u64;
        lap(&mut phases.classify);
        // A full cycle's facts bring everything: no round trip for nothing.
        let nothing_to_look_up =
            ids.is_empty() && ordered_recently.is_empty() && complained_recently.is_empty();
        let mut contexts = if nothing_to_look_up {
            HashMap::new()
        } else {
            store
                .plan_contexts(&ContextRequest {
                    ids: &ids,
                    ordered_recently: &ordered_recently,
                    complained_recently: &complained_recently,
                    orders_since,
                    complaints_since,
                })
                .await?
        };
        lap(&mut phases.plan_context);
        let mut deliveries = Vec::new();
        for ((row, a, sup), _) in assessed.iter_mut().zip(&candidate).filter(|(_, c)| **c) {
            let mut ctx = contexts.remove(&row.customer_id).unwrap_or_default();
            if let Some(recent) = row.recent_orders.take() {
                ctx.orders = recent;
            }
            if let Some(complaints) = row.recent_complaints.take() {
                ctx.complaints = complaints;
            }
            if let Some(deliveries) = row.deliveries.take() {
                ctx.deliveries = deliveries;
            }
            let parts: PlanParts = ctx.into();
            let input = PlanInput {
                assessment: a,
                timezone: timezone_of(&row.timezone, cfg.defaults.timezone),
                suppressed: *sup,
                recent_orders: &parts.orders,
                recent_complaints: &parts.complaints,
                deliveries: &parts.deliveries,
            };
            if let Some(p) = planner::pick(&input, campaigns, &cfg.planner, now) {
                let id = uuid::Uuid::now_v7();
                let service = campaigns
                    .iter()
                    .any(|c| c.id == p.campaign && c.is_service());
                report.planned.push(PlannedEmail {
                    customer_id: row.customer_id.clone(),
                    campaign: p.campaign.clone(),
                    current_level: a.current,
                    target_level: a.target,
                    send_at: p.send_at,
                    occurrence: p.occurrence.clone(),
                });
                deliveries.push(NewDelivery {
                    id,
                    customer_id: row.customer_id.clone(),
                    campaign: p.campaign,
                    occurrence: p.occurrence,
                    service,
                    current: a.current,
                    target: a.target,
                    send_at: p.send_at,
                    message_id: format!("<{id}@{domain}>"),
                });
            }
        }
        report.level_changes += changes.len() as u64;
        lap(&mut phases.plan);
        // Most chunks of a steady-state cycle change nothing: no empty write transaction.
        let nothing_to_write = changes.is_empty() && deliveries.is_empty();
        if !opts.dry_run && !nothing_to_write {
            // Outbox rows for [[notify]] endpoints, written in the transaction that writes the
            // levels they announce; the notify worker POSTs them.
            let moved = crate::notify::fan_out(
                &cfg.notify,
                &crate::notify::level_changes(&changes, now),
                now,
            );
            report.queued += store
                .apply_cycle_notifying(&changes, &deliveries, &moved, now)
                .await?;
        }
        lap(&mut phases.write);
    }
    lap(&mut phases.facts_wait);
    if !opts.dry_run && matches!(opts.scope, Scope::All) {
        store.refresh_product_pairs().await?;
    }
    lap(&mut phases.product_pairs);
    let mut stale = Vec::new();
    if report.queued >= REFRESH_STATISTICS_AFTER {
        stale.push(crate::store::StatsTable::Deliveries);
    }
    if report.level_changes >= REFRESH_STATISTICS_AFTER {
        stale.push(crate::store::StatsTable::Customers);
    }
    if !opts.dry_run && !stale.is_empty() {
        store.refresh_statistics(&stale).await?;
    }
    lap(&mut phases.statistics);
    if let Some(mark) = watermark {
        store.set_state(WATERMARK, &mark.to_rfc3339()).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.phases = phases;
    Ok(report)
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

/// The tiers saved by the last full cycle (computed now when none ran yet).
pub async fn current_tiers(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<crate::levels::MarginTiers, StoreError> {
    tiers_state::tiers(store, cfg, now, false).await
}
