//! What one request, hit buffer or file chunk stores: the events, the addresses to suppress,
//! the soft bounces to check against the limit and a provider's single-use token. Built by
//! the pure steps of each source, written by [`super::apply`] in one transaction.

use super::consent::Client;
use crate::domain::suppression::reason;
use crate::domain::{ConsentEntry, EventRecord, SingleUseToken};
use crate::store::ConsentChange;
use std::collections::HashMap;

/// An address to put on the suppression list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub address: String,
    /// Stored as it is (`unsubscribe`, `hard_bounce: 5.1.1 …`, `bounced: 3 soft bounces in a row`).
    pub reason: String,
    /// Who asked: the provider's route name, or `page` / `one-click` for the unsubscribe page.
    pub source: &'static str,
}

/// The address a customer's soft bounce in this batch would be suppressed under, and the
/// provider that reported it, should their run of soft bounces reach the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftBounce {
    pub address: String,
    pub source: &'static str,
}

/// A provider's single-use token (a signature that must not be accepted twice), recorded in
/// the transaction that stores its events.
#[derive(Debug, Clone)]
pub struct Token {
    pub provider: &'static str,
    pub token: SingleUseToken,
}

#[derive(Debug, Default)]
pub struct Batch {
    /// Suppressions the address's owner asked for (the unsubscribe page): written before the
    /// events, so their reason is the one on record rather than the one the event implies.
    pub requested: Vec<Suppression>,
    /// Stored once each (by dedupe key), rolled up, with the suppressions they imply and the
    /// notifications they stand for.
    pub events: Vec<EventRecord>,
    /// Suppressions a provider reported: written after the events, so an address the events
    /// already suppressed keeps that reason and is not counted again.
    pub reported: Vec<Suppression>,
    /// Customer id → their latest soft bounce in this batch (checked against
    /// `webhooks.soft_bounce_limit` once the events are written).
    pub soft_bounced: HashMap<String, SoftBounce>,
    pub token: Option<Token>,
    /// Consent log entries beyond the withdrawals the events imply (a topic left, a
    /// confirmation, a sign-up).
    pub consent: Vec<ConsentEntry>,
    /// Changes of the consent state on customer rows, each logged in `consent`.
    pub changes: Vec<(String, ConsentChange)>,
    /// The person's request the batch came from (the pages): logged with their withdrawals.
    pub client: Option<Client>,
}

impl Batch {
    /// Only events.
    pub fn events(events: Vec<EventRecord>) -> Batch {
        Batch {
            events,
            ..Batch::default()
        }
    }

    /// Nothing to write: no transaction is opened.
    pub fn is_empty(&self) -> bool {
        self.requested.is_empty()
            && self.events.is_empty()
            && self.reported.is_empty()
            && self.token.is_none()
            && self.consent.is_empty()
            && self.changes.is_empty()
    }
}

/// The suppressions for customers whose run of soft bounces (`counts`, read after this
/// batch's events were written) reached `limit`; 0 turns the rule off. Pure.
pub fn soft_bounce_limit_reached(
    counts: &HashMap<String, u64>,
    soft_bounced: &HashMap<String, SoftBounce>,
    limit: u32,
) -> Vec<Suppression> {
    if limit == 0 {
        return Vec::new();
    }
    counts
        .iter()
        .filter(|(_, n)| **n >= u64::from(limit))
        .filter_map(|(customer, n)| {
            let b = soft_bounced.get(customer)?;
            Some(Suppression {
                address: b.address.clone(),
                reason: reason::soft_bounce_limit(*n),
                source: b.source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_soft_bounces_at_the_limit_suppresses_and_below_it_does_not() {
        let bounced: HashMap<String, SoftBounce> = ["c1", "c2"]
            .into_iter()
            .map(|c| {
                let b = SoftBounce {
                    address: format!("{c}@example.com"),
                    source: "sendgrid",
                };
                (c.to_string(), b)
            })
            .collect();
        let counts: HashMap<String, u64> = [("c1".to_string(), 3), ("c2".to_string(), 2)]
            .into_iter()
            .collect();
        let s = soft_bounce_limit_reached(&counts, &bounced, 3);
        assert_eq!(
            s,
            vec![Suppression {
                address: "c1@example.com".into(),
                reason: "bounced: 3 soft bounces in a row".into(),
                source: "sendgrid",
            }]
        );
        assert!(soft_bounce_limit_reached(&counts, &bounced, 0).is_empty());
    }
}
