//! Shared test support: a fresh database per test on each backend.
//!
//! PostgreSQL tests use `RAPPORT_TEST_DATABASE_URL` (a server URL; each test creates its own
//! database on it). Without it they are skipped with a printed reason — except under
//! `CI=true`, where a missing PostgreSQL is a failure, never a silent skip.
#![allow(dead_code)]

pub mod daemon;
pub mod delivery;
pub mod dkim_keys;
pub mod email_checks;
pub mod experiments;
pub mod import;
pub mod process;
pub mod smtp_server;
pub mod tools;
pub mod transports;
pub mod wait;

use rapport::store::{self, Store};
use std::sync::Arc;

pub struct TestDb {
    pub backend: &'static str,
    pub url: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    /// (server URL, database name) of a PostgreSQL test database to drop afterwards.
    drop_db: Option<(String, String)>,
}

pub async fn sqlite() -> TestDb {
    let db = sqlite_unmigrated().await;
    db.store.migrate().await.expect("migrate sqlite");
    db
}

/// A fresh SQLite database with no tables yet (a migration's test migrates it).
pub async fn sqlite_unmigrated() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/rapport.db", dir.path().display());
    let store = store::connect(&url, 4).await.expect("open sqlite");
    TestDb {
        backend: "sqlite",
        url,
        store,
        _dir: Some(dir),
        drop_db: None,
    }
}

/// A fresh PostgreSQL database, or None (with a printed reason) when none is configured.
pub async fn postgres() -> Option<TestDb> {
    let db = postgres_unmigrated().await?;
    db.store.migrate().await.expect("migrate postgres");
    Some(db)
}

/// A fresh PostgreSQL database with no tables yet, or None as for [`postgres`].
pub async fn postgres_unmigrated() -> Option<TestDb> {
    let base = match std::env::var("RAPPORT_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but RAPPORT_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI"
                );
            }
            eprintln!(
                "skipping PostgreSQL: set RAPPORT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
            );
            return None;
        }
    };
    let name = format!("rapport_t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to RAPPORT_TEST_DATABASE_URL ({base}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let url = match base.rsplit_once('/') {
        Some((server, _db)) => format!("{server}/{name}"),
        None => panic!("RAPPORT_TEST_DATABASE_URL must end with /DATABASE"),
    };
    // Five: a full cycle streams its facts and deliveries on four while it writes on one.
    let store = store::connect(&url, 5).await.expect("open postgres");
    Some(TestDb {
        backend: "postgres",
        url,
        store,
        _dir: None,
        drop_db: Some((base, name)),
    })
}

impl Drop for TestDb {
    /// Drops the test's PostgreSQL database (WITH FORCE: the test's pool may still be open),
    /// so repeated runs do not pile databases up. Best effort: a failure only leaves it behind.
    fn drop(&mut self) {
        let Some((base, name)) = self.drop_db.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = sqlx::PgPool::connect(&base).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin)
                .await
                .ok()
            })
        })
        .join();
    }
}

/// SQLite always, PostgreSQL when available.
pub async fn all_backends() -> Vec<TestDb> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    }
    v
}

/// [`all_backends`] with no tables yet.
pub async fn all_backends_unmigrated() -> Vec<TestDb> {
    let mut v = vec![sqlite_unmigrated().await];
    if let Some(pg) = postgres_unmigrated().await {
        v.push(pg);
    }
    v
}

/// Rebuilds the per-delivery engagement rollup (`delivery_engagement`) from the stored events
/// with migration 0011's backfill statement: what the report says when it counts the events
/// themselves, to compare with the rollup the writes maintained.
pub async fn recount_engagement(db: &TestDb) {
    fn backfill(migration: &'static str) -> &'static str {
        let start = migration
            .find("INSERT INTO delivery_engagement")
            .expect("the backfill");
        &migration[start..start + migration[start..].find(';').expect("its end")]
    }
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("DELETE FROM delivery_engagement")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(backfill(include_str!(
            "../../migrations/sqlite/0011_delivery_engagement.sql"
        )))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("DELETE FROM delivery_engagement")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(backfill(include_str!(
            "../../migrations/postgres/0011_delivery_engagement.sql"
        )))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        pool.close().await;
    }
}
