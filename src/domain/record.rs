//! The records every source of data is turned into (import files, the API, the pixel,
//! pages and provider webhooks) and the store keeps: customers, orders and events.

use super::suppression::reason;
use super::{Currency, CustomerId, EmailAddress, EventKind, Level, Locale, Timezone};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    pub id: CustomerId,
    pub email: EmailAddress,
    pub name: String,
    pub locale: Locale,
    pub timezone: Timezone,
    pub subscribed: bool,
    /// When the customer signed up: the row's `created_at`, else the import's clock.
    pub created_at: DateTime<Utc>,
    /// Whether the row gave `created_at`. When it did not, `created_at` only dates a new
    /// customer: one already stored keeps its sign-up time (a nightly export without the
    /// column is no sign-up, and re-importing it changes nothing).
    pub created_at_given: bool,
    pub attributes: Map<String, Value>,
    /// `attributes.target_level`: a key account someone knows, overriding the matrix.
    pub target_override: Option<Level>,
    /// `consent_source`: where and how consent was given before this row reached us (a
    /// shop's checkout box, a paper form); logged as consent given, with this as evidence.
    pub consent_source: Option<String>,
    /// `consent_wording`: the version of the consent wording the person was shown.
    pub consent_wording: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    pub id: String,
    pub customer_id: CustomerId,
    pub occurred_at: DateTime<Utc>,
    pub amount: f64,
    pub currency: Currency,
    pub margin: f64,
    pub items: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: Option<String>,
    pub customer_id: CustomerId,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub data: Map<String, Value>,
    /// Proxy opens and scanner clicks: kept, but never evidence for a level.
    pub machine: bool,
    pub delivery_id: Option<uuid::Uuid>,
}

impl EventRecord {
    /// Whether storing this event can change what the next cycle decides for the customer,
    /// so the incremental cycle must look at them again. The assessment reads human events of
    /// the evidence kinds and suppressions (src/store/sql/*_facts.sql); opens, deliveries and
    /// machine activity are never evidence. Skipping those keeps the open pixel's write to one
    /// row per hit instead of also rewriting the customer row. Custom kinds count, to be safe.
    pub fn moves_assessment(&self) -> bool {
        match self.kind {
            EventKind::EmailOpen | EventKind::Delivered => false,
            EventKind::Unsubscribe
            | EventKind::Bounce
            | EventKind::SpamComplaint
            | EventKind::Custom(_) => true,
            _ => !self.machine,
        }
    }

    /// Why this event puts the customer's address on the suppression list, if it does: an
    /// unsubscribe, a hard bounce or a spam complaint is never mailed again.
    pub fn suppression_reason(&self) -> Option<&'static str> {
        match self.kind {
            EventKind::Unsubscribe => Some(reason::UNSUBSCRIBED),
            EventKind::SpamComplaint => Some(reason::SPAM_REPORT),
            EventKind::Bounce if self.data.get("type").and_then(Value::as_str) == Some("hard") => {
                Some(reason::HARD_BOUNCE_EVENT)
            }
            _ => None,
        }
    }

    /// The key that makes an event idempotent: its id when it has one, else a hash of
    /// (customer, kind, occurred_at, data) — the dedupe rule.
    pub fn dedupe_key(&self) -> String {
        if let Some(id) = &self.id {
            return format!("id:{id}");
        }
        let mut h = Sha256::new();
        h.update(self.customer_id.as_str().as_bytes());
        h.update([0]);
        h.update(self.kind.name().as_bytes());
        h.update([0]);
        h.update(self.occurred_at.timestamp_millis().to_be_bytes());
        // serde_json maps are sorted (no preserve_order feature), so this is canonical.
        h.update(Value::Object(self.data.clone()).to_string().as_bytes());
        let digest = h.finalize();
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("h:{hex}")
    }
}
