//! Rows the assess + plan cycle reads and writes. SQL aggregates, Rust decides.

use crate::domain::CustomerFacts;
use crate::domain::Level;
use chrono::{DateTime, Utc};

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
    /// full cycle's plan needs those of a third of all customers).
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

/// A level change to write: the new levels and, when the current level differs (or is the
/// customer's first), a history row.
#[derive(Debug, Clone)]
pub struct LevelChange {
    pub customer_id: String,
    /// None: the customer's first assessment (history row with `from_level` NULL).
    pub from: Option<Level>,
    pub current: Level,
    pub target: Level,
    pub reasons: Vec<String>,
}

/// What the planner needs to know about a customer beyond the facts.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Recent orders: (order id, occurred_at).
    pub orders: Vec<(String, DateTime<Utc>)>,
    /// Recent complaints: (event seq as text, occurred_at).
    pub complaints: Vec<(String, DateTime<Utc>)>,
    pub deliveries: Vec<DeliveryRef>,
}

/// What one chunk's plan contexts need: the deliveries of `ids`, the recent orders of those
/// in `ordered_recently` and the recent complaints of those in `complained_recently` (the
/// others have none: their facts say so).
#[derive(Debug, Clone, Copy)]
pub struct ContextRequest<'a> {
    pub ids: &'a [String],
    pub ordered_recently: &'a [String],
    pub complained_recently: &'a [String],
    pub orders_since: DateTime<Utc>,
    pub complaints_since: DateTime<Utc>,
}

impl<'a> ContextRequest<'a> {
    /// One customer's context, everything since `since` (explain, preview).
    pub fn one(id: &'a String, since: DateTime<Utc>) -> Self {
        let ids = std::slice::from_ref(id);
        ContextRequest {
            ids,
            ordered_recently: ids,
            complained_recently: ids,
            orders_since: since,
            complaints_since: since,
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

/// Every delivery in customer-id order, for a full cycle's facts: the order of the outbox's
/// unique key (customer, campaign, occurrence), so both backends walk that index instead of
/// sorting the table.
pub(crate) const DELIVERIES_BY_CUSTOMER_SQL: &str = "SELECT customer_id, campaign, occurrence, \
     COALESCE(sent_at, send_at), service, status FROM deliveries \
     ORDER BY customer_id, campaign, occurrence";

/// A delivery the planner queues.
impl LevelChange {
    /// Whether this change writes a history row: the first assessment, or a move.
    pub fn writes_history(&self) -> bool {
        self.from != Some(self.current)
    }

    /// A move between two assessments (not the first one): what `level_changed` announces.
    pub fn is_move(&self) -> bool {
        self.from.is_some_and(|f| f != self.current)
    }
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: uuid::Uuid,
    pub customer_id: String,
    pub campaign: String,
    pub occurrence: String,
    pub service: bool,
    pub current: Level,
    pub target: Level,
    pub send_at: DateTime<Utc>,
    pub message_id: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// None: the customer's first assessment, where they started.
    pub from: Option<Level>,
    pub to: Level,
    pub at: DateTime<Utc>,
    pub reasons: Vec<String>,
}

/// Counts per level for `rapport levels`.
#[derive(Debug, Clone, Default)]
pub struct LevelCounts {
    pub current: [u64; 5],
    pub target: [u64; 5],
    /// The same per locale (`demo` shows how the levels spread across the shop's languages).
    pub by_locale: std::collections::BTreeMap<String, ([u64; 5], [u64; 5])>,
    pub climbed_30d: u64,
    pub dropped_30d: u64,
}

impl LevelCounts {
    /// Adds `n` customers of `locale` at current level `current` and target `target`.
    pub(crate) fn add(&mut self, locale: String, current: i64, target: i64, n: u64) {
        let (c, t) = (
            (level_of(current).rank() - 1) as usize,
            (level_of(target).rank() - 1) as usize,
        );
        self.current[c] += n;
        self.target[t] += n;
        let entry = self.by_locale.entry(locale).or_default();
        entry.0[c] += n;
        entry.1[t] += n;
    }
}

pub(crate) fn level_of(rank: i64) -> Level {
    Level::from_rank(rank).unwrap_or(Level::Basic)
}

/// Folds (campaign, status, count) rows, ordered by campaign, into one row per campaign.
pub(crate) fn fold_outbox_counts(
    rows: impl Iterator<Item = (String, String, i64)>,
) -> Vec<super::OutboxCounts> {
    let mut out: Vec<super::OutboxCounts> = Vec::new();
    for (campaign, status, n) in rows {
        if out.last().map(|c| c.campaign != campaign).unwrap_or(true) {
            out.push(super::OutboxCounts {
                campaign: campaign.clone(),
                ..Default::default()
            });
        }
        let c = out.last_mut().expect("pushed above");
        let n = n as u64;
        match status.as_str() {
            "queued" => c.queued += n,
            "sending" => c.sending += n,
            "sent" => c.sent += n,
            "failed" => c.failed += n,
            _ => c.suppressed += n,
        }
    }
    out
}

/// The suppressions a facts scope needs, as (email, reason) rows: the whole list for every
/// customer, otherwise those of the scope's customers (`p` names the scope's parameter).
pub(crate) fn suppressions_sql(scope: &Scope, p: &str) -> String {
    match scope {
        Scope::All => "SELECT email, reason FROM suppressions".into(),
        _ => facts_sql(
            "SELECT s.email, s.reason FROM customers c \
             JOIN suppressions s ON s.email = c.email {CUSTOMER_WHERE}",
            scope,
            p,
        ),
    }
}

/// One of the facts statements for a scope: `template` with its `{SCOPE_WHERE}`,
/// `{SCOPE_AND}`, `{CUSTOMER_WHERE}` and `{CUSTOMER_ID_WHERE}` holes filled by fixed fragments naming the scope's
/// parameter `p` (such as `?3` or `$3`). Each scope is its own statement with its own plan (a
/// single `? = 0 OR …` form made SQLite scan everything even for 10 customers). Only
/// constant text is spliced in; values are always bound.
pub(crate) fn facts_sql(template: &str, scope: &Scope, p: &str) -> String {
    let (filter, customer) = match scope {
        Scope::All => (String::new(), String::new()),
        Scope::TouchedSince(_) => (
            format!("customer_id IN (SELECT id FROM customers WHERE touched_at >= {p})"),
            format!("WHERE c.touched_at >= {p}"),
        ),
        Scope::One(_) => (format!("customer_id = {p}"), format!("WHERE c.id = {p}")),
    };
    let (where_, and) = if filter.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("WHERE {filter}"), format!("AND {filter}"))
    };
    // SQLite has no statistics to tell that few customers were touched: with a plain
    // `c.touched_at >= ?` filter it scans all of them in id order (1 s for 1M) instead of
    // reading the touched ones off customers_touched. The id list form makes it seek.
    let customer_ids = match scope {
        Scope::All => String::new(),
        Scope::TouchedSince(_) => {
            format!("WHERE c.id IN (SELECT id FROM customers WHERE touched_at >= {p})")
        }
        Scope::One(_) => format!("WHERE c.id = {p}"),
    };
    template
        .replace("{CUSTOMER_ID_WHERE}", &customer_ids)
        .replace("{SCOPE_WHERE}", &where_)
        .replace("{SCOPE_AND}", &and)
        .replace("{CUSTOMER_WHERE}", &customer)
}
