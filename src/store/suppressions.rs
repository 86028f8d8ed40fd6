//! The suppression list: addresses no campaign mail goes to, with the reason.

use super::Result;
use super::columns::Columns;
use super::dialect::Dialect;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Suppressions {
    /// Adds an address to the suppression list; returns false when it was already there.
    async fn suppress(&self, suppression: Suppression<'_>) -> Result<bool>;
    /// The reason an address is suppressed, if it is.
    async fn suppression(&self, email: &str) -> Result<Option<String>>;
}

/// An address to add to the suppression list: why, which part of the engine (or which
/// provider's webhook) said so, and when.
#[derive(Debug, Clone, Copy)]
pub struct Suppression<'a> {
    pub email: &'a str,
    pub reason: &'a str,
    pub source: &'a str,
    pub at: DateTime<Utc>,
}

/// Adds an address to the suppression list on the caller's connection (or pool); false when
/// it was there.
pub(crate) async fn insert_suppression<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    s: Suppression<'_>,
) -> Result<bool> {
    let done = sqlx::query::<DB>(
        "INSERT INTO suppressions (email, reason, source, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(DB::text(s.email))
    .bind(DB::text(s.reason))
    .bind(DB::text(s.source))
    .bind(DB::time(s.at))
    .execute(db)
    .await?;
    Ok(DB::rows_affected(&done) > 0)
}

/// The reason an address is suppressed, if it is.
pub(crate) async fn suppression_reason<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    email: &str,
) -> Result<Option<String>> {
    let row = sqlx::query::<DB>("SELECT reason FROM suppressions WHERE email = $1")
        .bind(DB::text(email))
        .fetch_optional(db)
        .await?;
    row.map(|r| r.text(0)).transpose()
}
