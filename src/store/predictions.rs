//! What the predictions (`predict`) learn from: every customer's orders summed up, and when
//! people opened and clicked. One statement each, the same on both backends.

use super::Result;
use super::columns::{Columns, located};
use super::dialect::Dialect;
use crate::domain::OrderHistory;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Predictions {
    /// Each customer with an order at or before `now`: count, first and last time, margin.
    /// Through the covering index `orders_facts`, without touching the table.
    async fn order_histories(&self, now: DateTime<Utc>) -> Result<Vec<OrderHistory>>;
    /// Human opens and clicks (machine-flagged ones left out) at or before `now` with the
    /// customer's timezone: of `customer`, or of the whole shop when None; the latest 5,000
    /// (enough for a histogram of 24 hours, cheap at any size).
    async fn engagement_times(
        &self,
        customer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>>;
}

const HISTORY_COLUMNS: [&str; 6] = [
    "customer_id",
    "COUNT(*)",
    "MIN(occurred_at)",
    "MAX(occurred_at)",
    "SUM(margin)",
    "MIN(currency)",
];

pub(crate) async fn order_histories<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    now: DateTime<Utc>,
) -> Result<Vec<OrderHistory>> {
    let rows = sqlx::query::<DB>(
        "SELECT customer_id, COUNT(*), MIN(occurred_at), MAX(occurred_at), SUM(margin), MIN(currency) \
         FROM orders WHERE occurred_at <= $1 GROUP BY customer_id",
    )
    .bind(DB::time(now))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            located(r, "orders", &HISTORY_COLUMNS, |r| {
                Ok(OrderHistory {
                    customer_id: r.text(0)?,
                    orders: r.count(1)? as u32,
                    first_at: r.time(2)?,
                    last_at: r.time(3)?,
                    margin: r.float(4)?,
                    currency: r.text(5)?,
                })
            })
        })
        .collect()
}

pub(crate) async fn engagement_times<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    // The latest by `seq` (the primary key), not by time: the shop's sample must not sort
    // millions of events.
    let rows = sqlx::query::<DB>(
        "SELECT c.timezone, e.occurred_at FROM events e JOIN customers c ON c.id = e.customer_id \
         WHERE e.kind IN (1, 2) AND NOT e.machine AND e.occurred_at <= $1 \
         AND ($2 = '' OR e.customer_id = $2) ORDER BY e.seq DESC LIMIT 5000",
    )
    .bind(DB::time(now))
    .bind(DB::text(customer.unwrap_or("")))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            located(r, "events", &["timezone", "occurred_at"], |r| {
                Ok((r.text(0)?, r.time(1)?))
            })
        })
        .collect()
}
