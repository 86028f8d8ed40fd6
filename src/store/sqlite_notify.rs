//! SQLite side of the notifications outbox.

use super::time::to_ms;
use super::{Result, SqliteStore, batches};
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

/// Writes outbox rows on the caller's connection: inside the transaction that makes the change
/// they announce (the cycle's level write, an event insert, a suppression), so they commit or
/// roll back with it.
pub(super) async fn insert_notifications(
    conn: &mut SqliteConnection,
    rows: &[NewNotification],
) -> Result<u64> {
    let mut n = 0;
    // 7 columns × 500 rows stays far below SQLite's 32,766 variables.
    for chunk in batches(rows, 500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO notifications (id, event_id, endpoint, event, body, next_attempt_at, created_at) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.to_string())
                .push_bind(r.event_id.to_string())
                .push_bind(&r.endpoint)
                .push_bind(&r.event)
                .push_bind(&r.body)
                .push_bind(to_ms(r.created_at))
                .push_bind(to_ms(r.created_at));
        });
        q.push(" ON CONFLICT (id) DO NOTHING");
        n += q.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(n)
}

impl SqliteStore {
    pub(super) async fn n_enqueue(&self, rows: &[NewNotification]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
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
        let mut tx = self.begin_write().await?;
        // Due and pending, not leased (or the lease ran out: a worker that died mid-way).
        // notifications_due (status, next_attempt_at) gives them in time order.
        let rows = sqlx::query(
            "UPDATE notifications SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM notifications \
                 WHERE status = 'pending' AND next_attempt_at <= ?3 \
                   AND (lease_until IS NULL OR lease_until < ?3) \
                   AND endpoint IN (SELECT value FROM json_each(?4)) \
                 ORDER BY next_attempt_at LIMIT ?5) \
             RETURNING id, endpoint, event, body, attempts",
        )
        .bind(owner)
        .bind(to_ms(now + lease))
        .bind(to_ms(now))
        .bind(serde_json::to_string(endpoints).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(ClaimedNotification {
                    id: r.try_get::<&str, _>(0)?.parse().map_err(|e| {
                        super::StoreError::Invalid(format!("bad notification id: {e}"))
                    })?,
                    endpoint: r.try_get(1)?,
                    event: r.try_get(2)?,
                    body: r.try_get(3)?,
                    attempts: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub(super) async fn n_record(
        &self,
        results: &[NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Only while the lease is still ours: if it ran out and another worker took the row,
        // that worker's result is the one that counts.
        for r in results {
            let q = match r {
                NotificationResult::Delivered { id, status } => sqlx::query(
                    "UPDATE notifications SET status = 'delivered', delivered_at = ?1, last_status = ?2, \
                     last_error = NULL, lease_until = NULL WHERE id = ?3 AND lease_owner = ?4",
                )
                .bind(to_ms(now))
                .bind(i64::from(*status))
                .bind(id.to_string()),
                NotificationResult::Retry {
                    id,
                    next_attempt_at,
                    status,
                    error,
                } => sqlx::query(
                    "UPDATE notifications SET next_attempt_at = ?1, last_status = ?2, last_error = ?3, \
                     lease_until = NULL WHERE id = ?4 AND lease_owner = ?5",
                )
                .bind(to_ms(*next_attempt_at))
                .bind(status.map(i64::from))
                .bind(error)
                .bind(id.to_string()),
                NotificationResult::Failed { id, status, error } => sqlx::query(
                    "UPDATE notifications SET status = 'failed', last_status = ?1, last_error = ?2, \
                     lease_until = NULL WHERE id = ?3 AND lease_owner = ?4",
                )
                .bind(status.map(i64::from))
                .bind(error)
                .bind(id.to_string()),
            };
            q.bind(owner).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn n_counts(&self) -> Result<NotificationCounts> {
        let r = sqlx::query(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'delivered'), 0), \
             COALESCE(SUM(status = 'failed'), 0) FROM notifications",
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
