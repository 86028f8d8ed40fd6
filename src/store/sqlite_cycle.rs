//! SQLite side of the cycle and the outbox.

use super::cycle::{ContextRequest, level_of};
use super::facts_fold::{EventFold, MarginSum, OrderFold, OrderWindows};
use super::facts_merge::{
    CustomerDelivery, EventFacts, FactsStreams, OrderFacts, RecentComplaints, merge_in_chunks,
    suppressions,
};
use super::sqlite_bulk::{EachRow, RowFold, placeholders, text, unbatch};
use super::time::{from_ms, to_ms};
use super::{
    ClaimedDelivery, DeliveryRef, DeliveryResult, FactsRow, FactsWindows, HistoryEntry,
    LevelChange, LevelCounts, NewDelivery, OccurrenceData, OutboxCounts, PlanContext, Result,
    Scope, SqliteStore, batches,
};
use crate::domain::CustomerFacts;
use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::HashMap;

/// Rows per multi-row statement or IN list (SQLite allows 32,766 variables).
const BATCH: usize = 2_000;

fn customer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FactsRow> {
    Ok(FactsRow {
        customer_id: r.get(0)?,
        email: r.get(1)?,
        locale: r.get(2)?,
        timezone: r.get(3)?,
        subscribed: r.get(4)?,
        // Filled in from the suppressions map by the merge.
        suppression: None,
        any_complaint_at: None,
        recent_orders: None,
        recent_complaints: None,
        deliveries: None,
        stored_current: r.get::<_, Option<i64>>(5)?.map(level_of),
        stored_target: level_of(r.get(6)?),
        facts: CustomerFacts {
            target_override: r
                .get::<_, Option<i64>>(7)?
                .and_then(crate::domain::Level::from_rank),
            ..CustomerFacts::default()
        },
    })
}

/// Folds the orders statement's rows (customer, time, margin, id if recent) per customer.
struct OrdersByCustomer {
    windows: OrderWindows,
    open: Option<OrderFold>,
}

impl RowFold for OrdersByCustomer {
    type Item = OrderFacts;
    fn row(&mut self, r: &rusqlite::Row<'_>, out: &mut Vec<OrderFacts>) -> rusqlite::Result<()> {
        let customer = text(r, 0)?;
        let w = &self.windows;
        let fold = match self.open.take() {
            Some(f) if f.customer_id() == customer => self.open.insert(f),
            done => {
                out.extend(done.map(OrderFold::finish));
                self.open.insert(OrderFold::new(customer.to_owned(), w))
            }
        };
        let at: i64 = r.get(1)?;
        let id = if OrderFold::wants_id(w, at) {
            Some(r.get(3)?)
        } else {
            None
        };
        fold.add(w, at, r.get(2)?, id);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<OrderFacts>) {
        out.extend(self.open.take().map(OrderFold::finish));
    }
}

/// Folds the events statement's rows (customer, time, kind, machine) per customer.
struct EventsByCustomer {
    referrals_since: i64,
    open: Option<EventFold>,
}

impl RowFold for EventsByCustomer {
    type Item = EventFacts;
    fn row(&mut self, r: &rusqlite::Row<'_>, out: &mut Vec<EventFacts>) -> rusqlite::Result<()> {
        let customer = text(r, 0)?;
        let fold = match self.open.take() {
            Some(f) if f.customer_id() == customer => self.open.insert(f),
            done => {
                out.extend(done.map(EventFold::finish));
                self.open.insert(EventFold::new(customer.to_owned()))
            }
        };
        fold.add(r.get(1)?, r.get(2)?, r.get(3)?, self.referrals_since);
        Ok(())
    }
    fn finish(&mut self, out: &mut Vec<EventFacts>) {
        out.extend(self.open.take().map(EventFold::finish));
    }
}

/// A delivery's (campaign, occurrence, time, service, status) from column `at` on.
fn delivery_ref(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<DeliveryRef> {
    Ok(DeliveryRef {
        campaign: r.get(at)?,
        occurrence: r.get(at + 1)?,
        at: from_ms(r.get(at + 2)?),
        service: r.get(at + 3)?,
        status: r.get(at + 4)?,
    })
}

/// The scope's parameter, if it has one (it is the statement's last).
fn scope_param(scope: &Scope) -> Option<Value> {
    match scope {
        Scope::All => None,
        Scope::TouchedSince(t) => Some(Value::Integer(to_ms(*t))),
        Scope::One(id) => Some(Value::Text(id.clone())),
    }
}

fn with_scope(mut params: Vec<Value>, scope: &Scope) -> Vec<Value> {
    params.extend(scope_param(scope));
    params
}

fn in_list(q: &mut QueryBuilder<Sqlite>, ids: &[String]) {
    q.push("(");
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(id.as_str());
    }
    q.push(")");
}

