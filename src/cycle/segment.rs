//! Who is in a segment: every customer's facts streamed as a full cycle reads them, assessed,
//! and the segment's condition evaluated over the same [`ConditionContext`] campaigns see
//! (without an occurrence). Writes nothing.

use super::basis::windows;
use super::plan_parts::{PlanParts, see_level_change, suppression_of, timezone_of};
use super::{CHUNK, tiers_state};
use crate::conditions::Condition;
use crate::config::Config;
use crate::domain::ConditionExtras;
use crate::levels;
use crate::planner::{self, PlanInput};
use crate::store::{FactsRow, FactsWindows, PlanContext, Scope, Store, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use std::collections::HashMap;
use std::time::Instant;

/// Chunks whose lookups run at once.
const LOOKUPS_IN_FLIGHT: usize = 4;

/// One customer in the segment, with what the condition saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub customer_id: String,
    pub email: String,
    /// Not unsubscribed, bounced or complained: could be mailed.
    pub mailable: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SegmentCount {
    /// Customers looked at.
    pub customers: u64,
    /// Customers the condition holds for.
    pub matched: u64,
    /// Of those, the ones that could be mailed.
    pub mailable: u64,
    /// The first `sample` members by customer id.
    pub sample: Vec<Member>,
    pub seconds: f64,
}

/// Counts (and samples up to `sample`) the customers `condition` holds for at `now`.
pub async fn count(
    store: &dyn Store,
    cfg: &Config,
    condition: &Condition,
    now: DateTime<Utc>,
    sample: usize,
) -> Result<SegmentCount, StoreError> {
    let started = Instant::now();
    let model = tiers_state::ranking_model(store, cfg, now).await?;
    let tiers = tiers_state::tiers(store, cfg, now, false, model.as_ref()).await?;
    let needs = condition.needs();
    let w = FactsWindows {
        // `engagement.emails_30d` counts the customer's deliveries.
        deliveries: true,
        ..windows(cfg, now)
    };
    let mut rx = store.facts_chunks(Scope::All, w, CHUNK);
    let mut out = SegmentCount::default();
    // When the condition reads what only a lookup brings, several chunks' lookups run at
    // once: the time is in those round trips, not in evaluating (PostgreSQL: 9.6 s → see
    // docs/performance.md for 1M customers).
    let mut inflight = FuturesOrdered::new();
    let mut streaming = true;
    loop {
        while streaming && inflight.len() < LOOKUPS_IN_FLIGHT {
            match rx.recv().await {
                Some(chunk) => {
                    let rows = chunk?;
                    inflight.push_back(async move {
                        let extras = if needs.any() {
                            let ids: Vec<String> =
                                rows.iter().map(|r| r.customer_id.clone()).collect();
                            store.condition_extras(&ids, needs, &[]).await?
                        } else {
                            HashMap::new()
                        };
                        Ok::<_, StoreError>((rows, extras))
                    });
                }
                None => streaming = false,
            }
        }
        let Some(done) = inflight.next().await else {
            break;
        };
        let (rows, extras) = done?;
        let ranking = (&tiers, model.as_ref());
        evaluate(rows, extras, condition, cfg, ranking, now, sample, &mut out);
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}

/// Evaluates one chunk's customers and adds them to the count.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    rows: Vec<FactsRow>,
    mut extras: HashMap<String, ConditionExtras>,
    condition: &Condition,
    cfg: &Config,
    (tiers, model): (&levels::MarginTiers, Option<&crate::predict::Model>),
    now: DateTime<Utc>,
    sample: usize,
    out: &mut SegmentCount,
) {
    for mut row in rows {
        out.customers += 1;
        let x = extras.remove(&row.customer_id);
        tiers_state::score(&mut row.facts, model, &cfg.strategy, now);
        let a = levels::assess_levels(&row.facts, &cfg.levels, &cfg.strategy, tiers, now);
        see_level_change(&mut row, a.current, now);
        let parts = PlanParts::from(PlanContext {
            deliveries: row.deliveries.take().unwrap_or_default(),
            ..PlanContext::default()
        });
        let suppressed = suppression_of(row.suppression.as_deref(), row.subscribed);
        let input = input(&row, &a, &parts, x.as_ref(), cfg);
        let ctx = planner::condition_context(&input, now);
        if !condition.holds(&ctx) {
            continue;
        }
        out.matched += 1;
        out.mailable += u64::from(suppressed.is_none());
        if out.sample.len() < sample {
            out.sample.push(Member {
                customer_id: row.customer_id.clone(),
                email: row.email.clone(),
                mailable: suppressed.is_none(),
                detail: condition.explain(&ctx).detail,
            });
        }
    }
}

fn input<'a>(
    row: &'a FactsRow,
    a: &'a levels::Assessment,
    parts: &'a PlanParts,
    extras: Option<&'a ConditionExtras>,
    cfg: &Config,
) -> PlanInput<'a> {
    PlanInput {
        customer_id: &row.customer_id,
        locale: &row.locale,
        facts: &row.facts,
        assessment: a,
        timezone: timezone_of(&row.timezone, cfg.defaults.timezone),
        suppressed: None,
        recent_orders: &[],
        recent_complaints: &[],
        deliveries: &parts.deliveries,
        recent_events: &[],
        extras,
        purchases: None,
    }
}
