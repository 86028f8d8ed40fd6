//! Notifications to other systems: POSTed to a local receiver, signed and verifiable,
//! retried after a 500, and nothing lost when a worker stops mid-way — on both backends.

mod support;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeDelta, Utc};
use rapport::config::NotifyConfig;
use rapport::notify::{self, Notification, NotifyEvent, RetryPolicy, Worker, WorkerOptions};
use rapport::store::Claim;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec-test-secret";

#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(HeaderMap, String)>>,
    fail_first: AtomicUsize,
}

struct Receiver {
    url: String,
    seen: Arc<Seen>,
}

impl Receiver {
    fn requests(&self) -> Vec<(HeaderMap, String)> {
        self.seen.requests.lock().unwrap().clone()
    }

    /// Event ids of the requests answered 2xx, with how often each arrived.
    fn accepted_ids(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (h, body) in self.requests() {
            if h.get("x-test-answered").is_none() {
                let v: Value = serde_json::from_str(&body).unwrap();
                *m.entry(v["id"].as_str().unwrap().to_string()).or_default() += 1;
            }
        }
        m
    }
}

async fn hook(State(seen): State<Arc<Seen>>, mut headers: HeaderMap, body: String) -> StatusCode {
    let fail = seen
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        headers.insert("x-test-answered", "500".parse().unwrap());
    }
    seen.requests.lock().unwrap().push((headers, body));
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A tiny HTTP receiver on a free port that answers 500 to its first `fail_first` requests.
async fn receiver(fail_first: usize) -> Receiver {
    let seen = Arc::new(Seen::default());
    seen.fail_first.store(fail_first, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hook"),
        seen,
    }
}

fn endpoint(url: &str, events: &[&str]) -> NotifyConfig {
    NotifyConfig {
        name: "crm".into(),
        url: url.into(),
        events: events.iter().map(|s| s.to_string()).collect(),
        secret: Some(SECRET.to_string().into()),
    }
}

fn options(batch: u32) -> WorkerOptions {
    WorkerOptions {
        batch,
        concurrency: 4,
        lease: TimeDelta::minutes(2),
        timeout: Duration::from_secs(5),
        poll: Duration::from_millis(20),
        retry: RetryPolicy {
            waits: vec![Duration::from_secs(10), Duration::from_secs(30)],
            jitter: 0.0,
        },
    }
}

fn note(event: NotifyEvent, customer: &str, now: DateTime<Utc>) -> Notification {
    Notification {
        event,
        customer_id: customer.into(),
        occurred_at: now,
        data: json!({"score": 9}),
    }
}

