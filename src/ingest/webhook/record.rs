//! The rows one provider event becomes, and the reason a suppressing event gives. Pure.

use super::correlate::Owner;
use crate::domain::suppression::reason::{self, Reported};
use crate::domain::{CustomerId, EventKind, EventRecord};
use crate::ingest::machine::{early_open, machine_agent};
use crate::providers::{InboundEvent, InboundKind};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The suppression reason of a suppressing provider event (a hard bounce, a spam complaint or
/// an unsubscribe), with the provider's code and words.
pub fn suppression_reason(e: &InboundEvent) -> String {
    let what = match e.kind {
        InboundKind::SpamComplaint => Reported::SpamComplaint,
        InboundKind::Unsubscribe => Reported::Unsubscribe,
        _ => Reported::HardBounce,
    };
    reason::provider(what, e.enhanced_code.as_deref(), e.reason.as_deref())
}

/// One row, and for a spam complaint also a `complaint` behaviour event (the customer
/// complained, whatever the channel). Stored once each: `id = provider:event_id`.
pub fn event_records(e: &InboundEvent, owner: &Owner<'_>, now: DateTime<Utc>) -> Vec<EventRecord> {
    let occurred_at = e.occurred_at.unwrap_or(now);
    let Ok(customer_id) = CustomerId::parse(&owner.customer_id) else {
        return Vec::new();
    };
    let mut data = Map::new();
    data.insert("provider".into(), Value::from(e.provider));
    let put = |data: &mut Map<String, Value>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            data.insert(
                k.into(),
                Value::from(v.chars().take(500).collect::<String>()),
            );
        }
    };
    put(&mut data, "reason", &e.reason);
    put(&mut data, "enhanced_code", &e.enhanced_code);
    put(&mut data, "url", &e.url);
    put(&mut data, "user_agent", &e.user_agent);
    put(&mut data, "provider_message_id", &e.provider_message_id);
    if let Some(d) = owner.delivery {
        data.insert("campaign".into(), Value::from(d.campaign.as_str()));
    }
    let sent_at = owner.delivery.and_then(|d| d.sent_at);
    let ua_machine = || e.user_agent.is_some() && machine_agent(e.user_agent.as_deref());
    let (kind, machine) = match e.kind {
        InboundKind::Delivered => (EventKind::Delivered, false),
        InboundKind::Open => (
            EventKind::EmailOpen,
            e.machine.unwrap_or(false) || ua_machine() || early_open(sent_at, occurred_at),
        ),
        InboundKind::Click => (
            EventKind::EmailClick,
            e.machine.unwrap_or(false) || ua_machine(),
        ),
        InboundKind::Bounce { hard } => {
            data.insert(
                "type".into(),
                Value::from(if hard { "hard" } else { "soft" }),
            );
            (EventKind::Bounce, false)
        }
        InboundKind::SpamComplaint => (EventKind::SpamComplaint, false),
        InboundKind::Unsubscribe => (EventKind::Unsubscribe, false),
        InboundKind::Deferred => (EventKind::Custom("custom:deferred".into()), false),
        InboundKind::Dropped => (EventKind::Custom("custom:dropped".into()), false),
    };
    let id = format!("{}:{}", e.provider, e.event_id);
    let record =
        |id: String, kind: EventKind, data: Map<String, Value>, machine: bool| EventRecord {
            id: Some(id),
            customer_id: customer_id.clone(),
            kind,
            occurred_at,
            data,
            machine,
            delivery_id: owner.delivery.map(|d| d.id),
        };
    let mut out = Vec::with_capacity(2);
    if e.kind == InboundKind::SpamComplaint {
        out.push(record(
            format!("{id}:complaint"),
            EventKind::Complaint,
            data.clone(),
            false,
        ));
    }
    out.push(record(id, kind, data, machine));
    out
}
