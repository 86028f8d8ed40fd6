//! Consent: the append-only consent log, and the consent state on the customer row
//! (`consent_pending` under double opt-in, `left_topics`). There is no statement here, nor
//! anywhere in the store, that updates or deletes a log entry; the database refuses them too
//! (a trigger on each backend, migrations/*/0051_consent.sql).

use super::Result;
use super::columns::{Columns, located};
use super::dialect::Dialect;
use crate::domain::{ConsentAction, ConsentEntry, Topic};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Consent {
    /// A customer's consent log, oldest first (also after the customer row is gone).
    async fn consent_log(&self, customer_id: &str) -> Result<Vec<ConsentEntry>>;
    /// The consent state on the customer row; None for an unknown customer.
    async fn customer_consent(&self, customer_id: &str) -> Result<Option<CustomerConsent>>;
    /// Forgets the sign-ups still unconfirmed that were created before `created_before`:
    /// the customer and everything held about them, in one transaction, with an `expired`
    /// entry in the log (which stays). At most `limit` per call; returns their ids.
    async fn forget_unconfirmed(
        &self,
        created_before: DateTime<Utc>,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>>;
}

/// The consent state the planner reads off the customer row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerConsent {
    /// Signed up under double opt-in and not confirmed yet.
    pub pending: bool,
    pub left_topics: Vec<Topic>,
}

/// A change of the consent state on the customer row, written with its log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChange {
    /// Under double opt-in: awaiting the confirmation click.
    Pending,
    /// The confirmation link was clicked.
    Confirmed,
    /// The customer left this topic.
    LeftTopic(Topic),
}

/// What forgetting a customer deletes, children first, as (statement up to the list of ids,
/// what follows the list): every table that holds rows of a customer — but not the consent
/// log.
pub(crate) const FORGET_SQLITE: [(&str, &str); 8] = [
    (
        "DELETE FROM delivery_engagement WHERE delivery_id IN \
         (SELECT id FROM deliveries WHERE customer_id IN ",
        ")",
    ),
    ("DELETE FROM order_items WHERE customer_id IN ", ""),
    ("DELETE FROM orders WHERE customer_id IN ", ""),
    ("DELETE FROM events WHERE customer_id IN ", ""),
    ("DELETE FROM level_history WHERE customer_id IN ", ""),
    ("DELETE FROM customer_levels WHERE customer_id IN ", ""),
    ("DELETE FROM deliveries WHERE customer_id IN ", ""),
    ("DELETE FROM customers WHERE id IN ", ""),
];

/// [`FORGET_SQLITE`] on PostgreSQL, the ids bound as one array, after the caller took the
/// levels' advisory lock exclusively (`LEVELS_LOCK`). It first locks the customers' rows: `level_history` and
/// `customer_levels` have no key to `customers` there (migrations 0058, 0059), and the cycle
/// writes levels and history only for customers that exist, under the same lock shared
/// (store/postgres/levels.rs) — so a cycle's write that started first commits before their
/// levels and history are deleted, and one that comes later finds no customer to write for.
pub(crate) const FORGET_POSTGRES: [&str; 9] = [
    "SELECT id FROM customers WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    "DELETE FROM delivery_engagement WHERE delivery_id IN \
     (SELECT id FROM deliveries WHERE customer_id = ANY($1))",
    "DELETE FROM order_items WHERE customer_id = ANY($1)",
    "DELETE FROM orders WHERE customer_id = ANY($1)",
    "DELETE FROM events WHERE customer_id = ANY($1)",
    "DELETE FROM level_history WHERE customer_id = ANY($1)",
    "DELETE FROM customer_levels WHERE customer_id = ANY($1)",
    "DELETE FROM deliveries WHERE customer_id = ANY($1)",
    "DELETE FROM customers WHERE id = ANY($1)",
];

const LOG_COLUMNS: [&str; 9] = [
    "customer_id",
    "at",
    "action",
    "topic",
    "source",
    "evidence",
    "wording_version",
    "ip",
    "user_agent",
];

