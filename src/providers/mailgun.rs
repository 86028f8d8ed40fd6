//! Mailgun JSON webhooks: `{"signature": {timestamp, token, signature}, "event-data": {…}}`,
//! HMAC-SHA256(signing key, `timestamp ‖ token`). The signature does not cover the body, so
//! freshness and token replay are checked too.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::fields::{code_from, composite_id, message_id, owned, scalar_string, text, unix_time};
use super::{Inbound, InboundEvent, InboundKind, Provider, SingleUseToken, WebhookError};

/// The `X-Mailgun-Variables` key carrying rapport's delivery id.
const DELIVERY_VARIABLE: &str = "rapport_delivery";

pub struct Mailgun {
    signing_key: SecretString,
    tolerance: TimeDelta,
}

impl Mailgun {
    /// `tolerance` bounds how far the signed timestamp may be from `now` (either way).
    pub fn new(signing_key: SecretString, tolerance: TimeDelta) -> Self {
        Self {
            signing_key,
            tolerance: tolerance.abs(),
        }
    }

    /// The HMAC check alone (no freshness, no replay), as in Mailgun's SDKs.
    pub fn signature_matches(&self, timestamp: &str, token: &str, signature_hex: &str) -> bool {
        let Some(expected) = decode_hex(signature_hex.trim()) else {
            return false;
        };
        let key = self.signing_key.expose_secret().as_bytes();
        if key.is_empty() || timestamp.is_empty() || token.is_empty() {
            return false;
        }
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return false;
        };
        mac.update(timestamp.as_bytes());
        mac.update(token.as_bytes());
        // Constant-time comparison (length checked first, as mailgun-go does).
        mac.verify_slice(&expected).is_ok()
    }
}

impl Provider for Mailgun {
    fn name(&self) -> &'static str {
        "mailgun"
    }

    fn verify(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| WebhookError::malformed(format!("not JSON: {e}")))?;
        let block = value
            .get("signature")
            .ok_or(WebhookError::Unauthorized("missing signature block"))?;
        let timestamp = block
            .get("timestamp")
            .and_then(scalar_string)
            .ok_or(WebhookError::Unauthorized("missing signature timestamp"))?;
        let token =
            text(block, "token").ok_or(WebhookError::Unauthorized("missing signature token"))?;
        let signature =
            text(block, "signature").ok_or(WebhookError::Unauthorized("missing signature"))?;
        if !self.signature_matches(&timestamp, token, signature) {
            return Err(WebhookError::Unauthorized("signature does not verify"));
        }
        // Only after the HMAC holds: an attacker cannot make us remember arbitrary tokens.
        let signed_at = unix_time(&Value::String(timestamp)).ok_or(WebhookError::Unauthorized(
            "signature timestamp is not a time",
        ))?;
        let age = now.signed_duration_since(signed_at);
        if age.abs() > self.tolerance {
            return Err(WebhookError::Stale {
                age_seconds: age.num_seconds(),
                tolerance_seconds: self.tolerance.num_seconds(),
            });
        }
        // The token is not remembered here but with the events (`single_use_token`).
        Ok(())
    }

    fn single_use_token(&self, body: &[u8]) -> Option<SingleUseToken> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let block = value.get("signature")?;
        let token = text(block, "token")?.to_owned();
        let signed_at = unix_time(&Value::String(
            block.get("timestamp").and_then(scalar_string)?,
        ))?;
        let payload = value.get("event-data").map(canonical).unwrap_or_default();
        let payload_sha256 = Sha256::digest(payload.to_string().as_bytes()).into();
        Some(SingleUseToken {
            token,
            payload_sha256,
            // Checked: a configured tolerance of "forever" must not overflow the clock.
            forget_at: signed_at
                .checked_add_signed(self.tolerance)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
    }

    fn parse(&self, body: &[u8]) -> Result<Inbound, WebhookError> {
        parse(body).map(|event| Inbound::Events(event.into_iter().collect()))
    }
}

