//! `run --once --now T` replays a cycle at T: T is the clock of everything it records, so a
//! sent email's `sent_at` is T (an order the day after T converts it), not the wall clock —
//! on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use support::delivery::*;

async fn sent_at(db: &support::TestDb) -> Vec<DateTime<Utc>> {
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let ms: Vec<i64> =
            sqlx::query_scalar("SELECT sent_at FROM deliveries WHERE status = 'sent'")
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        ms.into_iter()
            .map(|m| Utc.timestamp_millis_opt(m).unwrap())
            .collect()
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let at = sqlx::query_scalar("SELECT sent_at FROM deliveries WHERE status = 'sent'")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        at
    }
}

#[tokio::test]
async fn a_replayed_send_records_sent_at_as_the_replay_clock_not_the_wall_clock() {
    for db in support::all_backends().await {
        let outbox = tempfile::tempdir().unwrap();
        let cfg = config(&db.url, &format!("file://{}", outbox.path().display()), 2);
        // A month ago: the wall clock is far from it.
        let at = Utc::now() - TimeDelta::days(30);
        queue(&*db.store, 3, at).await;
        let d = dispatcher(&cfg, db.store.clone()).with_clock(at);
        let report = d.drain(at).await.expect("drain");
        d.close().await;
        assert_eq!(report.sent, 3, "{}: {report:?}", db.backend);
        let times = sent_at(&db).await;
        assert_eq!(times.len(), 3, "{}", db.backend);
        for t in times {
            assert!(
                (t - at).num_milliseconds().abs() < 1,
                "{}: sent_at {t}, replay clock {at}",
                db.backend
            );
        }
    }
}

/// The daemon on a manual clock is the same replay: what its sender records happens at the
/// clock's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_on_a_manual_clock_records_sent_at_as_that_clock() {
    for db in support::all_backends().await {
        let outbox = tempfile::tempdir().unwrap();
        let cfg = support::daemon::config(&db, &format!("file://{}", outbox.path().display()));
        let at = Utc::now() - TimeDelta::days(30);
        queue(&*db.store, 3, at).await;
        let clock = rapport::app::ManualClock::new(at);
        let daemon = support::daemon::start(&db, cfg, &clock, "replica-a").await;
        let dbr = &db;
        support::wait::until_async(
            &format!("{}: three sent", db.backend),
            std::time::Duration::from_secs(30),
            move || async move { sent_at(dbr).await.len() >= 3 },
        )
        .await;
        daemon.shutdown().await;
        for t in sent_at(&db).await {
            assert!(
                (t - at).num_milliseconds().abs() < 1,
                "{}: sent_at {t}, daemon clock {at}",
                db.backend
            );
        }
    }
}
