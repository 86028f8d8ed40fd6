//! `POST /webhooks/{provider}`: signed fixtures stored once, bounces suppress even when
//! nothing correlates, Message-ID correlation, bad signatures 401, unknown providers 404.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_common::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/webhooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn sendgrid_request(body: Vec<u8>, signature: &str) -> Request<Body> {
    Request::post("/webhooks/sendgrid")
        .header("content-type", "application/json")
        .header("X-Twilio-Email-Event-Webhook-Signature", signature)
        .header("X-Twilio-Email-Event-Webhook-Timestamp", SG_TS_1)
        .body(Body::from(body))
        .unwrap()
}

fn mailgun_fixture(id: &str) -> Value {
    let all: Value = serde_json::from_slice(&fixture("mailgun_events.json")).unwrap();
    let sample = all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no sample {id}"));
    sample["payload"]["event-data"].clone()
}

#[tokio::test]
async fn the_same_signed_sendgrid_event_posted_twice_is_stored_once() {
    for app in apps().await {
        // The published vector's event is for hello@world.com.
        app.customer("c1", "hello@world.com", "en").await;
        let body = fixture("sendgrid_vector1_body.txt");
        for _ in 0..2 {
            let (status, _, reply) = app.send(sendgrid_request(body.clone(), SG_SIG_1)).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
        let events = app.events().await;
        assert_eq!(events.len(), 1, "{}: {events:?}", app.db.backend);
        assert_eq!(events[0].0, "custom:dropped");
        assert_eq!(events[0].2["provider"], "sendgrid");
    }
}

#[tokio::test]
async fn a_bad_signature_is_401_and_stores_nothing() {
    for app in apps().await {
        app.customer("c1", "hello@world.com", "en").await;
        let mut body = fixture("sendgrid_vector1_body.txt");
        let i = body.len() / 2;
        body[i] ^= 1;
        let (status, _, reply) = app.send(sendgrid_request(body, SG_SIG_1)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert!(reply["error"].is_string());
        let (status, _, _) = app
            .post("/webhooks/mailgun", "application/json", json!({"signature": {"timestamp": "1", "token": "t", "signature": "00"}, "event-data": {}}).to_string())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(app.events().await.is_empty(), "{}", app.db.backend);
    }
}

#[tokio::test]
async fn an_unknown_or_unconfigured_provider_is_404() {
    let app = app(support::sqlite().await).await;
    for provider in ["acme", "postmark", "ses"] {
        let (status, _, body) = app
            .post(&format!("/webhooks/{provider}"), "application/json", "[]")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{provider}");
        assert!(String::from_utf8_lossy(&body).contains("unknown provider"));
    }
}

#[tokio::test]
async fn a_malformed_body_is_400() {
    let app = app(support::sqlite().await).await;
    let (status, _, _) = app
        .post("/webhooks/mailgun", "application/json", "{not json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_address_even_when_nothing_correlates() {
    for app in apps().await {
        let event = mailgun_fixture("mailgun.anymail.test_failed_permanent_event");
        let (status, _, reply) = app
            .post("/webhooks/mailgun", "application/json", mailgun_body(event))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&reply)
        );
        let reason = app
            .store()
            .suppression("invalid@example.com")
            .await
            .unwrap();
        let reason = reason.expect("suppressed");
        assert!(reason.starts_with("hard_bounce"), "{reason}");
        assert!(reason.contains("5.1.1"), "{reason}");
        // No customer has that address: nothing to store as an event.
        assert!(app.events().await.is_empty(), "{}", app.db.backend);
    }
}

#[tokio::test]
async fn a_provider_event_is_tied_to_our_delivery_by_its_message_id() {
    for app in apps().await {
        app.customer("c9", "someone-else@example.com", "en").await;
        // Sent as `<{id}@shop.example>`; Mailgun names it without the angle brackets.
        let d = app.delivery("c9", &[], an_hour_ago()).await;
        // Found by the id its Message-ID carries, then the whole Message-ID compared: the
        // same id under another domain is not ours.
        let ours = format!("<{d}@shop.example>");
        let other = format!("<{d}@other.example>");
        let found = app
            .store()
            .deliveries_by_message_id(&[ours.clone(), other.clone()])
            .await
            .unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), [&ours]);
        let mut event = mailgun_fixture("mailgun.anymail.test_failed_permanent_event");
        event["message"]["headers"]["message-id"] = format!("{d}@shop.example").into();
        let (status, _, _) = app
            .post(
                "/webhooks/mailgun",
                "application/json",
                mailgun_body(event.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let bounces = app.events_of("bounce").await;
        assert_eq!(bounces.len(), 1, "{}", app.db.backend);
        assert_eq!(bounces[0].1["type"], "hard");
        assert_eq!(bounces[0].1["campaign"], "satisfaction-survey");
        // A retry by the provider (new signature token, same event) is stored once.
        app.post("/webhooks/mailgun", "application/json", mailgun_body(event))
            .await;
        assert_eq!(app.events_of("bounce").await.len(), 1);
    }
}

#[tokio::test]
async fn a_spam_complaint_suppresses_and_counts_as_a_complaint() {
    for app in apps().await {
        let event = mailgun_fixture("mailgun.anymail.test_complained_event");
        let recipient = event["recipient"].as_str().unwrap().to_string();
        app.customer("c1", &recipient, "en").await;
        let (status, _, _) = app
            .post("/webhooks/mailgun", "application/json", mailgun_body(event))
            .await;
        assert_eq!(status, StatusCode::OK);
        let reason = app
            .store()
            .suppression(&recipient)
            .await
            .unwrap()
            .expect("suppressed");
        assert!(reason.contains("spam"), "{reason}");
        let kinds: Vec<String> = app.events().await.into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(
            kinds,
            vec!["complaint", "spam_complaint"],
            "{}",
            app.db.backend
        );
    }
}

/// One sample's payload from a fixture file.
fn sample(file: &str, id: &str) -> Value {
    let all: Value = serde_json::from_slice(&fixture(file)).unwrap();
    all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no sample {id}"))["payload"]
        .clone()
}

/// A basic-auth POST to `/webhooks/{provider}` (Mailjet, Brevo).
fn basic_request(provider: &str, password: &str, body: &Value) -> Request<Body> {
    use base64::Engine;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{HOOK_USER}:{password}"));
    Request::post(format!("/webhooks/{provider}"))
        .header("content-type", "application/json")
        .header("authorization", format!("Basic {credentials}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn mailjet_and_brevo_need_their_basic_auth() {
    for app in apps().await {
        app.customer("c1", "recipient@example.com", "en").await;
        let mailjet = sample("mailjet_events.json", "mailjet.anymail.test_sent_event");
        let brevo = sample("brevo_events.json", "brevo.anymail.test_opened_event");
        for (provider, body) in [("mailjet", &mailjet), ("brevo", &brevo)] {
            let (status, _, _) = app.send(basic_request(provider, "wrong", body)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{provider}");
            let (status, _, _) = app
                .post(
                    &format!("/webhooks/{provider}"),
                    "application/json",
                    body.to_string(),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{provider} without auth");
        }
        assert!(app.events().await.is_empty(), "{}", app.db.backend);
        for (provider, body) in [("mailjet", &mailjet), ("brevo", &brevo)] {
            let (status, _, reply) = app.send(basic_request(provider, HOOK_PASSWORD, body)).await;
            assert_eq!(status, StatusCode::OK, "{provider}: {reply:?}");
        }
        let kinds: Vec<String> = app.events().await.into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(kinds, vec!["delivered", "email_open"], "{}", app.db.backend);
    }
}

#[tokio::test]
async fn mailjet_events_reach_our_delivery_through_custom_id_and_are_stored_once() {
    for app in apps().await {
        app.customer("c1", "someone@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        // Grouped: a delivery and an open of our email, as Mailjet posts them.
        let mut sent = sample("mailjet_events.json", "mailjet.docs.sent_grouped_array")[0].clone();
        let mut open = sample("mailjet_events.json", "mailjet.docs.open");
        for event in [&mut sent, &mut open] {
            event["CustomID"] = json!(d.to_string());
            event["email"] = json!("a-forwarded-address@example.org");
            event["time"] = json!(chrono::Utc::now().timestamp());
        }
        let batch = json!([sent, open]);
        for _ in 0..2 {
            let (status, _, reply) = app
                .send(basic_request("mailjet", HOOK_PASSWORD, &batch))
                .await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&reply)
            );
        }
        let events = app.events().await;
        assert_eq!(events.len(), 2, "{}: {events:?}", app.db.backend);
        assert!(
            events
                .iter()
                .all(|(_, _, data)| data["campaign"] == "satisfaction-survey"),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn a_brevo_hard_bounce_suppresses_and_a_retry_changes_nothing() {
    for app in apps().await {
        app.customer("c1", "not-a-user@example.com", "en").await;
        let bounce = sample("brevo_events.json", "brevo.anymail.test_hard_bounce");
        for _ in 0..2 {
            let (status, _, _) = app
                .send(basic_request("brevo", HOOK_PASSWORD, &bounce))
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let reason = app
            .store()
            .suppression("not-a-user@example.com")
            .await
            .unwrap()
            .expect("suppressed");
        // The stored bounce event suppresses first (import rules), so its reason wins.
        assert!(reason.contains("hard"), "{reason}");
        let bounces = app.events_of("bounce").await;
        assert_eq!(bounces.len(), 1, "{}", app.db.backend);
        assert_eq!(bounces[0].1["provider"], "brevo");
    }
}

#[tokio::test]
async fn a_mailjet_spam_report_suppresses_even_uncorrelated() {
    for app in apps().await {
        let spam = sample("mailjet_events.json", "mailjet.docs.spam");
        let (status, _, _) = app
            .send(basic_request("mailjet", HOOK_PASSWORD, &spam))
            .await;
        assert_eq!(status, StatusCode::OK);
        let reason = app
            .store()
            .suppression("bounce@mailjet.com")
            .await
            .unwrap()
            .expect("suppressed");
        assert!(reason.starts_with("spam_complaint"), "{reason}");
    }
}

/// Mailgun's "gave up after retrying" failure without a severity (older payloads): a soft
/// bounce. (With `severity: permanent` it is a hard bounce, as every permanent failure is.)
fn mailgun_event(id: &str, event: &str, seconds_ago: i64) -> Value {
    json!({
        "id": id,
        "event": event,
        "reason": "old",
        "timestamp": (chrono::Utc::now().timestamp() - seconds_ago) as f64,
        "recipient": "full-mailbox@example.com",
    })
}

#[tokio::test]
async fn soft_bounces_suppress_only_after_the_limit_in_a_row() {
    for app in apps().await {
        app.customer("c1", "full-mailbox@example.com", "en").await;
        let mut ago = 100;
        let mut post = async |id: String, event: &str| {
            ago -= 1;
            let body = mailgun_body(mailgun_event(&id, event, ago));
            let (status, _, reply) = app
                .post("/webhooks/mailgun", "application/json", body)
                .await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&reply)
            );
        };
        // Four soft bounces, a delivery that got through, four more: never five in a row.
        for i in 0..4 {
            post(format!("a{i}"), "failed").await;
        }
        post("ok".into(), "delivered").await;
        for i in 0..4 {
            post(format!("b{i}"), "failed").await;
        }
        let address = "full-mailbox@example.com";
        let none = app.store().suppression(address).await.unwrap();
        assert_eq!(none, None, "{}", app.db.backend);
        post("b4".into(), "failed").await;
        let reason = app.store().suppression(address).await.unwrap();
        let reason = reason.expect("suppressed after the fifth in a row");
        assert!(reason.contains("5 soft bounces in a row"), "{reason}");
    }
}
