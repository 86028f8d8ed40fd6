//! The only place SQL lives. The rest of the engine depends on the [`Store`] trait;
//! `sqlite` and `postgres` implement it, each with its own migrations and SQL.

mod postgres;
mod sqlite;
mod time;

use crate::import::{CustomerRecord, EventRecord, OrderRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
}

/// What an import batch did: rows new or changed, and rows that were already there as given.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    pub written: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.written += o.written;
        self.unchanged += o.unchanged;
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableCounts {
    pub customers: u64,
    pub orders: u64,
    pub events: u64,
    pub suppressions: u64,
}

/// One import file is one transaction: either all its good rows are stored, or none.
#[async_trait]
pub trait ImportTx: Send {
    /// Which of `ids` exist as customers (including those written earlier in this transaction).
    async fn existing_customers(&mut self, ids: &[&str]) -> Result<HashSet<String>>;
    /// Rows must have distinct ids within one call.
    async fn upsert_customers(
        &mut self,
        rows: &[CustomerRecord],
        now: DateTime<Utc>,
    ) -> Result<UpsertCounts>;
    /// Rows must have distinct ids within one call.
    async fn upsert_orders(
        &mut self,
        rows: &[OrderRecord],
        now: DateTime<Utc>,
    ) -> Result<UpsertCounts>;
    async fn insert_events(
        &mut self,
        rows: &[EventRecord],
        now: DateTime<Utc>,
    ) -> Result<UpsertCounts>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> &'static str;
    /// Applies pending migrations from `migrations/<backend>`.
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
    async fn begin_import(&self) -> Result<Box<dyn ImportTx>>;
    async fn counts(&self) -> Result<TableCounts>;
    /// Adds an address to the suppression list; returns false when it was already there.
    async fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// The reason an address is suppressed, if it is.
    async fn suppression(&self, email: &str) -> Result<Option<String>>;
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str, max_connections: u32) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, max_connections).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect(url, max_connections).await?))
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database.url scheme in `{}`: use sqlite://PATH or postgres://…",
            url.split("://").next().unwrap_or(url)
        )))
    }
}

/// Splits `rows` into chunks of at most `n`, for multi-row statements.
pub(crate) fn batches<T>(rows: &[T], n: usize) -> impl Iterator<Item = &[T]> {
    rows.chunks(n.max(1))
}
