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
    /// Each customer with an order at or before `now` (or only `customer`): count, first and
    /// last time, margin. Through the covering index `orders_facts`, without touching the table.
    async fn order_histories(
        &self,
        customer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<OrderHistory>>;
    /// Every k-th of them, at most about `max` (what a fit learns from), streamed: the
    /// others are never held in memory.
    async fn order_history_sample(
        &self,
        now: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<OrderHistory>>;
    /// Human opens and clicks (machine-flagged ones left out) at or before `now` with the
    /// customer's timezone: of `customer`, or of the whole shop when None; the latest 5,000
    /// (enough for a histogram of 24 hours, cheap at any size).
    async fn engagement_times(
        &self,
        customer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>>;
    /// The same for several customers at once (the cycle's `send_time = "best"` picks of a
    /// chunk), over the 365 days before `now`: customer → (timezone, time).
    async fn engagement_times_of(
        &self,
        customers: &[String],
        now: DateTime<Utc>,
    ) -> Result<EngagementTimes>;
    /// Every customer's current level as the last cycle wrote it (none before a first cycle).
    async fn current_levels(&self) -> Result<Vec<(String, crate::domain::Level)>>;
}

/// Customer → their human opens and clicks: (timezone, time).
pub type EngagementTimes = std::collections::HashMap<String, Vec<(String, DateTime<Utc>)>>;

/// Customers per statement of [`engagement_times_of`].
const IDS_PER_STATEMENT: usize = 500;

/// The columns of a customer's order aggregates, as errors name them (also the tiers' order
/// summaries on PostgreSQL).
pub(crate) const HISTORY_COLUMNS: [&str; 6] = [
    "customer_id",
    "COUNT(*)",
    "MIN(occurred_at)",
    "MAX(occurred_at)",
    "SUM(margin)",
    "MIN(currency)",
];

const HISTORIES_SQL: &str = "SELECT customer_id, COUNT(*), MIN(occurred_at), MAX(occurred_at), SUM(margin), MIN(currency) \
     FROM orders WHERE occurred_at <= $1 GROUP BY customer_id";
/// One customer's (`predict`, `explain`): a statement of its own, so that it is an index
/// lookup rather than the whole shop's grouping filtered afterwards.
const HISTORY_OF_SQL: &str = "SELECT customer_id, COUNT(*), MIN(occurred_at), MAX(occurred_at), SUM(margin), MIN(currency) \
     FROM orders WHERE occurred_at <= $1 AND customer_id = $2 GROUP BY customer_id";

fn history<R: Columns>(r: &R) -> Result<OrderHistory> {
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
}

pub(crate) async fn order_histories<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<OrderHistory>>
where
    DB::Row: Columns,
{
    let q = match customer {
        None => sqlx::query::<DB>(HISTORIES_SQL).bind(DB::time(now)),
        Some(id) => sqlx::query::<DB>(HISTORY_OF_SQL)
            .bind(DB::time(now))
            .bind(DB::text(id)),
    };
    let rows = q.fetch_all(db).await?;
    rows.iter().map(history).collect()
}

pub(crate) async fn order_history_sample<DB: Dialect>(
    pool: &sqlx::Pool<DB>,
    now: DateTime<Utc>,
    max: usize,
) -> Result<Vec<OrderHistory>>
where
    for<'c> &'c sqlx::Pool<DB>: Executor<'c, Database = DB>,
    DB::Row: Columns,
{
    use futures::TryStreamExt;
    let row =
        sqlx::query::<DB>("SELECT COUNT(DISTINCT customer_id) FROM orders WHERE occurred_at <= $1")
            .bind(DB::time(now))
            .fetch_one(pool)
            .await?;
    let customers = row.count(0)? as usize;
    let step = customers.div_ceil(max.max(1)).max(1);
    let mut rows = sqlx::query::<DB>(HISTORIES_SQL)
        .bind(DB::time(now))
        .fetch(pool);
    let mut out = Vec::with_capacity(customers.min(max + 1));
    let mut i = 0usize;
    while let Some(r) = rows.try_next().await? {
        if i.is_multiple_of(step) {
            out.push(history(&r)?);
        }
        i += 1;
    }
    Ok(out)
}

pub(crate) async fn engagement_times_of<DB: Dialect>(
    pool: &sqlx::Pool<DB>,
    customers: &[String],
    now: DateTime<Utc>,
) -> Result<EngagementTimes>
where
    for<'c> &'c sqlx::Pool<DB>: Executor<'c, Database = DB>,
{
    let mut out = EngagementTimes::new();
    for ids in customers.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT e.customer_id, c.timezone, e.occurred_at FROM events e \
             JOIN customers c ON c.id = e.customer_id \
             WHERE e.kind IN (1, 2) AND NOT e.machine AND e.occurred_at <= $1 \
             AND e.occurred_at > $2 AND e.customer_id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql))
            .bind(DB::time(now))
            .bind(DB::time(now - chrono::TimeDelta::days(365)));
        for id in ids {
            q = q.bind(DB::text(id));
        }
        for r in q.fetch_all(pool).await? {
            let (id, tz, at) = located(
                &r,
                "events",
                &["customer_id", "timezone", "occurred_at"],
                |r| Ok((r.text(0)?, r.text(1)?, r.time(2)?)),
            )?;
            out.entry(id).or_default().push((tz, at));
        }
    }
    Ok(out)
}

pub(crate) async fn current_levels<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
) -> Result<Vec<(String, crate::domain::Level)>> {
    // Cast: PostgreSQL stores the level as a smallint, which does not decode as i64.
    // Customers never assessed have no level yet, and no row.
    let rows =
        sqlx::query::<DB>("SELECT customer_id, CAST(current_level AS BIGINT) FROM customer_levels")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            located(
                r,
                "customer_levels",
                &["customer_id", "current_level"],
                |r| Ok((r.text(0)?, r.level(1)?)),
            )
        })
        .collect()
}

pub(crate) async fn engagement_times<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    // The latest by `seq` (the primary key), not by time: the shop's sample must not sort
    // millions of events. One customer's is a statement of its own: behind `$2 = '' OR …`
    // a prepared plan cannot use the customer index and walks the whole table by `seq`.
    let q = match customer {
        None => sqlx::query::<DB>(
            "SELECT c.timezone, e.occurred_at FROM events e JOIN customers c ON c.id = e.customer_id \
             WHERE e.kind IN (1, 2) AND NOT e.machine AND e.occurred_at <= $1 \
             ORDER BY e.seq DESC LIMIT 5000",
        )
        .bind(DB::time(now)),
        Some(id) => sqlx::query::<DB>(
            "SELECT c.timezone, e.occurred_at FROM events e JOIN customers c ON c.id = e.customer_id \
             WHERE e.customer_id = $2 AND e.kind IN (1, 2) AND NOT e.machine AND e.occurred_at <= $1 \
             ORDER BY e.seq DESC LIMIT 5000",
        )
        .bind(DB::time(now))
        .bind(DB::text(id)),
    };
    let rows = q.fetch_all(db).await?;
    rows.iter()
        .map(|r| {
            located(r, "events", &["timezone", "occurred_at"], |r| {
                Ok((r.text(0)?, r.time(1)?))
            })
        })
        .collect()
}