/// Parses one webhook body into at most one event (`accepted`, `stored`, list events and
/// unknown types yield none).
pub fn parse(body: &[u8]) -> Result<Option<InboundEvent>, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::malformed(format!("not JSON: {e}")))?;
    let data = value
        .get("event-data")
        .filter(|d| d.is_object())
        .ok_or_else(|| WebhookError::malformed("missing event-data object"))?;
    let event = text(data, "event").unwrap_or_default();
    let severity = text(data, "severity");
    let reason_code = text(data, "reason").unwrap_or_default();
    let kind = match event {
        "delivered" => InboundKind::Delivered,
        "opened" => InboundKind::Open,
        "clicked" => InboundKind::Click,
        "complained" => InboundKind::SpamComplaint,
        "unsubscribed" => InboundKind::Unsubscribe,
        "rejected" => InboundKind::Dropped,
        // Mailgun retries temporary failures itself: a deferral, not yet a bounce.
        "failed" if severity == Some("temporary") => InboundKind::Deferred,
        // Every permanent failure suppresses, whatever its reason: a hard bounce, a refusal
        // because the address bounced, unsubscribed or complained before (`suppress-*`), an
        // ESP block, or the retry limit reached (`old`).
        "failed" if severity == Some("permanent") => InboundKind::Bounce { hard: true },
        // Without a severity (older payloads), "old" = gave up after retrying temporary
        // failures: soft, the address may be fine.
        "failed" if reason_code == "old" => InboundKind::Bounce { hard: false },
        "failed" => InboundKind::Bounce { hard: true },
        _ => return Ok(None),
    };
    // A missing or unreadable time is not a reason to refuse a signed event (the provider
    // would retry it for nothing): the HTTP layer records it at receipt and logs it.
    let occurred_at = data.get("timestamp").and_then(unix_time);
    let headers = data.get("message").and_then(|m| m.get("headers"));
    let msg_id = headers
        .and_then(|h| text(h, "message-id"))
        .and_then(message_id);
    let recipient = owned(data, "recipient");
    let event_id = owned(data, "id").unwrap_or_else(|| {
        // The timestamp as sent: re-rendering the float could differ between versions.
        let sent_at = data.get("timestamp").and_then(scalar_string);
        composite_id(
            event,
            &[recipient.as_deref(), sent_at.as_deref(), msg_id.as_deref()],
        )
    });

    let mut out = InboundEvent::new("mailgun", event_id, kind, occurred_at);
    out.recipient = recipient;
    out.message_id = msg_id;
    out.delivery_id = delivery_id(data.get("user-variables"));
    if let InboundKind::Bounce { .. } | InboundKind::Deferred | InboundKind::Dropped = kind {
        let status = data.get("delivery-status");
        let status_text = |key| status.and_then(|s| text(s, key));
        out.reason = status_text("message")
            .or_else(|| status_text("description"))
            .or_else(|| text(data, "reason"))
            .map(str::to_owned);
        out.enhanced_code = code_from(
            status_text("enhanced-code").or_else(|| status_text("bounce-code")),
            out.reason.as_deref(),
        );
    }
    if let InboundKind::Open | InboundKind::Click | InboundKind::Unsubscribe = kind {
        let client = data.get("client-info");
        out.user_agent = client.and_then(|c| owned(c, "user-agent"));
        out.machine = client
            .and_then(|c| c.get("bot"))
            .and_then(Value::as_str)
            .map(|bot| !bot.trim().is_empty());
        if kind == InboundKind::Click {
            out.url = owned(data, "url");
        }
    }
    Ok(Some(out))
}

/// `v` with every object's keys in sorted order, whatever serde_json's map keeps.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// `user-variables` is normally an object, but Mailgun substitutes an error string when the
/// header was truncated or invalid; a JSON-encoded string is also tolerated.
fn delivery_id(variables: Option<&Value>) -> Option<String> {
    match variables? {
        Value::Object(map) => map.get(DELIVERY_VARIABLE).and_then(scalar_string),
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()?
            .get(DELIVERY_VARIABLE)
            .and_then(scalar_string),
        _ => None,
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| (b as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}
