//! The only place SQL lives. The rest of the engine depends on the [`Store`] trait;
//! `sqlite` and `postgres` implement it, each with its own migrations and SQL.

mod cycle;
mod facts_fold;
mod facts_merge;
mod outbox;
mod postgres;
mod postgres_cycle;
mod postgres_engagement;
mod postgres_notify;
mod postgres_report;
mod postgres_tracking;
mod postgres_webhook;
mod sqlite;
mod sqlite_bulk;
mod sqlite_cycle;
mod sqlite_engagement;
mod sqlite_notify;
mod sqlite_report;
mod sqlite_tracking;
mod sqlite_webhook;
mod suggestions;
mod time;

pub use cycle::{
    ContextRequest, DeliveryRef, FactsRow, FactsWindows, HistoryEntry, LevelChange, LevelCounts,
    NewDelivery, PlanContext, Scope,
};
pub use outbox::{ClaimedDelivery, CustomerProfile, DeliveryResult, OccurrenceData, OutboxCounts};
pub use suggestions::Suggestions;

/// A table whose planner statistics a bulk write can leave stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsTable {
    Customers,
    Orders,
    Events,
    Deliveries,
}

impl StatsTable {
    pub fn name(self) -> &'static str {
        match self {
            StatsTable::Customers => "customers",
            StatsTable::Orders => "orders",
            StatsTable::Events => "events",
            StatsTable::Deliveries => "deliveries",
        }
    }
}

