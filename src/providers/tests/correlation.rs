//! Correlation and classification details beyond the table: delivery ids from each
//! provider's custom-data channel, Message-IDs, reasons and codes, bounce types.

use serde_json::{Value, json};

use super::fixtures::{fixture_bytes, parse_with, shape};
use crate::providers::*;

fn sample(file: &str, id: &str) -> Value {
    let doc: Value = serde_json::from_slice(&fixture_bytes(file)).expect("fixture is JSON");
    doc["samples"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .map(|s| s["payload"].clone())
        .unwrap_or_else(|| panic!("no sample {id}"))
}

fn only_event(result: Result<Inbound, WebhookError>) -> InboundEvent {
    match result {
        Ok(Inbound::Events(mut events)) if events.len() == 1 => events.remove(0),
        other => panic!("expected one event, got {other:?}"),
    }
}

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

fn ses_record(id: &str) -> Value {
    sample("amazon_ses_events.json", id)
}

#[test]
fn ses_delivery_id_comes_from_message_tags_or_headers() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["mail"]["tags"]["rapport_delivery"] = json!(["d-3"]);
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-3"));

    // Identity notifications have no tags, only the original headers.
    let mut record = ses_record("ses.identity_notification.delivery");
    record["mail"]["headers"]
        .as_array_mut()
        .expect("headers")
        .push(json!({"name": "X-Rapport-Delivery", "value": "d-4"}));
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-4"));
    assert_eq!(event.message_id.as_deref(), Some("custom-message-ID"));
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000")
    );

    let mut record = ses_record("ses.event_publishing.reject");
    record["mail"]["headers"][5]["value"] = json!("rapport_delivery=d-5, other=x");
    record["mail"]["tags"] = json!({});
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-5"));
}

#[test]
fn ses_record_with_several_recipients_gives_one_event_each_with_distinct_ids() {
    let record = ses_record("ses.identity_notification.bounce_with_dsn");
    let mut record = record.clone();
    record["bounce"]["bouncedRecipients"]
        .as_array_mut()
        .expect("recipients")
        .push(json!({"emailAddress": "mary@example.com", "status": "5.2.1"}));
    let Ok(Inbound::Events(events)) = ses::parse_record(&record, "m") else {
        panic!("events expected");
    };
    let ids: Vec<_> = events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["m/jane@example.com", "m/mary@example.com"]);
    assert_eq!(events[1].enhanced_code.as_deref(), Some("5.2.1"));
    assert_eq!(
        events[0].reason.as_deref(),
        Some("smtp; 550 5.1.1 <jane@example.com>... User")
    );
}

#[test]
fn ses_transient_bounce_is_soft_and_click_keeps_link_and_agent() {
    let mut record = ses_record("ses.event_publishing.bounce");
    record["bounce"]["bounceType"] = json!("Transient");
    assert_eq!(
        only_event(ses::parse_record(&record, "m")).kind,
        InboundKind::Bounce { hard: false }
    );

    let click = only_event(ses::parse_record(
        &ses_record("ses.event_publishing.click"),
        "m",
    ));
    assert_eq!(
        click.url.as_deref(),
        Some("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html")
    );
    assert!(
        click
            .user_agent
            .as_deref()
            .is_some_and(|a| a.contains("Chrome/60"))
    );
    // SES replaced the Message-ID header with its own id: not ours, so not reported.
    assert_eq!(click.message_id, None);
}

#[test]
fn ses_send_and_unknown_types_are_ignored() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["eventType"] = json!("Send");
    assert_eq!(ses::parse_record(&record, "m"), Ok(Inbound::Ignored));
    record["eventType"] = json!("Something New");
    assert_eq!(ses::parse_record(&record, "m"), Ok(Inbound::Ignored));
}

#[test]
fn ses_unsubscribe_all_subscription_event_is_an_unsubscribe() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["eventType"] = json!("Subscription");
    record["subscription"] = json!({
        "contactList": "list", "timestamp": "2022-01-12T01:00:14.340Z",
        "source": "UnsubscribeHeader",
        "newTopicPreferences": {"unsubscribeAll": true},
    });
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.kind, InboundKind::Unsubscribe);
    assert_eq!(event.recipient.as_deref(), Some("recipient@example.com"));
}

#[test]
fn sns_subscription_confirmation_and_unsubscribe_confirmation() {
    let mut envelope = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
        "Timestamp": "2012-04-26T20:45:04.751Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
    });
    let body = |v: &Value| serde_json::to_vec(v).expect("serialises");
    assert!(matches!(
        ses::parse(&body(&envelope)),
        Ok(Inbound::SubscriptionConfirmation { ref topic_arn, .. })
            if topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    ));
    envelope["SubscribeURL"] = json!("https://evil.test/?Action=ConfirmSubscription");
    assert!(matches!(
        ses::parse(&body(&envelope)),
        Err(WebhookError::UntrustedSnsUrl(_))
    ));
    envelope["Type"] = json!("UnsubscribeConfirmation");
    assert_eq!(ses::parse(&body(&envelope)), Ok(Inbound::Ignored));
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

const DELIVERY: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

