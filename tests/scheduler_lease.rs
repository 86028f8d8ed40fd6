//! The scheduler lease (one replica per tick; docs/architecture.md, "The outbox and its guarantees") is given up on a graceful
//! stop: another replica can run the next tick at once instead of skipping ticks until the
//! stopped replica's lease expires (`scheduler.lease`, 5 minutes by default).
//!
//! The replicas run in-process (`rapport::app::Application`) on a manual clock: the test
//! moves the clock to the next tick instead of waiting for it. `tests/daemon.rs` stops the
//! real binary with SIGTERM, which calls the same stop.

mod support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rapport::app::{ManualClock, SCHEDULER_LEASE};
use rapport::store::LeaseRequest;
use sqlx::Row;
use support::TestDb;

/// (owner, until) of the scheduler lease row, if the row exists.
async fn scheduler_lease(db: &TestDb) -> Option<(Option<String>, Option<DateTime<Utc>>)> {
    const SQL: &str = "SELECT lease_owner, lease_until FROM engine_state WHERE name = 'scheduler'";
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url)
            .await
            .expect("open sqlite");
        let row = sqlx::query(SQL).fetch_optional(&pool).await.expect("read");
        pool.close().await;
        row.map(|r| {
            let until: Option<i64> = r.get(1);
            (
                r.get(0),
                until.and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
            )
        })
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("open postgres");
        let row = sqlx::query(SQL).fetch_optional(&pool).await.expect("read");
        pool.close().await;
        row.map(|r| (r.get(0), r.get(1)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_releases_the_scheduler_lease_for_the_other_replicas() {
    for db in support::all_backends().await {
        let outbox = tempfile::tempdir().expect("tempdir");
        let cfg = support::daemon::config(&db, &format!("file://{}", outbox.path().display()));
        let lease = cfg.scheduler.lease.chrono();
        let t0 = support::delivery::t0();
        let clock = ManualClock::new(t0);

        // Replica A runs a cycle at start, holding the lease for `scheduler.lease`.
        let a = support::daemon::start(&db, cfg.clone(), &clock, "replica-a").await;
        support::daemon::ticked(&a, 1).await;
        assert_eq!(
            scheduler_lease(&db).await,
            Some((Some("replica-a".into()), Some(t0 + lease))),
            "{}: held by the daemon that ticked",
            db.backend
        );
        // Replica B ticks too, and skips the cycle: the lease is A's.
        let b = support::daemon::start(&db, cfg, &clock, "replica-b").await;
        support::daemon::ticked(&b, 1).await;
        assert_eq!(
            scheduler_lease(&db).await.and_then(|(owner, _)| owner),
            Some("replica-a".into()),
            "{}: B did not take A's live lease",
            db.backend
        );

        a.shutdown().await;
        assert_eq!(
            scheduler_lease(&db).await,
            Some((None, None)),
            "{}: the stopped daemon gave the lease up",
            db.backend
        );
        // B's next tick, a minute later (the shipped tick), takes the lease at once, not
        // after A's would have expired.
        clock.advance(TimeDelta::minutes(1));
        support::daemon::ticked(&b, 2).await;
        assert_eq!(
            scheduler_lease(&db).await,
            Some((
                Some("replica-b".into()),
                Some(t0 + TimeDelta::minutes(1) + lease)
            )),
            "{}: the other replica took the lease on its next tick",
            db.backend
        );
        b.shutdown().await;
        let now = Utc::now();
        assert!(
            db.store
                .try_lease(LeaseRequest {
                    name: SCHEDULER_LEASE,
                    owner: "replica-c",
                    now,
                    until: now + lease
                })
                .await
                .expect("try lease"),
            "{}: free again after B stopped",
            db.backend
        );
    }
}
