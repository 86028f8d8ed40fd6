//! Notifications to other systems (`[[notify]]`): an outbox of POSTs with leases.

use super::Result;
use super::dialect::Dialect;
use super::outbox::Claim;
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Notifications {
    /// Stores notifications (one row per event and endpoint; see `notify::fan_out`) for the
    /// worker to POST; returns how many were new.
    async fn enqueue_notifications(&self, rows: &[NewNotification]) -> Result<u64>;
    /// Claims up to `limit` due notifications for the named endpoints, with a lease.
    async fn claim_notifications(
        &self,
        claim: Claim<'_>,
        endpoints: &[String],
    ) -> Result<Vec<ClaimedNotification>>;
    /// Records what became of claimed notifications (ignored where the lease is no longer ours).
    async fn record_notifications(
        &self,
        results: &[NotificationResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn notification_counts(&self) -> Result<NotificationCounts>;
}

/// Records what became of one claimed notification, only while the lease is still `owner`'s:
/// if it ran out and another worker took the row, that worker's result is the one that counts.
pub(crate) async fn record_notification<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    result: &NotificationResult,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = match result {
        NotificationResult::Delivered { id, status } => sqlx::query::<DB>(
            "UPDATE notifications SET status = 'delivered', delivered_at = $1, last_status = $2, \
             last_error = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
        )
        .bind(DB::time(now))
        .bind(DB::status(Some(*status)))
        .bind(DB::id(*id)),
        NotificationResult::Retry {
            id,
            next_attempt_at,
            status,
            error,
        } => sqlx::query::<DB>(
            "UPDATE notifications SET next_attempt_at = $1, last_status = $2, last_error = $3, \
             lease_until = NULL WHERE id = $4 AND lease_owner = $5",
        )
        .bind(DB::time(*next_attempt_at))
        .bind(DB::status(*status))
        .bind(DB::text(error))
        .bind(DB::id(*id)),
        NotificationResult::Failed { id, status, error } => sqlx::query::<DB>(
            "UPDATE notifications SET status = 'failed', last_status = $1, last_error = $2, \
             lease_until = NULL WHERE id = $3 AND lease_owner = $4",
        )
        .bind(DB::status(*status))
        .bind(DB::text(error))
        .bind(DB::id(*id)),
    };
    q.bind(DB::text(owner)).execute(db).await?;
    Ok(())
}
