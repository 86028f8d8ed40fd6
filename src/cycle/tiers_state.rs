//! Margin tiers: ranking every customer by margin is a full-table job, done on full cycles
//! and kept in `engine_state` so incremental cycles (which see only changed customers)
//! classify against the same cut points.

use crate::config::Config;
use crate::levels::MarginTiers;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

const STATE: &str = "cycle.tiers";

pub async fn tiers(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
    full: bool,
) -> Result<MarginTiers, StoreError> {
    if !full
        && let Some(saved) = store.get_state(STATE).await?
        && let Some(t) = decode(&saved)
    {
        return Ok(t);
    }
    let margins = store
        .margins(now - cfg.strategy.margin_window.chrono())
        .await?;
    let tiers = MarginTiers::from_margins(&margins, &cfg.strategy);
    store.set_state(STATE, &encode(&tiers)).await?;
    Ok(tiers)
}

fn encode(t: &MarginTiers) -> String {
    serde_json::json!([
        t.high_cut,
        t.medium_cut,
        t.high_count,
        t.medium_count,
        t.low_count
    ])
    .to_string()
}

fn decode(s: &str) -> Option<MarginTiers> {
    let v: (Option<f64>, Option<f64>, u64, u64, u64) = serde_json::from_str(s).ok()?;
    Some(MarginTiers {
        // JSON has no infinity: serde_json writes it as null.
        high_cut: v.0.unwrap_or(f64::INFINITY),
        medium_cut: v.1.unwrap_or(f64::INFINITY),
        high_count: v.2,
        medium_count: v.3,
        low_count: v.4,
    })
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
        assert_eq!(decode(&encode(&t)), Some(t));
    }
}
