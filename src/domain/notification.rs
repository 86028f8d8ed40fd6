//! Rows of the `notifications` outbox: one per (event, endpoint).

use chrono::{DateTime, Utc};

/// A notification to store, its body already serialised (the signature covers these bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub id: uuid::Uuid,
    /// Shared by the copies of one event sent to several endpoints.
    pub event_id: uuid::Uuid,
    pub endpoint: String,
    pub event: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A notification taken by a worker, with a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedNotification {
    pub id: uuid::Uuid,
    pub endpoint: String,
    pub event: String,
    pub body: String,
    /// Attempts including this one.
    pub attempts: i32,
}

/// What became of one claimed notification.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationResult {
    Delivered {
        id: uuid::Uuid,
        status: u16,
    },
    Retry {
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        status: Option<u16>,
        error: String,
    },
    /// Given up after the last attempt.
    Failed {
        id: uuid::Uuid,
        status: Option<u16>,
        error: String,
    },
}

impl NotificationResult {
    pub fn id(&self) -> uuid::Uuid {
        match self {
            NotificationResult::Delivered { id, .. }
            | NotificationResult::Retry { id, .. }
            | NotificationResult::Failed { id, .. } => *id,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct NotificationCounts {
    pub pending: u64,
    pub delivered: u64,
    pub failed: u64,
}
