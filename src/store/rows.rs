//! Result rows to structs, once for both backends (through [`Columns`]): the statements
//! differ in dialect, the columns they return do not.

use super::Result;
use super::columns::{Columns, bad_value, located};
use super::facts::{DeliveryRef, FactsRow, PlanContext, RecentEvent};
use super::levels::HistoryEntry;
use super::outbox::{ClaimedDelivery, CustomerProfile, OccurrenceData};
use super::tracking::TrackedDelivery;
use crate::domain::report::{CampaignReport, ConversionRow, FunnelRow, SurveyRow, merge};
use crate::domain::{ClaimedNotification, ConditionExtras, CustomerFacts, OrderItem, Transition};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;

/// (id, email, locale, timezone, subscribed, current_level, target_level, target_override,
/// created_at, previous_level, level_since, consent_pending, left_topics): a customer of the facts stream, the facts from
/// its other streams still empty.
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
            "created_at",
            "previous_level",
            "level_since",
            "consent_pending",
            "left_topics",
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
                    created_at: Some(r.time(8)?),
                    previous_level: r.opt_level(9)?,
                    level_since: r.opt_time(10)?,
                    consent_pending: r.flag(11)?,
                    left_topics: crate::domain::Topic::list(&r.text(12)?),
                    ..CustomerFacts::default()
                },
            })
        },
    )
}

/// (customer_id, current_level, target_level, previous_level, level_since): a customer's
/// stored levels, read beside the customers of the facts stream (SQLite), onto their row.
pub(crate) fn stored_levels(r: &impl Columns, row: &mut FactsRow) -> Result<()> {
    located(
        r,
        "customer_levels",
        &[
            "customer_id",
            "current_level",
            "target_level",
            "previous_level",
            "level_since",
        ],
        |r| {
            row.stored_current = Some(r.level(1)?);
            row.stored_target = r.level(2)?;
            row.facts.previous_level = r.opt_level(3)?;
            row.facts.level_since = r.opt_time(4)?;
            Ok(())
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
    /// (customer, event seq, time, custom_kind, data)
    Custom,
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
            ContextRow::Custom => (
                "events",
                &["customer_id", "seq", "occurred_at", "custom_kind", "data"],
            ),
        };
        located(r, table, columns, |r| {
            let cx = out.entry(r.text(0)?).or_default();
            match self {
                ContextRow::Order => cx.orders.push((r.text(1)?, r.time(2)?)),
                ContextRow::Complaint => cx.complaints.push((r.int(1)?.to_string(), r.time(2)?)),
                ContextRow::Delivery => cx.deliveries.push(delivery_ref(r, 1)?),
                ContextRow::Custom => cx.custom_events.push(RecentEvent {
                    id: r.int(1)?.to_string(),
                    at: r.time(2)?,
                    name: r.text(3)?,
                    data: r.json_as(4)?,
                }),
            }
            Ok(())
        })
    }
}

/// The condition lookups' rows, each (customer id, …), into `out`.
pub(crate) enum ExtrasRow {
    /// (customer, attributes)
    Attributes,
    /// (customer, time of the last human open)
    Open,
    /// (customer, time of the last human survey answer, its score if an integer)
    Survey,
    /// (customer, order id, items)
    Items,
}

impl ExtrasRow {
    pub(crate) fn add(
        &self,
        r: &impl Columns,
        out: &mut HashMap<String, ConditionExtras>,
    ) -> Result<()> {
        let (table, columns): (_, &[&str]) = match self {
            ExtrasRow::Attributes => ("customers", &["id", "attributes"]),
            ExtrasRow::Open => ("events", &["customer_id", "occurred_at"]),
            ExtrasRow::Survey => ("events", &["customer_id", "occurred_at", "data.score"]),
            ExtrasRow::Items => ("orders", &["customer_id", "id", "items"]),
        };
        located(r, table, columns, |r| {
            let x = out.entry(r.text(0)?).or_default();
            match self {
                ExtrasRow::Attributes => x.attributes = r.json_as(1)?,
                ExtrasRow::Open => x.last_open_at = r.opt_time(1)?,
                ExtrasRow::Survey => x.last_survey = Some((r.time(1)?, r.opt_int(2)?)),
                ExtrasRow::Items => {
                    x.order_items.insert(r.text(1)?, order_items(&r.json(2)?));
                }
            }
            Ok(())
        })
    }
}

/// An order's `items` as conditions see them. Imports check that each line is an object with
/// `sku` and `name` text (see `import::record::order`); a line that is not (written before
/// the check, or by hand) is left out rather than failing the customer's whole plan. A `qty`
/// that is not a whole number, or a `category` that is not text, reads as absent.
pub(crate) fn order_items(items: &Value) -> Vec<OrderItem> {
    let text = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k).and_then(Value::as_str).map(str::to_owned)
    };
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|o| {
            Some(OrderItem {
                sku: text(o, "sku")?,
                name: text(o, "name")?,
                category: text(o, "category"),
                qty: o.get("qty").and_then(Value::as_i64),
            })
        })
        .collect()
}

/// An activity check's row of the events statement: (check index, kind, custom_kind, time).
pub(crate) type FoundActivity = (usize, Option<(i16, Option<String>)>, DateTime<Utc>);

/// (check index, kind, custom_kind, earliest time) of an activity-check events statement.
pub(crate) fn activity_event(r: &impl Columns) -> Result<FoundActivity> {
    located(
        r,
        "events",
        &["check", "kind", "custom_kind", "occurred_at"],
        |r| {
            let kind = i16::try_from(r.int(1)?).map_err(|e| bad_value(1, e))?;
            Ok((check_index(r)?, Some((kind, r.opt_text(2)?)), r.time(3)?))
        },
    )
}

/// (check index, earliest time) of an activity-check orders statement.
pub(crate) fn activity_order(r: &impl Columns) -> Result<FoundActivity> {
    located(r, "orders", &["check", "occurred_at"], |r| {
        Ok((check_index(r)?, None, r.time(1)?))
    })
}

fn check_index(r: &impl Columns) -> Result<usize> {
    usize::try_from(r.int(0)?).map_err(|e| bad_value(0, e))
}

/// The names of the claim statements' columns, for errors.
const CLAIMED: [&str; 19] = [
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
    "unless_since",
    "variant",
    "send_at",
    "customers.left_topics",
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
            unless_since: r.opt_time(15)?,
            variant: r.opt_text(16)?,
            send_at: r.time(17)?,
            left_topics: crate::domain::Topic::list(&r.text(18)?),
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
            cancelled: r.count(5)?,
            held_out: r.count(6)?,
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
