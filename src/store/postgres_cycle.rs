//! PostgreSQL side of the cycle and the outbox.

use super::cycle::{ContextRequest, level_of};
use super::facts_merge::{
    CustomerDelivery, EventFacts, FactsStreams, OrderFacts, RecentComplaints, merge_in_chunks,
    suppressions,
};
use super::{
    ClaimedDelivery, DeliveryRef, DeliveryResult, FactsRow, FactsWindows, HistoryEntry,
    LevelChange, LevelCounts, NewDelivery, OccurrenceData, OutboxCounts, PgStore, PlanContext,
    Result, Scope, batches,
};
use crate::domain::CustomerFacts;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Postgres, Row};
use std::collections::HashMap;

const BATCH: usize = 5_000;

fn customer_row(r: &PgRow) -> Result<FactsRow, sqlx::Error> {
    Ok(FactsRow {
        customer_id: r.try_get(0)?,
        email: r.try_get(1)?,
        locale: r.try_get(2)?,
        timezone: r.try_get(3)?,
        subscribed: r.try_get(4)?,
        // Filled in from the suppressions map by the merge.
        suppression: None,
        any_complaint_at: None,
        recent_orders: None,
        recent_complaints: None,
        deliveries: None,
        stored_current: r.try_get::<Option<i64>, _>(5)?.map(level_of),
        stored_target: level_of(r.try_get(6)?),
        facts: CustomerFacts {
            target_override: r
                .try_get::<Option<i64>, _>(7)?
                .and_then(crate::domain::Level::from_rank),
            ..CustomerFacts::default()
        },
    })
}

/// One row of postgres_facts_orders.sql; `recent_wanted`: whether the statement was asked
/// for the recent orders (a NULL list then means none, not "not read").
fn order_facts(r: &PgRow, recent_wanted: bool) -> Result<OrderFacts, sqlx::Error> {
    let ids: Option<Vec<String>> = r.try_get(4)?;
    let times: Option<Vec<DateTime<Utc>>> = r.try_get(5)?;
    let recent_orders = recent_wanted.then(|| {
        ids.unwrap_or_default()
            .into_iter()
            .zip(times.unwrap_or_default())
            .collect()
    });
    Ok(OrderFacts {
        customer_id: r.try_get(0)?,
        orders_in_window: r.try_get::<i64, _>(1)? as u32,
        margin_in_window: r.try_get(2)?,
        last_order_at: r.try_get(3)?,
        recent_orders,
    })
}

fn customer_delivery(r: &PgRow) -> Result<CustomerDelivery, sqlx::Error> {
    Ok(CustomerDelivery {
        customer_id: r.try_get(0)?,
        delivery: DeliveryRef {
            campaign: r.try_get(1)?,
            occurrence: r.try_get(2)?,
            at: r.try_get(3)?,
            service: r.try_get(4)?,
            status: r.try_get(5)?,
        },
    })
}

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
        out.entry(r.try_get(0)?)
            .or_default()
            .push((r.try_get::<i64, _>(1)?.to_string(), r.try_get(2)?));
    }
    Ok(out)
}

fn event_facts(r: &PgRow) -> Result<EventFacts, sqlx::Error> {
    Ok(EventFacts {
        customer_id: r.try_get(0)?,
        last_click_at: r.try_get(1)?,
        last_reply_at: r.try_get(2)?,
        last_support_contact_at: r.try_get(3)?,
        last_complaint_at: r.try_get(4)?,
        last_complaint_resolved_at: r.try_get(5)?,
        last_survey_response_at: r.try_get(6)?,
        partnership_accepted_at: r.try_get(7)?,
        referrals_in_window: r.try_get::<i64, _>(8)? as u32,
        any_complaint_at: r.try_get(9)?,
    })
}

