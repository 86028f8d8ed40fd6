//! Delivery end to end (docs/architecture.md, "The outbox and its guarantees"): deliveries queued through the store, sent by
//! a `Dispatcher` built as `rapport run` builds it, to real SMTP servers (Postfix's
//! `smtp-sink` with its fault injection, and an `aiosmtpd` capture server), on SQLite and on
//! PostgreSQL. Assertions are on what the server received and on the outbox rows.

mod support;

use chrono::TimeDelta;
use rapport::store;
use rapport::store::{Claim, Suppression};
use std::collections::{HashMap, HashSet};
use support::delivery::{
    address, arrivals, batch, config, dispatcher, message_id, outbox, queue, queue_to, t0,
};
use support::smtp_server::{CaptureOptions, CaptureServer, SmtpSink};

fn capture_url(server: &CaptureServer) -> String {
    format!("smtp://127.0.0.1:{}", server.port)
}

fn texts(dumped: &[String]) -> impl Iterator<Item = &str> {
    dumped.iter().map(String::as_str)
}

#[tokio::test]
async fn every_queued_email_is_delivered_exactly_once_to_a_capturing_server() {
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions::default());
        let cfg = config(&db.url, &capture_url(&server), 4);
        let now = t0();
        // More than one claim batch (500), over four connections.
        let queued = queue(&*db.store, 700, now).await;
        let d = dispatcher(&cfg, db.store.clone());
        let report = d.drain(now).await.expect("drain");
        d.close().await;

        assert_eq!(report.sent, 700, "{}: {report:?}", db.backend);
        let captured = server.messages();
        let got = arrivals(captured.iter().map(|m| m.content.as_str()));
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        assert_eq!(got, want, "{}: each Message-ID exactly once", db.backend);
        for m in &captured {
            let id = message_id(&m.content).expect("Message-ID");
            assert_eq!(
                queued[&m.to], id,
                "{}: sent to its own recipient",
                db.backend
            );
        }
        let rows = outbox(&db).await;
        assert!(
            rows.values().all(|r| r.status == "sent" && r.attempts == 1),
            "{}: every row sent on the first attempt",
            db.backend
        );
        assert_eq!(d.drain(now).await.expect("drain").sent, 0, "nothing twice");
    }
}

#[tokio::test]
async fn rcpt_rejected_with_4xx_is_retried_later_and_delivered_once_the_server_accepts() {
    for db in support::all_backends().await {
        let mut sink = SmtpSink::start(&["-r", "RCPT"]);
        let cfg = config(&db.url, &sink.url(""), 2);
        let now = t0();
        let queued = queue(&*db.store, 3, now).await;
        let d = dispatcher(&cfg, db.store.clone());

        let (claimed, report) = batch(&d, now).await;
        assert_eq!((claimed, report.retried), (3, 3), "{}", db.backend);
        for row in outbox(&db).await.values() {
            assert_eq!(row.status, "queued", "{}: {row:?}", db.backend);
            assert_eq!(row.attempts, 1);
            assert!(row.lease_until.is_none(), "lease released: {row:?}");
            // First step of the schedule (1 min) ± 20 % jitter.
            assert!(
                row.next_attempt_at >= now + TimeDelta::seconds(48)
                    && row.next_attempt_at <= now + TimeDelta::seconds(72),
                "{}: {row:?}",
                db.backend
            );
            assert!(row.last_error.as_deref().unwrap_or("").contains("4"));
        }
        assert_eq!(
            batch(&d, now + TimeDelta::seconds(30)).await.0,
            0,
            "not due yet"
        );

        sink.restart(&[]);
        let later = now + TimeDelta::minutes(2);
        let (claimed, report) = batch(&d, later).await;
        assert_eq!((claimed, report.sent), (3, 3), "{}", db.backend);
        d.close().await;
        let dumped = sink.dumped();
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        assert_eq!(arrivals(texts(&dumped)), want, "{}", db.backend);
        assert!(
            outbox(&db)
                .await
                .values()
                .all(|r| r.status == "sent" && r.attempts == 2)
        );
    }
}

