//! SQLite: the notifications outbox.

use super::{BATCH, SqliteStore};
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use crate::store::notifications::record_notification;
use crate::store::portable;
use crate::store::rows::claimed_notification;
use crate::store::time::to_ms;
use crate::store::{Claim, Notifications, Result, batches};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// Writes outbox rows on the caller's connection: inside the transaction that makes the change
/// they announce (the cycle's level write, an event insert, a suppression), so they commit or
/// roll back with it.
pub(super) async fn insert_notifications(
    conn: &mut SqliteConnection,
    rows: &[NewNotification],
) -> Result<u64> {
    let mut n = 0;
    for chunk in batches(rows, BATCH) {
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

#[async_trait]
impl Notifications for SqliteStore {
    async fn enqueue_notifications(&self, rows: &[NewNotification]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let n = insert_notifications(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn claim_notifications(
        &self,
        claim: Claim<'_>,
        endpoints: &[String],
    ) -> Result<Vec<ClaimedNotification>> {
        let mut tx = self.begin_write().await?;
        // Due and pending, not leased (or the lease ran out: a worker that died mid-way).
        // notifications_due (status, next_attempt_at) gives them in time order.
        let rows = sqlx::query(include_str!("../sql/sqlite_claim_notifications.sql"))
            .bind(claim.owner)
            .bind(to_ms(claim.until()))
            .bind(to_ms(claim.now))
            .bind(serde_json::to_string(endpoints).unwrap_or_else(|_| "[]".into()))
            .bind(i64::from(claim.limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(claimed_notification).collect()
    }

    async fn record_notifications(
        &self,
        results: &[NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