/// A transaction for one of the facts streams, with the settings its plan needs: no JIT (it
/// compiled each statement for longer than the statement ran), no parallel workers (three
/// streams already share two cores, and with workers the customers were sorted instead of
/// read in primary-key order). `SET LOCAL` ends with the transaction, not the connection.
async fn facts_transaction(pool: &sqlx::PgPool) -> Result<sqlx::Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Binds the scope's parameter, if it has one.
fn bind_scope<'q>(
    q: sqlx::query::Query<'q, Postgres, PgArguments>,
    scope: &Scope,
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    match scope {
        Scope::All => q,
        Scope::TouchedSince(t) => q.bind(*t),
        Scope::One(id) => q.bind(id.clone()),
    }
}

impl PgStore {
    pub(super) async fn c_margins(&self, since: DateTime<Utc>) -> Result<Vec<f64>> {
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

    pub(super) fn c_facts_chunks(
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
            let q = bind_scope(
                sqlx::query(sqlx::AssertSqlSafe(super::cycle::suppressions_sql(
                    &scope, "$1",
                ))),
                &scope,
            );
            let rows = q
                .fetch(&pool)
                .map(|r| r.and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?))));
            let suppressed = match suppressions(rows).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            };
            let recent_complaints = match w.recent_complaints_since {
                Some(since) => match recent_complaints(&pool, since).await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                },
                None => None,
            };
            let txs = async {
                Ok::<_, super::StoreError>((
                    facts_transaction(&streams).await?,
                    facts_transaction(&streams).await?,
                    facts_transaction(&streams).await?,
                ))
            };
            let with_deliveries = w.deliveries;
            let dt = async {
                if !with_deliveries {
                    return Ok(None);
                }
                let mut t = facts_transaction(&streams).await?;
                // Walk the unique key in order: a sort of the whole outbox (what the costs
                // pick for a table read in full) holds every row before the first is sent.
                sqlx::query("SET LOCAL enable_sort = off")
                    .execute(&mut *t)
                    .await?;
                Ok::<_, super::StoreError>(Some(t))
            };
            let (mut ct, mut ot, mut et, mut dt) = match async { Ok((txs.await?, dt.await?)) }
                .await
                .map(|((c, o, e), d)| (c, o, e, d))
            {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let sql = |t: &str, p: &str| super::cycle::facts_sql(t, &scope, p);
            let customers_sql = sql(include_str!("sql/postgres_facts_customers.sql"), "$1");
            let orders_sql = sql(include_str!("sql/postgres_facts_orders.sql"), "$4");
            let events_sql = sql(include_str!("sql/postgres_facts_events.sql"), "$2");
            let customers = bind_scope(sqlx::query(sqlx::AssertSqlSafe(customers_sql)), &scope)
                .fetch(&mut *ct)
                .map(|r| r.and_then(|r| customer_row(&r)));
            let orders = bind_scope(
                sqlx::query(sqlx::AssertSqlSafe(orders_sql))
                    .bind(w.orders_since)
                    .bind(w.margin_since)
                    .bind(w.recent_orders_since),
                &scope,
            )
            .fetch(&mut *ot)
            .map(|r| r.and_then(|r| order_facts(&r, w.recent_orders_since.is_some())));
            let events = bind_scope(
                sqlx::query(sqlx::AssertSqlSafe(events_sql)).bind(w.referrals_since),
                &scope,
            )
            .fetch(&mut *et)
            .map(|r| r.and_then(|r| event_facts(&r)));
            let deliveries = dt.as_mut().map(|t| {
                sqlx::query(super::cycle::DELIVERIES_BY_CUSTOMER_SQL)
                    .fetch(&mut **t)
                    .map(|r| r.and_then(|r| customer_delivery(&r)))
                    .boxed()
            });
            let streams = FactsStreams {
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

    pub(super) async fn c_plan_contexts(
        &self,
        req: &ContextRequest<'_>,
    ) -> Result<HashMap<String, PlanContext>> {
        let mut out: HashMap<String, PlanContext> = HashMap::with_capacity(req.ids.len());
        for chunk in batches(req.ordered_recently, BATCH) {
            for r in sqlx::query(
                "SELECT customer_id, id, occurred_at FROM orders \
                 WHERE occurred_at >= $1 AND customer_id = ANY($2)",
            )
            .bind(req.orders_since)
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?
            {
                out.entry(r.try_get(0)?)
                    .or_default()
                    .orders
                    .push((r.try_get(1)?, r.try_get(2)?));
            }
        }
        for chunk in batches(req.complained_recently, BATCH) {
            for r in sqlx::query(
                "SELECT customer_id, seq, occurred_at FROM events \
                 WHERE kind = 5 AND occurred_at >= $1 AND customer_id = ANY($2)",
            )
            .bind(req.complaints_since)
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?
            {
                out.entry(r.try_get(0)?)
                    .or_default()
                    .complaints
                    .push((r.try_get::<i64, _>(1)?.to_string(), r.try_get(2)?));
            }
        }
        for chunk in batches(req.ids, BATCH) {
            for r in sqlx::query(
                "SELECT customer_id, campaign, occurrence, COALESCE(sent_at, send_at), \
                 service, status FROM deliveries WHERE customer_id = ANY($1)",
            )
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?
            {
                let delivery = customer_delivery(&r)?;
                out.entry(delivery.customer_id)
                    .or_default()
                    .deliveries
                    .push(delivery.delivery);
            }
        }
        Ok(out)
    }

    pub(super) async fn c_apply_cycle(
        &self,
        changes: &[LevelChange],
        deliveries: &[NewDelivery],
        notifications: &[crate::domain::NewNotification],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        for chunk in batches(changes, BATCH) {
            sqlx::query(
                "UPDATE customers c SET current_level = t.cur, target_level = t.tgt, \
                 level_reasons = t.reasons::jsonb, assessed_at = $5 \
                 FROM UNNEST($1::text[], $2::int2[], $3::int2[], $4::text[]) AS t(id, cur, tgt, reasons) \
                 WHERE c.id = t.id",
            )
            .bind(chunk.iter().map(|c| c.customer_id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.current.rank()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.target.rank()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| serde_json::to_string(&c.reasons).unwrap_or_default()).collect::<Vec<_>>())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let moved: Vec<&LevelChange> = chunk.iter().filter(|c| c.writes_history()).collect();
            sqlx::query(
                "INSERT INTO level_history (customer_id, from_level, to_level, at, reasons) \
                 SELECT id, f, t, $4, r::jsonb FROM UNNEST($1::text[], $2::int2[], $3::int2[], $5::text[]) AS x(id, f, t, r)",
            )
            .bind(moved.iter().map(|c| c.customer_id.as_str()).collect::<Vec<_>>())
            .bind(moved.iter().map(|c| c.from.map(crate::domain::Level::rank)).collect::<Vec<_>>())
            .bind(moved.iter().map(|c| c.current.rank()).collect::<Vec<_>>())
            .bind(at)
            .bind(moved.iter().map(|c| serde_json::to_string(&c.reasons).unwrap_or_default()).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let mut queued = 0;
        for chunk in batches(deliveries, BATCH) {
            queued += sqlx::query(
                "INSERT INTO deliveries (id, customer_id, campaign, occurrence, service, status, current_level, \
                 target_level, send_at, next_attempt_at, message_id, created_at, updated_at) \
                 SELECT id, cid, campaign, occ, svc, 'queued', cur, tgt, send_at, send_at, mid, $10, $10 \
                 FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::int2[], \
                 $7::int2[], $8::timestamptz[], $9::text[]) AS t(id, cid, campaign, occ, svc, cur, tgt, send_at, mid) \
                 ON CONFLICT (customer_id, campaign, occurrence) DO NOTHING",
            )
            .bind(chunk.iter().map(|d| d.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.customer_id.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.campaign.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.occurrence.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.service).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.current.rank()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.target.rank()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.send_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.message_id.as_str()).collect::<Vec<_>>())
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        // The level_changed notifications commit with the levels they announce.
        super::postgres_notify::insert_notifications(&mut tx, notifications).await?;
        tx.commit().await?;
        Ok(queued)
    }

    pub(super) async fn c_level_counts(&self, now: DateTime<Utc>) -> Result<LevelCounts> {
        let mut counts = LevelCounts::default();
        for r in sqlx::query(
            "SELECT locale, current_level::int8, target_level::int8, COUNT(*) FROM customers \
             GROUP BY 1, 2, 3",
        )
        .fetch_all(&self.pool)
        .await?
        {
            counts.add(r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) as u64);
        }
        let r = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE to_level > from_level), COUNT(*) FILTER (WHERE to_level < from_level) \
             FROM level_history WHERE at >= $1",
        )
        .bind(now - chrono::TimeDelta::days(30))
        .fetch_one(&self.pool)
        .await?;
        counts.climbed_30d = r.get::<i64, _>(0) as u64;
        counts.dropped_30d = r.get::<i64, _>(1) as u64;
        Ok(counts)
    }

    pub(super) async fn c_level_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT from_level::int8, to_level::int8, at, reasons::text FROM level_history WHERE customer_id = $1 ORDER BY at, seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| HistoryEntry {
                from: r.get::<Option<i64>, _>(0).map(level_of),
                to: level_of(r.get(1)),
                at: r.get(2),
                reasons: serde_json::from_str(r.get::<&str, _>(3)).unwrap_or_default(),
            })
            .collect())
    }

    pub(super) async fn c_get_state(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM engine_state WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn c_set_state(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO engine_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn c_claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
    ) -> Result<Vec<ClaimedDelivery>> {
        // SKIP LOCKED: replicas claiming at once each get different rows, without waiting.
        // Two limited scans, not one `… OR …` ordered scan: with OR, PostgreSQL bitmap-scans
        // and sorts every due row on each claim, which makes draining a queue quadratic in
        // its length. Expired leases first (few: the batches of dead workers), then due rows
        // in time order straight off `deliveries_due`.
        let rows = sqlx::query(
            "WITH expired AS (SELECT id FROM deliveries \
                WHERE status = 'sending' AND lease_until < $1 \
                LIMIT $2 FOR UPDATE SKIP LOCKED), \
             queued AS (SELECT id FROM deliveries \
                WHERE status = 'queued' AND next_attempt_at <= $1 \
                ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED), \
             due AS (SELECT id FROM expired UNION ALL SELECT id FROM queued LIMIT $2), \
             claimed AS (UPDATE deliveries d SET status = 'sending', lease_until = $3, lease_owner = $4, \
                attempts = d.attempts + 1, updated_at = $1 FROM due WHERE d.id = due.id \
                RETURNING d.id, d.customer_id, d.campaign, d.occurrence, d.current_level, d.target_level, d.attempts, d.message_id) \
             SELECT claimed.id, claimed.customer_id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed, \
                s.reason, claimed.campaign, claimed.occurrence, claimed.current_level::int8, claimed.target_level::int8, \
                claimed.attempts, claimed.message_id \
             FROM claimed JOIN customers c ON c.id = claimed.customer_id LEFT JOIN suppressions s ON s.email = c.email",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(now + lease)
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ClaimedDelivery {
                id: r.get(0),
                customer_id: r.get(1),
                email: r.get(2),
                name: r.get(3),
                locale: r.get(4),
                timezone: r.get(5),
                attributes: r.get(6),
                subscribed: r.get(7),
                suppression: r.get(8),
                campaign: r.get(9),
                occurrence: r.get(10),
                current: level_of(r.get(11)),
                target: level_of(r.get(12)),
                attempts: r.get(13),
                message_id: r.get(14),
            })
            .collect())
    }

    pub(super) async fn c_record_results(
        &self,
        results: &[DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // One UPDATE … FROM UNNEST per kind of result instead of a round trip per row (500
        // single-row updates were the largest cost of sending on PostgreSQL). Fenced by
        // `status = 'sending' AND lease_owner = $owner`: a worker whose lease was taken over
        // never overwrites the newer claim's result.
        let mut sent: (Vec<uuid::Uuid>, Vec<String>) = Default::default();
        let mut retry: (Vec<uuid::Uuid>, Vec<DateTime<Utc>>, Vec<&str>) = Default::default();
        let mut done: (Vec<uuid::Uuid>, Vec<&str>, Vec<&str>) = Default::default();
        let mut suppress: (Vec<&str>, Vec<&str>) = Default::default();
        for r in results {
            match r {
                DeliveryResult::Sent { id, links } => {
                    sent.0.push(*id);
                    sent.1
                        .push(serde_json::to_string(links).unwrap_or_default());
                }
                DeliveryResult::Retry {
                    id,
                    next_attempt_at,
                    error,
                } => {
                    retry.0.push(*id);
                    retry.1.push(*next_attempt_at);
                    retry.2.push(error);
                }
                DeliveryResult::Failed {
                    id,
                    error,
                    suppress: s,
                } => {
                    done.0.push(*id);
                    done.1.push("failed");
                    done.2.push(error);
                    if let Some((email, reason)) = s {
                        suppress.0.push(email);
                        suppress.1.push(reason);
                    }
                }
                DeliveryResult::Suppressed { id, reason } => {
                    done.0.push(*id);
                    done.1.push("suppressed");
                    done.2.push(reason);
                }
            }
        }
        let mut tx = self.pool.begin().await?;
        if !sent.0.is_empty() {
            sqlx::query(
                "UPDATE deliveries d SET status = 'sent', sent_at = $1, links = v.links::jsonb, lease_until = NULL, \
                 last_error = NULL, updated_at = $1 FROM UNNEST($2::uuid[], $3::text[]) AS v(id, links) \
                 WHERE d.id = v.id AND d.status = 'sending' AND d.lease_owner = $4",
            )
            .bind(now)
            .bind(&sent.0)
            .bind(&sent.1)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        if !retry.0.is_empty() {
            sqlx::query(
                "UPDATE deliveries d SET status = 'queued', next_attempt_at = v.at, last_error = v.err, \
                 lease_until = NULL, updated_at = $1 FROM UNNEST($2::uuid[], $3::timestamptz[], $4::text[]) AS v(id, at, err) \
                 WHERE d.id = v.id AND d.status = 'sending' AND d.lease_owner = $5",
            )
            .bind(now)
            .bind(&retry.0)
            .bind(&retry.1)
            .bind(&retry.2)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        if !done.0.is_empty() {
            sqlx::query(
                "UPDATE deliveries d SET status = v.status, last_error = v.err, lease_until = NULL, updated_at = $1 \
                 FROM UNNEST($2::uuid[], $3::text[], $4::text[]) AS v(id, status, err) \
                 WHERE d.id = v.id AND d.status = 'sending' AND d.lease_owner = $5",
            )
            .bind(now)
            .bind(&done.0)
            .bind(&done.1)
            .bind(&done.2)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        if !suppress.0.is_empty() {
            sqlx::query(
                "INSERT INTO suppressions (email, reason, source, created_at) \
                 SELECT email, reason, 'smtp', $1 FROM UNNEST($2::text[], $3::text[]) AS v(email, reason) \
                 ON CONFLICT (email) DO NOTHING",
            )
            .bind(now)
            .bind(&suppress.0)
            .bind(&suppress.1)
            .execute(&mut *tx)
            .await?;
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
            for r in sqlx::query(
                "SELECT id, occurred_at, amount, currency, items FROM orders WHERE id = ANY($1)",
            )
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?
            {
                let id: String = r.get(0);
                let at: DateTime<Utc> = r.get(1);
                out.insert(
                    format!("order:{id}"),
                    OccurrenceData::Order(serde_json::json!({
                        "id": id, "occurred_at": at, "amount": r.get::<f64, _>(2),
                        "currency": r.get::<String, _>(3), "items": r.get::<serde_json::Value, _>(4),
                    })),
                );
            }
        }
        for chunk in batches(seqs, BATCH) {
            for r in sqlx::query("SELECT seq, occurred_at, data FROM events WHERE seq = ANY($1)")
                .bind(chunk)
                .fetch_all(&self.pool)
                .await?
            {
                let seq: i64 = r.get(0);
                let at: DateTime<Utc> = r.get(1);
                out.insert(
                    format!("complaint:{seq}"),
                    OccurrenceData::Complaint(serde_json::json!({"id": seq.to_string(), "occurred_at": at, "data": r.get::<serde_json::Value, _>(2)})),
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
