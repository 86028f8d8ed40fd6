//! Notifications commit with the change they announce: the outbox row exists exactly when
//! the level write, the event or the suppression committed, so a crash can neither lose a
//! notification nor announce a change that was rolled back — on both backends.

mod http_common;
mod support;

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use http_common::*;
use rapport::config::NotifyConfig;
use rapport::domain::{CustomerId, EventKind, Level};
use rapport::import::{CustomerRecord, EventRecord, RecordDefaults, Row};
use rapport::notify;
use rapport::store::CycleWrites;
use rapport::store::{LevelChange, NewDelivery, Store};
use serde_json::{Value, json};

fn now() -> DateTime<Utc> {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

/// One endpoint that wants every event (nobody listens: the rows stay pending).
fn endpoints() -> Vec<NotifyConfig> {
    vec![NotifyConfig {
        name: "crm".into(),
        url: "http://127.0.0.1:9/hook".into(),
        events: notify::NotifyEvent::ALL
            .iter()
            .map(|e| e.as_str().to_string())
            .collect(),
        secret: None,
    }]
}

fn config() -> rapport::config::Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let mut c =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    c.notify = endpoints();
    c
}

async fn customer(s: &dyn Store, id: &str) {
    let d = RecordDefaults::from_config(&config(), now());
    let v = json!({"id": id, "email": format!("{id}@example.com")});
    let c = CustomerRecord::parse(&Row::new(v.as_object().unwrap()), &d).unwrap();
    let mut tx = s.begin_import().await.unwrap();
    tx.upsert_customers(&[c], now()).await.unwrap();
    tx.commit().await.unwrap();
}

fn event(kind: EventKind, customer: &str, id: &str) -> EventRecord {
    let mut data = serde_json::Map::new();
    if kind == EventKind::SurveyResponse {
        data.insert("score".into(), json!(9));
    }
    EventRecord {
        id: Some(id.into()),
        customer_id: CustomerId::parse(customer).unwrap(),
        kind,
        occurred_at: now() - TimeDelta::hours(1),
        data,
        machine: false,
        delivery_id: None,
    }
}

async fn pending(s: &dyn Store) -> u64 {
    s.notification_counts().await.unwrap().pending
}

