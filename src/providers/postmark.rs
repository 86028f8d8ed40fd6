//! Postmark webhooks: one JSON object per request, dispatched on `RecordType` (and `Type` for
//! bounces). Postmark does not sign; the endpoint URL carries basic-auth credentials.

use secrecy::SecretString;
use serde_json::{Map, Value};

use super::fields::{code_from, composite_id, owned, rfc3339, scalar_string, text};
use super::{Inbound, InboundEvent, InboundKind, UnsignedProvider, WebhookError};

/// `X-PM-Metadata-rapport-delivery` arrives as this `Metadata` key.
const DELIVERY_METADATA: &str = "rapport-delivery";

/// The `postmark` webhook. Postmark retries anything that is not 2xx but 403, so the default
/// 503 will do.
pub fn provider(username: SecretString, password: SecretString) -> UnsignedProvider {
    UnsignedProvider::new("postmark", username, password, |body| {
        Ok(match parse(body)? {
            Some(event) => Inbound::Events(vec![event]),
            None => Inbound::Ignored,
        })
    })
}

/// Parses one record; `None` for records rapport does not track (resubscribes,
/// auto-responders, unknown record types).
pub fn parse(body: &[u8]) -> Result<Option<InboundEvent>, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::malformed(format!("not JSON: {e}")))?;
    let record = value
        .as_object()
        .ok_or_else(|| WebhookError::malformed("expected a JSON object"))?;
    let record_type =
        text(&value, "RecordType").ok_or_else(|| WebhookError::malformed("missing RecordType"))?;
    let (kind, time_key) = match record_type {
        "Delivery" => (InboundKind::Delivered, "DeliveredAt"),
        "Open" => (InboundKind::Open, "ReceivedAt"),
        "Click" => (InboundKind::Click, "ReceivedAt"),
        "SpamComplaint" => (InboundKind::SpamComplaint, "BouncedAt"),
        "Bounce" => match bounce_kind(text(&value, "Type").unwrap_or_default()) {
            Some(kind) => (kind, "BouncedAt"),
            None => return Ok(None),
        },
        "SubscriptionChange" => match subscription_kind(&value) {
            Some(kind) => (kind, "ChangedAt"),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    // A missing or unreadable time is not a reason to refuse a signed event (the provider
    // would retry it for nothing): the HTTP layer records it at receipt and logs it.
    let occurred_at = value.get(time_key).and_then(rfc3339);
    let recipient = owned(&value, "Recipient").or_else(|| owned(&value, "Email"));
    let postmark_id = owned(&value, "MessageID");
    // Bounce and SpamComplaint records have a numeric ID; other records have none, so the
    // key is built from what makes a record unique (an open at another time is another open).
    let event_id = match value.get("ID").and_then(scalar_string) {
        Some(id) => composite_id(record_type, &[Some(&id)]),
        None => composite_id(
            record_type,
            &[
                postmark_id.as_deref(),
                recipient.as_deref(),
                text(&value, time_key),
                text(&value, "OriginalLink"),
            ],
        ),
    };

    let mut out = InboundEvent::new("postmark", event_id, kind, occurred_at);
    out.recipient = recipient;
    out.provider_message_id = postmark_id;
    out.delivery_id = metadata(record, DELIVERY_METADATA);
    match kind {
        InboundKind::Open | InboundKind::Click => {
            out.user_agent = owned(&value, "UserAgent");
            out.url = owned(&value, "OriginalLink").filter(|_| kind == InboundKind::Click);
        }
        InboundKind::Delivered => {}
        _ if record_type == "SubscriptionChange" => {
            out.reason = owned(&value, "SuppressionReason");
        }
        _ => {
            out.reason = owned(&value, "Details")
                .or_else(|| owned(&value, "Description"))
                .or_else(|| owned(&value, "Name"));
            out.enhanced_code = code_from(None, out.reason.as_deref());
        }
    }
    Ok(Some(out))
}

/// Bounce `Type` strings (the numeric `TypeCode` disagrees between Postmark's own sources).
fn bounce_kind(bounce_type: &str) -> Option<InboundKind> {
    Some(match bounce_type {
        "HardBounce" | "BadEmailAddress" | "ManuallyDeactivated" => {
            InboundKind::Bounce { hard: true }
        }
        "SoftBounce"
        | "DnsError"
        | "SpamNotification"
        | "VirusNotification"
        | "ChallengeVerification"
        | "Blocked"
        | "DMARCPolicy"
        | "Unknown" => InboundKind::Bounce { hard: false },
        // "Message delayed": Postmark is still trying.
        "Transient" => InboundKind::Deferred,
        "SpamComplaint" => InboundKind::SpamComplaint,
        "Unsubscribe" => InboundKind::Unsubscribe,
        // Our side failed; the address is not at fault.
        "Unconfirmed" | "SMTPApiError" | "TemplateRenderingFailed" => InboundKind::Dropped,
        // Out-of-office, address change notices, subscribe requests, relay tests, inbound.
        "AutoResponder" | "AddressChange" | "Subscribe" | "OpenRelayTest" | "InboundError" => {
            return None;
        }
        // A type added after this was written: count it as soft rather than lose it.
        _ => InboundKind::Bounce { hard: false },
    })
}

/// `SuppressSending: true` with its reason; `false` is a reactivation, nothing to record.
fn subscription_kind(value: &Value) -> Option<InboundKind> {
    if value.get("SuppressSending").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    Some(match text(value, "SuppressionReason").unwrap_or_default() {
        "HardBounce" => InboundKind::Bounce { hard: true },
        "SpamComplaint" => InboundKind::SpamComplaint,
        // ManualSuppression (the recipient or the customer unsubscribed) and anything new.
        _ => InboundKind::Unsubscribe,
    })
}

/// A `Metadata` value, with the key matched case-insensitively (SMTP header names are).
fn metadata(record: &Map<String, Value>, key: &str) -> Option<String> {
    record
        .get("Metadata")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| scalar_string(v))
}
