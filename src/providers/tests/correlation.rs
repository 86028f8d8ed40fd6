//! Correlation and classification details beyond the table, for SendGrid, Mailgun and
//! Postmark: delivery ids from each provider's custom-data channel, Message-IDs, reasons and
//! codes, bounce types; and event ids that do not change when a provider retries a body.

use serde_json::{Value, json};

use super::fixtures::{fixture_bytes, only_event, parse_with, sample, shape};
use crate::providers::*;

#[test]
fn sendgrid_events_carry_delivery_id_message_id_and_click_details() {
    let mut payload = sample("sendgrid_events.json", "sendgrid.anymail.test_click_event");
    payload[0]["rapport_delivery"] = json!("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    payload[0]["smtp-id"] = json!("<abc@mail.example.com>");
    payload[0]["sg_machine_open"] = json!(false);
    let event = only_event(parse_with("sendgrid_events.json", &shape("x", &payload)));
    assert_eq!(
        event.delivery_id.as_deref(),
        Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(event.message_id.as_deref(), Some("abc@mail.example.com"));
    assert_eq!(event.url.as_deref(), Some("http://www.example.com"));
    assert_eq!(
        event.user_agent.as_deref(),
        Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_4) AppleWebKit/537.36")
    );
    assert_eq!(event.machine, Some(false));
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("_fjPjuJfRW-IPs5SuvYotg.filter0590p1mdw1.2098.57168CFC4B.0")
    );
}

#[test]
fn sendgrid_blocked_bounce_is_soft_with_reason_and_code() {
    let body = fixture_bytes("sendgrid_vector2_body.txt");
    let events = sendgrid::parse(&body).expect("parses");
    let bounce = events.last().expect("one bounce");
    assert_eq!(bounce.kind, InboundKind::Bounce { hard: false });
    assert_eq!(bounce.enhanced_code.as_deref(), Some("5.2.2"));
    assert!(
        bounce
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("552 5.2.2"))
    );
    assert_eq!(
        bounce.message_id.as_deref(),
        Some("qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net")
    );
}

#[test]
fn mailgun_events_carry_delivery_id_from_user_variables() {
    let mut payload = sample("mailgun_events.json", "mailgun.anymail.test_opened_event");
    payload["event-data"]["user-variables"]["rapport_delivery"] = json!("d-1");
    payload["event-data"]["client-info"]["bot"] = json!("apple");
    let event = only_event(parse_with("mailgun_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some("d-1"));
    assert_eq!(
        event.message_id.as_deref(),
        Some("20180812213139.1.BC6694A917BB7E6A@example.org")
    );
    assert_eq!(event.machine, Some(true));
    assert_eq!(
        event.user_agent.as_deref(),
        Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6)...")
    );
}

#[test]
fn mailgun_truncated_user_variables_do_not_fail_the_event() {
    let mut payload = sample("mailgun_events.json", "mailgun.anymail.test_opened_event");
    payload["event-data"]["user-variables"] =
        json!("Could not load user-variables. They were either truncated or invalid JSON");
    let event = only_event(parse_with("mailgun_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id, None);
}

#[test]
fn mailgun_permanent_failure_is_a_hard_bounce_with_the_smtp_message() {
    let payload = sample(
        "mailgun_events.json",
        "mailgun.docs_event.failed_permanent_delayed_bounce",
    );
    let event = only_event(parse_with(
        "mailgun_events.json",
        &shape("mailgun_events.json", &payload),
    ));
    assert_eq!(event.kind, InboundKind::Bounce { hard: true });
    assert_eq!(
        event.reason.as_deref(),
        Some("smtp; 550-5.1.1 The email account that you tried to reach does not exist.")
    );
    assert!(event.suppresses());
}

#[test]
fn every_permanent_mailgun_failure_is_a_hard_bounce_whatever_its_reason() {
    // Mailgun reports addresses it refuses because they bounced, unsubscribed or complained
    // before, ESP blocks and the retry limit as permanent failures: each one suppresses.
    for reason in [
        "bounce",
        "suppress-bounce",
        "suppress-unsubscribe",
        "suppress-complaint",
        "generic",
        "old",
        "esp-block",
        "something-new",
    ] {
        let mut payload = sample(
            "mailgun_events.json",
            "mailgun.anymail.test_failed_permanent_event",
        );
        payload["event-data"]["reason"] = json!(reason);
        payload["event-data"]["severity"] = json!("permanent");
        let event = only_event(parse_with("mailgun_events.json", &shape("x", &payload)));
        assert_eq!(event.kind, InboundKind::Bounce { hard: true }, "{reason}");
        assert!(event.suppresses(), "{reason}");
    }
}

#[test]
fn postmark_events_carry_delivery_id_from_metadata() {
    let mut payload = sample(
        "postmark_events.json",
        "postmark.anymail.test_delivered_event",
    );
    payload["Metadata"]["rapport-delivery"] = json!("d-2");
    let event = only_event(parse_with("postmark_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some("d-2"));
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("883953f4-6105-42a2-a16a-77a8eac79483")
    );
}

#[test]
fn postmark_bounce_types_are_classified_by_name_not_code() {
    let cases = [
        ("HardBounce", 1, Some(InboundKind::Bounce { hard: true })),
        (
            "BadEmailAddress",
            100000,
            Some(InboundKind::Bounce { hard: true }),
        ),
        (
            "SoftBounce",
            4096,
            Some(InboundKind::Bounce { hard: false }),
        ),
        ("DnsError", 256, Some(InboundKind::Bounce { hard: false })),
        ("Transient", 2, Some(InboundKind::Deferred)),
        // Both sources send SpamComplaint with TypeCode 512 (= SpamNotification).
        ("SpamComplaint", 512, Some(InboundKind::SpamComplaint)),
        ("Unsubscribe", 16, Some(InboundKind::Unsubscribe)),
        ("Blocked", 16, Some(InboundKind::Bounce { hard: false })),
        ("AutoResponder", 64, None),
        ("SomethingNew", 7, Some(InboundKind::Bounce { hard: false })),
    ];
    let base = sample("postmark_events.json", "postmark.support_article.bounce");
    for (bounce_type, code, want) in cases {
        let mut payload = base.clone();
        payload["Type"] = json!(bounce_type);
        payload["TypeCode"] = json!(code);
        let got = postmark::parse(&shape("x", &payload))
            .expect("parses")
            .map(|e| e.kind);
        assert_eq!(got, want, "{bounce_type}");
    }
}

#[test]
fn postmark_resubscription_is_not_an_event() {
    let mut payload = sample("postmark_events.json", "postmark.anymail.test_unsubscribe");
    payload["SuppressSending"] = json!(false);
    payload["SuppressionReason"] = Value::Null;
    assert_eq!(postmark::parse(&shape("x", &payload)), Ok(None));
}

#[test]
fn retried_bodies_yield_the_same_event_ids() {
    for file in [
        "sendgrid_events.json",
        "mailgun_events.json",
        "postmark_events.json",
        "amazon_ses_events.json",
    ] {
        for (id, body) in super::fixtures::sample_bodies(file) {
            let ids = |r: Result<Inbound, WebhookError>| match r {
                Ok(Inbound::Events(events)) => {
                    events.into_iter().map(|e| e.event_id).collect::<Vec<_>>()
                }
                _ => Vec::new(),
            };
            assert_eq!(
                ids(parse_with(file, &body)),
                ids(parse_with(file, &body)),
                "{id}"
            );
        }
    }
}