#[tokio::test]
async fn hard_bounce_is_failed_at_once_and_suppresses_the_address() {
    for db in support::all_backends().await {
        let gone = "gone@example.org".to_string();
        let mut sink = SmtpSink::start(&[
            "-f",
            "RCPT",
            "-B",
            "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
        ]);
        let cfg = config(&db.url, &sink.url(""), 1);
        let now = t0();
        queue_to(&*db.store, std::slice::from_ref(&gone), now).await;
        let d = dispatcher(&cfg, db.store.clone());

        let (_, report) = batch(&d, now).await;
        assert_eq!(report.failed, 1, "{}: {report:?}", db.backend);
        let row = outbox(&db).await.remove(&gone).expect("row");
        assert_eq!(
            (row.status.as_str(), row.attempts),
            ("failed", 1),
            "{row:?}"
        );
        assert!(row.last_error.unwrap_or_default().contains("5.1.1"));
        let reason = db.store.suppression(&gone).await.expect("read");
        assert!(
            reason.as_deref().is_some_and(|r| r.contains("5.1.1")),
            "{}: {reason:?}",
            db.backend
        );

        // Never tried again, even once the server would accept, even days later.
        sink.restart(&[]);
        let report = d.drain(now + TimeDelta::days(3)).await.expect("drain");
        assert_eq!(report.sent + report.retried, 0, "{report:?}");
        // A delivery queued to the address afterwards is suppressed at send time.
        let later = rapport::store::NewDelivery {
            id: uuid::Uuid::now_v7(),
            customer_id: "c0".into(),
            campaign: support::delivery::CAMPAIGN.into(),
            occurrence: "eligible:2027-01-01".into(),
            service: false,
            current: rapport::domain::Level::Proactive,
            target: rapport::domain::Level::Partnership,
            send_at: now,
            message_id: "<after-bounce@shop.example>".into(),
            unless_since: None,
            variant: None,
            held_out: false,
        };
        db.store
            .apply_cycle(&[], &[later], now)
            .await
            .expect("queue");
        let report = d.drain(now + TimeDelta::days(3)).await.expect("drain");
        assert_eq!(report.suppressed, 1, "{report:?}");
        d.close().await;
        assert!(sink.dumped().is_empty(), "{}: nothing accepted", db.backend);
    }
}

#[tokio::test]
async fn mailbox_full_4_2_2_is_soft_and_retried() {
    for db in support::all_backends().await {
        let full = "full@example.org".to_string();
        let mut sink = SmtpSink::start(&[
            "-r",
            "RCPT",
            "-b",
            "452 4.2.2 <full@example.org>: Mailbox full",
        ]);
        let cfg = config(&db.url, &sink.url(""), 1);
        let now = t0();
        let queued = queue_to(&*db.store, std::slice::from_ref(&full), now).await;
        let d = dispatcher(&cfg, db.store.clone());

        let (_, report) = batch(&d, now).await;
        assert_eq!(report.retried, 1, "{}: {report:?}", db.backend);
        let row = outbox(&db).await.remove(&full).expect("row");
        assert_eq!(row.status, "queued", "{row:?}");
        assert!(row.next_attempt_at > now);
        assert!(row.last_error.unwrap_or_default().contains("4.2.2"));
        assert_eq!(db.store.suppression(&full).await.expect("read"), None);

        sink.restart(&[]);
        let (_, report) = batch(&d, now + TimeDelta::minutes(2)).await;
        assert_eq!(report.sent, 1, "{report:?}");
        d.close().await;
        assert_eq!(
            arrivals(texts(&sink.dumped())),
            HashMap::from([(queued[&full].clone(), 1)])
        );
    }
}

