//! The shop's purchase-rhythm model for the cycle: fitted on every order history (one GROUP
//! BY over `orders` and a fit of a sample, docs/predictions.md), kept in `engine_state` and
//! refitted once it is a day away from the cycle's `now`. Chunks never fit: every cycle
//! reads it once, and only when some campaign is on `predicted_need` or customers are ranked
//! by predicted value; `explain` and `predict` read the same one, so their rhythm line says
//! what the planner saw.

use crate::campaigns::{Campaign, Trigger};
use crate::config::{RankBy, StrategyConfig};
use crate::predict::Model;
use crate::store::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

const STATE: &str = "predict.model";
/// Customers the cycle's fit learns from (every k-th): nearly every history is distinct at
/// millisecond times, so the likelihood has as many terms as the sample; 50,000 pin the
/// shop's four parameters, and their fit takes 0.7 s on the 1M-customer benchmark.
const CYCLE_FIT_SAMPLE: usize = 50_000;
/// How far the cycle's `now` may be from the fit before the model is fitted again.
const REFIT_AFTER: TimeDelta = TimeDelta::days(1);

#[derive(Serialize, Deserialize)]
struct Saved {
    fitted_at: DateTime<Utc>,
    /// None: nothing to learn from (no customer has bought twice).
    model: Option<Model>,
}

/// Whether the cycle needs the model: a campaign on `predicted_need`, or tiers ranked by
/// predicted value.
pub fn needed(campaigns: &[Campaign], strategy: &StrategyConfig) -> bool {
    strategy.rank_by == RankBy::PredictedValue
        || campaigns
            .iter()
            .any(|c| matches!(c.trigger, Trigger::PredictedNeed { .. }))
}

/// The kept model whatever its age, never a fit (None before any cycle fitted one): for a
/// page that must answer in a moment rather than fit for half a minute (the dashboard).
pub async fn kept(store: &dyn Store) -> Result<Option<Model>, StoreError> {
    Ok(store
        .get_state(STATE)
        .await?
        .and_then(|s| serde_json::from_str::<Saved>(&s).ok())
        .and_then(|s| s.model))
}

/// The model as of `now`: the saved one when it was fitted within a day of `now`, else a new
/// fit (saved unless `dry_run`).
pub async fn model(
    store: &dyn Store,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Option<Model>, StoreError> {
    if let Some(saved) = store.get_state(STATE).await?
        && let Ok(saved) = serde_json::from_str::<Saved>(&saved)
        && (now - saved.fitted_at).abs() < REFIT_AFTER
    {
        return Ok(saved.model);
    }
    let started = std::time::Instant::now();
    let histories = store.order_history_sample(now, CYCLE_FIT_SAMPLE).await?;
    let read = started.elapsed();
    let sampled = histories.len();
    // Seconds of arithmetic on every core: off the runtime's threads, so that the daemon's
    // HTTP endpoint and sending go on answering meanwhile.
    let fitted = tokio::task::spawn_blocking(move || Model::fit(&histories, now))
        .await
        .map_err(|e| StoreError::Invalid(format!("the purchase-rhythm fit failed: {e}")))?;
    tracing::info!(
        sampled,
        read_secs = read.as_secs_f64(),
        fit_secs = (started.elapsed() - read).as_secs_f64(),
        "Fitted the purchase-rhythm model."
    );
    let model = match fitted {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::info!(error = %e, "No purchase rhythm.");
            None
        }
    };
    let saved = Saved {
        fitted_at: now,
        model,
    };
    let text = serde_json::to_string(&saved).expect("a model serialises");
    if !dry_run {
        store.set_state(STATE, &text).await?;
    }
    // What later reads will decode (JSON may move a float's last digit): every cycle of the
    // day then scores with the very same numbers.
    Ok(serde_json::from_str::<Saved>(&text)
        .map(|s| s.model)
        .unwrap_or(saved.model))
}
