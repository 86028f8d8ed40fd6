//! SendGrid (Twilio) Event Webhook: ECDSA P-256 / SHA-256 over `timestamp ‖ raw body`,
//! batched JSON arrays, custom args echoed as top-level keys.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde_json::Value;

use super::fields::{code_from, composite_id, message_id, owned, scalar_string, text, unix_time};
use super::{Inbound, InboundEvent, InboundKind, Provider, WebhookError, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";
/// The custom arg (`X-SMTPAPI` `unique_args`) carrying rapport's delivery id.
const DELIVERY_ARG: &str = "rapport_delivery";

pub struct Sendgrid {
    key: VerifyingKey,
}

impl Sendgrid {
    /// `public_key` is the base64 DER (SubjectPublicKeyInfo) key SendGrid shows in its Mail
    /// Settings; PEM armour and whitespace are tolerated.
    pub fn new(public_key: &str) -> Result<Self, String> {
        let b64: String = public_key
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = BASE64.decode(b64).map_err(|e| format!("not base64: {e}"))?;
        let key = VerifyingKey::from_public_key_der(&der)
            .map_err(|e| format!("not a P-256 public key: {e}"))?;
        Ok(Self { key })
    }

    /// The signature check on its own, for tests and for callers that hold the raw values.
    pub fn verify_signature(
        &self,
        timestamp: &str,
        signature_b64: &str,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        let der = BASE64
            .decode(signature_b64.trim())
            .map_err(|_| WebhookError::Unauthorized("signature is not base64"))?;
        let signature = DerSignature::try_from(der.as_slice())
            .map_err(|_| WebhookError::Unauthorized("signature is not DER ECDSA"))?;
        let mut signed = Vec::with_capacity(timestamp.len() + body.len());
        signed.extend_from_slice(timestamp.as_bytes());
        signed.extend_from_slice(body);
        self.key
            .verify(&signed, &signature)
            .map_err(|_| WebhookError::Unauthorized("signature does not verify"))
    }
}

impl Provider for Sendgrid {
    fn name(&self) -> &'static str {
        "sendgrid"
    }

    /// SendGrid documents no timestamp tolerance and may not re-sign retries, so `now` is
    /// not used: replays are harmless because `sg_event_id` is stored once.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let signature = header(headers, SIGNATURE_HEADER)
            .ok_or(WebhookError::Unauthorized("missing signature header"))?;
        let timestamp = header(headers, TIMESTAMP_HEADER)
            .ok_or(WebhookError::Unauthorized("missing timestamp header"))?;
        self.verify_signature(timestamp, signature, body)
    }

    fn parse(&self, body: &[u8]) -> Result<Inbound, WebhookError> {
        parse(body).map(Inbound::Events)
    }
}

/// Parses a batch. The docs say the body is always an array; a lone object is accepted too.
pub fn parse(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    super::fields::each_event(body, parse_event)
}

fn parse_event(item: &Value, event: &str) -> Option<InboundEvent> {
    let kind = match event {
        "delivered" => InboundKind::Delivered,
        "deferred" => InboundKind::Deferred,
        "open" => InboundKind::Open,
        "click" => InboundKind::Click,
        // `type` is "bounce" (permanent) or "blocked" (temporary block); absent means bounce.
        "bounce" => InboundKind::Bounce {
            hard: text(item, "type") != Some("blocked"),
        },
        "dropped" => InboundKind::Dropped,
        "spamreport" => InboundKind::SpamComplaint,
        "unsubscribe" | "group_unsubscribe" => InboundKind::Unsubscribe,
        // processed, group_resubscribe, account events, fragments: nothing to record.
        _ => return None,
    };
    // A missing or unreadable time is not a reason to refuse a signed event (the provider
    // would retry it for nothing): the HTTP layer records it at receipt and logs it.
    let occurred_at = item.get("timestamp").and_then(unix_time);
    let recipient = owned(item, "email");
    let smtp_id = text(item, "smtp-id").and_then(message_id);
    let event_id = owned(item, "sg_event_id").unwrap_or_else(|| {
        // No id (old samples): same fields → same key, so a retried batch still dedupes.
        let seconds = occurred_at.map_or(0, |t| t.timestamp()).to_string();
        composite_id(
            event,
            &[recipient.as_deref(), Some(&seconds), smtp_id.as_deref()],
        )
    });

    let mut out = InboundEvent::new("sendgrid", event_id, kind, occurred_at);
    out.recipient = recipient;
    out.message_id = smtp_id;
    out.provider_message_id = owned(item, "sg_message_id");
    out.delivery_id = item.get(DELIVERY_ARG).and_then(scalar_string);
    match kind {
        InboundKind::Bounce { .. } | InboundKind::Dropped | InboundKind::Deferred => {
            out.reason = owned(item, "reason").or_else(|| owned(item, "response"));
            out.enhanced_code = code_from(text(item, "status"), out.reason.as_deref());
        }
        InboundKind::Open | InboundKind::Click => {
            out.user_agent = owned(item, "useragent");
            out.url = owned(item, "url").filter(|_| kind == InboundKind::Click);
            out.machine = item.get("sg_machine_open").and_then(Value::as_bool);
        }
        _ => {}
    }
    Some(out)
}
