//! The engine's own rows (`engine_state`): named values such as the last cycle's watermark,
//! and the named leases by which one replica at a time runs the scheduler tick.

use super::Result;
use super::columns::Columns;
use super::dialect::Dialect;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait EngineState {
    async fn get_state(&self, name: &str) -> Result<Option<String>>;
    async fn set_state(&self, name: &str, value: &str) -> Result<()>;
    /// Takes (or renews) the named lease for `owner` until `until` when it is free, expired or
    /// already ours: how one replica at a time runs the scheduler tick.
    async fn try_lease(&self, lease: LeaseRequest<'_>) -> Result<bool>;
    /// Gives up the named lease if `owner` holds it, so another replica can take it at once
    /// (a graceful stop); false when `owner` did not hold it.
    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool>;
}

/// A request for the named lease: `owner` wants it from `now` until `until`.
#[derive(Debug, Clone, Copy)]
pub struct LeaseRequest<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

// The statements, the same on both backends (see `store::dialect`); each backend runs them in
// its own kind of transaction.

pub(crate) async fn get_state<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    name: &str,
) -> Result<Option<String>> {
    let row = sqlx::query::<DB>("SELECT value FROM engine_state WHERE name = $1")
        .bind(DB::text(name))
        .fetch_optional(db)
        .await?;
    row.map(|r| r.text(0)).transpose()
}

pub(crate) async fn set_state<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    name: &str,
    value: &str,
) -> Result<()> {
    sqlx::query::<DB>(
        "INSERT INTO engine_state (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(DB::text(name))
    .bind(DB::text(value))
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn try_lease<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    lease: LeaseRequest<'_>,
) -> Result<bool> {
    let got = sqlx::query::<DB>(include_str!("sql/try_lease.sql"))
        .bind(DB::text(lease.name))
        .bind(DB::text(lease.owner))
        .bind(DB::time(lease.until))
        .bind(DB::time(lease.now))
        .fetch_optional(db)
        .await?;
    Ok(got.is_some())
}

pub(crate) async fn release_lease<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    name: &str,
    owner: &str,
) -> Result<bool> {
    let done = sqlx::query::<DB>(
        "UPDATE engine_state SET lease_owner = NULL, lease_until = NULL \
         WHERE name = $1 AND lease_owner = $2",
    )
    .bind(DB::text(name))
    .bind(DB::text(owner))
    .execute(db)
    .await?;
    Ok(DB::rows_affected(&done) > 0)
}