#[tokio::test]
async fn server_down_spends_no_attempt_and_nothing_is_lost() {
    for db in support::all_backends().await {
        let mut sink = SmtpSink::start(&[]);
        let cfg = config(&db.url, &sink.url(""), 2);
        let now = t0();
        let queued = queue(&*db.store, 6, now).await;
        let d = dispatcher(&cfg, db.store.clone());
        sink.stop();

        // A relay that cannot be reached says nothing about the emails: back to the queue,
        // due in about a second, the attempt given back (docs/sending.md, "All down").
        let (_, report) = batch(&d, now).await;
        assert_eq!(
            (report.failed_over, report.retried, report.failed),
            (6, 0, 0),
            "{}: {report:?}",
            db.backend
        );
        let later = now + TimeDelta::minutes(2);
        let (_, report) = batch(&d, later).await;
        assert_eq!(report.failed_over, 6, "{report:?}");
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("queued", 0));
            assert!(
                row.next_attempt_at <= later + TimeDelta::seconds(2),
                "{row:?}"
            );
        }

        sink.restart(&[]);
        let report = d.drain(now + TimeDelta::minutes(10)).await.expect("drain");
        assert_eq!(report.sent, 6, "{report:?}");
        d.close().await;
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        assert_eq!(arrivals(texts(&sink.dumped())), want, "{}", db.backend);
    }
}

#[tokio::test]
async fn unsubscribed_after_queueing_is_suppressed_and_not_sent() {
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions::default());
        let cfg = config(&db.url, &capture_url(&server), 2);
        let now = t0();
        queue(&*db.store, 3, now).await;
        db.store
            .suppress(Suppression {
                email: &address(1),
                reason: "unsubscribed",
                source: "unsubscribe",
                at: now,
            })
            .await
            .expect("suppress");
        let d = dispatcher(&cfg, db.store.clone());
        let report = d.drain(now).await.expect("drain");
        d.close().await;

        assert_eq!((report.sent, report.suppressed), (2, 1), "{}", db.backend);
        let rows = outbox(&db).await;
        assert_eq!(rows[&address(1)].status, "suppressed", "{}", db.backend);
        let to: HashSet<String> = server.messages().into_iter().map(|m| m.to).collect();
        assert_eq!(to, HashSet::from([address(0), address(2)]));
    }
}

#[tokio::test]
async fn every_attempt_of_a_delivery_carries_the_same_message_id() {
    for db in support::all_backends().await {
        // -r .: the whole message is received (and dumped), then refused with 450.
        let mut sink = SmtpSink::start(&["-r", "."]);
        let cfg = config(&db.url, &sink.url(""), 1);
        let now = t0();
        let queued = queue(&*db.store, 1, now).await;
        let d = dispatcher(&cfg, db.store.clone());

        assert_eq!(batch(&d, now).await.1.retried, 1);
        assert_eq!(batch(&d, now + TimeDelta::minutes(2)).await.1.retried, 1);
        sink.restart(&[]);
        assert_eq!(batch(&d, now + TimeDelta::minutes(10)).await.1.sent, 1);
        d.close().await;

        let dumped = sink.dumped();
        assert_eq!(dumped.len(), 3, "{}: three attempts arrived", db.backend);
        let ids: Vec<Option<String>> = dumped.iter().map(|t| message_id(t)).collect();
        assert_eq!(
            ids,
            vec![Some(queued[&address(0)].clone()); 3],
            "{}",
            db.backend
        );
        let row = outbox(&db).await.remove(&address(0)).expect("row");
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 3));
        assert_eq!(row.message_id, queued[&address(0)]);
    }
}

