//! No input panics a parser or a verifier: random bytes, every truncation of every sample,
//! and JSON of the right shape with wrong types and extreme numbers in every known field.

use chrono::DateTime;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{Map, Number, Value, json};

use super::fixtures::{FILES, parse_with, sample_bodies};
use crate::providers::*;

const SG_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";

/// Field names the parsers read, so that generated objects hit real code paths.
const KEYS: &[&str] = &[
    "event",
    "email",
    "timestamp",
    "sg_event_id",
    "sg_message_id",
    "smtp-id",
    "type",
    "status",
    "reason",
    "response",
    "url",
    "useragent",
    "sg_machine_open",
    "rapport_delivery",
    "id",
    "severity",
    "recipient",
    "message",
    "headers",
    "message-id",
    "user-variables",
    "delivery-status",
    "enhanced-code",
    "bounce-code",
    "description",
    "client-info",
    "bot",
    "user-agent",
    "RecordType",
    "Type",
    "ID",
    "MessageID",
    "Recipient",
    "Email",
    "Metadata",
    "DeliveredAt",
    "BouncedAt",
    "ReceivedAt",
    "ChangedAt",
    "SuppressSending",
    "SuppressionReason",
    "OriginalLink",
    "UserAgent",
    "Details",
    "eventType",
    "notificationType",
    "mail",
    "destination",
    "tags",
    "messageId",
    "commonHeaders",
    "name",
    "value",
    "bounce",
    "bounceType",
    "bouncedRecipients",
    "emailAddress",
    "diagnosticCode",
    "complaint",
    "complainedRecipients",
    "delivery",
    "recipients",
    "deliveryDelay",
    "delayedRecipients",
    "reject",
    "failure",
    "open",
    "click",
    "link",
    "userAgent",
    "subscription",
    "newTopicPreferences",
    "unsubscribeAll",
    "signature",
    "token",
    "event-data",
    "time",
    "MessageID",
    "Message_GUID",
    "mj_message_id",
    "CustomID",
    "Payload",
    "hard_bounce",
    "error",
    "error_related_to",
    "comment",
    "agent",
    "source",
    "ts_epoch",
    "s_epoch",
    "ts_event",
    "ts",
    "date",
    "X-Mailin-custom",
    "tag",
];

/// Values the parsers branch on, mixed with arbitrary ones.
const WORDS: &[&str] = &[
    "delivered",
    "deferred",
    "open",
    "click",
    "bounce",
    "blocked",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "failed",
    "opened",
    "clicked",
    "complained",
    "unsubscribed",
    "rejected",
    "permanent",
    "temporary",
    "suppress-bounce",
    "old",
    "Delivery",
    "Bounce",
    "SpamComplaint",
    "Open",
    "Click",
    "SubscriptionChange",
    "HardBounce",
    "Transient",
    "Complaint",
    "Reject",
    "DeliveryDelay",
    "Subscription",
    "Rendering Failure",
    "Permanent",
    "2019-11-05T16:33:54.9070259Z",
    "5.1.1",
    "<a@b>",
    "",
    "Message-ID",
    "sent",
    "spam",
    "unsub",
    "greylisted",
    "hard_bounce",
    "soft_bounce",
    "invalid_email",
    "proxy_open",
    "unique_opened",
    "request",
    "error",
    "2020-10-09 00:00:00",
    "2026-03-29 02:30:00",
    "{\"rapport_delivery\":\"x\"}",
    "rapport_delivery=x",
    "[\"rapport_delivery:x\"]",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![1e300, -1e300, 1e11, 1.5e9, f64::MIN_POSITIVE])
            .prop_map(|f| json!(f)),
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
        ".{0,20}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn providers() -> Vec<Box<dyn Provider>> {
    // Never asked to download: verify only reads the (empty) cache.
    let store = std::sync::Arc::new(CertificateStore::new(None, Box::new(ReqwestSns::default())));
    vec![
        Box::new(Sendgrid::new(SG_KEY).expect("key")),
        Box::new(Mailgun::new(
            SecretString::from("k"),
            MailgunSettings::DEFAULT_TOLERANCE,
        )),
        Box::new(postmark::provider(
            SecretString::from("u"),
            SecretString::from("p"),
        )),
        Box::new(mailjet::provider(
            SecretString::from("u"),
            SecretString::from("p"),
        )),
        Box::new(brevo::provider(
            SecretString::from("u"),
            SecretString::from("p"),
        )),
        Box::new(Ses::new(vec![], store)),
    ]
}

/// Every parser and verifier on `body`; only panics matter, results are ignored.
fn exercise(body: &[u8], headers: &HeaderMap) {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    for provider in providers() {
        let _ = provider.parse(body);
        let _ = provider.verify(headers, body, now);
        let _ = provider.certificate_url(body);
    }
}

fn shaped_bodies(value: &Value) -> Vec<Vec<u8>> {
    let encode = |v: Value| serde_json::to_vec(&v).unwrap_or_default();
    vec![
        encode(value.clone()),
        encode(json!([value])),
        encode(json!({"signature": value, "event-data": value})),
        encode(json!({
            "Type": "Notification", "MessageId": "m", "TopicArn": "t",
            "Message": value.to_string(), "Timestamp": "x", "SignatureVersion": "1",
            "Signature": "AAAA", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/a.pem",
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_a_parser(body in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&body, &HeaderMap::new());
    }

    #[test]
    fn wrong_types_and_huge_numbers_never_panic_a_parser(value in json_value()) {
        for body in shaped_bodies(&value) {
            exercise(&body, &HeaderMap::new());
        }
    }

    #[test]
    fn random_headers_never_panic_a_verifier(
        signature in ".{0,120}",
        timestamp in ".{0,20}",
        auth in ".{0,80}",
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            (sendgrid::SIGNATURE_HEADER, signature.as_str()),
            (sendgrid::TIMESTAMP_HEADER, timestamp.as_str()),
            ("authorization", auth.as_str()),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        exercise(b"[]", &headers);
    }

    #[test]
    fn random_strings_never_panic_the_sns_url_check(url in ".{0,80}") {
        let _ = SnsUrl::certificate(&url);
        let _ = SnsUrl::subscribe(&format!("https://{url}"));
        let _ = SnsUrl::certificate(&format!("https://sns.{url}"));
    }
}

#[test]
fn every_truncation_of_every_sample_is_handled_without_panic() {
    for file in FILES {
        for (_, body) in sample_bodies(file) {
            for end in 0..body.len() {
                let prefix = &body[..end];
                let _ = parse_with(file, prefix);
                exercise(prefix, &HeaderMap::new());
            }
        }
    }
}

#[test]
fn non_json_and_wrong_shapes_are_malformed() {
    let malformed = |r: Result<Inbound, WebhookError>| matches!(r, Err(WebhookError::Malformed(_)));
    for provider in providers() {
        for body in [&b""[..], b"not json", b"42", b"\"x\"", b"[1,2]", b"{\"a\":"] {
            assert!(
                malformed(provider.parse(body)),
                "{} {body:?}",
                provider.name()
            );
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    exercise(deep.as_bytes(), &HeaderMap::new());
}
