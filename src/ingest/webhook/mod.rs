//! Provider events (verified and parsed by [`crate::providers`]) into stored events.
//!
//! Each provider event is stored once (`id = provider:event_id`). It is tied to a customer
//! through our delivery id (echoed back by the provider), else the Message-ID we generated,
//! else the recipient address, else an earlier stored event of the same provider message id
//! ([`correlate`]). Hard bounces, spam complaints and provider unsubscribes suppress the
//! address even when nothing correlates; a run of soft bounces reaching
//! `webhooks.soft_bounce_limit` suppresses too ([`decide`]).
//!
//! What can be stored is, the rest is logged: a provider event is never refused for a field
//! it lacks. The events, their notifications, the suppressions and the request's single-use
//! token commit together: a complaint or unsubscribe is announced exactly when it (and its
//! suppression) is stored, and a failed request leaves nothing that would make the
//! provider's retry be refused.

pub mod correlate;
pub mod decide;
mod record;

use super::apply::{IngestError, Rules, apply};
use super::batch::{Suppression, Token};
use crate::domain::{EventRecord, SingleUseToken};
use crate::providers::InboundEvent;
use crate::store::Store;
use chrono::{DateTime, Utc};
use correlate::Lookups;

/// What a request's events did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Events that were new.
    pub stored: u64,
    /// New suppressions, for the log.
    pub suppressed: Vec<Suppression>,
    pub uncorrelated: u64,
    /// The request's single-use token was already used with this payload: a retry of a
    /// request whose events are stored (nothing was stored again).
    pub already_stored: bool,
    /// The rows the events became (stored now or before), for the metrics.
    pub records: Vec<EventRecord>,
}

/// Correlates, decides, then stores the events, their suppressions and the request's
/// single-use token in one transaction.
pub async fn ingest(
    store: &dyn Store,
    rules: &Rules<'_>,
    provider: &'static str,
    events: &[InboundEvent],
    token: Option<SingleUseToken>,
    now: DateTime<Utc>,
) -> Result<Outcome, IngestError> {
    let found = Lookups::gather(store, provider, events).await?;
    let decision = decide::decide(events, &found, now);
    let mut batch = decision.batch;
    batch.token = token.map(|token| Token { provider, token });
    let applied = apply(store, rules, &batch, now).await?;
    if applied.already_stored {
        return Ok(Outcome {
            already_stored: true,
            ..Outcome::default()
        });
    }
    Ok(Outcome {
        stored: applied.new_events,
        suppressed: applied.suppressed,
        uncorrelated: decision.uncorrelated,
        already_stored: false,
        records: batch.events,
    })
}
