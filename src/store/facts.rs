//! What the assess + plan cycle reads: each customer's facts, streamed, and the plan
//! context of those the planner looks at. SQL aggregates, Rust decides.

use super::Result;
use crate::conditions::Needs;
use crate::domain::{ConditionExtras, CustomerFacts, Level, OrderSummary};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The order summaries of [`Facts::order_summaries`], a batch at a time; an error ends them.
pub type OrderSummaries = tokio::sync::mpsc::Receiver<Result<Vec<OrderSummary>>>;

#[async_trait]
pub trait Facts {
    /// Margin within the window per customer (0 for customers without orders), for tiers.
    async fn margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>>;
    /// Every customer's orders summed up exactly as the facts stream sums them (every order,
    /// no window), for the tiers of `strategy.rank_by = "predicted_value"`, and the number of
    /// customers (those without orders rank at 0). One pass over the orders' covering index,
    /// in place of [`Facts::margins`]. The summaries arrive in batches through the channel
    /// (bounded: ~650,000 of them at 1M customers need not be held at once).
    async fn order_summaries(&self) -> Result<(OrderSummaries, u64)>;
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
    /// What the conditions of the campaigns due for `ids` read beyond the facts, looked up
    /// only for the parts `needs` names (each costs a read of its own, one per kind of
    /// lookup and chunk of ids): attributes, the last human open, the last human survey
    /// answer, and the lines of `order_ids` (listed under each order's customer). Every
    /// customer of `ids` gets an entry, empty when nothing was found.
    async fn condition_extras(
        &self,
        ids: &[String],
        needs: Needs,
        order_ids: &[String],
    ) -> Result<HashMap<String, ConditionExtras>>;
    /// Called by a cycle before it reads any facts: the watermark the next incremental cycle
    /// may start from. Every write this cycle cannot see (one still open now, or any later
    /// one) stamps `touched_at` at or after it, so nothing is missed by incremental cycles.
    /// `None`: no safe instant could be had (SQLite: a long write held the lock); keep the
    /// previous watermark.
    async fn cycle_watermark(&self) -> Result<Option<DateTime<Utc>>>;
}

/// Window starts (absolute instants) for the facts query, computed from `now` and config.
#[derive(Debug, Clone, Copy)]
pub struct FactsWindows {
    pub orders_since: DateTime<Utc>,
    pub margin_since: DateTime<Utc>,
    pub referrals_since: DateTime<Utc>,
    /// Bring each customer's orders since then with the facts, where the backend can do so
    /// without extra reads (None: not wanted).
    pub recent_orders_since: Option<DateTime<Utc>>,
    /// Bring each customer's complaints since then with the facts (None: not wanted).
    pub recent_complaints_since: Option<DateTime<Utc>>,
    /// Bring each customer's deliveries with the facts (one ordered scan of the outbox; a
    /// full cycle's plan needs those of a third of all customers). A store may bring them
    /// unasked where that is cheaper than the plan context's lookups: PostgreSQL does for a
    /// touched scope.
    pub deliveries: bool,
}

/// Which customers a cycle looks at.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everyone: catches time-window expiry.
    All,
    /// Customers touched (new orders, events, profile changes) at or after the instant.
    TouchedSince(DateTime<Utc>),
    /// One customer (explain, tests).
    One(String),
}

/// One customer's row of the facts query: profile, stored levels, and the facts.
#[derive(Debug, Clone)]
pub struct FactsRow {
    pub customer_id: String,
    pub email: String,
    pub locale: String,
    pub timezone: String,
    pub subscribed: bool,
    /// Reason from the suppression list, if the address is on it.
    pub suppression: Option<String>,
    /// None: never assessed. The first assessment is where the customer starts, recorded
    /// as such, never a climb from the column's default.
    pub stored_current: Option<Level>,
    pub stored_target: Level,
    pub facts: CustomerFacts,
    /// The last complaint, machine-flagged ones too (the facts count only human ones):
    /// whether the planner needs this customer's recent complaints.
    pub any_complaint_at: Option<DateTime<Utc>>,
    /// The customer's orders since `FactsWindows::recent_orders_since` (id, time), when the
    /// facts stream brought them; None: the plan context must look them up.
    pub recent_orders: Option<Vec<(String, DateTime<Utc>)>>,
    /// The customer's complaints since `FactsWindows::recent_complaints_since` (event seq as
    /// text, time), when the facts brought them; None: the plan context must look them up.
    pub recent_complaints: Option<Vec<(String, DateTime<Utc>)>>,
    /// The customer's deliveries, when the facts stream brought them (full cycles); None:
    /// the plan context must look them up.
    pub deliveries: Option<Vec<DeliveryRef>>,
}

#[cfg(test)]
impl FactsRow {
    /// A subscribed customer `id` assessed before (current basic, target `stored_target`)
    /// whose facts brought nothing: where the tests of the facts stream and the cycle start.
    pub(crate) fn assessed(id: &str, stored_target: Level) -> FactsRow {
        FactsRow {
            customer_id: id.into(),
            email: format!("{id}@example.com"),
            locale: "en".into(),
            timezone: "UTC".into(),
            subscribed: true,
            suppression: None,
            stored_current: Some(Level::Basic),
            stored_target,
            facts: CustomerFacts::default(),
            any_complaint_at: None,
            recent_orders: None,
            recent_complaints: None,
            deliveries: None,
        }
    }
}

/// What the planner needs to know about a customer beyond the facts.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Recent orders: (order id, occurred_at).
    pub orders: Vec<(String, DateTime<Utc>)>,
    /// Recent complaints: (event seq as text, occurred_at).
    pub complaints: Vec<(String, DateTime<Utc>)>,
    pub deliveries: Vec<DeliveryRef>,
    /// Recent custom events (`custom:NAME`, machine-flagged ones too), for `event` triggers.
    pub custom_events: Vec<RecentEvent>,
}

/// A custom event of a plan context: what an `event` trigger's occurrence and its
/// condition's `occurrence.data` are made of.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentEvent {
    /// NAME of `custom:NAME`.
    pub name: String,
    /// The event's seq, as text (the occurrence is `event:{id}`).
    pub id: String,
    pub at: DateTime<Utc>,
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// What one chunk's plan contexts need: the deliveries of `ids`, the recent orders of those
/// in `ordered_recently`, the recent complaints of those in `complained_recently` and the
/// recent custom events of those in `custom_recently` (the others have none: their facts
/// say so).
#[derive(Debug, Clone, Copy)]
pub struct ContextRequest<'a> {
    pub ids: &'a [String],
    pub ordered_recently: &'a [String],
    pub complained_recently: &'a [String],
    pub custom_recently: &'a [String],
    pub orders_since: DateTime<Utc>,
    pub complaints_since: DateTime<Utc>,
    pub custom_since: DateTime<Utc>,
}

impl<'a> ContextRequest<'a> {
    /// One customer's context, everything since `since` (explain, preview).
    pub fn one(id: &'a String, since: DateTime<Utc>) -> Self {
        let ids = std::slice::from_ref(id);
        ContextRequest {
            ids,
            ordered_recently: ids,
            complained_recently: ids,
            custom_recently: ids,
            orders_since: since,
            complaints_since: since,
            custom_since: since,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DeliveryRef {
    pub campaign: String,
    pub occurrence: String,
    pub at: DateTime<Utc>,
    pub service: bool,
    pub status: String,
}
