//! What a request's provider events become, given what the store knows about them: the
//! rows to store, the addresses to suppress (hard bounces, spam complaints and provider
//! unsubscribes suppress even when nothing correlates), the soft bounces to check against
//! the limit. Pure: no I/O but log lines.

use super::correlate::{Lookups, normalised};
use super::record::{event_records, suppression_reason};
use crate::ingest::batch::{Batch, SoftBounce, Suppression};
use crate::providers::{InboundEvent, InboundKind};
use chrono::{DateTime, Utc};

/// The batch to write, and how many events matched no delivery or customer.
#[derive(Debug)]
pub struct Decision {
    pub batch: Batch,
    pub uncorrelated: u64,
}

pub fn decide(events: &[InboundEvent], found: &Lookups, now: DateTime<Utc>) -> Decision {
    let mut batch = Batch::default();
    let mut uncorrelated = 0;
    for e in events {
        let owner = found.owner(e);
        let missing = missing_fields(e, owner.is_some());
        if !missing.is_empty() {
            tracing::warn!(
                provider = e.provider,
                event_id = %e.event_id,
                missing = missing.join(", "),
                correlated = owner.is_some(),
                "A provider event lacks fields we use; stored what it carries."
            );
        }
        // The address as the provider names it, else the one our email went to.
        let address = e
            .recipient
            .as_deref()
            .map(normalised)
            .or_else(|| owner.as_ref()?.delivery.map(|d| d.email.clone()));
        if e.suppresses() {
            // Correlated to a customer but not to one of our emails: their address.
            let address = address.clone().or_else(|| {
                let o = owner.as_ref()?;
                found.customer_emails.get(&o.customer_id).cloned()
            });
            match address {
                Some(address) => batch.reported.push(Suppression {
                    address,
                    reason: suppression_reason(e),
                    source: e.provider,
                }),
                None => {
                    tracing::warn!(provider = e.provider, event_id = %e.event_id, "A suppressing event names no address we can find; nothing suppressed.")
                }
            }
        }
        if let (InboundKind::Bounce { hard: false }, Some(o), Some(address)) =
            (&e.kind, &owner, address)
        {
            let bounce = SoftBounce {
                address,
                source: e.provider,
            };
            batch.soft_bounced.insert(o.customer_id.clone(), bounce);
        }
        match owner {
            Some(o) => batch.events.extend(event_records(e, &o, now)),
            None => {
                uncorrelated += 1;
                tracing::debug!(provider = e.provider, event_id = %e.event_id, "Webhook event matches no delivery or customer; not stored.");
            }
        }
    }
    Decision {
        batch,
        uncorrelated,
    }
}

/// The fields we use that an event lacks, when that matters (logged, never a reason to
/// refuse it): a time, or anything to tie it to a customer.
fn missing_fields(e: &InboundEvent, correlated: bool) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if e.occurred_at.is_none() {
        missing.push("time (recorded at receipt)");
    }
    if !correlated {
        if e.recipient.is_none() {
            missing.push("recipient address");
        }
        if e.delivery_id.is_none() && e.message_id.is_none() && e.provider_message_id.is_none() {
            missing.push("message id");
        }
    }
    missing
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
