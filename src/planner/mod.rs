//! The planner: for one customer, which campaign to queue now (at most one), when to send it,
//! and why every other campaign was not picked.
//!
//! Pure: the store passes the customer's assessment, recent orders and complaints, and past
//! deliveries; `now` is an argument so a cycle can be replayed (`--now`).
//!
//! The rules, in the order a campaign is checked (the first that fails is its reason):
//! 1. never for a suppressed address (unsubscribed, bounced, complained) — not even service;
//!    no marketing before the confirmation click of double opt-in, nor on a topic the
//!    customer left (docs/consent.md);
//! 2. audience: service campaigns go to every level; `climb` levels only while target > current;
//!    `maintenance` levels only once current ≥ target;
//! 3. trigger: a due occurrence that was never sent (see [`crate::campaigns::Trigger`]): for
//!    orders and complaints, the newest one whose delay has passed and that is within
//!    `max_age`; one older than an occurrence already sent is covered by it;
//!    (the other triggers — custom events, sign-up, level change, lapse, follow-up — the same
//!    way, see [`crate::campaigns::Trigger`]);
//! 4. `unless`: activity of the listed kinds after the occurrence's time stops it;
//! 5. the campaign's cool-down since its last send (a failed delivery is no send);
//! 6. `planner.min_gap` since the last email of any kind that did not fail (service emails
//!    ignore it themselves, but marketing emails wait after them);
//! 7. not in the global hold-out (`[experiments] global_holdout`; marketing only);
//! 8. its segment and `where` conditions (last: the costliest, and they may read the
//!    occurrence);
//! 9. of what is left, service campaigns first, then the highest priority (ties: by id).
//!
//! The pick is sent now, or at the end of quiet hours in the customer's timezone — unless the
//! customer is in the campaign's hold-out: then it is recorded as held out and never sent,
//! and counts as sent for cool-downs and `min_gap`, so the hold-out lives through the same
//! cadence as the recipients and the comparison measures the email alone.

mod blocked;
mod gates;
mod need;
mod occurrence;
pub mod quiet_hours;
mod rules;
mod send_time;

pub use blocked::Suppression;
pub use gates::{condition_context, needs_lookup};
pub use send_time::{best_send_at, wants_best_hour};

use crate::campaigns::Campaign;
use crate::config::PlannerConfig;
use crate::domain::{ConditionExtras, CustomerFacts};
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

/// A recent custom event (`custom:NAME`).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRef {
    /// `custom:NAME`
    pub kind: String,
    /// The events table's seq, as text.
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Map<String, serde_json::Value>,
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
    /// It failed for good (`deliveries.status = 'failed'`: rejected, bounced, retries used
    /// up, or could not be rendered): it never reached the customer, so it holds back no
    /// other email (neither `min_gap` nor cool-downs count it), but its occurrence stays
    /// taken (the outbox's unique key), so the same occurrence is not sent again.
    pub failed: bool,
    /// It was sent (accepted by SMTP): what a follow-up (`on = "sent"`) follows.
    pub sent: bool,
}

impl PastDelivery {
    /// Whether the customer got (or is about to get) this email: what `min_gap` and
    /// cool-downs count from.
    pub(crate) fn reached(&self) -> bool {
        !self.failed
    }
}

/// Everything the planner knows about one customer.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub customer_id: &'a str,
    pub locale: &'a str,
    /// The facts the assessment was made from, with the profile's times (sign-up, level
    /// change): what the newer triggers and the conditions read.
    pub facts: &'a CustomerFacts,
    pub assessment: &'a Assessment,
    pub timezone: chrono_tz::Tz,
    pub suppressed: Option<Suppression>,
    /// Orders younger than the largest `max_age` of any campaign (older ones never trigger).
    pub recent_orders: &'a [OrderRef],
    /// `complaint` events younger than the largest `max_age` of any campaign.
    pub recent_complaints: &'a [ComplaintRef],
    /// This customer's deliveries in any order, whatever their status.
    pub deliveries: &'a [PastDelivery],
    /// Custom events younger than the largest `max_age` of the campaigns that read them.
    pub recent_events: &'a [EventRef],
    /// What conditions read beyond the facts; None when not looked up (a campaign whose
    /// condition needs it is then not picked: see [`needs_lookup`]).
    pub extras: Option<&'a ConditionExtras>,
    /// The shop's purchase-rhythm model (fitted once per cycle, or cached for a day): what
    /// `on = "predicted_need"` reads with the facts. None: not fitted (no such campaign, or
    /// no customer has bought twice).
    pub purchases: Option<&'a crate::predict::BgNbd>,
}

/// The campaign to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub campaign: String,
    /// The variant the customer is in (`[[variant]]`); None without variants.
    pub variant: Option<String>,
    /// In the campaign's hold-out: recorded as planned, never sent.
    pub held_out: bool,
    /// The unique key of the delivery together with customer and campaign.
    pub occurrence: String,
    /// Now, or the end of quiet hours in the customer's timezone.
    pub send_at: DateTime<Utc>,
    /// For a campaign with `unless`: the occurrence's time, after which activity of those
    /// kinds cancels the email; the sender checks again just before sending.
    pub unless_since: Option<DateTime<Utc>>,
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
        .map(|c| rules::check(input, c, cfg, now, true))
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
        if let Ok(due) = rules::check(input, campaign, cfg, now, false) {
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

/// Whether [`pick`] could pick something for this customer if they had no recent orders,
/// complaints, custom events or deliveries, conditions aside. History only ever blocks a
/// schedule, eligibility, sign-up, level-change, lapse or predicted-need campaign, never enables one, so a
/// customer with no recent order, complaint or custom event for whom this is false gets
/// nothing from those whatever their deliveries: the cycle looks up the context of the
/// others only. The one trigger a delivery enables, a follow-up (`on = "sent"`), the cycle
/// checks apart (see [`follows`]).
pub fn due_without_history(
    facts: &CustomerFacts,
    assessment: &Assessment,
    timezone: chrono_tz::Tz,
    purchases: Option<&crate::predict::BgNbd>,
    campaigns: &[Campaign],
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> bool {
    let input = PlanInput {
        customer_id: "",
        locale: "",
        facts,
        assessment,
        timezone,
        suppressed: None,
        recent_orders: &[],
        recent_complaints: &[],
        deliveries: &[],
        recent_events: &[],
        extras: None,
        purchases,
    };
    campaigns
        .iter()
        .any(|c| rules::check_ungated(&input, c, cfg, now).is_ok())
}

/// The campaigns some follow-up (`on = "sent"`) follows: a customer with a delivery of one of
/// them may be due for the follow-up.
pub fn follows(campaigns: &[Campaign]) -> Vec<&str> {
    campaigns
        .iter()
        .filter_map(|c| match &c.trigger {
            crate::campaigns::Trigger::Sent { campaign, .. } => Some(campaign.as_str()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod consent_tests;
#[cfg(test)]
mod experiment_tests;
#[cfg(test)]
mod need_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trigger_tests;
