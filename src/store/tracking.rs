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
    ///
    /// Every Message-ID rapport generates is `<{delivery id}@{domain}>` (cycle/decide.rs),
    /// so a delivery is found by its primary key and the whole Message-ID then compared:
    /// `deliveries` has no index of Message-IDs (dropped by migration 0060), which every
    /// claim and every recorded result of a send had to write an entry in. A Message-ID
    /// that carries no delivery id is none of ours.
    async fn deliveries_by_message_id(
        &self,
        message_ids: &[String],
    ) -> Result<HashMap<String, TrackedDelivery>> {
        let ids: Vec<uuid::Uuid> = message_ids
            .iter()
            .filter_map(|m| delivery_id_of(m))
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let wanted: std::collections::HashSet<&str> =
            message_ids.iter().map(String::as_str).collect();
        let found = self.tracked_deliveries(&ids).await?.into_values();
        Ok(by_message_id(
            found
                .filter(|d| wanted.contains(d.message_id.as_str()))
                .collect(),
        ))
    }
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

/// The delivery id in a Message-ID rapport generated (`<{id}@{domain}>`), or None.
pub(crate) fn delivery_id_of(message_id: &str) -> Option<uuid::Uuid> {
    let inner = message_id.strip_prefix('<')?.strip_suffix('>')?;
    let (local, _domain) = inner.split_once('@')?;
    uuid::Uuid::try_parse(local).ok()
}

/// Found deliveries keyed by Message-ID, as [`Tracking::deliveries_by_message_id`] answers.
pub(crate) fn by_message_id(found: Vec<TrackedDelivery>) -> HashMap<String, TrackedDelivery> {
    found
        .into_iter()
        .map(|d| (d.message_id.clone(), d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::delivery_id_of;

    #[test]
    fn a_generated_message_id_names_its_delivery_and_others_name_none() {
        let id = uuid::Uuid::new_v4();
        assert_eq!(
            delivery_id_of(&format!("<{id}@mail.shop.example>")),
            Some(id)
        );
        for other in [
            format!("{id}@mail.shop.example"),
            format!("<{id}>"),
            "<0100018c-ses-id@email.amazonses.com>".to_string(),
            "<>".to_string(),
            String::new(),
        ] {
            assert_eq!(delivery_id_of(&other), None, "{other}");
        }
    }
}