/// `left_topics` with `$2` added once: `offers` is not added to `offers,news` again.
macro_rules! add_topic {
    () => {
        "left_topics = CASE \
         WHEN (',' || left_topics || ',') LIKE ('%,' || $2 || ',%') THEN left_topics \
         WHEN left_topics = '' THEN $2 ELSE left_topics || ',' || $2 END"
    };
}

/// The statement a change of state is, with `$1` the customer id and `$2` its value; on
/// SQLite `$3` is the transaction's `touched_at` stamp, PostgreSQL stamps its own clock
/// (see `Facts::cycle_watermark`).
pub(crate) fn change_sql(change: ConsentChange, postgres: bool) -> &'static str {
    match (change, postgres) {
        (ConsentChange::LeftTopic(_), false) => concat!(
            "UPDATE customers SET ",
            add_topic!(),
            ", touched_at = $3 WHERE id = $1"
        ),
        (ConsentChange::LeftTopic(_), true) => concat!(
            "UPDATE customers SET ",
            add_topic!(),
            ", touched_at = clock_timestamp() WHERE id = $1"
        ),
        (_, false) => "UPDATE customers SET consent_pending = $2, touched_at = $3 WHERE id = $1",
        (_, true) => {
            "UPDATE customers SET consent_pending = $2, touched_at = clock_timestamp() WHERE id = $1"
        }
    }
}

/// The confirmation click is the new consent an address erased before needs: it lifts that
/// suppression (and only that one: an unsubscribe or a bounce since stays). The same
/// statement on both backends, on the caller's transaction.
pub(crate) async fn lift_erased_before<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer_id: &str,
) -> Result<()> {
    sqlx::query::<DB>(
        "DELETE FROM suppressions WHERE reason = $2 \
         AND email = (SELECT email FROM customers WHERE id = $1)",
    )
    .bind(DB::text(customer_id))
    .bind(DB::text(crate::domain::suppression::reason::ERASED_BEFORE))
    .execute(db)
    .await?;
    Ok(())
}

/// The log entries of forgotten unconfirmed sign-ups.
pub(crate) fn expired(ids: &[String], now: DateTime<Utc>) -> Vec<ConsentEntry> {
    ids.iter()
        .map(|id| {
            ConsentEntry::new(
                id,
                now,
                ConsentAction::Expired,
                crate::domain::consent::source::DAEMON,
            )
        })
        .collect()
}

/// A customer's consent log, oldest first.
pub(crate) async fn read_log<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer_id: &str,
) -> Result<Vec<ConsentEntry>> {
    let rows = sqlx::query::<DB>(
        "SELECT customer_id, at, action, topic, source, evidence, wording_version, ip, user_agent \
         FROM consent_log WHERE customer_id = $1 ORDER BY seq",
    )
    .bind(DB::text(customer_id))
    .fetch_all(db)
    .await?;
    rows.iter().map(entry).collect()
}

fn entry(r: &impl Columns) -> Result<ConsentEntry> {
    located(r, "consent_log", &LOG_COLUMNS, |r| {
        let action = r.text(2)?;
        let topic = r.opt_text(3)?;
        Ok(ConsentEntry {
            customer_id: r.text(0)?,
            at: r.time(1)?,
            action: ConsentAction::parse(&action).ok_or_else(|| {
                super::columns::bad_value(2, format!("unknown action `{action}`"))
            })?,
            topic: topic
                .map(|t| Topic::parse(&t).map_err(|e| super::columns::bad_value(3, e)))
                .transpose()?,
            source: r.text(4)?,
            evidence: r.opt_text(5)?,
            wording_version: r.opt_text(6)?,
            ip: r.opt_text(7)?,
            user_agent: r.opt_text(8)?,
        })
    })
}

/// The consent state on a customer's row.
pub(crate) async fn read_state<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer_id: &str,
) -> Result<Option<CustomerConsent>> {
    let row = sqlx::query::<DB>("SELECT consent_pending, left_topics FROM customers WHERE id = $1")
        .bind(DB::text(customer_id))
        .fetch_optional(db)
        .await?;
    row.map(|r| {
        Ok(CustomerConsent {
            pending: r.flag(0)?,
            left_topics: Topic::list(&r.text(1)?),
        })
    })
    .transpose()
}
