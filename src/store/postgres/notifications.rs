//! PostgreSQL: the notifications outbox. Claims use FOR UPDATE SKIP LOCKED, so any number
//! of replicas' workers share it without taking the same row.

use super::{BATCH, PgStore};
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use crate::store::notifications::record_notification;
use crate::store::portable;
use crate::store::rows::claimed_notification;
use crate::store::{Claim, Notifications, Result, batches};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Writes outbox rows on the caller's connection: inside the transaction that makes the change
/// they announce (the cycle's level write, an event insert, a suppression), so they commit or
/// roll back with it.
pub(super) async fn insert_notifications(
    conn: &mut PgConnection,
    rows: &[NewNotification],
) -> Result<u64> {
    let mut n = 0;
    for chunk in batches(rows, BATCH) {
        n += sqlx::query(
            "INSERT INTO notifications (id, event_id, endpoint, event, body, next_attempt_at, created_at) \
             SELECT id, eid, ep, ev, body, at, at \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) \
                 AS t(id, eid, ep, ev, body, at) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.endpoint.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.event.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.body.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.created_at).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(n)
}

#[async_trait]
impl Notifications for PgStore {
    async fn enqueue_notifications(&self, rows: &[NewNotification]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        // One transaction: several chunks are stored together or not at all.
        let mut tx = self.pool.begin().await?;
        let n = insert_notifications(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn claim_notifications(
        &self,
        claim: Claim<'_>,
        endpoints: &[String],
    ) -> Result<Vec<ClaimedNotification>> {
        // Due and pending, not leased (or the lease ran out: a worker that died mid-way).
        let rows = sqlx::query(include_str!("../sql/postgres_claim_notifications.sql"))
            .bind(claim.owner)
            .bind(claim.until())
            .bind(claim.now)
            .bind(endpoints)
            .bind(i64::from(claim.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(claimed_notification).collect()
    }

    async fn record_notifications(
        &self,
        results: &[NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for r in results {
            record_notification(&mut *tx, r, owner, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn notification_counts(&self) -> Result<NotificationCounts> {
        portable::notification_counts(&self.pool).await
    }
}
