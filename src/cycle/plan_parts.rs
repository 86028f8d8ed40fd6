//! The planner's view of one customer: the store's rows turned into the planner's types.

use crate::domain::{Level, Timezone};
use crate::planner::{ComplaintRef, EventRef, OrderRef, PastDelivery, Suppression};
use crate::store::{DeliveryRef, FactsRow, PlanContext};
use chrono::{DateTime, Utc};

/// The planner's view of one customer's context.
#[derive(Debug, Default)]
pub struct PlanParts {
    pub orders: Vec<OrderRef>,
    pub complaints: Vec<ComplaintRef>,
    pub deliveries: Vec<PastDelivery>,
    pub events: Vec<EventRef>,
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
            deliveries: ctx.deliveries.into_iter().map(past_delivery).collect(),
            events: ctx
                .custom_events
                .into_iter()
                .map(|e| EventRef {
                    kind: format!("custom:{}", e.name),
                    id: e.id,
                    occurred_at: e.at,
                    data: e.data,
                })
                .collect(),
        }
    }
}

/// A delivery as the planner weighs it. Of the outbox's statuses (`queued`, `sending`,
/// `sent`, `failed`, `cancelled`, `suppressed`) only `failed` and `cancelled` hold back
/// nothing: the email was given up on (or made pointless by an `unless`) and never reached
/// the customer. Queued and sending ones will reach them. A
/// `suppressed` one did not reach them either, yet keeps counting, as it always has: it
/// means the customer unsubscribed, complained or hard-bounced after it was planned; while
/// that lasts the planner plans nothing for them anyway, and should the address come back,
/// the cadence runs from the email they were last meant to get, not as if they had never
/// been written to. A `held_out` one (an experiment's hold-out) counts as if it had been
/// sent: the hold-out must live through the same cadence as the recipients, or the
/// comparison would measure the other emails the gap let through, not this one.
fn past_delivery(d: DeliveryRef) -> PastDelivery {
    PastDelivery {
        failed: d.status == "failed" || d.status == "cancelled",
        sent: d.status == "sent",
        campaign: d.campaign,
        occurrence: d.occurrence,
        at: d.at,
        service: d.service,
    }
}

/// When the assessment moves the customer's current level, the level-change trigger and the
/// conditions see the move now (the cycle writes it at `now`): the stored level becomes the
/// previous one.
pub fn see_level_change(row: &mut FactsRow, current: Level, now: DateTime<Utc>) {
    if row.stored_current != Some(current) {
        row.facts.previous_level = row.stored_current.or(row.facts.previous_level);
        row.facts.level_since = Some(now);
    }
}

pub fn suppression_of(row_suppression: Option<&str>, subscribed: bool) -> Option<Suppression> {
    match row_suppression {
        Some(reason) => Some(Suppression::of_reason(reason)),
        None if !subscribed => Some(Suppression::Unsubscribed),
        None => None,
    }
}

pub fn timezone_of(name: &str, fallback: Timezone) -> chrono_tz::Tz {
    Timezone::parse(name).unwrap_or(fallback).tz()
}
