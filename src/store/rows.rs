//! Result rows to structs, once for both backends (through [`Columns`]): the statements
//! differ in dialect, the columns they return do not.

use super::Result;
use super::columns::Columns;
use super::facts::{DeliveryRef, FactsRow, PlanContext};
use super::levels::HistoryEntry;
use super::outbox::{ClaimedDelivery, CustomerProfile, OccurrenceData};
use super::tracking::TrackedDelivery;
use crate::domain::report::{CampaignReport, ConversionRow, FunnelRow, SurveyRow, merge};
use crate::domain::{ClaimedNotification, CustomerFacts, Level, Transition};
use std::collections::HashMap;

pub(crate) fn level_of(rank: i64) -> Level {
    Level::from_rank(rank).unwrap_or(Level::Basic)
}

fn level(r: &impl Columns, i: usize) -> Result<Level> {
    Ok(level_of(r.int(i)?))
}

/// (id, email, locale, timezone, subscribed, current_level, target_level, target_override):
/// a customer of the facts stream, its facts still empty.
pub(crate) fn facts_customer(r: &impl Columns) -> Result<FactsRow> {
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
        stored_current: r.opt_int(5)?.map(level_of),
        stored_target: level(r, 6)?,
        facts: CustomerFacts {
            target_override: r.opt_int(7)?.and_then(Level::from_rank),
            ..CustomerFacts::default()
        },
    })
}

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
        let cx = out.entry(r.text(0)?).or_default();
        match self {
            ContextRow::Order => cx.orders.push((r.text(1)?, r.time(2)?)),
            ContextRow::Complaint => cx.complaints.push((r.int(1)?.to_string(), r.time(2)?)),
            ContextRow::Delivery => cx.deliveries.push(delivery_ref(r, 1)?),
        }
        Ok(())
    }
}

/// The claim statements' columns: the delivery joined with its customer and suppression.
pub(crate) fn claimed_delivery(r: &impl Columns) -> Result<ClaimedDelivery> {
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
        current: level(r, 11)?,
        target: level(r, 12)?,
        attempts: r.int32(13)?,
        message_id: r.text(14)?,
    })
}

/// (id, email, name, locale, timezone, attributes, subscribed, current_level, target_level)
pub(crate) fn customer_profile(r: &impl Columns) -> Result<CustomerProfile> {
    Ok(CustomerProfile {
        id: r.text(0)?,
        email: r.text(1)?,
        name: r.text(2)?,
        locale: r.text(3)?,
        timezone: r.text(4)?,
        attributes: r.json(5)?,
        subscribed: r.flag(6)?,
        current: level(r, 7)?,
        target: level(r, 8)?,
    })
}

/// (id, occurred_at, amount, currency, items) of an order named by an occurrence.
pub(crate) fn order_occurrence(r: &impl Columns) -> Result<(String, OccurrenceData)> {
    let id = r.text(0)?;
    let data = serde_json::json!({
        "id": id, "occurred_at": r.time(1)?, "amount": r.float(2)?,
        "currency": r.text(3)?, "items": r.json(4)?,
    });
    Ok((format!("order:{id}"), OccurrenceData::Order(data)))
}

/// (seq, occurred_at, data) of a complaint named by an occurrence.
pub(crate) fn complaint_occurrence(r: &impl Columns) -> Result<(String, OccurrenceData)> {
    let seq = r.int(0)?;
    let data = serde_json::json!({
        "id": seq.to_string(), "occurred_at": r.time(1)?, "data": r.json(2)?,
    });
    Ok((format!("complaint:{seq}"), OccurrenceData::Complaint(data)))
}

/// (from_level, to_level, at, reasons) of `level_history`.
pub(crate) fn history_entry(r: &impl Columns) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        from: r.opt_int(0)?.map(level_of),
        to: level(r, 1)?,
        at: r.time(2)?,
        reasons: serde_json::from_value(r.json(3)?).unwrap_or_default(),
    })
}

/// (id, customer_id, email, locale, campaign, message_id, links, sent_at)
pub(crate) fn tracked_delivery(r: &impl Columns) -> Result<TrackedDelivery> {
    Ok(TrackedDelivery {
        id: r.uuid(0)?,
        customer_id: r.text(1)?,
        email: r.text(2)?,
        locale: r.text(3)?,
        campaign: r.text(4)?,
        message_id: r.text(5)?,
        // Written by record_results from a Vec<String>; anything else means "no links".
        links: r
            .opt_json(6)?
            .and_then(|l| serde_json::from_value(l).ok())
            .unwrap_or_default(),
        sent_at: r.opt_time(7)?,
    })
}

/// (id, endpoint, event, body, attempts) of a claimed notification.
pub(crate) fn claimed_notification(r: &impl Columns) -> Result<ClaimedNotification> {
    Ok(ClaimedNotification {
        id: r.uuid(0)?,
        endpoint: r.text(1)?,
        event: r.text(2)?,
        body: r.text(3)?,
        attempts: r.int32(4)?,
    })
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
    Ok(Transition {
        from: level(r, 0)?,
        to: level(r, 1)?,
        count: r.count(2)?,
        avg_seconds_at_from: r.opt_float(3)?,
    })
}
