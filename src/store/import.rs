//! Imports (files, the HTTP API, webhooks): one transaction per file or request, either all
//! its good rows are stored or none.

use super::Result;
use super::consent::ConsentChange;
use super::suppressions::Suppression;
use crate::domain::{
    ConsentEntry, CustomerRecord, EventRecord, NewNotification, OrderRecord, SingleUseToken,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

#[async_trait]
pub trait Import {
    async fn begin_import(&self) -> Result<Box<dyn ImportTx>>;
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

impl UpsertCounts {
    /// `written` of `rows` rows were new or changed; the others were there as given.
    pub(crate) fn of(rows: usize, written: u64) -> Self {
        UpsertCounts {
            written,
            unchanged: rows as u64 - written,
        }
    }
}

/// One import file is one transaction: either all its good rows are stored, or none.
#[async_trait]
pub trait ImportTx: Send {
    /// Which of `ids` exist as customers (including those written earlier in this transaction).
    /// (The `now` the write methods take is the caller's clock; the `touched_at` stamp that
    /// wakes incremental cycles is the store's own, see [`super::Facts::cycle_watermark`].)
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
        Ok(UpsertCounts::of(rows.len(), new))
    }
    /// Adds an address to the suppression list in this transaction; false when it was there.
    async fn suppress(&mut self, suppression: Suppression<'_>) -> Result<bool>;
    /// The keyed hashes of erased addresses on the suppression list (`crate::privacy`).
    async fn erased_addresses(&mut self) -> Result<HashSet<String>>;
    /// Per customer, the soft bounces stored since their last delivered, open or click event
    /// (what this transaction wrote included): `webhooks.soft_bounce_limit` counts these.
    async fn soft_bounces_in_a_row(&mut self, customers: &[String])
    -> Result<HashMap<String, u64>>;
    /// Queues `[[notify]]` outbox rows in this transaction, so they commit (or roll back)
    /// together with the change they announce. Returns how many were new.
    async fn enqueue_notifications(&mut self, rows: &[NewNotification]) -> Result<u64>;
    /// Records a provider's single-use webhook token in this transaction, so that it counts
    /// as used exactly when the events stored with it are committed; forgets expired ones.
    async fn use_webhook_token(
        &mut self,
        provider: &str,
        token: &SingleUseToken,
        now: DateTime<Utc>,
    ) -> Result<TokenUse>;
    /// Appends entries to the consent log in this transaction.
    async fn record_consent(&mut self, entries: &[ConsentEntry]) -> Result<()>;
    /// Changes the consent state on a customer's row in this transaction and wakes the
    /// next incremental cycle for them; false for an unknown customer.
    async fn change_consent(&mut self, customer_id: &str, change: ConsentChange) -> Result<bool>;
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

/// What `insert_new_events` learns batch by batch, the same on both backends: which rows
/// were new (and their seq), and which customers to touch for the next incremental cycle.
pub(crate) struct NewEvents<'r> {
    /// Customers with at least one event that can change their assessment (a customer
    /// whose only new rows were opens is not re-assessed; duplicates may over-touch, which
    /// only costs a re-assessment).
    movers: HashSet<&'r str>,
    pub new: Vec<usize>,
    pub seqs: Vec<i64>,
    pub touched: HashSet<String>,
}

impl<'r> NewEvents<'r> {
    pub(crate) fn new(rows: &'r [EventRecord]) -> Self {
        NewEvents {
            movers: rows
                .iter()
                .filter(|e| e.moves_assessment())
                .map(|e| e.customer_id.as_str())
                .collect(),
            new: Vec::new(),
            seqs: Vec::new(),
            touched: HashSet::new(),
        }
    }

    /// Takes one batch's stored rows (dedupe key, seq, customer); `keys` are the batch's
    /// keys in row order, the first of them row `offset` of the import.
    pub(crate) fn stored(
        &mut self,
        offset: usize,
        keys: &[String],
        written: impl IntoIterator<Item = (String, i64, String)>,
    ) {
        let mut seq_of: HashMap<String, i64> = HashMap::new();
        for (key, seq, customer) in written {
            seq_of.insert(key, seq);
            if self.movers.contains(customer.as_str()) {
                self.touched.insert(customer);
            }
        }
        // The first row with a key is the one stored (a repeat in the same batch is not).
        for (i, key) in keys.iter().enumerate() {
            if let Some(seq) = seq_of.remove(key) {
                self.new.push(offset + i);
                self.seqs.push(seq);
            }
        }
    }

    /// The engagement rollup's deltas of the new events.
    pub(crate) fn engagement(
        &self,
        rows: &[EventRecord],
    ) -> Vec<crate::domain::engagement::EngagementDelta> {
        crate::domain::engagement::fold(
            self.new
                .iter()
                .map(|&i| &rows[i])
                .zip(self.seqs.iter().copied()),
        )
    }
}

impl TokenUse {
    /// A token already recorded with the payload digest `seen`: a retry or a replay.
    pub(crate) fn of_seen(seen: &[u8], token: &SingleUseToken) -> Self {
        if seen == token.payload_sha256 {
            TokenUse::SamePayload
        } else {
            TokenUse::OtherPayload
        }
    }
}
