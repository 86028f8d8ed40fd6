//! Notifications to other systems (`[[notify]]`): an outbox of POSTs with leases.

use super::Result;
use super::outbox::Claim;
use crate::domain::{ClaimedNotification, NewNotification, NotificationCounts, NotificationResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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
