//! Amazon SES events delivered through an SNS HTTPS subscription: the SNS envelope is
//! verified (see `sns_signature`), its `Message` holds one SES record, in either the
//! event-publishing shape (`eventType`) or the identity-notification shape (`notificationType`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::Value;

use super::certificate::{CertificateStore, SnsUrl};
use super::fields::{code_from, message_id, owned, rfc3339, scalar_string, text};
use super::sns_signature::{MessageType, SnsEnvelope};
use super::{Inbound, InboundEvent, InboundKind, Provider, WebhookError};

/// The message tag (`X-SES-MESSAGE-TAGS: rapport_delivery=ID`) carrying rapport's delivery id.
const DELIVERY_TAG: &str = "rapport_delivery";
/// Our own header, visible in `mail.headers` when the notification includes headers.
const DELIVERY_HEADER: &str = "X-Rapport-Delivery";

pub struct Ses {
    /// Empty = any topic.
    topic_arns: Vec<String>,
    certificates: Arc<CertificateStore>,
}

impl Ses {
    pub fn new(topic_arns: Vec<String>, certificates: Arc<CertificateStore>) -> Self {
        Self {
            topic_arns,
            certificates,
        }
    }
}

impl Provider for Ses {
    fn name(&self) -> &'static str {
        "ses"
    }

    fn certificate_url(&self, body: &[u8]) -> Result<Option<String>, WebhookError> {
        Ok(Some(SnsEnvelope::parse(body)?.signing_cert_url))
    }

    fn verify(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        let envelope = SnsEnvelope::parse(body)?;
        let url = SnsUrl::certificate(&envelope.signing_cert_url)?;
        let key = self.certificates.cached(&url).ok_or_else(|| {
            WebhookError::CertificateUnavailable("not resolved; await Registry::prepare".into())
        })?;
        envelope.verify(&key)?;
        // After the signature: TopicArn is only meaningful once it is known to be signed.
        if !self.topic_arns.is_empty() && !self.topic_arns.contains(&envelope.topic_arn) {
            return Err(WebhookError::TopicNotAllowed(envelope.topic_arn));
        }
        Ok(())
    }

    fn parse(&self, body: &[u8]) -> Result<Inbound, WebhookError> {
        parse(body)
    }
}

/// Parses a (verified) SNS envelope.
pub fn parse(body: &[u8]) -> Result<Inbound, WebhookError> {
    let envelope = SnsEnvelope::parse(body)?;
    match envelope.kind {
        MessageType::SubscriptionConfirmation => {
            let url = envelope.subscribe_url.unwrap_or_default();
            // Checked here so that whoever GETs it cannot be sent to another host.
            let url = SnsUrl::subscribe(&url)?;
            Ok(Inbound::SubscriptionConfirmation {
                subscribe_url: url.as_str().to_owned(),
                topic_arn: envelope.topic_arn,
            })
        }
        MessageType::UnsubscribeConfirmation => Ok(Inbound::Ignored),
        MessageType::Notification => {
            // SES's "Successfully validated SNS topic…" and other non-JSON messages.
            match serde_json::from_str::<Value>(&envelope.message) {
                Ok(record) if record.is_object() => parse_record(&record, &envelope.message_id),
                _ => Ok(Inbound::Ignored),
            }
        }
    }
}

