//! The only place SQL lives. The rest of the engine holds one [`Store`] (`Arc<dyn Store>`);
//! what it can do is split by concern into small traits, one file each, so that adding a
//! query to a concern edits that trait and one file per backend (`sqlite/<concern>.rs`,
//! `postgres/<concern>.rs`) — or only the trait's file, when the statement reads the same on
//! both backends (written once there with `$n` placeholders, bound through `dialect`).
//! Through `dyn Store` every concern's methods are callable with only `Store` in scope; code
//! that holds a concrete `SqliteStore`/`PgStore` (or is generic over a store) brings the
//! concern traits into scope with `use crate::store::prelude::*`.

mod columns;
mod consent;
mod dialect;
mod engine_state;
mod experiments;
mod experiments_programme;
mod facts;
mod facts_fold;
mod facts_merge;
mod facts_parts;
mod facts_sql;
mod import;
mod levels;
mod notifications;
mod outbox;
mod portable;
mod postgres;
mod predictions;
mod privacy;
mod products;
mod reports;
mod row_json;
mod rows;
mod sqlite;
mod suppressions;
pub(crate) mod tallies;
mod time;
mod tracking;

pub use consent::{Consent, ConsentChange, CustomerConsent};
pub use engine_state::{EngineState, LeaseRequest};
pub use experiments::{
    ArmOutcome, Experiments, GroupOutcome, OutcomeQuery, ProgrammeQuery, WinnerRecord,
};
pub use facts::{
    ContextRequest, DeliveryRef, Facts, FactsRow, FactsWindows, PlanContext, RecentEvent, Scope,
};
pub use import::{Import, ImportTx, TokenUse, UpsertCounts};
pub use levels::{CycleWrites, HistoryEntry, LevelChange, LevelCounts, Levels, NewDelivery};
pub use notifications::Notifications;
pub use outbox::{
    Activity, ActivityCheck, Claim, ClaimedDelivery, CustomerProfile, DeliveryResult,
    OccurrenceData, Outbox, OutboxCounts, SentEmail,
};
pub use postgres::PgStore;
pub use predictions::{EngagementTimes, Predictions};
pub use privacy::{CONSENT_TABLES, Erased, Erasure, Privacy};
pub use products::{Products, Suggestions};
pub use reports::{Reports, TableCounts};
pub use sqlite::SqliteStore;
pub use suppressions::{Suppression, Suppressions};
pub use tallies::TransportTally;
pub use tracking::{TrackedDelivery, Tracking};

/// The concern traits: what a caller holding an `Arc<dyn Store>` needs in scope to call it.
pub mod prelude {
    pub use super::{
        Consent, EngineState, Experiments, Facts, Import, ImportTx, Levels, Notifications, Outbox,
        Predictions, Privacy, Products, Reports, Store, Suppressions, Tracking,
    };
}

use async_trait::async_trait;
use std::sync::Arc;

/// A table whose planner statistics a bulk write can leave stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsTable {
    Customers,
    /// The cycle's levels (customer_levels): every row on a first cycle.
    CustomerLevels,
    Orders,
    Events,
    Deliveries,
}

impl StatsTable {
    pub fn name(self) -> &'static str {
        match self {
            StatsTable::Customers => "customers",
            StatsTable::CustomerLevels => "customer_levels",
            StatsTable::Orders => "orders",
            StatsTable::Events => "events",
            StatsTable::Deliveries => "deliveries",
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the cycle's bulk reads on SQLite (`sqlite::bulk`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
    /// A value read from the database that the engine cannot use (an unknown level rank,
    /// JSON that does not parse, a malformed UUID): named where it is, so that it can be
    /// repaired, instead of read as a default.
    #[error("bad value in {table}, row {row}, column {column}: {problem}")]
    Corrupt {
        table: &'static str,
        row: String,
        column: String,
        problem: String,
    },
}

/// The one object the engine holds: every concern, plus what concerns the database itself.
#[async_trait]
pub trait Store:
    Import
    + Consent
    + Suppressions
    + Facts
    + Levels
    + EngineState
    + Products
    + Predictions
    + Outbox
    + Tracking
    + Reports
    + Experiments
    + Notifications
    + Privacy
    + Send
    + Sync
{
    fn backend(&self) -> &'static str;
    /// Applies pending migrations from `migrations/<backend>`.
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;
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