#[test]
fn mailjet_delivery_id_comes_from_custom_id_or_payload() {
    let mut payload = sample("mailjet_events.json", "mailjet.docs.open");
    payload["CustomID"] = json!(DELIVERY);
    let event = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some(DELIVERY));
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("19421777396190490")
    );
    assert_eq!(
        event.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0")
    );
    // Somebody else's CustomID, ours in the payload: the payload wins.
    payload["CustomID"] = json!("helloworld");
    payload["Payload"] = json!(format!(r#"{{"rapport_delivery":"{DELIVERY}"}}"#));
    let event = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some(DELIVERY));
}

#[test]
fn mailjet_bounces_follow_hard_bounce_and_greylisting_is_a_deferral() {
    let mut payload = sample("mailjet_events.json", "mailjet.docs.bounce");
    let event = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(event.kind, InboundKind::Bounce { hard: true });
    assert!(
        event
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("recipient: user unknown (Host or domain")),
        "{:?}",
        event.reason
    );
    payload["hard_bounce"] = json!(false);
    payload["comment"] = json!("452 4.2.2 mailbox full");
    let event = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(event.kind, InboundKind::Bounce { hard: false });
    assert_eq!(event.enhanced_code.as_deref(), Some("4.2.2"));
    payload["error"] = json!("greylisted");
    let event = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(event.kind, InboundKind::Deferred);
}

#[test]
fn mailjet_click_keeps_its_url_in_the_event_id() {
    let mut payload = sample("mailjet_events.json", "mailjet.docs.open");
    payload["event"] = json!("click");
    payload["url"] = json!("https://shop.example/a");
    let a = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    payload["url"] = json!("https://shop.example/b");
    let b = only_event(parse_with("mailjet_events.json", &shape("x", &payload)));
    assert_eq!(a.kind, InboundKind::Click);
    assert_eq!(a.url.as_deref(), Some("https://shop.example/a"));
    assert_ne!(a.event_id, b.event_id, "two links clicked in one second");
}

#[test]
fn brevo_delivery_id_comes_from_x_mailin_custom_or_a_tag() {
    let mut payload = sample("brevo_events.json", "brevo.anymail.test_clicked_event");
    payload["X-Mailin-custom"] = json!(format!(r#"{{"rapport_delivery":"{DELIVERY}"}}"#));
    let event = only_event(parse_with("brevo_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some(DELIVERY));
    assert_eq!(
        event.message_id.as_deref(),
        Some("201803011158.9876543210@smtp-relay.mailin.fr")
    );
    assert_eq!(event.url.as_deref(), Some("https://example.com/click/me"));

    let mut payload = sample("brevo_events.json", "brevo.anymail.test_sent_event");
    payload["event"] = json!("delivered");
    payload["tag"] = json!(format!(r#"["x","rapport_delivery={DELIVERY}"]"#));
    payload["tags"] = json!(["x"]);
    let event = only_event(parse_with("brevo_events.json", &shape("x", &payload)));
    assert_eq!(event.delivery_id.as_deref(), Some(DELIVERY));
    // Somebody else's custom JSON and tags: nothing.
    assert_eq!(
        delivery_of_sample("brevo.anymail.test_sent_event", "delivered"),
        None
    );
}

fn delivery_of_sample(id: &str, event: &str) -> Option<String> {
    let mut payload = sample("brevo_events.json", id);
    payload["event"] = json!(event);
    only_event(parse_with("brevo_events.json", &shape("x", &payload))).delivery_id
}

#[test]
fn brevo_event_names_decide_the_kind_and_proxy_opens_are_machine() {
    let kind_of = |event: &str| {
        let mut payload = sample("brevo_events.json", "brevo.anymail.test_hard_bounce");
        payload["event"] = json!(event);
        let events = brevo::parse(&shape("x", &payload)).expect("parses");
        events.first().map(|e| (e.kind, e.machine))
    };
    assert_eq!(
        kind_of("soft_bounce"),
        Some((InboundKind::Bounce { hard: false }, None))
    );
    assert_eq!(
        kind_of("invalid_email"),
        Some((InboundKind::Bounce { hard: true }, None))
    );
    assert_eq!(kind_of("spam"), Some((InboundKind::SpamComplaint, None)));
    assert_eq!(
        kind_of("complaint"),
        Some((InboundKind::SpamComplaint, None))
    );
    assert_eq!(
        kind_of("unsubscribed"),
        Some((InboundKind::Unsubscribe, None))
    );
    assert_eq!(kind_of("deferred"), Some((InboundKind::Deferred, None)));
    assert_eq!(kind_of("unique_opened"), Some((InboundKind::Open, None)));
    assert_eq!(
        kind_of("unique_proxy_open"),
        Some((InboundKind::Open, Some(true)))
    );
    assert_eq!(kind_of("request"), None);
    assert_eq!(kind_of("list_addition"), None);
}

#[test]
fn brevo_local_date_is_read_as_paris_time_when_no_epoch_is_given() {
    let body =
        json!({"event": "delivered", "email": "a@example.com", "date": "2020-10-09 00:00:00"});
    let events = brevo::parse(body.to_string().as_bytes()).expect("parses");
    // CEST (UTC+2) in October.
    assert_eq!(
        events[0]
            .occurred_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        "2020-10-08T22:00:00+00:00"
    );
}

#[test]
fn an_event_without_a_time_is_parsed_with_none_never_refused() {
    // A signed event the provider would retry for nothing if refused: the HTTP layer
    // records it at receipt.
    let none = json!({"event": "delivered", "email": "a@example.com"});
    let events = brevo::parse(none.to_string().as_bytes()).expect("parses");
    assert_eq!(events[0].occurred_at, None);
}
