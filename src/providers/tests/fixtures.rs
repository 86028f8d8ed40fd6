//! The webhook samples in `tests/fixtures/webhooks/*_events.json`: reading them, shaping each
//! as its provider would POST it, and parsing it with the provider's parser.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::providers::*;

pub(super) fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhooks")
        .join(name)
}

pub(super) fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// `(sample id, request body)` for every sample of one provider's file, shaped as the
/// provider would POST it.
pub(super) fn sample_bodies(file: &str) -> Vec<(String, Vec<u8>)> {
    let doc: Value = serde_json::from_slice(&fixture_bytes(file)).expect("fixture is JSON");
    let samples = doc["samples"].as_array().expect("samples array");
    samples
        .iter()
        .map(|s| {
            let id = s["id"].as_str().expect("sample id").to_owned();
            let body = match s.get("payload") {
                Some(payload) => shape(file, payload),
                None => s["raw_text"]
                    .as_str()
                    .expect("raw_text")
                    .as_bytes()
                    .to_vec(),
            };
            (id, body)
        })
        .collect()
}

pub(super) fn shape(file: &str, payload: &Value) -> Vec<u8> {
    let wrapped = match file {
        // Docs samples are the `event-data` object only; anymail's are whole bodies.
        "mailgun_events.json" if payload.get("event-data").is_none() => json!({
            "signature": {"timestamp": "1529006854", "token": "t", "signature": "00"},
            "event-data": payload,
        }),
        // SES records travel as a JSON string inside the SNS envelope.
        "amazon_ses_events.json" if payload.get("Type").is_none() => json!({
            "Type": "Notification",
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses",
            "Message": payload.to_string(),
            "Timestamp": "2016-01-27T14:59:39.000Z",
            "SignatureVersion": "1",
            "Signature": "AAAA",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        }),
        _ => payload.clone(),
    };
    serde_json::to_vec(&wrapped).expect("serialises")
}

/// The payload of one sample of a provider's fixture file.
pub(super) fn sample(file: &str, id: &str) -> Value {
    let doc: Value = serde_json::from_slice(&fixture_bytes(file)).expect("fixture is JSON");
    doc["samples"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .map(|s| s["payload"].clone())
        .unwrap_or_else(|| panic!("no sample {id}"))
}

/// The single event of a parse result; panics on anything else.
pub(super) fn only_event(result: Result<Inbound, WebhookError>) -> InboundEvent {
    match result {
        Ok(Inbound::Events(mut events)) if events.len() == 1 => events.remove(0),
        other => panic!("expected one event, got {other:?}"),
    }
}

pub(super) fn parse_with(file: &str, body: &[u8]) -> Result<Inbound, WebhookError> {
    match file {
        "sendgrid_events.json" => sendgrid::parse(body).map(Inbound::Events),
        "mailgun_events.json" => {
            mailgun::parse(body).map(|e| Inbound::Events(e.into_iter().collect()))
        }
        "postmark_events.json" => {
            postmark::parse(body).map(|e| e.map_or(Inbound::Ignored, |e| Inbound::Events(vec![e])))
        }
        "mailjet_events.json" => mailjet::parse(body).map(Inbound::Events),
        "brevo_events.json" => brevo::parse(body).map(Inbound::Events),
        _ => ses::parse(body),
    }
}

pub(super) const FILES: [&str; 6] = [
    "sendgrid_events.json",
    "mailgun_events.json",
    "postmark_events.json",
    "amazon_ses_events.json",
    "mailjet_events.json",
    "brevo_events.json",
];
