//! SQLite: the cycle's reads — facts streams, plan contexts, margins — on the bulk reader's
//! connections (see `bulk`), and the watermark.

use super::SqliteStore;
use super::bulk::{EachRow, text, unbatch};
use super::facts_rows::{EventsByCustomer, OrdersByCustomer, SummaryFold, for_each_in, with_scope};
use crate::conditions::Needs;
use crate::domain::ConditionExtras;
use crate::store::facts::OrderSummaries;
use crate::store::facts_fold::{MarginSum, OrderWindows};
use crate::store::facts_merge::{
    CustomerDelivery, FactsStreams, IdOrder, RecentComplaints, merge_in_chunks, suppressions,
};
use crate::store::facts_parts::add_recent_complaint;
use crate::store::facts_sql::{DELIVERIES_BY_CUSTOMER_SQL, facts_sql, suppressions_sql};
use crate::store::rows::{ContextRow, ExtrasRow, delivery_ref, facts_customer, stored_levels};
use crate::store::time::to_ms;
use crate::store::{ContextRequest, Facts, FactsRow, FactsWindows, PlanContext, Result, Scope};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use std::collections::HashMap;

#[async_trait]
impl Facts for SqliteStore {
    async fn margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>> {
        self.bulk
            .with(move |conn| {
                let customers: i64 =
                    conn.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?;
                // Summed in Rust in (customer, time) order, exactly as the facts fold sums
                // a customer's margin: a customer at a tier's cut compares equal to it.
                let mut stmt = conn.prepare(
                    "SELECT customer_id, margin FROM orders WHERE occurred_at >= ? \
                     ORDER BY customer_id, occurred_at",
                )?;
                let mut rows = stmt.query([to_ms(since)])?;
                let mut margins = Vec::new();
                let mut open: Option<(String, MarginSum)> = None;
                while let Some(r) = rows.next()? {
                    let customer = text(r, 0)?;
                    let sum = match open.take() {
                        Some(o) if o.0 == customer => &mut open.insert(o).1,
                        done => {
                            margins.extend(done.map(|(_, m)| m.value()));
                            &mut open.insert((customer.to_owned(), MarginSum::default())).1
                        }
                    };
                    sum.add(r.get(1)?);
                }
                margins.extend(open.map(|(_, m)| m.value()));
                margins.resize(margins.len().max(customers as usize), 0.0);
                Ok(margins)
            })
            .await
    }

