//! `unless`, checked again just before sending: a follow-up queued days ago whose customer
//! has since answered the survey (clicked, ordered, …) is cancelled with its reason, never
//! sent. The planner checked the same when it queued the email; this catches what happened
//! in between.

use crate::campaigns::{Campaign, Unless};
use crate::domain::{EventKind, Topic};
use crate::store::{ActivityCheck, ClaimedDelivery, DeliveryResult, Store, StoreError};
use std::collections::HashMap;

/// Each campaign's `unless`, as the store checks it: event kinds, and whether orders count;
/// and each campaign's topic, which a customer may have left after the email was queued.
#[derive(Debug, Clone, Default)]
pub struct UnlessRules(
    HashMap<String, (Vec<EventKind>, bool)>,
    HashMap<String, Topic>,
);

impl UnlessRules {
    pub fn new(campaigns: &[Campaign]) -> Self {
        let mut rules = HashMap::new();
        for c in campaigns.iter().filter(|c| !c.unless.is_empty()) {
            let kinds = c
                .unless
                .iter()
                .filter_map(|u| match u {
                    Unless::Event(k) => Some(k.clone()),
                    Unless::Order => None,
                })
                .collect();
            let orders = c.unless.contains(&Unless::Order);
            rules.insert(c.id.clone(), (kinds, orders));
        }
        let topics = campaigns
            .iter()
            .filter_map(|c| Some((c.id.clone(), c.topic?)))
            .collect();
        UnlessRules(rules, topics)
    }

    /// Splits a claimed batch into what is still worth sending and the cancellations of the
    /// rest. One store round trip, and none when no delivery of the batch has an `unless`.
    pub async fn cancel_pointless(
        &self,
        store: &dyn Store,
        claimed: Vec<ClaimedDelivery>,
    ) -> Result<(Vec<ClaimedDelivery>, Vec<DeliveryResult>), StoreError> {
        // A topic left since queueing (a loyalty offer waiting for the end of quiet hours):
        // read with the claim, no round trip.
        let (claimed, mut left): (Vec<_>, Vec<_>) = claimed.into_iter().partition(|d| {
            self.1
                .get(&d.campaign)
                .is_none_or(|t| !d.left_topics.contains(t))
        });
        let left: Vec<DeliveryResult> = left
            .drain(..)
            .map(|d| DeliveryResult::Cancelled {
                id: d.id,
                reason: format!(
                    "the customer left the topic `{}` after it was queued",
                    self.1[&d.campaign]
                ),
            })
            .collect();
        let (keep, mut cancelled) = self.cancel_after_activity(store, claimed).await?;
        cancelled.extend(left);
        Ok((keep, cancelled))
    }

    /// The `unless` part of [`UnlessRules::cancel_pointless`].
    async fn cancel_after_activity(
        &self,
        store: &dyn Store,
        claimed: Vec<ClaimedDelivery>,
    ) -> Result<(Vec<ClaimedDelivery>, Vec<DeliveryResult>), StoreError> {
        let checks: Vec<ActivityCheck> = claimed
            .iter()
            .filter_map(|d| {
                let since = d.unless_since?;
                let (kinds, orders) = self.0.get(&d.campaign)?;
                Some(ActivityCheck {
                    delivery_id: d.id,
                    customer_id: d.customer_id.clone(),
                    // Strictly after the occurrence: an order-triggered email with
                    // `unless = ["order"]` is not cancelled by its own order.
                    since: since + chrono::TimeDelta::milliseconds(1),
                    kinds: kinds.clone(),
                    orders: *orders,
                })
            })
            .collect();
        if checks.is_empty() {
            return Ok((claimed, Vec::new()));
        }
        let found = store.activity_since(&checks).await?;
        let mut keep = Vec::with_capacity(claimed.len());
        let mut cancelled = Vec::new();
        for d in claimed {
            match found.get(&d.id) {
                Some(a) => cancelled.push(DeliveryResult::Cancelled {
                    id: d.id,
                    reason: format!(
                        "unless: {} at {} after it was queued",
                        a.kind,
                        a.at.format("%Y-%m-%d %H:%M UTC")
                    ),
                }),
                None => keep.push(d),
            }
        }
        Ok((keep, cancelled))
    }
}