/// Runs `sql` once per batch of `ids` (`{IDS}` in `sql` becomes the batch's placeholders,
/// after the `fixed` parameters) and hands each row to `each`. Full batches share one
/// cached statement.
fn for_each_in(
    conn: &rusqlite::Connection,
    sql: &str,
    fixed: &[Value],
    ids: &[String],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    for chunk in batches(ids, BATCH) {
        let mut stmt = conn.prepare_cached(&sql.replace("{IDS}", &placeholders(chunk.len())))?;
        let params = fixed
            .iter()
            .map(ValueRef::from)
            .chain(chunk.iter().map(|id| ValueRef::Text(id.as_bytes())))
            .map(ToSqlOutput::Borrowed);
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            each(r)?;
        }
    }
    Ok(())
}

impl SqliteStore {
    pub(super) async fn c_margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>> {
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

    pub(super) fn c_facts_chunks(
        &self,
        scope: Scope,
        w: FactsWindows,
        chunk: usize,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<FactsRow>>> {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let bulk = self.bulk.clone();
        tokio::spawn(async move {
            // For a narrow scope, the touched customers' addresses looked up in the list:
            // SQLite (no statistics) otherwise walks all suppressions and seeks each email
            // among the customers (0.3 s for 42k suppressions).
            let suppressions_sql = match scope {
                Scope::All => super::cycle::suppressions_sql(&scope, "?1"),
                _ => super::cycle::facts_sql(
                    "SELECT email, reason FROM suppressions \
                     WHERE email IN (SELECT c.email FROM customers c {CUSTOMER_WHERE})",
                    &scope,
                    "?1",
                ),
            };
            let suppressed = suppressions(unbatch(bulk.stream(
                suppressions_sql,
                with_scope(vec![], &scope),
                EachRow(|r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?))),
            )))
            .await;
            let suppressed = match suppressed {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let recent_complaints = match w.recent_complaints_since {
                Some(since) => {
                    let read = bulk
                        .with(move |conn| {
                            let mut stmt = conn.prepare(
                                "SELECT customer_id, seq, occurred_at FROM events \
                                 WHERE kind = 5 AND occurred_at >= ?1",
                            )?;
                            let mut rows = stmt.query([to_ms(since)])?;
                            let mut out = RecentComplaints::new();
                            while let Some(r) = rows.next()? {
                                out.entry(r.get(0)?)
                                    .or_default()
                                    .push((r.get::<_, i64>(1)?.to_string(), from_ms(r.get(2)?)));
                            }
                            Ok(out)
                        })
                        .await;
                    match read {
                        Ok(c) => Some(c),
                        Err(e) => {
                            let _ = tx.send(Err(e)).await;
                            return;
                        }
                    }
                }
                None => None,
            };
            // Three statements stepped side by side, each on a thread of its own, merged by
            // customer id.
            let sql = |t: &str, p: &str| super::cycle::facts_sql(t, &scope, p);
            let customers = bulk.stream(
                sql(include_str!("sql/sqlite_facts_customers.sql"), "?1"),
                with_scope(vec![], &scope),
                EachRow(customer_row),
            );
            let windows = OrderWindows {
                orders_since: to_ms(w.orders_since),
                margin_since: to_ms(w.margin_since),
                recent_since: w.recent_orders_since.map(to_ms),
            };
            let orders = bulk.stream(
                sql(include_str!("sql/sqlite_facts_orders.sql"), "?2"),
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
                sql(include_str!("sql/sqlite_facts_events.sql"), "?1"),
                with_scope(vec![], &scope),
                EventsByCustomer {
                    referrals_since: to_ms(w.referrals_since),
                    open: None,
                },
            );
            let deliveries = w.deliveries.then(|| {
                unbatch(bulk.stream(
                    super::cycle::DELIVERIES_BY_CUSTOMER_SQL.to_owned(),
                    vec![],
                    EachRow(|r: &rusqlite::Row<'_>| {
                        Ok(CustomerDelivery {
                            customer_id: r.get(0)?,
                            delivery: delivery_ref(r, 1)?,
                        })
                    }),
                ))
            });
            let streams = FactsStreams {
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

    pub(super) async fn c_plan_contexts(
        &self,
        req: &ContextRequest<'_>,
    ) -> Result<HashMap<String, PlanContext>> {
        let (ids, ordered, complained) = (
            req.ids.to_vec(),
            req.ordered_recently.to_vec(),
            req.complained_recently.to_vec(),
        );
        let (orders_since, complaints_since) = (req.orders_since, req.complaints_since);
        self.bulk
            .with(move |conn| {
                let mut out: HashMap<String, PlanContext> = HashMap::with_capacity(ids.len());
                for_each_in(
                    conn,
                    "SELECT customer_id, id, occurred_at FROM orders \
                     WHERE occurred_at >= ? AND customer_id IN ({IDS})",
                    &[Value::Integer(to_ms(orders_since))],
                    &ordered,
                    |r| {
                        out.entry(r.get(0)?)
                            .or_default()
                            .orders
                            .push((r.get(1)?, from_ms(r.get(2)?)));
                        Ok(())
                    },
                )?;
                for_each_in(
                    conn,
                    "SELECT customer_id, seq, occurred_at FROM events \
                     WHERE kind = 5 AND occurred_at >= ? AND customer_id IN ({IDS})",
                    &[Value::Integer(to_ms(complaints_since))],
                    &complained,
                    |r| {
                        out.entry(r.get(0)?)
                            .or_default()
                            .complaints
                            .push((r.get::<_, i64>(1)?.to_string(), from_ms(r.get(2)?)));
                        Ok(())
                    },
                )?;
                for_each_in(
                    conn,
                    "SELECT customer_id, campaign, occurrence, COALESCE(sent_at, send_at), service, status \
                     FROM deliveries WHERE customer_id IN ({IDS})",
                    &[],
                    &ids,
                    |r| {
                        out.entry(r.get(0)?)
                            .or_default()
                            .deliveries
                            .push(delivery_ref(r, 1)?);
                        Ok(())
                    },
                )?;
                Ok(out)
            })
            .await
    }

    pub(super) async fn c_apply_cycle(
        &self,
        changes: &[LevelChange],
        deliveries: &[NewDelivery],
        notifications: &[crate::domain::NewNotification],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        // Multi-row statements: the first cycle after an import changes every customer, and
        // one UPDATE + one INSERT per customer through sqlx took ~2 minutes for 1M.
        // 5 variables per row: far below SQLite's 32,766.
        for chunk in batches(changes, BATCH) {
            let reasons: Vec<String> = chunk
                .iter()
                .map(|c| serde_json::to_string(&c.reasons).unwrap_or_default())
                .collect();
            let mut q = QueryBuilder::<Sqlite>::new("WITH t (id, cur, tgt, reasons) AS (");
            q.push_values(chunk.iter().zip(&reasons), |mut b, (c, r)| {
                b.push_bind(&c.customer_id)
                    .push_bind(c.current.rank())
                    .push_bind(c.target.rank())
                    .push_bind(r);
            });
            q.push(
                ") UPDATE customers SET current_level = t.cur, target_level = t.tgt, \
                 level_reasons = t.reasons, assessed_at = ",
            );
            q.push_bind(to_ms(at))
                .push(" FROM t WHERE customers.id = t.id");
            q.build().execute(&mut *tx).await?;
            let moved: Vec<(&LevelChange, &String)> = chunk
                .iter()
                .zip(&reasons)
                .filter(|(c, _)| c.writes_history())
                .collect();
            if moved.is_empty() {
                continue;
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO level_history (customer_id, from_level, to_level, at, reasons) ",
            );
            q.push_values(moved, |mut b, (c, r)| {
                b.push_bind(&c.customer_id)
                    .push_bind(c.from.map(crate::domain::Level::rank))
                    .push_bind(c.current.rank())
                    .push_bind(to_ms(at))
                    .push_bind(r);
            });
            q.build().execute(&mut *tx).await?;
        }
        let mut queued = 0;
        for chunk in batches(deliveries, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (id, customer_id, campaign, occurrence, service, status, current_level, \
                 target_level, send_at, next_attempt_at, message_id, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, d| {
                b.push_bind(d.id.to_string())
                    .push_bind(&d.customer_id)
                    .push_bind(&d.campaign)
                    .push_bind(&d.occurrence)
                    .push_bind(d.service)
                    .push_bind("queued")
                    .push_bind(d.current.rank())
                    .push_bind(d.target.rank())
                    .push_bind(to_ms(d.send_at))
                    .push_bind(to_ms(d.send_at))
                    .push_bind(&d.message_id)
                    .push_bind(to_ms(at))
                    .push_bind(to_ms(at));
            });
            q.push(" ON CONFLICT (customer_id, campaign, occurrence) DO NOTHING");
            queued += q.build().execute(&mut *tx).await?.rows_affected();
        }
        // The level_changed notifications commit with the levels they announce.
        super::sqlite_notify::insert_notifications(&mut tx, notifications).await?;
        tx.commit().await?;
        Ok(queued)
    }

    pub(super) async fn c_level_counts(&self, now: DateTime<Utc>) -> Result<LevelCounts> {
        let mut counts = LevelCounts::default();
        for r in sqlx::query(
            "SELECT locale, current_level, target_level, COUNT(*) FROM customers GROUP BY 1, 2, 3",
        )
        .fetch_all(&self.pool)
        .await?
        {
            counts.add(r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) as u64);
        }
        let r = sqlx::query(
            "SELECT COALESCE(SUM(to_level > from_level), 0), COALESCE(SUM(to_level < from_level), 0) \
             FROM level_history WHERE at >= ?",
        )
        .bind(to_ms(now - chrono::TimeDelta::days(30)))
        .fetch_one(&self.pool)
        .await?;
        counts.climbed_30d = r.get::<i64, _>(0) as u64;
        counts.dropped_30d = r.get::<i64, _>(1) as u64;
        Ok(counts)
    }

    pub(super) async fn c_level_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query("SELECT from_level, to_level, at, reasons FROM level_history WHERE customer_id = ? ORDER BY at, seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| HistoryEntry {
                from: r.get::<Option<i64>, _>(0).map(level_of),
                to: level_of(r.get(1)),
                at: from_ms(r.get(2)),
                reasons: serde_json::from_str(r.get::<&str, _>(3)).unwrap_or_default(),
            })
            .collect())
    }

