//! The outbox (docs/architecture.md): deliveries claimed with a lease, sent outside any transaction,
//! and their results recorded in batches.

use super::Result;
use super::dialect::Dialect;
use crate::domain::{EventKind, Level};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Executor;
use std::collections::HashMap;

/// What the senders (`dispatch`) and `preview` read and write.
#[async_trait]
pub trait Outbox {
    /// Claims up to `limit` due deliveries (queued and due, or with an expired lease).
    async fn claim_due(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>>;
    /// Records results of a claim made as `owner`. Fenced: a row whose lease was taken over by
    /// another claim (this worker outlived its lease) is left alone, so a late result never
    /// overwrites a newer one.
    async fn record_results(
        &self,
        results: &[DeliveryResult],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Orders (by id) and complaints (by event seq) named by occurrences.
    async fn occurrence_data(
        &self,
        order_ids: &[String],
        complaint_seqs: &[i64],
    ) -> Result<HashMap<String, OccurrenceData>>;
    async fn outbox_counts(&self) -> Result<Vec<OutboxCounts>>;
    /// Deliveries still queued or in flight.
    async fn pending_deliveries(&self) -> Result<u64>;
    /// For each check, the customer's earliest human activity of the check's kinds (or an
    /// order) at or after its `since`, keyed by the check's delivery; deliveries whose
    /// customer did nothing of the kind are absent. The sender's last look before sending a
    /// follow-up with `unless`: one or two statements for the whole batch.
    async fn activity_since(
        &self,
        checks: &[ActivityCheck],
    ) -> Result<HashMap<uuid::Uuid, Activity>>;
    async fn customer(&self, id: &str) -> Result<Option<CustomerProfile>>;
    /// `rapport resend`: puts the campaign's failed deliveries (failed at or after `since`,
    /// when given) back in the queue, due at `now`, with their attempts reset — each at most
    /// once in its life. Returns how many.
    async fn requeue_failed(
        &self,
        campaign: &str,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// The customer's last five sent emails, newest first, each with the transport that
    /// sent it (`explain`).
    async fn sent_emails(&self, customer_id: &str) -> Result<Vec<SentEmail>>;
    /// Adds a batch's per-transport counts to day `at`'s (`rapport report --transports`).
    async fn add_transport_tallies(
        &self,
        at: DateTime<Utc>,
        tallies: &[super::TransportTally],
    ) -> Result<()>;
}

/// One email a customer was sent, for `explain`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SentEmail {
    pub campaign: String,
    pub sent_at: DateTime<Utc>,
    /// The `[[transports]]` entry (or `default`); None when sent before migration 0055.
    pub transport: Option<String>,
}

/// The statement behind [`Outbox::sent_emails`], the same on both backends.
pub(crate) async fn sent_emails<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    customer_id: &str,
) -> Result<Vec<SentEmail>> {
    use super::columns::{Columns, located};
    let rows = sqlx::query::<DB>(
        "SELECT campaign, sent_at, transport FROM deliveries \
         WHERE customer_id = $1 AND status = 'sent' ORDER BY sent_at DESC LIMIT 5",
    )
    .bind(DB::text(customer_id))
    .fetch_all(db)
    .await?;
    let columns = ["campaign", "sent_at", "transport"];
    rows.iter()
        .map(|r| {
            located(r, "deliveries", &columns, |r| {
                Ok(SentEmail {
                    campaign: r.text(0)?,
                    sent_at: r.time(1)?,
                    transport: r.opt_text(2)?,
                })
            })
        })
        .collect()
}

/// The statement behind [`Outbox::requeue_failed`], the same on both backends.
pub(crate) async fn requeue_failed<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    campaign: &str,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<u64> {
    // `resent_at IS NULL`: once only. `updated_at` is when the row turned failed.
    let done = sqlx::query::<DB>(
        "UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = $1, \
         resent_at = $1, lease_until = NULL, lease_owner = NULL, updated_at = $1 \
         WHERE campaign = $2 AND status = 'failed' AND resent_at IS NULL AND updated_at >= $3",
    )
    .bind(DB::time(now))
    .bind(DB::text(campaign))
    .bind(DB::time(since.unwrap_or(DateTime::UNIX_EPOCH)))
    .execute(db)
    .await?;
    Ok(DB::rows_affected(&done))
}

/// A claim on due outbox rows (deliveries or notifications): as of `now`, up to `limit` rows,
/// leased to `owner` for `lease` (after which another worker may take them over).
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub now: DateTime<Utc>,
    pub limit: u32,
    pub lease: chrono::TimeDelta,
    pub owner: &'a str,
}

