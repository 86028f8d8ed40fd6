//! Result rows to structs, once for both backends (through [`Columns`]): the statements
//! differ in dialect, the columns they return do not.

use super::Result;
use super::columns::{Columns, located};
use super::facts::{DeliveryRef, FactsRow, PlanContext};
use super::levels::HistoryEntry;
use super::outbox::{ClaimedDelivery, CustomerProfile, OccurrenceData};
use super::tracking::TrackedDelivery;
use crate::domain::report::{CampaignReport, ConversionRow, FunnelRow, SurveyRow, merge};
use crate::domain::{ClaimedNotification, CustomerFacts, Transition};
use std::collections::HashMap;

/// (id, email, locale, timezone, subscribed, current_level, target_level, target_override):
/// a customer of the facts stream, its facts still empty.
pub(crate) fn facts_customer(r: &impl Columns) -> Result<FactsRow> {
    located(
        r,
        "customers",
        &[
            "id",
            "email",
            "locale",
            "timezone",
            "subscribed",
            "current_level",
            "target_level",
            "target_override",
        ],
        |r| {
            Ok(FactsRow {
                customer_id: r.text(0)?,
                email: r.text(1)?,
                locale: r.text(2)?,
                timezone: r.text(3)?,
                subscribed: r.flag(4)?,
                // Filled in from the suppressions map by the merge.
                suppression: None,
                any_complaint_at: None,
                recent_orders: None,
                recent_complaints: None,
                deliveries: None,
                stored_current: r.opt_level(5)?,
                stored_target: r.level(6)?,
                facts: CustomerFacts {
                    target_override: r.opt_level(7)?,
                    ..CustomerFacts::default()
                },
            })
        },
    )
}

/// The names of a customer's delivery columns (customer, then [`delivery_ref`]), for errors.
pub(crate) const DELIVERY_REF: [&str; 6] = [
    "customer_id",
    "campaign",
    "occurrence",
    "sent_at",
    "service",
    "status",
];

/// A delivery's (campaign, occurrence, time, service, status) from column `at` on.
pub(crate) fn delivery_ref(r: &impl Columns, at: usize) -> Result<DeliveryRef> {
    Ok(DeliveryRef {
        campaign: r.text(at)?,
        occurrence: r.text(at + 1)?,
        at: r.time(at + 2)?,
        service: r.flag(at + 3)?,
        status: r.text(at + 4)?,
    })
}

/// The plan context statements' rows, each (customer id, …), into `out`.
pub(crate) enum ContextRow {
    /// (customer, order id, time)
    Order,
    /// (customer, event seq, time)
    Complaint,
    /// (customer, delivery as in [`delivery_ref`])
    Delivery,
}

impl ContextRow {
    pub(crate) fn add(
        &self,
        r: &impl Columns,
        out: &mut HashMap<String, PlanContext>,
    ) -> Result<()> {
        let (table, columns): (_, &[&str]) = match self {
            ContextRow::Order => ("orders", &["customer_id", "id", "occurred_at"]),
            ContextRow::Complaint => ("events", &["customer_id", "seq", "occurred_at"]),
            ContextRow::Delivery => ("deliveries", &DELIVERY_REF),
        };
        located(r, table, columns, |r| {
            let cx = out.entry(r.text(0)?).or_default();
            match self {
                ContextRow::Order => cx.orders.push((r.text(1)?, r.time(2)?)),
                ContextRow::Complaint => cx.complaints.push((r.int(1)?.to_string(), r.time(2)?)),
                ContextRow::Delivery => cx.deliveries.push(delivery_ref(r, 1)?),
            }
            Ok(())
        })
    }
}

/// The names of the claim statements' columns, for errors.
const CLAIMED: [&str; 15] = [
    "id",
    "customer_id",
    "customers.email",
    "customers.name",
    "customers.locale",
    "customers.timezone",
    "customers.attributes",
    "customers.subscribed",
    "suppressions.reason",
    "campaign",
    "occurrence",
    "current_level",
    "target_level",
    "attempts",
    "message_id",
];

/// The claim statements' columns: the delivery joined with its customer and suppression.
pub(crate) fn claimed_delivery(r: &impl Columns) -> Result<ClaimedDelivery> {
    located(r, "deliveries", &CLAIMED, |r| {
        Ok(ClaimedDelivery {
            id: r.uuid(0)?,
            customer_id: r.text(1)?,
            email: r.text(2)?,
            name: r.text(3)?,
            locale: r.text(4)?,
            timezone: r.text(5)?,
            attributes: r.json(6)?,
            subscribed: r.flag(7)?,
            suppression: r.opt_text(8)?,
            campaign: r.text(9)?,
            occurrence: r.text(10)?,
            current: r.level(11)?,
            target: r.level(12)?,
            attempts: r.int32(13)?,
            message_id: r.text(14)?,
        })
    })
}

/// (id, email, name, locale, timezone, attributes, subscribed, current_level, target_level)
pub(crate) fn customer_profile(r: &impl Columns) -> Result<CustomerProfile> {
    located(
        r,
        "customers",
        &[
            "id",
            "email",
            "name",
            "locale",
            "timezone",
            "attributes",
            "subscribed",
            "current_level",
            "target_level",
        ],
        |r| {
            Ok(CustomerProfile {
                id: r.text(0)?,
                email: r.text(1)?,
                name: r.text(2)?,
                locale: r.text(3)?,
                timezone: r.text(4)?,
                attributes: r.json(5)?,
                subscribed: r.flag(6)?,
                current: r.level(7)?,
                target: r.level(8)?,
            })
        },
    )
}