#[tokio::test]
async fn events_and_their_notifications_commit_or_roll_back_together() {
    use EventKind::*;
    let eps = endpoints();
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1").await;
        let mut announced = 0;
        for (kind, name) in [
            (Complaint, "complaint"),
            (SurveyResponse, "survey_response"),
            (PartnershipAccepted, "partnership_accepted"),
            (Unsubscribe, "unsubscribed"),
        ] {
            let e = event(kind.clone(), "c1", name);
            let what = format!("{}: {name}", db.backend);

            // Written, then rolled back (the transaction is dropped, as on a crash).
            let mut tx = s.begin_import().await.unwrap();
            let n = rapport::ingest::store_events(&mut *tx, &eps, std::slice::from_ref(&e), now())
                .await
                .unwrap();
            assert_eq!(n, 1, "{what}");
            drop(tx);
            assert_eq!(
                pending(s).await,
                announced,
                "{what}: rolled back, not announced"
            );

            // A write that fails (an event of an unknown customer in the same batch).
            let mut tx = s.begin_import().await.unwrap();
            let bad = event(kind.clone(), "nobody", &format!("{name}-bad"));
            assert!(
                rapport::ingest::store_events(&mut *tx, &eps, &[e.clone(), bad], now())
                    .await
                    .is_err(),
                "{what}"
            );
            drop(tx);
            assert_eq!(pending(s).await, announced, "{what}: failed, not announced");
            if kind == Unsubscribe {
                assert_eq!(
                    s.suppression("c1@example.com").await.unwrap(),
                    None,
                    "{what}"
                );
            }

            // Committed: announced once.
            let mut tx = s.begin_import().await.unwrap();
            rapport::ingest::store_events(&mut *tx, &eps, std::slice::from_ref(&e), now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            announced += 1;
            assert_eq!(pending(s).await, announced, "{what}: committed, announced");
            if kind == Unsubscribe {
                assert!(
                    s.suppression("c1@example.com").await.unwrap().is_some(),
                    "{what}"
                );
            }

            // Stored again (a retry, a re-import): the event is not new, nothing more is told.
            let mut tx = s.begin_import().await.unwrap();
            let n = rapport::ingest::store_events(&mut *tx, &eps, &[e], now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            assert_eq!((n, pending(s).await), (0, announced), "{what}: retried");
        }
    }
}

#[tokio::test]
async fn level_changed_is_queued_with_the_level_write_and_not_without_it() {
    let eps = endpoints();
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1").await;
        let change = LevelChange {
            customer_id: "c1".into(),
            from: Some(Level::Basic),
            current: Level::Reactive,
            target: Level::Partnership,
            reasons: vec![],
        };
        let rows = notify::fan_out(
            &eps,
            &notify::level_changes(std::slice::from_ref(&change), now()),
            now(),
        );
        assert_eq!(rows.len(), 1);
        // The cycle's write fails (a delivery for a customer that does not exist): neither
        // the level nor its notification is there.
        let id = uuid::Uuid::now_v7();
        let orphan = NewDelivery {
            id,
            customer_id: "nobody".into(),
            campaign: "loyalty-offer".into(),
            occurrence: "test".into(),
            service: false,
            current: Level::Basic,
            target: Level::Reactive,
            send_at: now(),
            message_id: format!("<{id}@shop.example>"),
            unless_since: None,
            variant: None,
            held_out: false,
        };
        assert!(
            s.apply_cycle_notifying(
                CycleWrites {
                    changes: std::slice::from_ref(&change),
                    deliveries: &[orphan],
                    notifications: &rows
                },
                now()
            )
            .await
            .is_err(),
            "{}",
            db.backend
        );
        assert_eq!(pending(s).await, 0, "{}", db.backend);
        assert!(s.level_history("c1").await.unwrap().is_empty());
        // It succeeds: both are.
        s.apply_cycle_notifying(
            CycleWrites {
                changes: &[change],
                deliveries: &[],
                notifications: &rows,
            },
            now(),
        )
        .await
        .unwrap();
        assert_eq!(pending(s).await, 1, "{}", db.backend);
        assert_eq!(s.level_history("c1").await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_one_click_unsubscribe_is_announced_with_its_suppression_once() {
    for db in support::all_backends().await {
        let app = app_with_config(db).await;
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/u/{}", app.signer.sign_unsubscribe(d));
        for _ in 0..2 {
            let (status, _, _) = app
                .post(
                    &uri,
                    "application/x-www-form-urlencoded",
                    "List-Unsubscribe=One-Click",
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        assert!(
            app.store()
                .suppression("c1@example.com")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            pending(&**app.store()).await,
            1,
            "{}: one unsubscribe, one notification",
            app.db.backend
        );
    }
}

#[tokio::test]
async fn a_survey_answer_is_announced_once_however_often_it_is_clicked() {
    for db in support::all_backends().await {
        let app = app_with_config(db).await;
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/s/{}?score=9", app.signer.sign_survey(d));
        for _ in 0..2 {
            let (status, _, _) = app.get(&uri).await;
            assert_eq!(status, StatusCode::OK);
        }
        assert_eq!(pending(&**app.store()).await, 1, "{}", app.db.backend);
    }
}

#[tokio::test]
async fn a_complaint_webhook_is_announced_with_its_suppression_and_retries_add_nothing() {
    let all: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/webhooks/mailgun_events.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let event = all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "mailgun.anymail.test_complained_event")
        .unwrap()["payload"]["event-data"]
        .clone();
    let recipient = event["recipient"].as_str().unwrap().to_string();
    for db in support::all_backends().await {
        let app = app_with_config(db).await;
        app.customer("c1", &recipient, "en").await;
        for _ in 0..2 {
            let (status, _, _) = app
                .post(
                    "/webhooks/mailgun",
                    "application/json",
                    mailgun_body(event.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        assert!(app.store().suppression(&recipient).await.unwrap().is_some());
        assert_eq!(
            pending(&**app.store()).await,
            1,
            "{}: the complaint, announced once",
            app.db.backend
        );
    }
}

async fn app_with_config(db: support::TestDb) -> App {
    let state = state_with_config(db.store.clone(), config());
    App {
        router: rapport::http::router(state.clone()),
        state,
        db,
        signer: rapport::tracking::Signer::new(SECRET),
    }
}