#[tokio::test]
async fn two_workers_claiming_at_once_get_disjoint_deliveries_and_a_live_lease_is_never_taken() {
    for db in support::all_backends().await {
        let now = t0();
        let queued = queue(&*db.store, 900, now).await;
        // A second connection pool: what a second process (or replica) would have.
        let other = store::connect(&db.url, 4).await.expect("second store");
        let lease = TimeDelta::minutes(5);
        let (a, b) = tokio::join!(
            db.store.claim_due(Claim {
                now,
                limit: 400,
                lease,
                owner: "worker-a"
            }),
            other.claim_due(Claim {
                now,
                limit: 400,
                lease,
                owner: "worker-b"
            }),
        );
        let a: HashSet<_> = a.expect("claim a").into_iter().map(|d| d.id).collect();
        let b: HashSet<_> = b.expect("claim b").into_iter().map(|d| d.id).collect();
        assert_eq!((a.len(), b.len()), (400, 400), "{}", db.backend);
        assert!(a.is_disjoint(&b), "{}: a row claimed twice", db.backend);

        // While the leases live, only the 100 never-claimed rows can be taken.
        let c: HashSet<_> = other
            .claim_due(Claim {
                now: now + TimeDelta::minutes(4),
                limit: 900,
                lease,
                owner: "worker-c",
            })
            .await
            .expect("claim c")
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(c.len(), 100, "{}", db.backend);
        assert!(c.is_disjoint(&a) && c.is_disjoint(&b));

        // Once a's and b's leases have expired (their workers died), their rows come back.
        let d: HashSet<_> = db
            .store
            .claim_due(Claim {
                now: now + lease + TimeDelta::seconds(1),
                limit: 900,
                lease,
                owner: "worker-d",
            })
            .await
            .expect("claim d")
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(d, &a | &b, "{}", db.backend);
        assert_eq!(queued.len(), 900);
    }
}

#[tokio::test]
async fn two_dispatchers_draining_one_outbox_send_each_email_once() {
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions::default());
        let now = t0();
        let queued = queue(&*db.store, 1200, now).await;
        let cfg = config(&db.url, &capture_url(&server), 3);
        let other = store::connect(&db.url, 4).await.expect("second store");
        let (d1, d2) = (dispatcher(&cfg, db.store.clone()), dispatcher(&cfg, other));
        let (r1, r2) = tokio::join!(d1.drain(now), d2.drain(now));
        let (r1, r2) = (r1.expect("drain 1"), r2.expect("drain 2"));
        d1.close().await;
        d2.close().await;
        assert_eq!(r1.sent + r2.sent, 1200, "{}: {r1:?} {r2:?}", db.backend);
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        let got = arrivals(server.messages().iter().map(|m| m.content.as_str()));
        assert_eq!(got, want, "{}", db.backend);
    }
}

#[tokio::test]
async fn a_worker_that_outlived_its_lease_cannot_overwrite_the_newer_claims_result() {
    for db in support::all_backends().await {
        let now = t0();
        let who = "late@example.org".to_string();
        queue_to(&*db.store, std::slice::from_ref(&who), now).await;
        let lease = TimeDelta::minutes(1);
        let first = db
            .store
            .claim_due(Claim {
                now,
                limit: 10,
                lease,
                owner: "slow-worker",
            })
            .await
            .expect("claim");
        assert_eq!(first.len(), 1);
        // The first worker stalls past its lease; a second claim takes the row and sends it.
        let later = now + TimeDelta::minutes(2);
        let second = db
            .store
            .claim_due(Claim {
                now: later,
                limit: 10,
                lease,
                owner: "fast-worker",
            })
            .await
            .expect("claim");
        assert_eq!(
            second.len(),
            1,
            "{}: an expired lease is claimable",
            db.backend
        );
        let id = second[0].id;
        db.store
            .record_results(
                &[store::DeliveryResult::Sent {
                    id,
                    links: vec![],
                    transport: None,
                }],
                "fast-worker",
                later,
            )
            .await
            .expect("record");
        // The stale worker finally reports a temporary failure: it must change nothing.
        let stale = store::DeliveryResult::Retry {
            id,
            next_attempt_at: later,
            error: "451 late".into(),
        };
        db.store
            .record_results(&[stale], "slow-worker", later)
            .await
            .expect("record");
        let row = outbox(&db).await.remove(&who).expect("row");
        assert_eq!(row.status, "sent", "{}: {row:?}", db.backend);
    }
}
