//! Transports that cannot be reached (docs/sending.md): while every one is down the queue
//! waits without spending attempts and sending resumes when one answers; a reload keeps
//! what was learnt about a transport that did not change; `[smtp] timeout` bounds the wait
//! for a relay that never greets. Real servers (Postfix's `smtp-sink`), SQLite and
//! PostgreSQL.

mod support;

use chrono::Utc;
use rapport::dispatch::{DispatchReport, Dispatcher};
use std::time::{Duration, Instant};
use support::delivery::{arrivals, config_with, dispatcher, outbox, queue_as};
use support::smtp_server::SmtpSink;
use support::transports::{addresses, marketing};

/// Runs batches on the wall clock (as the daemon does) until `done`, at most 60 s.
async fn send_until(d: &Dispatcher, what: &str, done: impl Fn() -> bool) -> DispatchReport {
    let started = Instant::now();
    let mut report = DispatchReport::default();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not done after 60 s: {report:?}"
        );
        if d.run_batch(Utc::now(), &mut report).await.expect("batch") == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    d.flush().await.expect("record");
    report
}

/// A port that accepts connections and never says a word (a relay behind a black hole),
/// and the task holding them open.
async fn silent() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            open.push(conn);
        }
    });
    (port, held)
}

#[tokio::test]
async fn while_every_transport_is_down_emails_wait_without_spending_attempts_and_go_out_when_one_answers()
 {
    for db in support::all_backends().await {
        // The only transport's port refuses connections until a server starts on it.
        let mut relay = SmtpSink::start(&[]);
        relay.stop();
        let cfg = config_with(
            &db.url,
            &relay.url(""),
            2,
            "\n[sending]\nfailover_after = \"1s\"\n",
            &[],
        );
        let queued = queue_as(&*db.store, &addresses("w", 6), marketing("w"), Utc::now()).await;
        let d = dispatcher(&cfg, db.store.clone());
        let mut report = send_until(&d, "down", || d.transport_up("default") == Some(false)).await;
        // Down: due emails are not claimed at all, however often the sender looks.
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            let claimed = d.run_batch(Utc::now(), &mut report).await.expect("batch");
            assert_eq!(claimed, 0, "{}: claimed while down", db.backend);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        d.flush().await.expect("record");
        assert_eq!((report.retried, report.failed), (0, 0), "{report:?}");
        assert!(report.failed_over > 0, "{report:?}");
        for row in outbox(&db).await.values() {
            assert_eq!(
                (row.status.as_str(), row.attempts),
                ("queued", 0),
                "{}: {row:?}",
                db.backend
            );
        }

        // The relay answers again: a probe notices and everything goes out once.
        relay.restart(&[]);
        send_until(&d, "resume", || relay.dumped().len() >= 6).await;
        d.close().await;
        let want: std::collections::HashMap<String, usize> =
            queued.values().map(|id| (id.clone(), 1)).collect();
        assert_eq!(arrivals(relay.dumped().iter().map(String::as_str)), want);
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "{row:?}");
        }
    }
}

/// One batch of `emails` queued emails sent through `connections` workers to a relay that
/// accepts connections and never greets (SMTP timeout 1 s): how many were claimed, how long
/// the batch took, and what it reported. Every email must be back in the queue.
async fn batch_to_a_silent_relay(
    db: &support::TestDb,
    emails: usize,
    connections: usize,
) -> (usize, Duration, DispatchReport) {
    let (port, held) = silent().await;
    let cfg = config_with(
        &db.url,
        &format!("smtp://127.0.0.1:{port}"),
        connections,
        "",
        &[("RAPPORT__SMTP__TIMEOUT", "1s")],
    );
    queue_as(
        &*db.store,
        &addresses("t", emails),
        marketing("t"),
        Utc::now(),
    )
    .await;
    let d = dispatcher(&cfg, db.store.clone());
    let started = Instant::now();
    let mut report = DispatchReport::default();
    let claimed = d.run_batch(Utc::now(), &mut report).await.expect("batch");
    d.flush().await.expect("record");
    let took = started.elapsed();
    d.close().await;
    held.abort();
    let rows = outbox(db).await;
    assert_eq!(rows.len(), emails, "{}", db.backend);
    for row in rows.values() {
        assert_eq!(row.status, "queued", "{row:?}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("unreachable")),
            "{row:?}"
        );
    }
    (claimed, took, report)
}

#[tokio::test]
async fn the_smtp_timeout_bounds_the_wait_for_a_relay_that_never_greets() {
    for db in support::all_backends().await {
        let (_, took, report) = batch_to_a_silent_relay(&db, 1, 1).await;
        // Without it the SMTP client waits 60 s for the greeting.
        assert!(took < Duration::from_secs(5), "{}: {took:?}", db.backend);
        assert_eq!(report.sent, 0, "{report:?}");
    }
}

/// The workers of a lane share its emails: the first attempt that finds the relay silent
/// marks the lane, and every email taken after it goes back untried. Tried one by one, 24
/// emails on 3 connections would wait 8 timeouts.
#[tokio::test]
async fn a_silent_relay_costs_a_batch_one_timeout_not_one_per_email() {
    for db in support::all_backends().await {
        let (claimed, took, report) = batch_to_a_silent_relay(&db, 24, 3).await;
        assert_eq!(claimed, 24, "{}", db.backend);
        assert!(took < Duration::from_secs(4), "{}: {took:?}", db.backend);
        assert_eq!(report.sent, 0, "{report:?}");
    }
}

#[tokio::test]
async fn a_reload_keeps_a_transport_that_is_down_down_and_its_emails_away_from_it() {
    for db in support::all_backends().await {
        let mut first = SmtpSink::start(&[]);
        first.stop();
        let second = SmtpSink::start(&[]);
        let toml = format!(
            "\n[sending]\nfailover_after = \"1s\"\n{}",
            support::transports::transports(&[
                ("primary", &first.url("")),
                ("backup", &second.url(""))
            ])
        );
        let cfg = config_with(&db.url, "file://unused", 2, &toml, &[]);
        queue_as(&*db.store, &addresses("a", 4), marketing("a"), Utc::now()).await;
        let before = dispatcher(&cfg, db.store.clone());
        send_until(&before, "failover", || second.dumped().len() >= 4).await;
        before.close().await;
        assert_eq!(before.transport_up("primary"), Some(false));

        // What the sender task does on SIGHUP: a dispatcher from the reloaded engine,
        // keeping what the one it replaces knew.
        let after = dispatcher(&cfg, db.store.clone()).keep_state_of(&before);
        assert_eq!(after.transport_up("primary"), Some(false), "{}", db.backend);
        queue_as(&*db.store, &addresses("b", 4), marketing("b"), Utc::now()).await;
        let report = send_until(&after, "after the reload", || second.dumped().len() >= 8).await;
        after.close().await;
        assert_eq!(
            (report.sent, report.failed_over),
            (4, 0),
            "{}: straight to the backup, no batch into the relay known to be down",
            db.backend
        );
    }
}
