//! Correlation and classification details of the providers that send no event id (Mailjet,
//! Brevo): delivery ids from custom data or tags, event names, local times, missing times.

use serde_json::json;

use super::fixtures::{only_event, parse_with, sample, shape};
use crate::providers::*;

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