#[tokio::test]
async fn notifications_arrive_signed_and_only_for_subscribed_events() {
    for db in support::all_backends().await {
        let rx = receiver(0).await;
        let eps = [endpoint(&rx.url, &["survey_response", "complaint"])];
        let now = Utc::now();
        let written = notify::enqueue(
            &*db.store,
            &eps,
            &[
                note(NotifyEvent::SurveyResponse, "c1", now),
                note(NotifyEvent::LevelChanged, "c1", now),
                note(NotifyEvent::Complaint, "c2", now),
            ],
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            written, 2,
            "{}: level_changed was not asked for",
            db.backend
        );
        let w = Worker::with_options(db.store.clone(), &eps, options(10));
        let pass = w.drain(now).await.unwrap();
        assert_eq!((pass.delivered, pass.retried), (2, 0), "{}", db.backend);
        let reqs = rx.requests();
        assert_eq!(reqs.len(), 2);
        let mut events = Vec::new();
        for (h, body) in &reqs {
            let sig = h["x-rapport-signature"].to_str().unwrap();
            let ts: i64 = h["x-rapport-timestamp"].to_str().unwrap().parse().unwrap();
            assert!(sig.starts_with(&format!("t={ts},v1=")), "{sig}");
            assert!(
                notify::signature::verify(
                    SECRET.as_bytes(),
                    sig,
                    body.as_bytes(),
                    Utc::now().timestamp(),
                    300
                ),
                "{}: signature does not verify",
                db.backend
            );
            assert!(!notify::signature::verify(
                b"wrong",
                sig,
                body.as_bytes(),
                Utc::now().timestamp(),
                300
            ));
            assert_eq!(h["content-type"], "application/json");
            let v: Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                h["x-rapport-event"].to_str().unwrap(),
                v["event"].as_str().unwrap()
            );
            events.push(v["event"].as_str().unwrap().to_string());
        }
        events.sort();
        assert_eq!(events, ["complaint", "survey_response"]);
        let c = db.store.notification_counts().await.unwrap();
        assert_eq!((c.pending, c.delivered), (0, 2), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_500_is_retried_after_the_backoff_and_then_delivered_once() {
    for db in support::all_backends().await {
        let rx = receiver(1).await;
        let eps = [endpoint(&rx.url, &["complaint"])];
        let now = Utc::now();
        notify::enqueue(
            &*db.store,
            &eps,
            &[note(NotifyEvent::Complaint, "c1", now)],
            now,
        )
        .await
        .unwrap();
        let w = Worker::with_options(db.store.clone(), &eps, options(10));
        let first = w.run_once(now).await.unwrap();
        assert_eq!((first.claimed, first.retried), (1, 1), "{}", db.backend);
        let early = w.run_once(now + TimeDelta::seconds(5)).await.unwrap();
        assert_eq!(early.claimed, 0, "{}: not before the backoff", db.backend);
        let later = w.run_once(now + TimeDelta::seconds(11)).await.unwrap();
        assert_eq!(later.delivered, 1, "{}", db.backend);
        let reqs = rx.requests();
        assert_eq!(reqs.len(), 2);
        assert_eq!(
            reqs[0].1, reqs[1].1,
            "{}: the retry posts the same body",
            db.backend
        );
        assert_eq!(
            rx.accepted_ids().values().copied().collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(db.store.notification_counts().await.unwrap().delivered, 1);
    }
}

#[tokio::test]
async fn an_endpoint_that_never_answers_is_given_up_after_the_last_attempt() {
    for db in support::all_backends().await {
        // A port bound but never listening, so nobody else takes it: connection refused,
        // a network error.
        let (_reserved, port) = support::smtp_server::refused_port();
        let url = format!("http://127.0.0.1:{port}/hook");
        let eps = [endpoint(&url, &["unsubscribed"])];
        let now = Utc::now();
        notify::enqueue(
            &*db.store,
            &eps,
            &[note(NotifyEvent::Unsubscribed, "c1", now)],
            now,
        )
        .await
        .unwrap();
        let w = Worker::with_options(db.store.clone(), &eps, options(10));
        let p1 = w.run_once(now).await.unwrap();
        let p2 = w.run_once(now + TimeDelta::seconds(11)).await.unwrap();
        let p3 = w.run_once(now + TimeDelta::seconds(60)).await.unwrap();
        assert_eq!(
            (p1.retried, p2.retried, p3.failed),
            (1, 1, 1),
            "{}",
            db.backend
        );
        let c = db.store.notification_counts().await.unwrap();
        assert_eq!((c.pending, c.failed), (0, 1), "{}", db.backend);
    }
}

#[tokio::test]
async fn nothing_is_lost_when_a_worker_stops_mid_way_and_another_starts() {
    for db in support::all_backends().await {
        let rx = receiver(0).await;
        let eps = [endpoint(&rx.url, &["level_changed"])];
        let now = Utc::now();
        let batch: Vec<Notification> = (0..10)
            .map(|i| note(NotifyEvent::LevelChanged, &format!("c{i}"), now))
            .collect();
        assert_eq!(
            notify::enqueue(&*db.store, &eps, &batch, now)
                .await
                .unwrap(),
            10
        );

        // The first worker delivers one batch of 3, then stops.
        let first = Worker::with_options(db.store.clone(), &eps, options(3));
        assert_eq!(
            first.run_once(now).await.unwrap().delivered,
            3,
            "{}",
            db.backend
        );
        drop(first);
        // A worker that crashed after claiming 2 and before posting them.
        let lost = db
            .store
            .claim_notifications(
                Claim {
                    now,
                    limit: 2,
                    lease: TimeDelta::minutes(2),
                    owner: "crashed",
                },
                &["crm".into()],
            )
            .await
            .unwrap();
        assert_eq!(lost.len(), 2);

        // After the restart a new worker takes everything not leased now, and the crashed
        // worker's rows once their lease ran out.
        let second = Worker::with_options(db.store.clone(), &eps, options(3));
        assert_eq!(
            second.drain(now).await.unwrap().delivered,
            5,
            "{}",
            db.backend
        );
        let after_lease = now + TimeDelta::minutes(2) + TimeDelta::seconds(1);
        assert_eq!(
            second.drain(after_lease).await.unwrap().delivered,
            2,
            "{}",
            db.backend
        );

        let ids = rx.accepted_ids();
        assert_eq!(ids.len(), 10, "{}: every notification arrived", db.backend);
        assert!(
            ids.values().all(|&n| n == 1),
            "{}: each once: {ids:?}",
            db.backend
        );
        let c = db.store.notification_counts().await.unwrap();
        assert_eq!((c.pending, c.delivered), (0, 10), "{}", db.backend);
    }
}

#[tokio::test]
async fn the_daemon_loop_delivers_in_the_background_and_stops_on_request() {
    let db = support::sqlite().await;
    let rx = receiver(0).await;
    let eps = [endpoint(&rx.url, &["complaint"])];
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(Worker::with_options(db.store.clone(), &eps, options(10)).run(stop_rx));
    let now = Utc::now();
    notify::enqueue(
        &*db.store,
        &eps,
        &[note(NotifyEvent::Complaint, "c1", now)],
        now,
    )
    .await
    .unwrap();
    for _ in 0..200 {
        if !rx.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rx.requests().len(), 1);
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_first_assessment_announces_nothing_and_a_later_climb_enqueues_level_changed() {
    use rapport::domain::{CustomerId, EventKind};
    use rapport::import::{CustomerRecord, EventRecord, RecordDefaults, Row};
    for db in support::all_backends().await {
        let rx = receiver(0).await;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
        let mut cfg =
            rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
        cfg.paths.campaigns = concat!(env!("CARGO_MANIFEST_DIR"), "/config/campaigns").into();
        cfg.paths.templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
        cfg.notify = vec![endpoint(&rx.url, &["level_changed"])];
        let now: DateTime<Utc> = "2026-11-25T09:00:00Z".parse().unwrap();
        let d = RecordDefaults::from_config(&cfg, now);
        let campaigns = rapport::cli::load_campaigns(&cfg)
            .map_err(|_| "campaigns")
            .unwrap();
        let (store, cfg_ref, campaigns_ref) = (&*db.store, &cfg, &campaigns);
        let cycle = |at: DateTime<Utc>| async move {
            rapport::cycle::run(
                store,
                cfg_ref,
                campaigns_ref,
                &rapport::cycle::CycleOptions {
                    scope: rapport::store::Scope::All,
                    now: at,
                    dry_run: false,
                },
            )
            .await
        };
        let reply = |id: &str, at: DateTime<Utc>| EventRecord {
            id: Some(id.into()),
            customer_id: CustomerId::parse("c1").unwrap(),
            kind: EventKind::Reply,
            occurred_at: at,
            data: Default::default(),
            machine: false,
            delivery_id: None,
        };
        let w = Worker::with_options(db.store.clone(), &cfg.notify, options(10));

        // Imported already engaged: the first assessment finds c1 reactive. That is where c1
        // starts, not a move: a CRM told "basic → reactive" would count a climb nobody made.
        let v = json!({"id": "c1", "email": "c1@example.com"});
        let c = CustomerRecord::parse(&Row::new(v.as_object().unwrap()), &d).unwrap();
        let mut tx = db.store.begin_import().await.unwrap();
        tx.upsert_customers(&[c], now).await.unwrap();
        tx.insert_events(&[reply("r1", now - TimeDelta::days(2))], now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        cycle(now).await.unwrap();
        assert_eq!(w.drain(now).await.unwrap().delivered, 0, "{}", db.backend);

        // 200 days on the reply has expired (c1 drops to basic); a new one brings c1 back.
        let later = now + TimeDelta::days(200);
        cycle(later).await.unwrap();
        let mut tx = db.store.begin_import().await.unwrap();
        tx.insert_events(&[reply("r2", later)], later)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        cycle(later + TimeDelta::hours(1)).await.unwrap();
        assert_eq!(
            w.drain(later + TimeDelta::hours(2))
                .await
                .unwrap()
                .delivered,
            2,
            "{}",
            db.backend
        );
        let bodies: Vec<Value> = rx
            .requests()
            .iter()
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect();
        let moves: Vec<_> = bodies
            .iter()
            .map(|v| {
                assert_eq!(v["event"], "level_changed");
                assert_eq!(v["customer_id"], "c1");
                (
                    v["data"]["from"].as_str().unwrap().to_string(),
                    v["data"]["to"].as_str().unwrap().to_string(),
                    v["data"]["direction"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = |f: &str, t: &str, d: &str| (f.to_string(), t.to_string(), d.to_string());
        assert!(
            moves.contains(&expected("reactive", "basic", "drop"))
                && moves.contains(&expected("basic", "reactive", "climb")),
            "{}: {moves:?}",
            db.backend
        );
    }
}
