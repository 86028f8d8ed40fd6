//! A provider event is never lost to our own failure: a request we fail to store leaves
//! nothing behind that would make the provider's retry be refused, is answered with the
//! status that makes that provider retry, and an authenticated event lacking a field we would
//! like is stored as far as it can be and answered 2xx.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_common::*;
use rapport::providers::BasicAuthSettings;
use secrecy::SecretString;
use serde_json::{Value, json};

/// Every insert into `events` fails until [`heal`]: a store failure in the middle of the
/// webhook's transaction, after the token would have been written.
async fn break_events(db: &support::TestDb) {
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER fail_events BEFORE INSERT ON events \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(
            "CREATE FUNCTION fail_events() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "CREATE TRIGGER fail_events BEFORE INSERT ON events \
             FOR EACH ROW EXECUTE FUNCTION fail_events()",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

async fn heal(db: &support::TestDb) {
    let sql = if db.backend == "sqlite" {
        "DROP TRIGGER fail_events"
    } else {
        "DROP TRIGGER fail_events ON events"
    };
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

fn mailgun_bounce(recipient: &str, reason: &str) -> Value {
    json!({
        "event": "failed", "severity": "permanent", "reason": reason,
        "id": format!("ev-{reason}-{recipient}"),
        "timestamp": chrono::Utc::now().timestamp() as f64,
        "recipient": recipient,
        "delivery-status": {"code": 550, "message": "5.1.1 no such user"},
    })
}

#[tokio::test]
async fn a_mailgun_event_we_failed_to_store_is_accepted_when_the_provider_retries_it() {
    for app in apps().await {
        let backend = app.db.backend;
        app.customer("c1", "gone@example.com", "en").await;
        let body = json!({
            "signature": mailgun_signature(&uuid::Uuid::new_v4().simple().to_string()),
            "event-data": mailgun_bounce("gone@example.com", "bounce"),
        })
        .to_string();

        break_events(&app.db).await;
        let (status, _, reply) = app
            .post("/webhooks/mailgun", "application/json", body.clone())
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{backend}");
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert!(reply["error"].is_string(), "{backend}: {reply}");
        assert!(app.events().await.is_empty(), "{backend}");
        assert_eq!(
            app.store().suppression("gone@example.com").await.unwrap(),
            None,
            "{backend}: nothing half stored"
        );

        // Mailgun retries the same signed payload: stored now, not refused as a replay.
        heal(&app.db).await;
        let (status, _, reply) = app
            .post("/webhooks/mailgun", "application/json", body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{backend}: {}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(app.events_of("bounce").await.len(), 1, "{backend}");
        assert!(
            app.store()
                .suppression("gone@example.com")
                .await
                .unwrap()
                .is_some(),
            "{backend}"
        );

        // Once more (our 200 was lost on the way): 200, and nothing stored again.
        let (status, _, reply) = app
            .post("/webhooks/mailgun", "application/json", body.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(reply["stored"], 0, "{backend}: {reply}");
        assert_eq!(app.events_of("bounce").await.len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn a_used_mailgun_token_with_another_payload_is_a_replay() {
    for app in apps().await {
        let backend = app.db.backend;
        app.customer("c1", "a@example.com", "en").await;
        app.customer("c2", "b@example.com", "en").await;
        let signature = mailgun_signature(&uuid::Uuid::new_v4().simple().to_string());
        let first = json!({"signature": signature, "event-data": mailgun_bounce("a@example.com", "bounce")});
        let forged = json!({"signature": signature, "event-data": mailgun_bounce("b@example.com", "bounce")});
        let (status, _, _) = app
            .post("/webhooks/mailgun", "application/json", first.to_string())
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        let (status, _, _) = app
            .post("/webhooks/mailgun", "application/json", forged.to_string())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_eq!(
            app.store().suppression("b@example.com").await.unwrap(),
            None,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn every_permanent_mailgun_failure_suppresses_whatever_its_reason() {
    for app in apps().await {
        let backend = app.db.backend;
        for (i, reason) in ["suppress-bounce", "old", "generic", "esp-block"]
            .iter()
            .enumerate()
        {
            let address = format!("p{i}@example.com");
            let body = json!({
                "signature": mailgun_signature(&uuid::Uuid::new_v4().simple().to_string()),
                "event-data": mailgun_bounce(&address, reason),
            });
            let (status, _, _) = app
                .post("/webhooks/mailgun", "application/json", body.to_string())
                .await;
            assert_eq!(status, StatusCode::OK, "{backend} {reason}");
            assert!(
                app.store().suppression(&address).await.unwrap().is_some(),
                "{backend}: permanent failure `{reason}` must suppress"
            );
        }
    }
}

fn basic(password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{HOOK_USER}:{password}"))
    )
}

#[tokio::test]
async fn brevo_is_answered_429_when_we_fail_to_store_because_it_drops_events_on_5xx() {
    for app in apps().await {
        let backend = app.db.backend;
        app.customer("c1", "gone@example.com", "en").await;
        let body = json!({"event": "hard_bounce", "email": "gone@example.com",
                          "date": "2026-11-20 10:00:00", "message-id": "<m1@shop.example>",
                          "reason": "550 5.1.1 unknown user"});
        let post = || {
            Request::post("/webhooks/brevo")
                .header("content-type", "application/json")
                .header("authorization", basic(HOOK_PASSWORD))
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        break_events(&app.db).await;
        let (status, _, _) = app.send(post()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        heal(&app.db).await;
        let (status, _, _) = app.send(post()).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(app.events_of("bounce").await.len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn a_postmark_unsubscribe_bounce_without_an_email_is_tied_by_its_message_id_and_suppresses() {
    for db in support::all_backends().await {
        let app = app_with_webhooks(db, |w| {
            w.postmark = Some(BasicAuthSettings {
                username: SecretString::from(HOOK_USER),
                password: SecretString::from(HOOK_PASSWORD),
            })
        })
        .await;
        let backend = app.db.backend;
        app.customer("c1", "reader@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let post = |body: Value| {
            Request::post("/webhooks/postmark")
                .header("content-type", "application/json")
                .header("authorization", basic(HOOK_PASSWORD))
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let message = "0a1b2c3d-0000-4000-8000-000000000001";
        // Postmark's delivery of our email: carries our delivery id and the address.
        let delivered = json!({"RecordType": "Delivery", "MessageID": message,
            "Recipient": "reader@example.com", "DeliveredAt": "2026-11-20T10:00:00Z",
            "Metadata": {"rapport-delivery": d.to_string()}, "Details": "ok"});
        let (status, _, _) = app.send(post(delivered)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        // A real bounce of type Unsubscribe: no Email, no Metadata, no BouncedAt.
        let unsubscribe = json!({"RecordType": "Bounce", "ID": 4242, "Type": "Unsubscribe",
            "TypeCode": 16, "Name": "Unsubscribe request", "MessageID": message,
            "Description": "Unsubscribe or Remove request.", "Inactive": true});
        let (status, _, reply) = app.send(post(unsubscribe)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{backend}: {}",
            String::from_utf8_lossy(&reply)
        );
        let unsubscribes = app.events_of("unsubscribe").await;
        assert_eq!(unsubscribes.len(), 1, "{backend}");
        assert_eq!(
            unsubscribes[0].1["campaign"], "satisfaction-survey",
            "{backend}"
        );
        assert!(
            app.store()
                .suppression("reader@example.com")
                .await
                .unwrap()
                .is_some(),
            "{backend}"
        );
    }
}
