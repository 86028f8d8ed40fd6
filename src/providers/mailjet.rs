//! Mailjet Event API: a JSON array of events ("Group Events", Version 2) or a bare object
//! (ungrouped). Mailjet does not sign; the webhook URL carries basic-auth credentials.
//! No event id either, so the idempotency key is a composite of what makes an event unique.

use secrecy::SecretString;
use serde_json::Value;

use super::fields::{
    code_from, composite_id, delivery_in_custom, owned, scalar_string, text, unix_time,
};
use super::{Inbound, InboundEvent, InboundKind, UnsignedProvider, WebhookError};

/// Our emails carry `X-MJ-CustomID: <delivery id>`, echoed as `CustomID`; a `Payload`
/// (`X-MJ-EventPayload`) JSON object with this key is read too.
const DELIVERY_KEY: &str = "rapport_delivery";

/// The `mailjet` webhook. Mailjet retries anything but 200, so the default 503 will do.
pub fn provider(username: SecretString, password: SecretString) -> UnsignedProvider {
    UnsignedProvider::new("mailjet", username, password, |body| {
        parse(body).map(Inbound::Events)
    })
}

/// Parses a grouped array or a single event.
pub fn parse(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    super::fields::each_event(body, parse_event)
}

fn parse_event(item: &Value, event: &str) -> Option<InboundEvent> {
    let kind = match event {
        // "sent" = accepted by the receiving server: what the other providers call delivered.
        "sent" => InboundKind::Delivered,
        "open" => InboundKind::Open,
        "click" => InboundKind::Click,
        "bounce" => bounce_kind(item),
        // Mailjet did not send it (preblocked, duplicate in campaign, typofix, …).
        "blocked" => InboundKind::Dropped,
        "spam" => InboundKind::SpamComplaint,
        "unsub" => InboundKind::Unsubscribe,
        _ => return None,
    };
    // A missing or unreadable time is not a reason to refuse a signed event (the provider
    // would retry it for nothing): the HTTP layer records it at receipt and logs it.
    let occurred_at = item.get("time").and_then(unix_time);
    let recipient = owned(item, "email");
    // `MessageID` is an integer above 2^53: serde_json keeps it exact as u64.
    let mailjet_id = item
        .get("MessageID")
        .and_then(scalar_string)
        .or_else(|| owned(item, "Message_GUID"))
        .or_else(|| owned(item, "mj_message_id"));
    let url = owned(item, "url").filter(|_| kind == InboundKind::Click);
    let seconds = occurred_at.map_or(0, |t| t.timestamp()).to_string();
    let event_id = composite_id(
        event,
        &[
            mailjet_id.as_deref(),
            Some(&seconds),
            recipient.as_deref(),
            url.as_deref(),
        ],
    );

    let mut out = InboundEvent::new("mailjet", event_id, kind, occurred_at);
    out.recipient = recipient;
    out.provider_message_id = mailjet_id;
    out.delivery_id = delivery_id(item);
    out.url = url;
    match kind {
        InboundKind::Open | InboundKind::Click | InboundKind::Unsubscribe => {
            out.user_agent = owned(item, "agent");
        }
        InboundKind::Bounce { .. } | InboundKind::Dropped | InboundKind::Deferred => {
            out.reason = reason(item);
            out.enhanced_code = code_from(None, text(item, "comment"));
        }
        InboundKind::SpamComplaint => out.reason = owned(item, "source"),
        InboundKind::Delivered => {}
    }
    Some(out)
}

/// `hard_bounce` decides; greylisting that is not hard is Mailjet retrying ("Delivery will be
/// re-attempted"), so a deferral rather than a bounce.
fn bounce_kind(item: &Value) -> InboundKind {
    let hard = item.get("hard_bounce").and_then(Value::as_bool) == Some(true);
    if !hard && text(item, "error") == Some("greylisted") {
        InboundKind::Deferred
    } else {
        InboundKind::Bounce { hard }
    }
}

/// `recipient: user unknown (comment)` from `error_related_to`, `error` and `comment`.
fn reason(item: &Value) -> Option<String> {
    let mut reason = match (text(item, "error_related_to"), text(item, "error")) {
        (Some(about), Some(error)) => format!("{about}: {error}"),
        (None, Some(error)) => error.to_owned(),
        (Some(about), None) => about.to_owned(),
        (None, None) => String::new(),
    };
    if let Some(comment) = text(item, "comment") {
        if reason.is_empty() {
            reason = comment.to_owned();
        } else {
            reason.push_str(&format!(" ({comment})"));
        }
    }
    (!reason.is_empty()).then_some(reason)
}

/// `Payload` JSON with our key first (unambiguous), then `CustomID` as a whole.
fn delivery_id(item: &Value) -> Option<String> {
    text(item, "Payload")
        .and_then(|payload| delivery_in_custom(payload, DELIVERY_KEY))
        .or_else(|| {
            let custom = item.get("CustomID").and_then(scalar_string)?;
            delivery_in_custom(&custom, DELIVERY_KEY).or(Some(custom))
        })
}
