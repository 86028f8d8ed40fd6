//! SQLite: the deliveries outbox — claims, results, and what rendering a claim needs.

use super::{SqliteStore, push_list};
use crate::store::outbox::{
    SentEmail, earliest_activity, requeue_failed, sent_emails, stored_kind,
};
use crate::store::portable;
use crate::store::rows::{
    activity_event, activity_order, claimed_delivery, complaint_occurrence, customer_profile,
    order_occurrence,
};
use crate::store::time::to_ms;
use crate::store::{
    Activity, ActivityCheck, Claim, ClaimedDelivery, CustomerProfile, DeliveryResult,
    OccurrenceData, Outbox, OutboxCounts, Result, batches,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};
use std::collections::HashMap;

/// Rows per IN list (SQLite allows 32,766 variables).
const BATCH: usize = 2_000;
/// Sent results per UPDATE … FROM (VALUES …): three variables each.
const SENT_ROWS: usize = 1_000;

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim_due(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>> {
        // BEGIN IMMEDIATE takes the write lock up front, so two workers (or processes) never
        // claim the same row; a live lease is only taken over once it has expired.
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> = sqlx::query_scalar(include_str!("../sql/sqlite_claim_due.sql"))
            .bind(to_ms(claim.until()))
            .bind(claim.owner)
            .bind(to_ms(claim.now))
            .bind(i64::from(claim.limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for chunk in batches(&ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT d.id, d.customer_id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed, \
                 s.reason, d.campaign, d.occurrence, d.current_level, d.target_level, d.attempts, d.message_id, \
                 d.unless_since, d.variant, d.send_at, c.left_topics FROM deliveries d JOIN customers c ON c.id = d.customer_id \
                 LEFT JOIN suppressions s ON s.email = c.email WHERE d.id IN ",
            );
            push_list(&mut q, chunk.iter().map(String::as_str));
            for r in q.build().fetch_all(&mut *tx).await? {
                claimed.push(claimed_delivery(&r)?);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn record_results(
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
        // Sent emails, nearly every result, in one UPDATE … FROM (VALUES …) per chunk: each
        // statement is a hop to sqlx's SQLite thread and back (a wake-up each way), and a
        // statement per row cost more CPU in the hops than in SQLite (perf, bench_send).
        let sent: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                DeliveryResult::Sent {
                    id,
                    links,
                    transport,
                } => Some((id, links, transport)),
                _ => None,
            })
            .collect();
        for chunk in sent.chunks(SENT_ROWS) {
            let mut q =
                QueryBuilder::<Sqlite>::new("UPDATE deliveries SET status = 'sent', sent_at = ");
            q.push_bind(now)
                .push(
                    ", links = v.column2, transport = v.column3, last_error = NULL, \
                     lease_until = NULL, updated_at = ",
                )
                .push_bind(now)
                .push(" FROM (VALUES ");
            let mut rows = q.separated(", ");
            for (id, links, transport) in chunk {
                rows.push("(")
                    .push_bind_unseparated(id.to_string())
                    .push_unseparated(", ")
                    .push_bind_unseparated(serde_json::to_string(links).unwrap_or_default())
                    .push_unseparated(", ")
                    .push_bind_unseparated(transport.as_deref().map(str::to_owned))
                    .push_unseparated(")");
            }
            q.push(
                ") AS v WHERE deliveries.id = v.column1 AND deliveries.status = 'sending' \
                 AND deliveries.lease_owner = ",
            )
            .push_bind(owner);
            q.build().execute(&mut *tx).await?;
        }
        for r in results {
            let set = |columns: &str| {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE deliveries SET {columns}, lease_until = NULL, updated_at = ?{FENCE}"
                )))
            };
            let (q, id) = match r {
                DeliveryResult::Sent { .. } => continue,
                DeliveryResult::Retry {
                    id,
                    next_attempt_at,
                    error,
                } => (
                    set("status = 'queued', next_attempt_at = ?, last_error = ?")
                        .bind(to_ms(*next_attempt_at))
                        .bind(error),
                    id,
                ),
                DeliveryResult::Throttled {
                    id,
                    next_attempt_at,
                    error,
                }
                | DeliveryResult::FailedOver {
                    id,
                    next_attempt_at,
                    error,
                } => (
                    set("status = 'queued', attempts = attempts - 1, next_attempt_at = ?, last_error = ?")
                        .bind(to_ms(*next_attempt_at))
                        .bind(error),
                    id,
                ),
                DeliveryResult::Failed { id, error, .. } => {
                    (set("status = 'failed', last_error = ?").bind(error), id)
                }
                DeliveryResult::Suppressed { id, reason } => (
                    set("status = 'suppressed', last_error = ?").bind(reason),
                    id,
                ),
                DeliveryResult::Cancelled { id, reason } => {
                    (set("status = 'cancelled', last_error = ?").bind(reason), id)
                }
            };
            q.bind(now)
                .bind(id.to_string())
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            if let DeliveryResult::Failed {
                suppress: Some((email, reason)),
                ..
            } = r
            {
                sqlx::query(
                    "INSERT INTO suppressions (email, reason, source, created_at) \
                     VALUES (?, ?, 'smtp', ?) ON CONFLICT (email) DO NOTHING",
                )
                .bind(email)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn occurrence_data(
        &self,
        order_ids: &[String],
        seqs: &[i64],
    ) -> Result<HashMap<String, OccurrenceData>> {
        let mut out = HashMap::new();
        for chunk in batches(order_ids, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, occurred_at, amount, currency, items FROM orders WHERE id IN ",
            );
            push_list(&mut q, chunk.iter().map(String::as_str));
            for r in q.build().fetch_all(&self.pool).await? {
                out.extend([order_occurrence(&r)?]);
            }
        }
        for chunk in batches(seqs, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT seq, occurred_at, data FROM events WHERE seq IN ",
            );
            push_list(&mut q, chunk.iter().copied());
            for r in q.build().fetch_all(&self.pool).await? {
                out.extend([complaint_occurrence(&r)?]);
            }
        }
        Ok(out)
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCounts>> {
        portable::outbox_counts(&self.pool).await
    }

    async fn pending_deliveries(&self) -> Result<u64> {
        portable::pending_deliveries(&self.pool).await
    }

    async fn activity_since(
        &self,
        checks: &[ActivityCheck],
    ) -> Result<HashMap<uuid::Uuid, Activity>> {
        // The checks as a VALUES list the statement joins: one row per (check, kind), each
        // a seek into events_facts (customer, time) from the check's `since` on. SQLite has
        // no arrays to bind.
        let kinds: Vec<(usize, &ActivityCheck, (i16, Option<&str>))> = checks
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.kinds.iter().map(move |k| (i, c, stored_kind(k))))
            .collect();
        let ordering: Vec<(usize, &ActivityCheck)> = checks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.orders)
            .collect();
        let mut found = Vec::new();
        for chunk in batches(&kinds, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("WITH v (i, cid, since, kind, custom) AS (");
            q.push_values(chunk, |mut b, (i, c, (kind, custom))| {
                b.push_bind(*i as i64)
                    .push_bind(&c.customer_id)
                    .push_bind(to_ms(c.since))
                    .push_bind(*kind)
                    .push_bind(*custom);
            });
            q.push(
                ") SELECT v.i, e.kind, e.custom_kind, MIN(e.occurred_at) FROM v \
                 JOIN events e ON e.customer_id = v.cid AND e.occurred_at >= v.since \
                 AND e.kind = v.kind AND e.machine = 0 \
                 AND (v.custom IS NULL OR e.custom_kind = v.custom) \
                 GROUP BY v.i, e.kind, e.custom_kind",
            );
            for r in q.build().fetch_all(&self.pool).await? {
                found.push(activity_event(&r)?);
            }
        }
        for chunk in batches(&ordering, BATCH) {
            let mut q = QueryBuilder::<Sqlite>::new("WITH v (i, cid, since) AS (");
            q.push_values(chunk, |mut b, (i, c)| {
                b.push_bind(*i as i64)
                    .push_bind(&c.customer_id)
                    .push_bind(to_ms(c.since));
            });
            q.push(
                ") SELECT v.i, MIN(o.occurred_at) FROM v \
                 JOIN orders o ON o.customer_id = v.cid AND o.occurred_at >= v.since \
                 GROUP BY v.i",
            );
            for r in q.build().fetch_all(&self.pool).await? {
                found.push(activity_order(&r)?);
            }
        }
        Ok(earliest_activity(checks, found))
    }

    async fn customer(&self, id: &str) -> Result<Option<CustomerProfile>> {
        sqlx::query(
            "SELECT c.id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed, \
             COALESCE(l.current_level, 1), COALESCE(l.target_level, 1) FROM customers c \
             LEFT JOIN customer_levels l ON l.customer_id = c.id WHERE c.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| customer_profile(&r))
        .transpose()
    }

    async fn requeue_failed(
        &self,
        campaign: &str,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = requeue_failed(&mut *tx, campaign, since, now).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn sent_emails(&self, customer_id: &str) -> Result<Vec<SentEmail>> {
        sent_emails(&self.pool, customer_id).await
    }

    async fn add_transport_tallies(
        &self,
        at: DateTime<Utc>,
        tallies: &[crate::store::TransportTally],
    ) -> Result<()> {
        crate::store::tallies::add(&self.pool, at, tallies).await
    }
}