/// (id, occurred_at, amount, currency, items) of an order named by an occurrence.
pub(crate) fn order_occurrence(r: &impl Columns) -> Result<(String, OccurrenceData)> {
    located(
        r,
        "orders",
        &["id", "occurred_at", "amount", "currency", "items"],
        |r| {
            let id = r.text(0)?;
            let data = serde_json::json!({
                "id": id, "occurred_at": r.time(1)?, "amount": r.float(2)?,
                "currency": r.text(3)?, "items": r.json(4)?,
            });
            Ok((format!("order:{id}"), OccurrenceData::Order(data)))
        },
    )
}

/// (seq, occurred_at, data) of a complaint named by an occurrence.
pub(crate) fn complaint_occurrence(r: &impl Columns) -> Result<(String, OccurrenceData)> {
    located(r, "events", &["seq", "occurred_at", "data"], |r| {
        let seq = r.int(0)?;
        let data = serde_json::json!({
            "id": seq.to_string(), "occurred_at": r.time(1)?, "data": r.json(2)?,
        });
        Ok((format!("complaint:{seq}"), OccurrenceData::Complaint(data)))
    })
}

/// (from_level, to_level, at, reasons) of `level_history`.
pub(crate) fn history_entry(r: &impl Columns) -> Result<HistoryEntry> {
    located(
        r,
        "level_history",
        &["from_level", "to_level", "at", "reasons"],
        |r| {
            Ok(HistoryEntry {
                from: r.opt_level(0)?,
                to: r.level(1)?,
                at: r.time(2)?,
                reasons: r.json_as(3)?,
            })
        },
    )
}

/// (id, customer_id, email, locale, campaign, message_id, links, sent_at)
pub(crate) fn tracked_delivery(r: &impl Columns) -> Result<TrackedDelivery> {
    located(
        r,
        "deliveries",
        &[
            "id",
            "customer_id",
            "customers.email",
            "customers.locale",
            "campaign",
            "message_id",
            "links",
            "sent_at",
        ],
        |r| {
            Ok(TrackedDelivery {
                id: r.uuid(0)?,
                customer_id: r.text(1)?,
                email: r.text(2)?,
                locale: r.text(3)?,
                campaign: r.text(4)?,
                message_id: r.text(5)?,
                // Written by record_results from a Vec<String>; other JSON means "no links".
                links: r
                    .opt_json(6)?
                    .and_then(|l| serde_json::from_value(l).ok())
                    .unwrap_or_default(),
                sent_at: r.opt_time(7)?,
            })
        },
    )
}

/// (id, endpoint, event, body, attempts) of a claimed notification.
pub(crate) fn claimed_notification(r: &impl Columns) -> Result<ClaimedNotification> {
    located(
        r,
        "notifications",
        &["id", "endpoint", "event", "body", "attempts"],
        |r| {
            Ok(ClaimedNotification {
                id: r.uuid(0)?,
                endpoint: r.text(1)?,
                event: r.text(2)?,
                body: r.text(3)?,
                attempts: r.int32(4)?,
            })
        },
    )
}

/// The three report statements' rows (see `sql/*_report_*.sql`) as the report's lines.
pub(crate) fn report_rows<R: Columns>(
    status: &[R],
    engagement: &[R],
    conversions: &[R],
) -> Result<Vec<CampaignReport>> {
    let mut funnel = Vec::with_capacity(status.len() + engagement.len());
    for r in status {
        funnel.push(FunnelRow {
            campaign: r.text(0)?,
            queued: r.count(1)?,
            sent: r.count(2)?,
            failed: r.count(3)?,
            suppressed: r.count(4)?,
            ..Default::default()
        });
    }
    let mut surveys = Vec::with_capacity(engagement.len());
    for r in engagement {
        funnel.push(FunnelRow {
            campaign: r.text(0)?,
            delivered: r.count(1)?,
            opened: r.count(2)?,
            opened_all: r.count(3)?,
            clicked: r.count(4)?,
            unsubscribed: r.count(5)?,
            bounced: r.count(6)?,
            complained: r.count(7)?,
            ..Default::default()
        });
        surveys.push(SurveyRow {
            campaign: r.text(0)?,
            answers: r.count(8)?,
            score_sum: r.count(9)?,
            promoters: r.count(10)?,
            detractors: r.count(11)?,
        });
    }
    let conversions = conversions
        .iter()
        .map(|r| {
            Ok(ConversionRow {
                campaign: r.text(0)?,
                converted: r.count(1)?,
                revenue: r.opt_float(2)?.unwrap_or(0.0),
                unpriced: r.count(3)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(merge(funnel, surveys, conversions))
}

/// (from_level, to_level, count, mean seconds at `from`) of the level movement statements.
pub(crate) fn transition(r: &impl Columns) -> Result<Transition> {
    located(
        r,
        "level_history",
        &["from_level", "to_level", "count", "mean time at from"],
        |r| {
            Ok(Transition {
                from: r.level(0)?,
                to: r.level(1)?,
                count: r.count(2)?,
                avg_seconds_at_from: r.opt_float(3)?,
            })
        },
    )
}
