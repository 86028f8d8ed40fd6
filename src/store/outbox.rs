//! The outbox (docs/architecture.md): deliveries claimed with a lease, sent outside any transaction,
//! and their results recorded in batches.

use crate::domain::Level;
use chrono::{DateTime, Utc};

/// A delivery taken by a sender, with what is needed to render and address it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: uuid::Uuid,
    pub customer_id: String,
    pub email: String,
    pub name: String,
    pub locale: String,
    pub timezone: String,
    pub attributes: serde_json::Value,
    pub subscribed: bool,
    /// Suppression-list reason, checked at send time (not only at plan time).
    pub suppression: Option<String>,
    pub campaign: String,
    pub occurrence: String,
    pub current: Level,
    pub target: Level,
    /// Attempts including this one.
    pub attempts: i32,
    pub message_id: String,
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Sent {
        id: uuid::Uuid,
        links: Vec<String>,
    },
    Retry {
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// Failed for good; `suppress` names the address to put on the suppression list
    /// (a hard bounce) with its reason.
    Failed {
        id: uuid::Uuid,
        error: String,
        suppress: Option<(String, String)>,
    },
    /// Not sent: the address was unsubscribed, bounced or complained after queueing.
    Suppressed {
        id: uuid::Uuid,
        reason: String,
    },
}

/// The record behind a delivery's occurrence, for templates.
#[derive(Debug, Clone)]
pub enum OccurrenceData {
    Order(serde_json::Value),
    Complaint(serde_json::Value),
}

/// Per-campaign delivery counts by status.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OutboxCounts {
    pub campaign: String,
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
}

/// A customer's profile as templates and `preview` need it.
#[derive(Debug, Clone)]
pub struct CustomerProfile {
    pub id: String,
    pub email: String,
    pub name: String,
    pub locale: String,
    pub timezone: String,
    pub attributes: serde_json::Value,
    pub subscribed: bool,
    pub current: Level,
    pub target: Level,
}
