//! PostgreSQL side of the notifications outbox: claims with FOR UPDATE SKIP LOCKED, so any
//! number of replicas' workers share it without taking the same row.

use super::{PgStore, Result, batches};
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

/// Writes outbox rows on the caller's connection: inside the transaction that makes the change
/// they announce (the cycle's level write, an event insert, a suppression), so they commit or
/// roll back with it.
pub(super) async fn insert_notifications(
    conn: &mut PgConnection,
    rows: &[NewNotification],
) -> Result<u64> {
    let mut n = 0;
    for chunk in batches(rows, 5_000) {
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

impl PgStore {
    pub(super) async fn n_enqueue(&self, rows: &[NewNotification]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        // One transaction: several chunks are stored together or not at all.
        let mut tx = self.pool.begin().await?;
        let n = insert_notifications(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub(super) async fn n_claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::TimeDelta,
        owner: &str,
        endpoints: &[String],
    ) -> Result<Vec<ClaimedNotification>> {
        // Due and pending, not leased (or the lease ran out: a worker that died mid-way).
        let rows = sqlx::query(
            "UPDATE notifications n SET lease_owner = $1, lease_until = $2, attempts = n.attempts + 1 \
             FROM (SELECT id FROM notifications \
                   WHERE status = 'pending' AND next_attempt_at <= $3 \
                     AND (lease_until IS NULL OR lease_until < $3) AND endpoint = ANY($4) \
                   ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED) due \
             WHERE n.id = due.id \
             RETURNING n.id, n.endpoint, n.event, n.body, n.attempts",
        )
        .bind(owner)
        .bind(now + lease)
        .bind(now)
        .bind(endpoints)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedNotification {
                    id: r.try_get(0)?,
                    endpoint: r.try_get(1)?,
                    event: r.try_get(2)?,
                    body: r.try_get(3)?,
                    attempts: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(Into::into)
    }

    pub(super) async fn n_record(
        &self,
        results: &[NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Only while the lease is still ours (see the SQLite side).
        for r in results {
            let q = match r {
                NotificationResult::Delivered { id, status } => sqlx::query(
                    "UPDATE notifications SET status = 'delivered', delivered_at = $1, last_status = $2, \
                     last_error = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
                )
                .bind(now)
                .bind(i32::from(*status))
                .bind(id),
                NotificationResult::Retry {
                    id,
                    next_attempt_at,
                    status,
                    error,
                } => sqlx::query(
                    "UPDATE notifications SET next_attempt_at = $1, last_status = $2, last_error = $3, \
                     lease_until = NULL WHERE id = $4 AND lease_owner = $5",
                )
                .bind(*next_attempt_at)
                .bind(status.map(i32::from))
                .bind(error)
                .bind(id),
                NotificationResult::Failed { id, status, error } => sqlx::query(
                    "UPDATE notifications SET status = 'failed', last_status = $1, last_error = $2, \
                     lease_until = NULL WHERE id = $3 AND lease_owner = $4",
                )
                .bind(status.map(i32::from))
                .bind(error)
                .bind(id),
            };
            q.bind(owner).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn n_counts(&self) -> Result<NotificationCounts> {
        let r = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'delivered'), \
             COUNT(*) FILTER (WHERE status = 'failed') FROM notifications",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(NotificationCounts {
            pending: r.try_get::<i64, _>(0)? as u64,
            delivered: r.try_get::<i64, _>(1)? as u64,
            failed: r.try_get::<i64, _>(2)? as u64,
        })
    }
}