    async fn order_summaries(&self) -> Result<(OrderSummaries, u64)> {
        let customers: i64 = self
            .bulk
            .with(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))?))
            .await?;
        // Folded by the facts stream's own fold, in the same (customer, time) order: the
        // tiers' values and each customer's are the very same numbers.
        let summaries = self.bulk.stream(
            "SELECT customer_id, occurred_at, margin, currency FROM orders \
             ORDER BY customer_id, occurred_at"
                .to_owned(),
            vec![],
            SummaryFold { open: None },
        );
        Ok((summaries, customers.max(0) as u64))
    }

    fn facts_chunks(
        &self,
        scope: Scope,
        w: FactsWindows,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<FactsRow>>> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let store = self.clone();
        tokio::spawn(async move {
            let up_front = async {
                Ok((
                    store.suppressed(&scope).await?,
                    match w.recent_complaints_since {
                        Some(since) => Some(store.recent_complaints(since).await?),
                        None => None,
                    },
                ))
            };
            let (suppressed, recent_complaints) = match up_front.await {
                Ok(read) => read,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            // Three statements stepped side by side, each on a thread of its own, merged by
            // customer id.
            let bulk = &store.bulk;
            let sql = |t: &str, p: &str| facts_sql(t, &scope, p);
            let customers = bulk.stream_left_join(
                (
                    sql(include_str!("../sql/sqlite_facts_customers.sql"), "?1"),
                    with_scope(vec![], &scope),
                ),
                (
                    sql(include_str!("../sql/sqlite_facts_levels.sql"), "?1"),
                    with_scope(vec![], &scope),
                ),
                |customer, levels| {
                    let mut row = facts_customer(customer)?;
                    if let Some(levels) = levels {
                        stored_levels(levels, &mut row)?;
                    }
                    Ok(row)
                },
            );
            let windows = OrderWindows {
                orders_since: to_ms(w.orders_since),
                margin_since: to_ms(w.margin_since),
                recent_since: w.recent_orders_since.map(to_ms),
            };
            let orders = bulk.stream(
                sql(include_str!("../sql/sqlite_facts_orders.sql"), "?2"),
                with_scope(
                    vec![Value::Integer(windows.recent_since.unwrap_or(i64::MAX))],
                    &scope,
                ),
                OrdersByCustomer {
                    windows,
                    open: None,
                },
            );
            let events = bulk.stream(
                sql(include_str!("../sql/sqlite_facts_events.sql"), "?1"),
                with_scope(vec![], &scope),
                EventsByCustomer {
                    referrals_since: to_ms(w.referrals_since),
                    open: None,
                },
            );
            let deliveries = w.deliveries.then(|| {
                unbatch(bulk.stream(
                    sql(DELIVERIES_BY_CUSTOMER_SQL, "?1"),
                    with_scope(vec![], &scope),
                    EachRow(|r: &rusqlite::Row<'_>| {
                        Ok(CustomerDelivery {
                            customer_id: r.get(0)?,
                            delivery: delivery_ref(r, 1)?,
                        })
                    }),
                ))
            });
            let streams = FactsStreams {
                order: IdOrder::Bytes,
                customers: unbatch(customers),
                orders: unbatch(orders),
                events: unbatch(events),
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
        let (ids, ordered, complained, custom) = (
            req.ids.to_vec(),
            req.ordered_recently.to_vec(),
            req.complained_recently.to_vec(),
            req.custom_recently.to_vec(),
        );
        let (orders_since, complaints_since, custom_since) =
            (req.orders_since, req.complaints_since, req.custom_since);
        self.bulk
            .with(move |conn| {
                let mut out: HashMap<String, PlanContext> = HashMap::with_capacity(ids.len());
                let mut read = |sql: &str, since: Option<DateTime<Utc>>, ids: &[String], row| {
                    let fixed: Vec<Value> = since
                        .map(|t| Value::Integer(to_ms(t)))
                        .into_iter()
                        .collect();
                    for_each_in(conn, sql, &fixed, ids, |r| {
                        ContextRow::add(&row, r, &mut out)
                    })
                };
                read(
                    "SELECT customer_id, id, occurred_at FROM orders \
                     WHERE occurred_at >= ? AND customer_id IN ({IDS})",
                    Some(orders_since),
                    &ordered,
                    ContextRow::Order,
                )?;
                read(
                    "SELECT customer_id, seq, occurred_at FROM events \
                     WHERE kind = 5 AND occurred_at >= ? AND customer_id IN ({IDS})",
                    Some(complaints_since),
                    &complained,
                    ContextRow::Complaint,
                )?;
                read(
                    "SELECT customer_id, campaign, occurrence, COALESCE(sent_at, send_at), \
                     service, status FROM deliveries WHERE customer_id IN ({IDS})",
                    None,
                    &ids,
                    ContextRow::Delivery,
                )?;
                read(
                    "SELECT customer_id, seq, occurred_at, custom_kind, data FROM events \
                     WHERE kind = 100 AND occurred_at >= ? AND customer_id IN ({IDS})",
                    Some(custom_since),
                    &custom,
                    ContextRow::Custom,
                )?;
                Ok(out)
            })
            .await
    }

    async fn condition_extras(
        &self,
        ids: &[String],
        needs: Needs,
        order_ids: &[String],
    ) -> Result<HashMap<String, ConditionExtras>> {
        let (ids, order_ids) = (ids.to_vec(), order_ids.to_vec());
        self.bulk
            .with(move |conn| {
                let mut out: HashMap<String, ConditionExtras> = ids
                    .iter()
                    .map(|id| (id.clone(), ConditionExtras::default()))
                    .collect();
                let mut read = |wanted: bool, sql: &str, ids: &[String], row| {
                    if !wanted {
                        return Ok(());
                    }
                    for_each_in(conn, sql, &[], ids, |r| ExtrasRow::add(&row, r, &mut out))
                };
                read(
                    needs.attributes,
                    "SELECT id, attributes FROM customers WHERE id IN ({IDS})",
                    &ids,
                    ExtrasRow::Attributes,
                )?;
                // Off the covering index events_facts: no table access.
                read(
                    needs.opens,
                    "SELECT customer_id, MAX(occurred_at) FROM events \
                     WHERE kind = 1 AND machine = 0 AND customer_id IN ({IDS}) \
                     GROUP BY customer_id",
                    &ids,
                    ExtrasRow::Open,
                )?;
                // The latest answer by (time, seq), as the report's rollup takes it.
                read(
                    needs.survey,
                    "SELECT customer_id, occurred_at, \
                       CASE WHEN json_type(data, '$.score') = 'integer' \
                            THEN json_extract(data, '$.score') END \
                     FROM (SELECT customer_id, occurred_at, data, ROW_NUMBER() OVER \
                             (PARTITION BY customer_id ORDER BY occurred_at DESC, seq DESC) AS n \
                           FROM events \
                           WHERE kind = 7 AND machine = 0 AND customer_id IN ({IDS})) \
                     WHERE n = 1",
                    &ids,
                    ExtrasRow::Survey,
                )?;
                read(
                    needs.items,
                    "SELECT customer_id, id, items FROM orders WHERE id IN ({IDS})",
                    &order_ids,
                    ExtrasRow::Items,
                )?;
                Ok(out)
            })
            .await
    }

    async fn cycle_watermark(&self) -> Result<Option<DateTime<Utc>>> {
        // Writers stamp `touched_at` with the time they took the write lock (see
        // `SqliteImport::locked_at`). Taking the lock here means no write is open: all are
        // committed (and visible to the facts read that follows) or will lock, and stamp,
        // after this instant. A long import holding the lock is not waited for beyond a
        // second: the previous watermark, older than its lock, stays.
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA busy_timeout = 1000")
            .execute(&mut *conn)
            .await?;
        let locked = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
        let mark = Utc::now();
        if locked.is_ok() {
            sqlx::query("COMMIT").execute(&mut *conn).await?;
        }
        sqlx::query("PRAGMA busy_timeout = 10000")
            .execute(&mut *conn)
            .await?;
        match locked {
            Ok(_) => Ok(Some(mark)),
            Err(sqlx::Error::Database(e)) if e.message().contains("locked") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl SqliteStore {
    /// The suppressions the scope needs (email → reason). For a narrow scope, the touched
    /// customers' addresses looked up in the list: SQLite (no statistics) otherwise walks
    /// all suppressions and seeks each email among the customers (0.3 s for 42k
    /// suppressions).
    async fn suppressed(&self, scope: &Scope) -> Result<HashMap<String, String>> {
        let sql = match scope {
            Scope::All => suppressions_sql(scope, "?1"),
            _ => facts_sql(
                "SELECT email, reason FROM suppressions \
                 WHERE email IN (SELECT c.email FROM customers c {CUSTOMER_WHERE})",
                scope,
                "?1",
            ),
        };
        suppressions(unbatch(self.bulk.stream(
            sql,
            with_scope(vec![], scope),
            EachRow(|r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?))),
        )))
        .await
    }

    /// Every complaint since `since`, machine-flagged ones too.
    async fn recent_complaints(&self, since: DateTime<Utc>) -> Result<RecentComplaints> {
        self.bulk
            .with(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT customer_id, seq, occurred_at FROM events \
                     WHERE kind = 5 AND occurred_at >= ?1",
                )?;
                let mut rows = stmt.query([to_ms(since)])?;
                let mut out = RecentComplaints::new();
                while let Some(r) = rows.next()? {
                    add_recent_complaint(&mut out, r)?;
                }
                Ok(out)
            })
            .await
    }
}