use crate::domain::{CustomerRecord, EventRecord, OrderRecord};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the cycle's bulk reads on SQLite (`sqlite_bulk`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// (The `now` the write methods take is the caller's clock; the `touched_at` stamp that
    /// wakes incremental cycles is the store's own, see [`Store::cycle_watermark`].)
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
    /// Stores events (once per dedupe key; an event already stored is left as it is), adds
    /// the suppressions they imply, and folds the new ones into the per-delivery engagement
    /// rollup the report reads (report::engagement). Returns the indexes in `rows` of the
    /// events that were new — what notifications may announce.
    async fn insert_new_events(
        &mut self,
        rows: &[EventRecord],
        now: DateTime<Utc>,
    ) -> Result<Vec<usize>>;
    /// [`ImportTx::insert_new_events`], counted.
    async fn insert_events(
        &mut self,
        rows: &[EventRecord],
        now: DateTime<Utc>,
    ) -> Result<UpsertCounts> {
        let new = self.insert_new_events(rows, now).await?.len() as u64;
        Ok(UpsertCounts {
            written: new,
            unchanged: rows.len() as u64 - new,
        })
    }
    /// Adds an address to the suppression list in this transaction; false when it was there.
    async fn suppress(
        &mut self,
        email: &str,
        reason: &str,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Per customer, the soft bounces stored since their last delivered, open or click event
    /// (what this transaction wrote included): `webhooks.soft_bounce_limit` counts these.
    async fn soft_bounces_in_a_row(&mut self, customers: &[String])
    -> Result<HashMap<String, u64>>;
    /// Queues `[[notify]]` outbox rows in this transaction, so they commit (or roll back)
    /// together with the change they announce. Returns how many were new.
    async fn enqueue_notifications(
        &mut self,
        rows: &[crate::domain::NewNotification],
    ) -> Result<u64>;
    /// Records a provider's single-use webhook token in this transaction, so that it counts
    /// as used exactly when the events stored with it are committed; forgets expired ones.
    async fn use_webhook_token(
        &mut self,
        provider: &str,
        token: &crate::domain::SingleUseToken,
        now: DateTime<Utc>,
    ) -> Result<TokenUse>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// What recording a single-use webhook token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// First use: recorded (and committed with the events).
    New,
    /// Already used with the same payload, whose events are therefore stored: a retry.
    SamePayload,
    /// Already used with another payload: a replay of the signature.
    OtherPayload,
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

    // --- the assess + plan cycle ---
    /// Margin within the window per customer (0 for customers without orders), for tiers.
    async fn margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>>;
    /// Streams the facts of the customers in `scope`, ordered by id, in chunks.
    fn facts_chunks(
        &self,
        scope: Scope,
        windows: FactsWindows,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<FactsRow>>>;
    /// The plan contexts a [`ContextRequest`] asks for, keyed by customer id.
    async fn plan_contexts(&self, req: &ContextRequest<'_>)
    -> Result<HashMap<String, PlanContext>>;
    /// Writes changed levels (with history) and queues deliveries (idempotent per
    /// customer+campaign+occurrence); returns how many deliveries were new.
    async fn apply_cycle(
        &self,
        changes: &[LevelChange],
        deliveries: &[NewDelivery],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        self.apply_cycle_notifying(changes, deliveries, &[], at)
            .await
    }
    /// [`Store::apply_cycle`] that also queues the `level_changed` notifications announcing
    /// the changes, in the same transaction: they exist exactly when the levels were written.
    async fn apply_cycle_notifying(
        &self,
        changes: &[LevelChange],
        deliveries: &[NewDelivery],
        notifications: &[crate::domain::NewNotification],
        at: DateTime<Utc>,
    ) -> Result<u64>;
    async fn level_counts(&self, now: DateTime<Utc>) -> Result<LevelCounts>;
    async fn level_history(&self, customer_id: &str) -> Result<Vec<HistoryEntry>>;
    async fn get_state(&self, name: &str) -> Result<Option<String>>;
    async fn set_state(&self, name: &str, value: &str) -> Result<()>;
    /// Called by a cycle before it reads any facts: the watermark the next incremental cycle
    /// may start from. Every write this cycle cannot see (one still open now, or any later
    /// one) stamps `touched_at` at or after it, so nothing is missed by incremental cycles.
    /// `None`: no safe instant could be had (SQLite: a long write held the lock); keep the
    /// previous watermark.
    async fn cycle_watermark(&self) -> Result<Option<DateTime<Utc>>>;

    // --- the outbox ---
    /// Claims up to `limit` due deliveries (queued and due, or with an expired lease).
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
    ) -> Result<Vec<ClaimedDelivery>>;
    /// Records results of a claim made as `owner`. Fenced: a row whose lease was taken over by
    /// another claim (this worker outlived its lease) is left alone, so a late result never
    /// overwrites a newer one.
    async fn record_results(
        &self,
        results: &[DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Orders (by id) and complaints (by event seq) named by occurrences.
    async fn occurrence_data(
        &self,
        order_ids: &[String],
        complaint_seqs: &[i64],
    ) -> Result<HashMap<String, OccurrenceData>>;
    async fn outbox_counts(&self) -> Result<Vec<OutboxCounts>>;
    /// Deliveries still queued or in flight.
    async fn pending_deliveries(&self) -> Result<u64>;
    async fn customer(&self, id: &str) -> Result<Option<CustomerProfile>>;
    /// Takes (or renews) the named lease for `owner` until `until` when it is free, expired or
    /// already ours: how one replica at a time runs the scheduler tick.
    /// Recomputes co-purchase counts (full cycles).
    async fn refresh_product_pairs(&self) -> Result<()>;
    /// After a bulk write (an import, a cycle that changed many levels or queued many
    /// deliveries): refresh the planner statistics and visibility map of `tables` (VACUUM
    /// (ANALYZE) on PostgreSQL), so the next statements plan for the data as it is now and
    /// index-only scans stay index-only — without waiting for autovacuum, which may be off or
    /// behind (a no-op where the database keeps no such state the engine depends on).
    async fn refresh_statistics(&self, tables: &[StatsTable]) -> Result<()> {
        let _ = tables;
        Ok(())
    }
    /// Up to `per_customer` products each customer has not bought, most co-purchased first.
    async fn suggestions(
        &self,
        customer_ids: &[String],
        per_customer: usize,
    ) -> Result<Suggestions>;
    async fn try_lease(
        &self,
        name: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives up the named lease if `owner` holds it, so another replica can take it at once
    /// (a graceful stop); false when `owner` did not hold it.
    async fn release_lease(&self, name: &str, owner: &str) -> Result<bool>;

    // --- the HTTP endpoint: tracking links, unsubscribe, surveys, webhook correlation ---
    /// The deliveries with these ids that exist, with what a tracking hit needs.
    async fn tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>>;
    /// Deliveries by their Message-ID header as sent (with angle brackets), for webhooks.
    async fn deliveries_by_message_id(
        &self,
        message_ids: &[String],
    ) -> Result<HashMap<String, TrackedDelivery>>;
    /// Provider message id → (customer, delivery) of the earliest stored event of that
    /// provider's message: for events that carry nothing else we can correlate by.
    async fn owners_by_provider_message(
        &self,
        provider: &str,
        ids: &[String],
    ) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>>;
    /// Email address → customer id (the lowest id when several customers share an address).
    async fn customers_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>>;
    /// Sets `data.comment` on the stored event with this dedupe key; false when there is none.
    async fn add_event_comment(&self, dedupe_key: &str, comment: &str) -> Result<bool>;

    // --- reports (issue 8) ---
    /// Per-campaign figures of `rapport report` (set-based: a few aggregate queries).
    async fn report(
        &self,
        filter: &crate::domain::report::ReportFilter,
    ) -> Result<Vec<crate::domain::report::CampaignReport>>;
    /// Level changes in `[since, until)` by (from, to), with the mean time at `from` before.
    async fn level_movement(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<crate::domain::LevelMovement>;

    // --- notifications to other systems (issue 8) ---
    /// Stores notifications (one row per event and endpoint; see `notify::fan_out`) for the
    /// worker to POST; returns how many were new.
    async fn enqueue_notifications(&self, rows: &[crate::domain::NewNotification]) -> Result<u64>;
    /// Claims up to `limit` due notifications for the named endpoints, with a lease.
    async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
        endpoints: &[String],
    ) -> Result<Vec<crate::domain::ClaimedNotification>>;
    /// Records what became of claimed notifications (ignored where the lease is no longer ours).
    async fn record_notifications(
        &self,
        results: &[crate::domain::NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn notification_counts(&self) -> Result<crate::domain::NotificationCounts>;
}

/// A sent (or queued) delivery as the HTTP endpoint sees it: who it went to, and the click
/// targets as sent, in link-index order.
#[derive(Debug, Clone)]
pub struct TrackedDelivery {
    pub id: uuid::Uuid,
    pub customer_id: String,
    pub email: String,
    pub locale: String,
    pub campaign: String,
    pub message_id: String,
    pub links: Vec<String>,
    pub sent_at: Option<DateTime<Utc>>,
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