    pub(super) async fn c_get_state(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM engine_state WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn c_set_state(&self, name: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO engine_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn c_claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
    ) -> Result<Vec<ClaimedDelivery>> {
        // BEGIN IMMEDIATE takes the write lock up front, so two workers (or processes) never
        // claim the same row; a live lease is only taken over once it has expired.
        // Two limited scans, not one `… OR …` ordered scan: with OR, SQLite collects and sorts
        // every due row on each claim, which makes draining a queue quadratic in its length.
        // Expired leases first (few: at most the batches of dead workers), then due rows in
        // time order straight off `deliveries_due`.
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE deliveries SET status = 'sending', lease_until = ?1, lease_owner = ?2, \
             attempts = attempts + 1, updated_at = ?3 \
             WHERE id IN ( \
                SELECT id FROM (SELECT id FROM deliveries \
                    WHERE status = 'sending' AND lease_until < ?3 LIMIT ?4) \
                UNION ALL \
                SELECT id FROM (SELECT id FROM deliveries \
                    WHERE status = 'queued' AND next_attempt_at <= ?3 \
                    ORDER BY next_attempt_at LIMIT ?4) \
                LIMIT ?4) \
             RETURNING id",
        )
        .bind(to_ms(now + lease))
        .bind(owner)
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for chunk in batches(&ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT d.id, d.customer_id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed, \
                 s.reason, d.campaign, d.occurrence, d.current_level, d.target_level, d.attempts, d.message_id \
                 FROM deliveries d JOIN customers c ON c.id = d.customer_id \
                 LEFT JOIN suppressions s ON s.email = c.email WHERE d.id IN ",
            );
            in_list(&mut q, chunk);
            for r in q.build().fetch_all(&mut *tx).await? {
                claimed.push(ClaimedDelivery {
                    id: r.get::<&str, _>(0).parse().unwrap_or_default(),
                    customer_id: r.get(1),
                    email: r.get(2),
                    name: r.get(3),
                    locale: r.get(4),
                    timezone: r.get(5),
                    attributes: serde_json::from_str(r.get::<&str, _>(6)).unwrap_or_default(),
                    subscribed: r.get(7),
                    suppression: r.get(8),
                    campaign: r.get(9),
                    occurrence: r.get(10),
                    current: level_of(r.get(11)),
                    target: level_of(r.get(12)),
                    attempts: r.get(13),
                    message_id: r.get(14),
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    pub(super) async fn c_record_results(
        &self,
        results: &[DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // One transaction, one cached statement per row: SQLite executes these in
        // microseconds. `status = 'sending' AND lease_owner = ?` fences out a worker whose
        // lease was taken over.
        const FENCE: &str = " WHERE id = ? AND status = 'sending' AND lease_owner = ?";
        let mut tx = self.begin_write().await?;
        let now = to_ms(now);
        for r in results {
            match r {
                DeliveryResult::Sent { id, links } => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE deliveries SET status = 'sent', sent_at = ?, links = ?, lease_until = NULL, last_error = NULL, updated_at = ?{FENCE}")))
                        .bind(now)
                        .bind(serde_json::to_string(links).unwrap_or_default())
                        .bind(now)
                        .bind(id.to_string())
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?;
                }
                DeliveryResult::Retry {
                    id,
                    next_attempt_at,
                    error,
                } => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE deliveries SET status = 'queued', next_attempt_at = ?, last_error = ?, lease_until = NULL, updated_at = ?{FENCE}")))
                        .bind(to_ms(*next_attempt_at))
                        .bind(error)
                        .bind(now)
                        .bind(id.to_string())
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?;
                }
                DeliveryResult::Failed {
                    id,
                    error,
                    suppress,
                } => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE deliveries SET status = 'failed', last_error = ?, lease_until = NULL, updated_at = ?{FENCE}")))
                        .bind(error)
                        .bind(now)
                        .bind(id.to_string())
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?;
                    if let Some((email, reason)) = suppress {
                        sqlx::query("INSERT INTO suppressions (email, reason, source, created_at) VALUES (?, ?, 'smtp', ?) ON CONFLICT (email) DO NOTHING")
                            .bind(email)
                            .bind(reason)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                DeliveryResult::Suppressed { id, reason } => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE deliveries SET status = 'suppressed', last_error = ?, lease_until = NULL, updated_at = ?{FENCE}")))
                        .bind(reason)
                        .bind(now)
                        .bind(id.to_string())
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn c_occurrence_data(
        &self,
        order_ids: &[String],
        seqs: &[i64],
    ) -> Result<HashMap<String, OccurrenceData>> {
        let mut out = HashMap::new();
        for chunk in batches(order_ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, occurred_at, amount, currency, items FROM orders WHERE id IN ",
            );
            in_list(&mut q, chunk);
            for r in q.build().fetch_all(&self.pool).await? {
                let id: String = r.get(0);
                let items: serde_json::Value =
                    serde_json::from_str(r.get::<&str, _>(4)).unwrap_or_default();
                out.insert(
                    format!("order:{id}"),
                    OccurrenceData::Order(serde_json::json!({
                        "id": id, "occurred_at": from_ms(r.get(1)), "amount": r.get::<f64, _>(2),
                        "currency": r.get::<String, _>(3), "items": items,
                    })),
                );
            }
        }
        for chunk in batches(seqs, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT seq, occurred_at, data FROM events WHERE seq IN (",
            );
            let mut sep = q.separated(", ");
            for s in chunk {
                sep.push_bind(*s);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                let seq: i64 = r.get(0);
                let data: serde_json::Value =
                    serde_json::from_str(r.get::<&str, _>(2)).unwrap_or_default();
                out.insert(
                    format!("complaint:{seq}"),
                    OccurrenceData::Complaint(serde_json::json!({"id": seq.to_string(), "occurred_at": from_ms(r.get(1)), "data": data})),
                );
            }
        }
        Ok(out)
    }

    pub(super) async fn c_outbox_counts(&self) -> Result<Vec<OutboxCounts>> {
        let rows = sqlx::query(
            "SELECT campaign, status, COUNT(*) FROM deliveries GROUP BY 1, 2 ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(super::cycle::fold_outbox_counts(
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get::<i64, _>(2))),
        ))
    }

    pub(super) async fn c_pending(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE status IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }
}
