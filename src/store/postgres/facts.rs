//! PostgreSQL: the cycle's reads — facts streams on the streams pool, plan contexts,
//! margins — and the watermark.

use super::facts_rows::{
    bind_ids_or_scope, bind_scope, customer_delivery, event_facts, exporting_facts_transaction,
    ids_sql, importing_facts_transaction, order_facts,
};
use super::{BATCH, PgStore};
use crate::conditions::Needs;
use crate::domain::{ConditionExtras, OrderSummary};
use crate::store::columns::{Columns, bad_value, located};
use crate::store::facts::OrderSummaries;
use crate::store::facts_merge::{
    FactsStreams, IdOrder, RecentComplaints, merge_in_chunks, suppressions,
};
use crate::store::facts_parts::add_recent_complaint;
use crate::store::facts_sql::{DELIVERIES_BY_CUSTOMER_SQL, facts_sql, suppressions_sql};
use crate::store::rows::{ContextRow, ExtrasRow, facts_customer};
use crate::store::{
    ContextRequest, Facts, FactsRow, FactsWindows, PlanContext, Result, Scope, StoreError, batches,
};
use async_trait::async_trait;

/// Order summaries per message of [`Facts::order_summaries`].
const SUMMARIES_PER_BATCH: usize = 1_024;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;

/// Every complaint since `since`, machine-flagged ones too, off the partial index
/// `events_complaints`.
async fn recent_complaints(pool: &sqlx::PgPool, since: DateTime<Utc>) -> Result<RecentComplaints> {
    let mut out = RecentComplaints::new();
    let mut rows = sqlx::query(
        "SELECT customer_id, seq, occurred_at FROM events WHERE kind = 5 AND occurred_at >= $1",
    )
    .bind(since)
    .fetch(pool);
    while let Some(r) = rows.try_next().await? {
        add_recent_complaint(&mut out, &r)?;
    }
    Ok(out)
}

/// The suppressions the scope needs (email → reason).
async fn suppressed(pool: &sqlx::PgPool, scope: &Scope) -> Result<HashMap<String, String>> {
    let q = bind_scope(
        sqlx::query(sqlx::AssertSqlSafe(suppressions_sql(scope, "$1"))),
        scope,
    );
    suppressions(q.fetch(pool).map(|r| {
        let r = r?;
        Ok::<_, StoreError>((r.text(0)?, r.text(1)?))
    }))
    .await
}

/// The facts streams' transactions, on one snapshot: customers (which exports it), orders,
/// events, and deliveries when the facts bring them.
type StreamTransactions = (
    sqlx::Transaction<'static, sqlx::Postgres>,
    sqlx::Transaction<'static, sqlx::Postgres>,
    sqlx::Transaction<'static, sqlx::Postgres>,
    Option<sqlx::Transaction<'static, sqlx::Postgres>>,
);

/// Opens the streams' transactions: the first takes and exports the snapshot, the others
/// import it side by side.
async fn stream_transactions(
    streams: &sqlx::PgPool,
    deliveries_wanted: bool,
) -> Result<StreamTransactions> {
    let (ct, id) = exporting_facts_transaction(streams).await?;
    let import = || importing_facts_transaction(streams, &id);
    let deliveries = async {
        if !deliveries_wanted {
            return Ok(None);
        }
        let mut t = import().await?;
        // Walk the unique key in order: a sort of the whole outbox (what the costs pick for a
        // table read in full) holds every row before the first is sent.
        sqlx::query("SET LOCAL enable_sort = off")
            .execute(&mut *t)
            .await?;
        Ok(Some(t))
    };
    let (ot, et, dt) = tokio::try_join!(import(), import(), deliveries)?;
    Ok((ct, ot, et, dt))
}

#[async_trait]
impl Facts for PgStore {
    async fn margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>> {
        let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(&self.pool)
            .await?;
        let mut margins: Vec<f64> = sqlx::query_scalar::<_, f64>(
            "SELECT SUM(margin)::float8 FROM orders WHERE occurred_at >= $1 GROUP BY customer_id",
        )
        .bind(since)
        .fetch(&self.streams)
        .try_collect()
        .await?;
        margins.resize(margins.len().max(customers as usize), 0.0);
        Ok(margins)
    }

