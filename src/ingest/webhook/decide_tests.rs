use super::*;
use crate::domain::EventKind;
use crate::store::TrackedDelivery;
use uuid::Uuid;

fn at() -> DateTime<Utc> {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn delivery(customer: &str, email: &str) -> TrackedDelivery {
    TrackedDelivery {
        id: Uuid::now_v7(),
        customer_id: customer.into(),
        email: email.into(),
        locale: "en".into(),
        campaign: "welcome".into(),
        message_id: "<m1@rapport>".into(),
        links: vec![],
        sent_at: Some(at()),
    }
}

fn event(id: &str, kind: InboundKind) -> InboundEvent {
    InboundEvent::new("sendgrid", id.into(), kind, Some(at()))
}

#[test]
fn our_delivery_id_wins_over_the_message_id_and_the_address() {
    let d = delivery("c1", "c1@example.com");
    let other = delivery("c2", "c2@example.com");
    let mut found = Lookups::default();
    found.by_id.insert(d.id, d.clone());
    found.by_message.insert("<m2@rapport>".into(), other);
    found.by_email.insert("c3@example.com".into(), "c3".into());
    let mut e = event("e1", InboundKind::Click);
    e.delivery_id = Some(format!(" {} ", d.id));
    e.message_id = Some("m2@rapport".into());
    e.recipient = Some("c3@example.com".into());
    let out = decide(&[e], &found, at());
    assert_eq!(out.uncorrelated, 0);
    let r = &out.batch.events[0];
    assert_eq!(r.customer_id.as_str(), "c1");
    assert_eq!(r.delivery_id, Some(d.id));
    assert_eq!(r.data["campaign"], "welcome");
}

#[test]
fn a_message_id_then_an_address_then_an_earlier_event_correlate() {
    let d = delivery("c1", "c1@example.com");
    let mut found = Lookups::default();
    found.by_message.insert("<m1@rapport>".into(), d.clone());
    found.by_email.insert("c2@example.com".into(), "c2".into());
    found
        .by_provider_message
        .insert("pm3".into(), ("c3".into(), Some(d.id)));
    found.earlier.insert(d.id, d.clone());
    let mut by_message = event("e1", InboundKind::Delivered);
    by_message.message_id = Some("<m1@rapport>".into());
    let mut by_address = event("e2", InboundKind::Delivered);
    by_address.recipient = Some("c2@EXAMPLE.com".into());
    let mut by_earlier = event("e3", InboundKind::Delivered);
    by_earlier.provider_message_id = Some("pm3".into());
    let nobody = event("e4", InboundKind::Delivered);
    let out = decide(&[by_message, by_address, by_earlier, nobody], &found, at());
    let owners: Vec<(&str, Option<Uuid>)> = out
        .batch
        .events
        .iter()
        .map(|r| (r.customer_id.as_str(), r.delivery_id))
        .collect();
    assert_eq!(
        owners,
        vec![("c1", Some(d.id)), ("c2", None), ("c3", Some(d.id))]
    );
    assert_eq!(out.uncorrelated, 1);
}

#[test]
fn a_hard_bounce_suppresses_its_address_even_when_nothing_correlates() {
    let mut e = event("e1", InboundKind::Bounce { hard: true });
    e.recipient = Some("Gone@Example.COM".into());
    e.enhanced_code = Some("5.1.1".into());
    e.reason = Some("no such\nuser".into());
    let out = decide(&[e], &Lookups::default(), at());
    assert!(out.batch.events.is_empty());
    assert_eq!(out.uncorrelated, 1);
    assert_eq!(
        out.batch.reported,
        vec![Suppression {
            address: "Gone@example.com".into(),
            reason: "hard_bounce: 5.1.1 no suchuser".into(),
            source: "sendgrid",
        }]
    );
}

#[test]
fn a_suppressing_event_without_an_address_uses_its_customers() {
    let mut found = Lookups::default();
    found
        .by_provider_message
        .insert("pm1".into(), ("c1".into(), None));
    found
        .customer_emails
        .insert("c1".into(), "c1@example.com".into());
    let mut e = event("e1", InboundKind::Unsubscribe);
    e.provider_message_id = Some("pm1".into());
    let out = decide(&[e], &found, at());
    assert_eq!(out.batch.reported[0].address, "c1@example.com");
    assert_eq!(out.batch.reported[0].reason, "unsubscribe");
    let nobody = event("e2", InboundKind::SpamComplaint);
    assert!(
        decide(&[nobody], &found, at()).batch.reported.is_empty(),
        "no address anywhere: nothing suppressed"
    );
}

#[test]
fn a_spam_complaint_is_also_a_complaint_and_soft_bounces_are_counted() {
    let d = delivery("c1", "c1@example.com");
    let mut found = Lookups::default();
    found.by_id.insert(d.id, d.clone());
    let mut spam = event("e1", InboundKind::SpamComplaint);
    spam.delivery_id = Some(d.id.to_string());
    let mut soft = event("e2", InboundKind::Bounce { hard: false });
    soft.delivery_id = Some(d.id.to_string());
    let out = decide(&[spam, soft], &found, at());
    let kinds: Vec<(Option<&str>, &EventKind)> = out
        .batch
        .events
        .iter()
        .map(|r| (r.id.as_deref(), &r.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Some("sendgrid:e1:complaint"), &EventKind::Complaint),
            (Some("sendgrid:e1"), &EventKind::SpamComplaint),
            (Some("sendgrid:e2"), &EventKind::Bounce),
        ]
    );
    assert_eq!(out.batch.events[2].data["type"], "soft");
    assert_eq!(
        out.batch.soft_bounced["c1"],
        SoftBounce {
            address: "c1@example.com".into(),
            source: "sendgrid",
        }
    );
}

#[test]
fn an_open_right_after_the_send_or_from_a_proxy_is_a_machine_open() {
    let d = delivery("c1", "c1@example.com");
    let mut found = Lookups::default();
    found.by_id.insert(d.id, d.clone());
    let open = |id: &str, secs: i64, ua: &str| {
        let mut e = event(id, InboundKind::Open);
        e.delivery_id = Some(d.id.to_string());
        e.occurred_at = Some(at() + chrono::TimeDelta::seconds(secs));
        e.user_agent = Some(ua.into());
        e
    };
    let person = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Thunderbird/128.0";
    let events = [
        open("early", 2, person),
        open("proxy", 600, "GoogleImageProxy"),
        open("person", 600, person),
    ];
    let out = decide(&events, &found, at());
    let machine: Vec<bool> = out.batch.events.iter().map(|r| r.machine).collect();
    assert_eq!(machine, vec![true, true, false]);
}
