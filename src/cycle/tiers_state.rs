//! Margin tiers: ranking every customer by margin (or by predicted value, `strategy.rank_by`)
//! is a full-table job, done on full cycles and kept in `engine_state` so incremental cycles
//! (which see only changed customers) classify against the same cut points.

use crate::config::{Config, RankBy, StrategyConfig};
use crate::domain::{CustomerFacts, OrderSummary};
use crate::levels::MarginTiers;
use crate::predict::Model;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

const STATE: &str = "cycle.tiers";

/// The tiers as of `now`: the kept ones unless `full` (or they were ranked by another
/// `rank_by`). Ranking by predicted value scores every customer with `model`.
pub async fn tiers(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
    full: bool,
    model: Option<&Model>,
) -> Result<MarginTiers, StoreError> {
    let by = cfg.strategy.rank_by;
    if !full
        && let Some(saved) = store.get_state(STATE).await?
        && let Some((t, saved_by)) = decode(&saved)
        && saved_by == by
    {
        return Ok(t);
    }
    let values = match by {
        RankBy::Margin => {
            store
                .margins(now - cfg.strategy.margin_window.chrono())
                .await?
        }
        // The same pass over the orders' index as the margins, scored as each customer's
        // facts are scored (`score`): a customer at a cut compares equal to it.
        RankBy::PredictedValue => {
            let (mut summaries, customers) = store.order_summaries().await?;
            // Every customer with orders scored before the facts streams start, on every core,
            // a batch at a time: only the values are kept (8 bytes a customer), not the
            // summaries (~650,000 at 1M customers).
            let score = |batch: &[OrderSummary]| {
                crate::predict::parallel::in_parts(batch, SCORES_PER_THREAD, |part| {
                    part.iter()
                        .map(|s| predicted_value(model, Some(*s), now))
                        .collect::<Vec<f64>>()
                })
                .concat()
            };
            let mut values = Vec::with_capacity(customers as usize);
            let mut batch = Vec::with_capacity(SCORED_AT_ONCE);
            while let Some(part) = summaries.recv().await {
                batch.extend(part?);
                if batch.len() >= SCORED_AT_ONCE {
                    values.extend(score(&batch));
                    batch.clear();
                }
            }
            values.extend(score(&batch));
            values.resize(values.len().max(customers as usize), 0.0);
            values
        }
    };
    let tiers = MarginTiers::from_margins(&values, &cfg.strategy);
    store.set_state(STATE, &encode(&tiers, by)).await?;
    Ok(tiers)
}

/// The model ranking needs outside the cycle (`explain`, `segment`): the kept one (fitted
/// when a day old) when ranking by predicted value, else none.
pub async fn ranking_model(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<Option<Model>, StoreError> {
    match cfg.strategy.rank_by {
        RankBy::Margin => Ok(None),
        RankBy::PredictedValue => crate::valuation::model::model(store, now, false).await,
    }
}

/// Fills in `facts.predicted_value` when customers are ranked by it (a no-op otherwise).
pub fn score(
    facts: &mut CustomerFacts,
    model: Option<&Model>,
    strategy: &StrategyConfig,
    now: DateTime<Utc>,
) {
    if strategy.rank_by == RankBy::PredictedValue {
        facts.predicted_value = predicted_value(model, facts.order_summary(), now);
    }
}

/// Customers per thread below which the tiers' scoring stays on the calling thread. (The
/// classification's scoring stays on the cycle's thread: it runs beside the facts streams'
/// threads, and spreading it was measured slower.)
const SCORES_PER_THREAD: usize = 512;

/// Summaries scored together: enough for every core to get many parts, few enough to hold.
const SCORED_AT_ONCE: usize = 65_536;

/// The margin predicted over the next 12 months; 0 without orders, without a model (nobody
/// bought twice yet) or without a spend model for the customer's currency.
fn predicted_value(
    model: Option<&Model>,
    orders: Option<crate::domain::OrderSummary>,
    now: DateTime<Utc>,
) -> f64 {
    match (model, orders) {
        (Some(m), Some(s)) => m.predicted_margin(&s, now).unwrap_or(0.0),
        _ => 0.0,
    }
}

fn encode(t: &MarginTiers, by: RankBy) -> String {
    serde_json::json!([
        t.high_cut,
        t.medium_cut,
        t.high_count,
        t.medium_count,
        t.low_count,
        by
    ])
    .to_string()
}

/// Tiers saved before `rank_by` existed (five numbers) do not decode: they are ranked anew.
fn decode(s: &str) -> Option<(MarginTiers, RankBy)> {
    let v: (Option<f64>, Option<f64>, u64, u64, u64, RankBy) = serde_json::from_str(s).ok()?;
    let t = MarginTiers {
        // JSON has no infinity: serde_json writes it as null.
        high_cut: v.0.unwrap_or(f64::INFINITY),
        medium_cut: v.1.unwrap_or(f64::INFINITY),
        high_count: v.2,
        medium_count: v.3,
        low_count: v.4,
    };
    Some((t, v.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_survive_a_round_trip_including_infinite_cuts() {
        let t = MarginTiers {
            high_cut: f64::INFINITY,
            medium_cut: 12.5,
            high_count: 0,
            medium_count: 3,
            low_count: 9,
        };
        assert_eq!(
            decode(&encode(&t, RankBy::PredictedValue)),
            Some((t, RankBy::PredictedValue))
        );
    }
}
