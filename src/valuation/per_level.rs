//! Each level's average predicted margin over the next 12 months: whether climbing the levels
//! goes with more value, on the shop's own data. One computation for `rapport levels` and the
//! dashboard.

use crate::config::StrategyConfig;
use crate::domain::Level;
use crate::predict::Model;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Predicted 12-month margins of one level's customers with orders, summed.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct LevelValue {
    pub sum: f64,
    /// Customers with orders (and a spend model for their currency) at the level.
    pub n: u64,
}

impl LevelValue {
    /// In the base currency; None when no customer of the level has orders.
    pub fn average(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// Each current level's customers with orders and their average predicted margin over the
/// next 12 months, scored with `model` (the cycle's kept one), indexed by `rank() - 1`. One
/// GROUP BY over `orders` and one read of the levels.
pub async fn value_per_level(
    store: &dyn Store,
    model: &Model,
    strategy: &StrategyConfig,
    now: DateTime<Utc>,
) -> Result<[LevelValue; 5], StoreError> {
    let mut out = [LevelValue::default(); 5];
    let levels: HashMap<String, Level> = store.current_levels().await?.into_iter().collect();
    for h in store.order_histories(None, now).await? {
        let (Some(level), Some(value)) = (
            levels.get(&h.customer_id),
            model
                .rhythm(&h, now, strategy.base_currency)
                .predicted_margin_12_months,
        ) else {
            continue;
        };
        let slot = &mut out[(level.rank() - 1) as usize];
        slot.sum += value;
        slot.n += 1;
    }
    Ok(out)
}
