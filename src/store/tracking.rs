//! What the HTTP endpoint reads: tracking links, unsubscribe, surveys, webhook correlation.

use super::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[async_trait]
pub trait Tracking {
    /// The deliveries with these ids that exist, with what a tracking hit needs.
    async fn tracked_deliveries(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, TrackedDelivery>>;
    /// Deliveries by their Message-ID header as sent (with angle brackets), for webhooks.
    async fn deliveries_by_message_id(
        &self,
        message_ids: &[String],
    ) -> Result<HashMap<String, TrackedDelivery>>;
    /// Provider message id → (customer, delivery) of the earliest stored event of that
    /// provider's message: for events that carry nothing else we can correlate by.
    async fn owners_by_provider_message(
        &self,
        provider: &str,
        ids: &[String],
    ) -> Result<HashMap<String, (String, Option<uuid::Uuid>)>>;
    /// Email address → customer id (the lowest id when several customers share an address).
    async fn customers_by_email(&self, emails: &[String]) -> Result<HashMap<String, String>>;
    /// Sets `data.comment` on the stored event with this dedupe key; false when there is none.
    async fn add_event_comment(&self, dedupe_key: &str, comment: &str) -> Result<bool>;
}

/// A sent (or queued) delivery as the HTTP endpoint sees it: who it went to, and the click
/// targets as sent, in link-index order.
#[derive(Debug, Clone)]
pub struct TrackedDelivery {
    pub id: uuid::Uuid,
    pub customer_id: String,
    pub email: String,
    pub locale: String,
    pub campaign: String,
    pub message_id: String,
    pub links: Vec<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Found deliveries keyed by id, as [`Tracking::tracked_deliveries`] answers.
pub(crate) fn by_id(found: Vec<TrackedDelivery>) -> HashMap<uuid::Uuid, TrackedDelivery> {
    found.into_iter().map(|d| (d.id, d)).collect()
}

/// Found deliveries keyed by Message-ID, as [`Tracking::deliveries_by_message_id`] answers.
pub(crate) fn by_message_id(found: Vec<TrackedDelivery>) -> HashMap<String, TrackedDelivery> {
    found
        .into_iter()
        .map(|d| (d.message_id.clone(), d))
        .collect()
}