impl Claim<'_> {
    /// When the lease runs out.
    pub(crate) fn until(&self) -> DateTime<Utc> {
        self.now + self.lease
    }
}

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
    /// The topics the customer left (checked again at send time).
    pub left_topics: Vec<crate::domain::Topic>,
    /// Suppression-list reason, checked at send time (not only at plan time).
    pub suppression: Option<String>,
    pub campaign: String,
    pub occurrence: String,
    pub current: Level,
    pub target: Level,
    /// Attempts including this one.
    pub attempts: i32,
    pub message_id: String,
    /// The follow-up's `unless` anchor (`NewDelivery::unless_since`), to check again now.
    pub unless_since: Option<DateTime<Utc>>,
    /// The experiment's variant: its subject and template replace the campaign's.
    pub variant: Option<String>,
    /// When it was first due: a throttled email stops being spared its attempts once it has
    /// waited `smtp.give_up_after` since then.
    pub send_at: DateTime<Utc>,
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Sent {
        id: uuid::Uuid,
        links: Vec<String>,
        /// The transport that sent it (`deliveries.transport`); None in tests without one.
        transport: Option<std::sync::Arc<str>>,
    },
    Retry {
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// Back to the queue without spending an attempt: the server asked us to slow down,
    /// which says nothing about this email (the claim's attempt is given back).
    Throttled {
        id: uuid::Uuid,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// Back to the queue without spending an attempt: its transport could not be reached,
    /// and the next batch gives it to the next transport that is up (failover). Stored as a
    /// throttle is; counted apart so that an operator can tell a relay pushing back from one
    /// that is gone.
    FailedOver {
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
    Suppressed { id: uuid::Uuid, reason: String },
    /// Not sent, never to be: a follow-up whose `unless` matched at send time (the customer
    /// answered, clicked or ordered after it was queued). Status `cancelled`, the reason in
    /// `last_error`.
    Cancelled { id: uuid::Uuid, reason: String },
}

/// What [`Outbox::activity_since`] looks for on behalf of one claimed delivery.
#[derive(Debug, Clone)]
pub struct ActivityCheck {
    pub delivery_id: uuid::Uuid,
    pub customer_id: String,
    /// Activity at or after this instant counts.
    pub since: DateTime<Utc>,
    /// Event kinds that count, human ones only (`machine = false`); `Custom("custom:NAME")`
    /// matches that custom event by name.
    pub kinds: Vec<EventKind>,
    /// Whether an order counts.
    pub orders: bool,
}

/// Activity found by [`Outbox::activity_since`].
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// `order`, or the event kind's name (`survey_response`, `custom:NAME`, …).
    pub kind: String,
    pub at: DateTime<Utc>,
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
    pub cancelled: u64,
    /// In an experiment's hold-out: recorded, never sent.
    pub held_out: u64,
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

/// Folds (campaign, status, count) rows, ordered by campaign, into one row per campaign.
pub(crate) fn fold_outbox_counts(
    rows: impl Iterator<Item = (String, String, i64)>,
) -> Vec<OutboxCounts> {
    let mut out: Vec<OutboxCounts> = Vec::new();
    for (campaign, status, n) in rows {
        if out.last().map(|c| c.campaign != campaign).unwrap_or(true) {
            out.push(OutboxCounts {
                campaign: campaign.clone(),
                ..Default::default()
            });
        }
        let c = out.last_mut().expect("pushed above");
        let n = n as u64;
        match status.as_str() {
            "queued" => c.queued += n,
            "sending" => c.sending += n,
            "sent" => c.sent += n,
            "failed" => c.failed += n,
            "cancelled" => c.cancelled += n,
            "held_out" => c.held_out += n,
            _ => c.suppressed += n,
        }
    }
    out
}

/// One event kind an [`ActivityCheck`] looks for, as stored: the kind's code and, for a
/// custom event, its name (`custom_kind`).
pub(crate) fn stored_kind(kind: &EventKind) -> (i16, Option<&str>) {
    let custom = match kind {
        EventKind::Custom(name) => Some(kind.custom_name().unwrap_or(name)),
        _ => None,
    };
    (kind.code(), custom)
}

/// Keeps, per delivery, the earliest of the activities the statements found; `found` is
/// (index into `checks`, kind code, custom name, time) or (index, None, None, time) for an
/// order.
pub(crate) fn earliest_activity(
    checks: &[ActivityCheck],
    found: impl IntoIterator<Item = (usize, Option<(i16, Option<String>)>, DateTime<Utc>)>,
) -> HashMap<uuid::Uuid, Activity> {
    let mut out: HashMap<uuid::Uuid, Activity> = HashMap::new();
    for (i, kind, at) in found {
        let Some(check) = checks.get(i) else { continue };
        if out
            .get(&check.delivery_id)
            .is_some_and(|earlier| earlier.at <= at)
        {
            continue;
        }
        let kind = match kind {
            None => "order".to_string(),
            Some((code, custom)) => EventKind::from_code(code, custom.as_deref())
                .map_or_else(|| format!("kind {code}"), |k| k.name().to_string()),
        };
        out.insert(check.delivery_id, Activity { kind, at });
    }
    out
}