/// One SES record → one event per recipient it names.
pub fn parse_record(record: &Value, sns_message_id: &str) -> Result<Inbound, WebhookError> {
    let record_type = text(record, "eventType")
        .or_else(|| text(record, "notificationType"))
        .unwrap_or_default();
    let mail = record.get("mail").unwrap_or(&Value::Null);
    let section = |key: &str| record.get(key).unwrap_or(&Value::Null);
    let destination = recipients(mail.get("destination"));
    // Open/click/reject carry no recipient of their own: the destination, when unambiguous.
    let single_destination = || match destination.as_slice() {
        [only] => vec![Some(only.clone())],
        _ => vec![None],
    };

    let mut drafts: Vec<Draft> = Vec::new();
    let (kind, detail) = match record_type {
        "Bounce" => {
            let bounce = section("bounce");
            // Permanent → hard; Transient and Undetermined → soft (counted, not suppressed).
            let hard = text(bounce, "bounceType") == Some("Permanent");
            drafts.extend(
                list(bounce.get("bouncedRecipients"))
                    .iter()
                    .map(|r| Draft::diagnosed(r, || owned(bounce, "bounceSubType"))),
            );
            (InboundKind::Bounce { hard }, bounce)
        }
        "Complaint" => {
            let complaint = section("complaint");
            let complained = recipients(complaint.get("complainedRecipients"));
            // ISPs may redact the complainant; a single destination is then still certain.
            let who: Vec<Option<String>> = if complained.is_empty() {
                single_destination()
            } else {
                complained.into_iter().map(Some).collect()
            };
            let reason = owned(complaint, "complaintFeedbackType");
            drafts.extend(who.into_iter().map(|recipient| Draft {
                recipient,
                reason: reason.clone(),
                code: None,
            }));
            (InboundKind::SpamComplaint, complaint)
        }
        "Delivery" => {
            let delivery = section("delivery");
            drafts.extend(
                recipients(delivery.get("recipients"))
                    .into_iter()
                    .map(|r| Draft::to(Some(r))),
            );
            (InboundKind::Delivered, delivery)
        }
        "DeliveryDelay" => {
            let delay = section("deliveryDelay");
            drafts.extend(
                list(delay.get("delayedRecipients"))
                    .iter()
                    .map(|r| Draft::diagnosed(r, || owned(delay, "delayType"))),
            );
            (InboundKind::Deferred, delay)
        }
        "Reject" | "Rendering Failure" => {
            let detail = section(if record_type == "Reject" {
                "reject"
            } else {
                "failure"
            });
            let reason = owned(detail, "reason").or_else(|| owned(detail, "errorMessage"));
            drafts.extend(destination.iter().map(|r| Draft {
                recipient: Some(r.clone()),
                reason: reason.clone(),
                code: None,
            }));
            (InboundKind::Dropped, detail)
        }
        "Open" | "Click" => {
            let kind = if record_type == "Open" {
                InboundKind::Open
            } else {
                InboundKind::Click
            };
            drafts.extend(single_destination().into_iter().map(Draft::to));
            (
                kind,
                section(if record_type == "Open" {
                    "open"
                } else {
                    "click"
                }),
            )
        }
        "Subscription" => {
            let subscription = section("subscription");
            let all = subscription
                .get("newTopicPreferences")
                .and_then(|p| p.get("unsubscribeAll"))
                .and_then(Value::as_bool);
            if all != Some(true) {
                return Ok(Inbound::Ignored);
            }
            drafts.extend(single_destination().into_iter().map(Draft::to));
            (InboundKind::Unsubscribe, subscription)
        }
        // Send, AmazonSnsSubscriptionSucceeded and types added later.
        _ => return Ok(Inbound::Ignored),
    };
    if drafts.is_empty() {
        drafts.push(Draft::to(None));
    }

    let occurred_at = detail
        .get("timestamp")
        .and_then(rfc3339)
        .or_else(|| mail.get("timestamp").and_then(rfc3339));
    let ses_id = owned(mail, "messageId");
    let rfc_id = original_message_id(mail, ses_id.as_deref());
    let delivery_id = delivery_id(mail);
    let several = drafts.len() > 1;

    let events = drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| {
            // SNS MessageId is the retry-stable key; one per recipient when there are several.
            let event_id = if several {
                let who = draft.recipient.clone().unwrap_or_else(|| index.to_string());
                format!("{sns_message_id}/{who}")
            } else {
                sns_message_id.to_owned()
            };
            let mut out = InboundEvent::new("ses", event_id, kind, occurred_at);
            out.recipient = draft.recipient;
            out.reason = draft.reason;
            out.enhanced_code = draft.code;
            out.delivery_id = delivery_id.clone();
            out.message_id = rfc_id.clone();
            out.provider_message_id = ses_id.clone();
            if let InboundKind::Open | InboundKind::Click = kind {
                out.user_agent = owned(detail, "userAgent");
            }
            if kind == InboundKind::Click {
                out.url = owned(detail, "link");
            }
            out
        })
        .collect();
    Ok(Inbound::Events(events))
}

struct Draft {
    recipient: Option<String>,
    reason: Option<String>,
    code: Option<String>,
}

impl Draft {
    fn to(recipient: Option<String>) -> Self {
        Self {
            recipient,
            reason: None,
            code: None,
        }
    }

    /// A bounced or delayed recipient (`{emailAddress, status, diagnosticCode}`): the SMTP
    /// diagnostic is the reason, else the record's own classification (`fallback`); the
    /// enhanced code is `status`, else the one in the diagnostic.
    fn diagnosed(entry: &Value, fallback: impl FnOnce() -> Option<String>) -> Self {
        let diagnostic = owned(entry, "diagnosticCode");
        Self {
            recipient: owned(entry, "emailAddress"),
            code: code_from(text(entry, "status"), diagnostic.as_deref()),
            reason: diagnostic.or_else(fallback),
        }
    }
}

fn list(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Addresses from a list of strings or of `{emailAddress}` objects.
fn recipients(value: Option<&Value>) -> Vec<String> {
    list(value)
        .iter()
        .filter_map(|r| scalar_string(r).or_else(|| owned(r, "emailAddress")))
        .collect()
}

/// Values of a header in `mail.headers` (`[{name, value}]`), name case-insensitive.
fn header_values<'a>(mail: &'a Value, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    list(mail.get("headers"))
        .iter()
        .filter(move |h| text(h, "name").is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .filter_map(|h| text(h, "value"))
}

/// From the message tags (event publishing), else our own header, else the
/// `X-SES-MESSAGE-TAGS` header as SES lists it.
fn delivery_id(mail: &Value) -> Option<String> {
    let from_tags = mail
        .get("tags")
        .and_then(|t| t.get(DELIVERY_TAG))
        .and_then(|v| v.as_array().and_then(|a| a.first()).or(Some(v)))
        .and_then(scalar_string);
    from_tags
        .or_else(|| {
            header_values(mail, DELIVERY_HEADER)
                .next()
                .map(str::to_owned)
        })
        .or_else(|| {
            header_values(mail, "X-SES-MESSAGE-TAGS")
                .flat_map(|v| v.split(','))
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim() == DELIVERY_TAG)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
}

/// The Message-ID rapport set, if SES listed the original headers. SES replaces the header
/// with its own id, so a value equal to `mail.messageId` is not ours.
fn original_message_id(mail: &Value, ses_id: Option<&str>) -> Option<String> {
    header_values(mail, "Message-ID")
        .next()
        .or_else(|| mail.get("commonHeaders").and_then(|c| text(c, "messageId")))
        .and_then(message_id)
        .filter(|id| Some(id.as_str()) != ses_id)
}
