//! PostgreSQL: the deliveries outbox — claims, results, and what rendering a claim needs.

use super::{BATCH, PgStore};
use crate::store::outbox::{
    SentEmail, earliest_activity, requeue_failed, sent_emails, stored_kind,
};
use crate::store::portable;
use crate::store::rows::{
    activity_event, activity_order, claimed_delivery, complaint_occurrence, customer_profile,
    order_occurrence,
};
use crate::store::{
    Activity, ActivityCheck, Claim, ClaimedDelivery, CustomerProfile, DeliveryResult,
    OccurrenceData, Outbox, OutboxCounts, Result, batches,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[async_trait]
impl Outbox for PgStore {
    async fn claim_due(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>> {
        let rows = sqlx::query(include_str!("../sql/postgres_claim_due.sql"))
            .bind(claim.now)
            .bind(i64::from(claim.limit))
            .bind(claim.until())
            .bind(claim.owner)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(claimed_delivery).collect()
    }

    async fn record_results(
        &self,
        results: &[DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // One UPDATE … FROM UNNEST per kind of result instead of a round trip per row (500
        // single-row updates were the largest cost of sending on PostgreSQL). Fenced by
        // `status = 'sending' AND lease_owner = $owner`: a worker whose lease was taken over
        // never overwrites the newer claim's result.
        let mut sent: (Vec<uuid::Uuid>, Vec<String>, Vec<Option<&str>>) = Default::default();
        // (id, next attempt, error, attempts given back: 1 for a throttle or a failover, else 0)
        let mut retry: (Vec<uuid::Uuid>, Vec<DateTime<Utc>>, Vec<&str>, Vec<i32>) =
            Default::default();
        let mut done: (Vec<uuid::Uuid>, Vec<&str>, Vec<&str>) = Default::default();
        let mut suppress: (Vec<&str>, Vec<&str>) = Default::default();
        for r in results {
            match r {
                DeliveryResult::Sent {
                    id,
                    links,
                    transport,
                } => {
                    sent.0.push(*id);
                    sent.1
                        .push(serde_json::to_string(links).unwrap_or_default());
                    sent.2.push(transport.as_deref());
                }
                DeliveryResult::Retry {
                    id,
                    next_attempt_at,
                    error,
                }
                | DeliveryResult::Throttled {
                    id,
                    next_attempt_at,
                    error,
                }
                | DeliveryResult::FailedOver {
                    id,
                    next_attempt_at,
                    error,
                } => {
                    retry.0.push(*id);
                    retry.1.push(*next_attempt_at);
                    retry.2.push(error);
                    retry
                        .3
                        .push(i32::from(!matches!(r, DeliveryResult::Retry { .. })));
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
                DeliveryResult::Cancelled { id, reason } => {
                    done.0.push(*id);
                    done.1.push("cancelled");
                    done.2.push(reason);
                }
            }
        }
        let mut tx = self.pool.begin().await?;
        if !sent.0.is_empty() {
            sqlx::query(
                "UPDATE deliveries d SET status = 'sent', sent_at = $1, links = v.links::jsonb, transport = v.transport, \
                 lease_until = NULL, last_error = NULL, updated_at = $1 \
                 FROM UNNEST($2::uuid[], $3::text[], $4::text[]) AS v(id, links, transport) \
                 WHERE d.id = v.id AND d.status = 'sending' AND d.lease_owner = $5",
            )
            .bind(now)
            .bind(&sent.0)
            .bind(&sent.1)
            .bind(&sent.2)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        if !retry.0.is_empty() {
            sqlx::query(
                "UPDATE deliveries d SET status = 'queued', next_attempt_at = v.at, last_error = v.err, \
                 attempts = d.attempts - v.refund, lease_until = NULL, updated_at = $1 \
                 FROM UNNEST($2::uuid[], $3::timestamptz[], $4::text[], $5::int4[]) AS v(id, at, err, refund) \
                 WHERE d.id = v.id AND d.status = 'sending' AND d.lease_owner = $6",
            )
            .bind(now)
            .bind(&retry.0)
            .bind(&retry.1)
            .bind(&retry.2)
            .bind(&retry.3)
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

    async fn occurrence_data(
        &self,
        order_ids: &[String],
        seqs: &[i64],
    ) -> Result<HashMap<String, OccurrenceData>> {
        let mut out = HashMap::new();
        for chunk in batches(order_ids, BATCH) {
            let rows = sqlx::query(
                "SELECT id, occurred_at, amount, currency, items FROM orders WHERE id = ANY($1)",
            )
            .bind(chunk)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                out.extend([order_occurrence(r)?]);
            }
        }
        for chunk in batches(seqs, BATCH) {
            let rows = sqlx::query("SELECT seq, occurred_at, data FROM events WHERE seq = ANY($1)")
                .bind(chunk)
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.extend([complaint_occurrence(r)?]);
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
        // The checks as arrays, one element per (check, kind): each a seek into events_facts
        // (customer, time) from the check's `since` on.
        let mut ev: (
            Vec<i64>,
            Vec<&str>,
            Vec<DateTime<Utc>>,
            Vec<i16>,
            Vec<Option<&str>>,
        ) = Default::default();
        let mut ord: (Vec<i64>, Vec<&str>, Vec<DateTime<Utc>>) = Default::default();
        for (i, c) in checks.iter().enumerate() {
            for k in &c.kinds {
                let (kind, custom) = stored_kind(k);
                ev.0.push(i as i64);
                ev.1.push(&c.customer_id);
                ev.2.push(c.since);
                ev.3.push(kind);
                ev.4.push(custom);
            }
            if c.orders {
                ord.0.push(i as i64);
                ord.1.push(&c.customer_id);
                ord.2.push(c.since);
            }
        }
        let mut found = Vec::new();
        if !ev.0.is_empty() {
            let rows = sqlx::query(
                "SELECT v.i, e.kind::int8, e.custom_kind, MIN(e.occurred_at) \
                 FROM UNNEST($1::int8[], $2::text[], $3::timestamptz[], $4::int2[], $5::text[]) \
                 AS v(i, cid, since, kind, custom) \
                 JOIN events e ON e.customer_id = v.cid AND e.occurred_at >= v.since \
                 AND e.kind = v.kind AND NOT e.machine \
                 AND (v.custom IS NULL OR e.custom_kind = v.custom) \
                 GROUP BY v.i, e.kind, e.custom_kind",
            )
            .bind(&ev.0)
            .bind(&ev.1)
            .bind(&ev.2)
            .bind(&ev.3)
            .bind(&ev.4)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                found.push(activity_event(r)?);
            }
        }
        if !ord.0.is_empty() {
            let rows = sqlx::query(
                "SELECT v.i, MIN(o.occurred_at) \
                 FROM UNNEST($1::int8[], $2::text[], $3::timestamptz[]) AS v(i, cid, since) \
                 JOIN orders o ON o.customer_id = v.cid AND o.occurred_at >= v.since \
                 GROUP BY v.i",
            )
            .bind(&ord.0)
            .bind(&ord.1)
            .bind(&ord.2)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                found.push(activity_order(r)?);
            }
        }
        Ok(earliest_activity(checks, found))
    }

    async fn customer(&self, id: &str) -> Result<Option<CustomerProfile>> {
        sqlx::query(
            "SELECT c.id, c.email, c.name, c.locale, c.timezone, c.attributes, c.subscribed, \
             COALESCE(l.current_level, 1)::int8, COALESCE(l.target_level, 1)::int8 \
             FROM customers c LEFT JOIN customer_levels l ON l.customer_id = c.id \
             WHERE c.id = $1",
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
        let mut tx = self.pool.begin().await?;
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
