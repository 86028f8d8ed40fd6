//! The one transactional write every source of events goes through: the single-use token,
//! the events with their rollup and notifications, the suppressions, then the commit. A
//! caller hands over a [`Batch`]; it cannot store an event and forget its notification.

use super::batch::{Batch, Suppression, soft_bounce_limit_reached};
use super::consent::{Client, withdrawals};
use crate::config::NotifyConfig;
use crate::domain::EventRecord;
use crate::notify::{fan_out, from_events};
use crate::store::{ImportTx, Store, StoreError, TokenUse};
use chrono::{DateTime, Utc};

/// Who stored events are announced to, and when soft bounces suppress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules<'a> {
    /// `[[notify]]`: complaints, survey answers, partnerships and unsubscribes are announced
    /// to the endpoints that subscribe to them.
    pub endpoints: &'a [NotifyConfig],
    /// `webhooks.soft_bounce_limit`; 0 = soft bounces never suppress.
    pub soft_bounce_limit: u32,
}

impl Rules<'_> {
    /// Stores without announcing and without the soft-bounce rule: for opens and clicks
    /// (which announce nothing) and for imports, which back-fill history rather than report
    /// what just happened.
    pub fn silent() -> Rules<'static> {
        Rules::default()
    }
}

/// What a batch changed.
#[derive(Debug, Default)]
pub struct Applied {
    /// Events that were new (an event stored before is not stored or announced again).
    pub new_events: u64,
    /// The reported suppressions (and those of the soft-bounce limit) that were new.
    pub suppressed: Vec<Suppression>,
    /// The batch's single-use token was already used with this payload: a retry of a
    /// request whose events are stored. Nothing was written.
    pub already_stored: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The single-use token came before with another payload.
    #[error("single-use token replayed with another payload")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes the batch in a transaction of its own and commits it; an empty batch opens none.
/// On any error, and on a retried token, nothing is kept.
pub async fn apply(
    store: &dyn Store,
    rules: &Rules<'_>,
    batch: &Batch,
    now: DateTime<Utc>,
) -> Result<Applied, IngestError> {
    if batch.is_empty() {
        return Ok(Applied::default());
    }
    let mut tx = store.begin_import().await?;
    let applied = apply_in(&mut *tx, rules, batch, now).await?;
    if applied.already_stored {
        // Dropping the transaction rolls it back: nothing is stored twice.
        drop(tx);
    } else {
        tx.commit().await?;
    }
    Ok(applied)
}

/// Writes the batch in the caller's transaction (an import writes a whole file in one),
/// which the caller commits or drops.
pub async fn apply_in(
    tx: &mut dyn ImportTx,
    rules: &Rules<'_>,
    batch: &Batch,
    now: DateTime<Utc>,
) -> Result<Applied, IngestError> {
    let mut applied = Applied::default();
    if let Some(t) = &batch.token {
        match tx.use_webhook_token(t.provider, &t.token, now).await? {
            TokenUse::New => {}
            TokenUse::SamePayload => {
                applied.already_stored = true;
                return Ok(applied);
            }
            TokenUse::OtherPayload => return Err(IngestError::Replayed),
        }
    }
    for s in &batch.requested {
        tx.suppress(crate::store::Suppression {
            email: &s.address,
            reason: &s.reason,
            source: s.source,
            at: now,
        })
        .await?;
    }
    applied.new_events = store_events_from(
        tx,
        rules.endpoints,
        &batch.events,
        batch.client.as_ref(),
        now,
    )
    .await?;
    tx.record_consent(&batch.consent).await?;
    for (customer, change) in &batch.changes {
        tx.change_consent(customer, *change).await?;
    }
    let mut reported = batch.reported.clone();
    if rules.soft_bounce_limit > 0 && !batch.soft_bounced.is_empty() {
        let owners: Vec<String> = batch.soft_bounced.keys().cloned().collect();
        let counts = tx.soft_bounces_in_a_row(&owners).await?;
        reported.extend(soft_bounce_limit_reached(
            &counts,
            &batch.soft_bounced,
            rules.soft_bounce_limit,
        ));
    }
    for s in reported {
        if tx
            .suppress(crate::store::Suppression {
                email: &s.address,
                reason: &s.reason,
                source: s.source,
                at: now,
            })
            .await?
        {
            applied.suppressed.push(s);
        }
    }
    Ok(applied)
}

/// Stores events in the caller's transaction together with the notifications they stand
/// for: the outbox rows commit or roll back with the events (and the suppressions an
/// unsubscribe or complaint implies), and only events that were new are announced — an
/// answer clicked twice, or a webhook retried, is told once. Returns how many were new.
pub async fn store_events(
    tx: &mut dyn ImportTx,
    endpoints: &[NotifyConfig],
    events: &[EventRecord],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    store_events_from(tx, endpoints, events, None, now).await
}

/// [`store_events`] for events a person's request (`client`) brought. The consent
/// withdrawals among the new events (unsubscribes, spam complaints) are logged with them.
async fn store_events_from(
    tx: &mut dyn ImportTx,
    endpoints: &[NotifyConfig],
    events: &[EventRecord],
    client: Option<&Client>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let new = tx.insert_new_events(events, now).await?;
    let withdrawn = withdrawals(new.iter().map(|&i| &events[i]), client);
    if !withdrawn.is_empty() {
        tx.record_consent(&withdrawn).await?;
    }
    if !endpoints.is_empty() && !new.is_empty() {
        let rows = fan_out(
            endpoints,
            &from_events(new.iter().map(|&i| &events[i])),
            now,
        );
        tx.enqueue_notifications(&rows).await?;
    }
    Ok(new.len() as u64)
}
