//! Brevo (ex-Sendinblue) transactional webhooks: one JSON object per request. Brevo does not
//! sign; the webhook URL carries basic-auth credentials. No event id (`id` is the webhook's or
//! account's), so the idempotency key is a composite.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use http::StatusCode;
use secrecy::SecretString;
use serde_json::Value;

use super::fields::{
    code_from, composite_id, delivery_in_custom, message_id, owned, text, unix_time,
};
use super::{Inbound, InboundEvent, InboundKind, UnsignedProvider, WebhookError};

/// Our emails carry `X-Mailin-custom: {"rapport_delivery":"…"}`, echoed verbatim as the
/// `X-Mailin-custom` field; a `rapport_delivery=…` tag is read too.
const DELIVERY_KEY: &str = "rapport_delivery";
const CUSTOM_FIELD: &str = "X-Mailin-custom";

/// The `brevo` webhook. Brevo discards a webhook answered with any 5xx or 4xx but 429, and
/// retries 429 and timeouts (10 min, 1 h, 2 h, 8 h; developers.brevo.com/docs/retry-mechanism):
/// when we fail to store, 429 is the only answer that keeps the event.
pub fn provider(username: SecretString, password: SecretString) -> UnsignedProvider {
    UnsignedProvider::new("brevo", username, password, |body| {
        parse(body).map(Inbound::Events)
    })
    .retrying_with(StatusCode::TOO_MANY_REQUESTS)
}

/// Parses one event (an array of events is accepted too; Brevo documents one per request).
pub fn parse(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    super::fields::each_event(body, parse_event)
}

fn parse_event(item: &Value, event: &str) -> Option<InboundEvent> {
    let (kind, proxy) = match event {
        "delivered" => (InboundKind::Delivered, false),
        "deferred" => (InboundKind::Deferred, false),
        "opened" | "unique_opened" => (InboundKind::Open, false),
        // Fetched by a privacy proxy (Apple Mail Privacy Protection and the like): not a person.
        "proxy_open" | "unique_proxy_open" => (InboundKind::Open, true),
        "click" => (InboundKind::Click, false),
        "hard_bounce" => (InboundKind::Bounce { hard: true }, false),
        // The address does not exist in a form Brevo can send to: as final as a hard bounce.
        "invalid_email" => (InboundKind::Bounce { hard: true }, false),
        "soft_bounce" => (InboundKind::Bounce { hard: false }, false),
        "spam" | "complaint" => (InboundKind::SpamComplaint, false),
        "unsubscribe" | "unsubscribed" => (InboundKind::Unsubscribe, false),
        // Brevo refused to send (blacklisted address, sending error).
        "blocked" | "error" => (InboundKind::Dropped, false),
        // "request" = accepted by Brevo only (like SendGrid's processed); marketing and
        // contact events are not about one of our emails.
        _ => return None,
    };
    // A missing or unreadable time is not a reason to refuse a signed event (the provider
    // would retry it for nothing): the HTTP layer records it at receipt and logs it.
    let occurred_at = occurred_at(item);
    let recipient = owned(item, "email");
    let message = text(item, "message-id").and_then(message_id);
    let url = owned(item, "link").filter(|_| kind == InboundKind::Click);
    let millis = occurred_at.map_or(0, |t| t.timestamp_millis()).to_string();
    let event_id = composite_id(
        event,
        &[
            message.as_deref(),
            recipient.as_deref(),
            Some(&millis),
            url.as_deref(),
        ],
    );

    let mut out = InboundEvent::new("brevo", event_id, kind, occurred_at);
    out.recipient = recipient;
    out.message_id = message;
    out.delivery_id = delivery_id(item);
    out.url = url;
    if proxy {
        out.machine = Some(true);
    }
    if matches!(
        kind,
        InboundKind::Bounce { .. } | InboundKind::Dropped | InboundKind::Deferred
    ) {
        out.reason = owned(item, "reason");
        out.enhanced_code = code_from(None, out.reason.as_deref());
    }
    Some(out)
}

/// `ts_epoch` (UTC milliseconds; seconds in one doc sample, which [`unix_time`] tells apart),
/// its doc misspelling `s_epoch`, `ts_event` and `ts` (UTC seconds), else `date`, which is
/// Brevo's local time (Europe/Paris).
fn occurred_at(item: &Value) -> Option<DateTime<Utc>> {
    ["ts_epoch", "s_epoch", "ts_event", "ts"]
        .iter()
        .find_map(|key| item.get(*key).and_then(unix_time))
        .or_else(|| {
            let local =
                NaiveDateTime::parse_from_str(text(item, "date")?, "%Y-%m-%d %H:%M:%S").ok()?;
            chrono_tz::Europe::Paris
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// `X-Mailin-custom` first, then the tags (`tags` array, `tag` string, array or JSON-array
/// string).
fn delivery_id(item: &Value) -> Option<String> {
    if let Some(id) = text(item, CUSTOM_FIELD).and_then(|c| delivery_in_custom(c, DELIVERY_KEY)) {
        return Some(id);
    }
    let tag_list = |value: &Value| -> Vec<String> {
        match value {
            Value::Array(tags) => tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Value::String(s) if s.trim_start().starts_with('[') => {
                serde_json::from_str::<Vec<String>>(s).unwrap_or_default()
            }
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    ["tags", "tag"]
        .iter()
        .filter_map(|key| item.get(*key))
        .flat_map(tag_list)
        .find_map(|tag| {
            // Only `key=…` / `key:…` tags: a JSON-looking tag is somebody else's.
            (!tag.trim_start().starts_with('{'))
                .then(|| delivery_in_custom(&tag, DELIVERY_KEY))
                .flatten()
        })
}