    async fn order_summaries(&self) -> Result<(OrderSummaries, u64)> {
        let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(&self.pool)
            .await?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let streams = self.streams.clone();
        tokio::spawn(async move {
            // The facts statement's aggregates, in its order (an index-only scan of
            // orders_facts grouped in customer order), so each customer's value is summed as
            // the facts sum it.
            let read = async {
                let columns = crate::store::predictions::HISTORY_COLUMNS;
                let mut rows = sqlx::query(
                    "SELECT customer_id, COUNT(*)::int8, MIN(occurred_at), MAX(occurred_at), \
                     COALESCE(SUM(margin), 0)::float8, MIN(currency COLLATE \"C\") \
                     FROM orders GROUP BY customer_id ORDER BY customer_id",
                )
                .fetch(&streams);
                // Mapped as they stream: a row is far bigger than the summary it becomes.
                let mut batch = Vec::with_capacity(SUMMARIES_PER_BATCH);
                while let Some(r) = rows.try_next().await? {
                    batch.push(located(&r, "orders", &columns, |r| {
                        Ok(OrderSummary {
                            orders: r.count(1)? as u32,
                            first_at: r.time(2)?,
                            last_at: r.time(3)?,
                            margin: r.float(4)?,
                            currency: r
                                .opt_currency(5)?
                                .ok_or_else(|| bad_value(5, "no currency"))?,
                        })
                    })?);
                    if batch.len() >= SUMMARIES_PER_BATCH
                        && tx.send(Ok(std::mem::take(&mut batch))).await.is_err()
                    {
                        return Ok(()); // nobody listens any more
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(Ok(batch)).await;
                }
                Ok::<_, crate::store::StoreError>(())
            };
            if let Err(e) = read.await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok((rx, customers.max(0) as u64))
    }

    fn facts_chunks(
        &self,
        scope: Scope,
        w: FactsWindows,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<FactsRow>>> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let pool = self.pool.clone();
        let streams = self.streams.clone();
        tokio::spawn(async move {
            // Three (four) statements on connections of the streams pool: server processes
            // scan side by side while the merge consumes their rows in customer-id order.
            // The reads before the streams go side by side: each is a round trip or a few
            // (a transaction's BEGIN and SET LOCALs), only the streams' transactions wait for
            // the one that exports their snapshot, and the merge can start only when all are
            // done.
            let touched = async {
                match &scope {
                    Scope::TouchedSince(since) => Ok(Some(
                        sqlx::query_scalar::<_, String>(
                            "SELECT id FROM customers WHERE touched_at >= $1 ORDER BY id",
                        )
                        .bind(since)
                        .fetch_all(&pool)
                        .await?,
                    )),
                    _ => Ok::<_, StoreError>(None),
                }
            };
            let complaints = async {
                match w.recent_complaints_since {
                    Some(since) => Ok(Some(recent_complaints(&pool, since).await?)),
                    None => Ok(None),
                }
            };
            // A touched scope's deliveries come with its facts too: one walk of the unique
            // key for the sorted ids, where each chunk's plan context was a round trip of
            // its own (docs/performance.md).
            let deliveries_wanted = w.deliveries || matches!(scope, Scope::TouchedSince(_));
            let up_front = async {
                let (touched, suppressed, recent_complaints, transactions) = tokio::try_join!(
                    touched,
                    suppressed(&pool, &scope),
                    complaints,
                    stream_transactions(&streams, deliveries_wanted),
                )?;
                Ok::<_, StoreError>((touched, suppressed, recent_complaints, transactions))
            };
            let (touched, suppressed, recent_complaints, (mut ct, mut ot, mut et, mut dt)) =
                match up_front.await {
                    Ok(read) => read,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
            let sql = |t: &str, p: &str| match &touched {
                Some(_) => ids_sql(t, p),
                None => facts_sql(t, &scope, p),
            };
            let bind = |q| bind_ids_or_scope(q, touched.as_ref(), &scope);
            let customers_sql = sql(include_str!("../sql/postgres_facts_customers.sql"), "$1");
            let orders_sql = sql(include_str!("../sql/postgres_facts_orders.sql"), "$4");
            let events_sql = sql(include_str!("../sql/postgres_facts_events.sql"), "$2");
            let customers = bind(sqlx::query(sqlx::AssertSqlSafe(customers_sql)))
                .fetch(&mut *ct)
                .map(|r| facts_customer(&r?));
            let orders = bind(
                sqlx::query(sqlx::AssertSqlSafe(orders_sql))
                    .bind(w.orders_since)
                    .bind(w.margin_since)
                    .bind(w.recent_orders_since),
            )
            .fetch(&mut *ot)
            .map(|r| order_facts(&r?, w.recent_orders_since.is_some()));
            let events = bind(sqlx::query(sqlx::AssertSqlSafe(events_sql)).bind(w.referrals_since))
                .fetch(&mut *et)
                .map(|r| event_facts(&r?));
            let deliveries_sql = sql(DELIVERIES_BY_CUSTOMER_SQL, "$1");
            let deliveries = dt.as_mut().map(|t| {
                bind(sqlx::query(sqlx::AssertSqlSafe(deliveries_sql)))
                    .fetch(&mut **t)
                    .map(|r| customer_delivery(&r?))
                    .boxed()
            });
            let streams = FactsStreams {
                order: IdOrder::Database,
                customers,
                orders,
                events,
                deliveries,
                recent_complaints,
            };
            merge_in_chunks(streams, &suppressed, &tx, chunk).await;
        });
        rx
    }

    async fn plan_contexts(
        &self,
        req: &ContextRequest<'_>,
    ) -> Result<HashMap<String, PlanContext>> {
        let mut out: HashMap<String, PlanContext> = HashMap::with_capacity(req.ids.len());
        let reads = [
            (
                "SELECT customer_id, id, occurred_at FROM orders \
                 WHERE occurred_at >= $2 AND customer_id = ANY($1)",
                Some(req.orders_since),
                req.ordered_recently,
                ContextRow::Order,
            ),
            (
                "SELECT customer_id, seq, occurred_at FROM events \
                 WHERE kind = 5 AND occurred_at >= $2 AND customer_id = ANY($1)",
                Some(req.complaints_since),
                req.complained_recently,
                ContextRow::Complaint,
            ),
            (
                "SELECT customer_id, campaign, occurrence, COALESCE(sent_at, send_at), \
                 service, status FROM deliveries WHERE customer_id = ANY($1)",
                None,
                req.ids,
                ContextRow::Delivery,
            ),
            (
                "SELECT customer_id, seq, occurred_at, custom_kind, data FROM events \
                 WHERE kind = 100 AND occurred_at >= $2 AND customer_id = ANY($1)",
                Some(req.custom_since),
                req.custom_recently,
                ContextRow::Custom,
            ),
        ];
        for (sql, since, ids, row) in reads {
            for chunk in batches(ids, BATCH) {
                let mut q = sqlx::query(sql).bind(chunk);
                if let Some(since) = since {
                    q = q.bind(since);
                }
                for r in q.fetch_all(&self.pool).await? {
                    row.add(&r, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    async fn condition_extras(
        &self,
        ids: &[String],
        needs: Needs,
        order_ids: &[String],
    ) -> Result<HashMap<String, ConditionExtras>> {
        let mut out: HashMap<String, ConditionExtras> = ids
            .iter()
            .map(|id| (id.clone(), ConditionExtras::default()))
            .collect();
        let reads = [
            (
                needs.attributes,
                "SELECT id, attributes FROM customers WHERE id = ANY($1)",
                ids,
                ExtrasRow::Attributes,
            ),
            // An index-only scan of events_facts.
            (
                needs.opens,
                "SELECT customer_id, MAX(occurred_at) FROM events \
                 WHERE kind = 1 AND NOT machine AND customer_id = ANY($1) GROUP BY customer_id",
                ids,
                ExtrasRow::Open,
            ),
            // The latest answer by (time, seq), its score read as the report's rollup does.
            (
                needs.survey,
                "SELECT DISTINCT ON (customer_id) customer_id, occurred_at, \
                   CASE WHEN jsonb_typeof(data -> 'score') = 'number' \
                         AND (data ->> 'score') ~ '^-?[0-9]{1,18}$' \
                        THEN (data ->> 'score')::int8 END \
                 FROM events WHERE kind = 7 AND NOT machine AND customer_id = ANY($1) \
                 ORDER BY customer_id, occurred_at DESC, seq DESC",
                ids,
                ExtrasRow::Survey,
            ),
            (
                needs.items,
                "SELECT customer_id, id, items FROM orders WHERE id = ANY($1)",
                order_ids,
                ExtrasRow::Items,
            ),
        ];
        for (wanted, sql, ids, row) in reads {
            if !wanted {
                continue;
            }
            for chunk in batches(ids, BATCH) {
                for r in sqlx::query(sql).bind(chunk).fetch_all(&self.pool).await? {
                    row.add(&r, &mut out)?;
                }
            }
        }
        Ok(out)
    }

    async fn cycle_watermark(&self) -> Result<Option<DateTime<Utc>>> {
        // Writers stamp `touched_at` with clock_timestamp() as they write. A write this
        // cycle cannot see either had already begun (its transaction holds an xid now, and
        // its stamps are no older than its start) or will stamp after this instant. So the
        // watermark is now, or the start of the oldest writing transaction if earlier; the
        // cycle need not wait for it. One clock (the database's) for every replica.
        let mark: DateTime<Utc> = sqlx::query_scalar(
            "SELECT LEAST(clock_timestamp(), \
               (SELECT MIN(xact_start) FROM pg_stat_activity \
                WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() \
                  AND datname = current_database()))",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(mark))
    }
}
