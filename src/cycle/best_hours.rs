//! `send_time = "best"`: the chunk's picks of such campaigns get their `send_at` at the
//! customer's best hour inside the slot's window (docs/predictions.md), looked up for those
//! customers only, in one statement per chunk; a customer with too few opens and clicks gets
//! the shop's hour, looked up once per cycle.

use super::basis::Basis;
use super::decide::Decisions;
use crate::planner::best_send_at;
use crate::predict::best_hour::best_hour;
use crate::store::{Store, StoreError};

/// The shop's best hour, looked up the first time a customer needs it.
#[derive(Default)]
pub struct ShopHour(Option<Option<u8>>);

impl ShopHour {
    async fn get(
        &mut self,
        store: &dyn Store,
        basis: &Basis<'_>,
    ) -> Result<Option<u8>, StoreError> {
        if let Some(h) = self.0 {
            return Ok(h);
        }
        let h = best_hour(&store.engagement_times(None, basis.now).await?);
        self.0 = Some(h);
        Ok(h)
    }
}

/// Moves each noted delivery's `send_at` to the customer's best hour.
pub async fn place(
    store: &dyn Store,
    basis: &Basis<'_>,
    decisions: &mut Decisions,
    shop: &mut ShopHour,
) -> Result<(), StoreError> {
    let noted = std::mem::take(&mut decisions.best_hour);
    if noted.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = noted
        .iter()
        .map(|(i, _)| decisions.deliveries[*i].customer_id.clone())
        .collect();
    let times = store.engagement_times_of(&ids, basis.now).await?;
    for (i, tz) in noted {
        let d = &decisions.deliveries[i];
        let own = times.get(&d.customer_id).and_then(|t| best_hour(t));
        let hour = match own {
            Some(h) => Some(h),
            None => shop.get(store, basis).await?,
        };
        let Some(campaign) = basis.campaigns.iter().find(|c| c.id == d.campaign) else {
            continue;
        };
        let quiet = &basis.cfg.planner.quiet_hours;
        if let Some(at) = best_send_at(campaign, tz, hour, basis.now, quiet) {
            decisions.deliveries[i].send_at = at;
            decisions.planned[i].send_at = at;
        }
    }
    Ok(())
}
