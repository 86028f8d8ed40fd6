//! The planner: for one customer, which campaign to queue now (at most one), when to send it,
//! and why every other campaign was not picked.
//!
//! Pure: the store passes the customer's assessment, recent orders and complaints, and past
//! deliveries; `now` is an argument so a cycle can be replayed (`--now`).
//!
//! The rules, in the order a campaign is checked (the first that fails is its reason):
//! 1. never for a suppressed address (unsubscribed, bounced, complained) — not even service;
//! 2. audience: service campaigns go to every level; `climb` levels only while target > current;
//!    `maintenance` levels only once current ≥ target;
//! 3. trigger: a due occurrence that was never sent (see [`crate::campaigns::Trigger`]): for
//!    orders and complaints, the newest one whose delay has passed and that is within
//!    `max_age`; one older than an occurrence already sent is covered by it;
//! 4. the campaign's cool-down since its last send;
//! 5. `planner.min_gap` since the last marketing email (service emails ignore it and do not
//!    count towards it);
//! 6. of what is left, service campaigns first, then the highest priority (ties: by id).
//!
//! The pick is sent now, or at the end of quiet hours in the customer's timezone.

mod blocked;
mod occurrence;
pub mod quiet_hours;
mod rules;

pub use blocked::Suppression;

use crate::campaigns::Campaign;
use crate::config::PlannerConfig;
use crate::levels::Assessment;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRef {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
}

/// A delivery already queued or sent to this customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastDelivery {
    pub campaign: String,
    pub occurrence: String,
    /// When it was (or is to be) sent: the queued `send_at`, or the time it was sent.
    pub at: DateTime<Utc>,
    /// A service email (complaint follow-up): it ignores `min_gap` itself, but marketing emails wait `min_gap` after it.
    pub service: bool,
}

/// Everything the planner knows about one customer.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub assessment: &'a Assessment,
    pub timezone: chrono_tz::Tz,
    pub suppressed: Option<Suppression>,
    /// Orders younger than the largest `max_age` of any campaign (older ones never trigger).
    pub recent_orders: &'a [OrderRef],
    /// `complaint` events younger than the largest `max_age` of any campaign.
    pub recent_complaints: &'a [ComplaintRef],
    /// This customer's deliveries in any order, whatever their status.
    pub deliveries: &'a [PastDelivery],
}

/// The campaign to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub campaign: String,
    /// The unique key of the delivery together with customer and campaign.
    pub occurrence: String,
    /// Now, or the end of quiet hours in the customer's timezone.
    pub send_at: DateTime<Utc>,
}

/// The planner's answer, with a reason for every campaign it did not pick.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub pick: Option<Planned>,
    /// Campaign id → why not (`not due: order o-1 is 1 d old, delay 3 d`).
    pub not_picked: BTreeMap<String, String>,
}

/// Picks at most one campaign for the customer and explains every other one.
pub fn plan(
    input: &PlanInput,
    campaigns: &[Campaign],
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> Decision {
    let verdicts: Vec<_> = campaigns
        .iter()
        .map(|c| rules::check(input, c, cfg, now))
        .collect();
    let winner = rules::winner(campaigns, &verdicts);
    let mut decision = Decision::default();
    for (i, (campaign, verdict)) in campaigns.iter().zip(verdicts).enumerate() {
        let reason = match verdict {
            Ok(due) if Some(i) == winner => {
                decision.pick = Some(due.planned(campaign, input, cfg, now));
                continue;
            }
            Ok(_) => blocked::Blocked::LowerPriority(winner.map_or("", |w| &campaigns[w].id)),
            Err(blocked) => blocked,
        };
        decision
            .not_picked
            .insert(campaign.id.clone(), reason.to_string());
    }
    decision
}

/// The same pick as [`plan`] without building reasons: for the full cycle over every customer.
pub fn pick(
    input: &PlanInput,
    campaigns: &[Campaign],
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> Option<Planned> {
    let mut best: Option<(usize, occurrence::Due)> = None;
    for (i, campaign) in campaigns.iter().enumerate() {
        if let Ok(due) = rules::check(input, campaign, cfg, now) {
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| rules::outranks(campaign, &campaigns[*b]));
            if better {
                best = Some((i, due));
            }
        }
    }
    best.map(|(i, due)| due.planned(&campaigns[i], input, cfg, now))
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
