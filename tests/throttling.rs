//! Throttling is not failure (docs/sending.md): a server that answers "slow down" gets the
//! same emails again later, none of them spends an attempt, and the transport's rate falls
//! while it pushes back and recovers once it stops. Real servers (aiosmtpd answering SES's
//! `454 Throttling failure`, Postfix's `smtp-sink` answering 421), on SQLite and PostgreSQL.

mod support;

use chrono::{TimeDelta, Utc};
use rapport::dispatch::DispatchReport;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::delivery::{arrivals, batch, config, config_with, dispatcher, outbox, queue, t0};
use support::smtp_server::{CaptureOptions, CaptureServer, SmtpSink};

#[tokio::test]
async fn a_server_throttling_for_ten_seconds_loses_nothing_spends_no_attempt_and_the_rate_falls_and_recovers()
 {
    const CEILING: f64 = 20.0;
    const EMAILS: usize = 400;
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions {
            throttle_for: Some(Duration::from_secs(10)),
            ..Default::default()
        });
        let url = format!("smtp://127.0.0.1:{}", server.port);
        let cfg = config_with(
            &db.url,
            &url,
            2,
            "",
            &[("RAPPORT__SMTP__RATE_PER_SECOND", "20")],
        );
        let queued = queue(&*db.store, EMAILS, Utc::now()).await;
        let d = Arc::new(dispatcher(&cfg, db.store.clone()));
        assert_eq!(d.send_rate(), Some(CEILING));
        // The rate, every 100 ms, while the daemon's loop runs on the wall clock.
        let watching = Arc::new(AtomicBool::new(true));
        let watcher = {
            let (d, watching) = (d.clone(), watching.clone());
            tokio::spawn(async move {
                let mut rates = Vec::new();
                while watching.load(Ordering::SeqCst) {
                    rates.push(d.send_rate().unwrap_or(f64::INFINITY));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                rates
            })
        };

        let started = Instant::now();
        let mut report = DispatchReport::default();
        while server.count() < EMAILS {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{}: stuck at {} of {EMAILS}: {report:?}",
                db.backend,
                server.count()
            );
            let claimed = d.run_batch(Utc::now(), &mut report).await.expect("batch");
            if claimed == 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        d.flush().await.expect("record");
        let recovered = d.send_rate();
        d.close().await;
        watching.store(false, Ordering::SeqCst);
        let rates = watcher.await.expect("watcher");
        let lowest = rates.iter().copied().fold(CEILING, f64::min);

        assert!(report.throttled > 0, "{}: {report:?}", db.backend);
        assert_eq!(report.retried, 0, "{}: {report:?}", db.backend);
        assert_eq!(report.failed, 0, "{}: {report:?}", db.backend);
        assert_eq!(report.sent, EMAILS as u64, "{}: {report:?}", db.backend);
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        let captured = server.messages();
        assert_eq!(
            arrivals(captured.iter().map(|m| m.content.as_str())),
            want,
            "{}: each email arrived exactly once",
            db.backend
        );
        for row in outbox(&db).await.values() {
            assert_eq!(
                (row.status.as_str(), row.attempts),
                ("sent", 1),
                "{}: a throttle spends no attempt: {row:?}",
                db.backend
            );
        }
        assert!(
            lowest <= CEILING / 8.0,
            "{}: the rate fell: lowest {lowest}, {rates:?}",
            db.backend
        );
        assert_eq!(
            recovered,
            Some(CEILING),
            "{}: the rate recovered: {rates:?}",
            db.backend
        );
        // What the server accepted in the last five seconds kept to the recovered rate.
        let last = captured.iter().map(|m| m.received_at).fold(0.0, f64::max);
        let recent = captured
            .iter()
            .filter(|m| m.received_at > last - 5.0)
            .count() as f64;
        assert!(
            recent <= CEILING * 5.0 * 1.1 + CEILING,
            "{}: {recent} in 5 s",
            db.backend
        );
    }
}

#[tokio::test]
async fn service_closing_421_puts_the_email_back_without_spending_an_attempt() {
    for db in support::all_backends().await {
        // -Q DATA: 421 and hang up after every DATA command.
        let mut sink = SmtpSink::start(&["-Q", "DATA"]);
        let cfg = config(&db.url, &sink.url(""), 2);
        let now = t0();
        let queued = queue(&*db.store, 10, now).await;
        let d = dispatcher(&cfg, db.store.clone());

        let (_, report) = batch(&d, now).await;
        assert_eq!(report.throttled, 10, "{}: {report:?}", db.backend);
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("queued", 0));
            assert!(row.last_error.as_deref().unwrap_or("").contains("421"));
            assert!(
                row.next_attempt_at <= now + TimeDelta::seconds(2),
                "{row:?}"
            );
        }

        sink.restart(&[]);
        let (_, report) = batch(&d, now + TimeDelta::seconds(2)).await;
        assert_eq!(report.sent, 10, "{report:?}");
        d.close().await;
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        let dumped = sink.dumped();
        assert_eq!(
            arrivals(dumped.iter().map(String::as_str)),
            want,
            "{}",
            db.backend
        );
        assert!(outbox(&db).await.values().all(|r| r.attempts == 1));
    }
}
