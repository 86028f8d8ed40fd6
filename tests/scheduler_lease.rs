//! The scheduler lease (one replica per tick, SPEC.md "Guarantees") is given up on a graceful
//! stop: another replica can run the next tick at once instead of skipping ticks until the
//! stopped replica's lease expires (`scheduler.lease`, 5 minutes by default).

mod support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use sqlx::Row;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
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

#[tokio::test]
async fn sigterm_releases_the_scheduler_lease_for_the_other_replicas() {
    for db in support::all_backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = env!("CARGO_MANIFEST_DIR");
        let log = std::fs::File::create(dir.path().join("run.log")).expect("log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("run")
            .current_dir(root)
            .env("RAPPORT__DATABASE__URL", &db.url)
            .env(
                "RAPPORT__SMTP__URL",
                format!("file://{}/outbox", dir.path().display()),
            )
            // Port 0: any free port; this test never calls the endpoint.
            .env("RAPPORT__HTTP__BIND", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn rapport run");
        let log = || std::fs::read_to_string(dir.path().join("run.log")).unwrap_or_default();

        // The daemon runs a cycle at start, holding the lease for `scheduler.lease`.
        let started = Instant::now();
        let held_until = loop {
            if let Some((Some(_), Some(until))) = scheduler_lease(&db).await {
                break until;
            }
            assert!(
                child.try_wait().expect("poll").is_none(),
                "{}: rapport run ended:\n{}",
                db.backend,
                log()
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{}: the daemon never took the scheduler lease:\n{}",
                db.backend,
                log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(held_until > Utc::now() + TimeDelta::minutes(1));
        let now = Utc::now();
        assert!(
            !db.store
                .try_lease("scheduler", "replica-b", now, now + TimeDelta::minutes(5))
                .await
                .expect("try lease"),
            "{}: held by the running daemon",
            db.backend
        );

        // SAFETY: plain kill(2) on our own child.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let status = loop {
            if let Some(s) = child.try_wait().expect("poll") {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "{}: did not stop on SIGTERM",
                db.backend
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(status.success(), "{}: {status:?}\n{}", db.backend, log());

        assert_eq!(
            scheduler_lease(&db).await,
            Some((None, None)),
            "{}: the stopped daemon gave the lease up",
            db.backend
        );
        let now = Utc::now();
        assert!(
            db.store
                .try_lease("scheduler", "replica-b", now, now + TimeDelta::minutes(5))
                .await
                .expect("try lease"),
            "{}: another replica takes the lease at once, not after it would have expired",
            db.backend
        );
    }
}
