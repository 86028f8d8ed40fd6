//! The consent log entries what comes in implies, decided without I/O: an unsubscribe or a
//! spam complaint withdraws consent to all marketing (whichever source reported it); an
//! import or an API request that declares consent given logs it as such.

use crate::domain::consent::source;
use crate::domain::{ConsentAction, ConsentEntry, CustomerRecord, EventKind, EventRecord};
use crate::store::ConsentChange;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Who sent the request a change came with, where known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The withdrawals among newly stored events: one entry for all marketing per unsubscribe
/// or spam complaint. `client` is the request they came with, when a person sent it.
pub fn withdrawals<'a>(
    events: impl IntoIterator<Item = &'a EventRecord>,
    client: Option<&Client>,
) -> Vec<ConsentEntry> {
    events
        .into_iter()
        .filter_map(|e| {
            let from = match e.kind {
                EventKind::Unsubscribe => {
                    match e.data.get("source").and_then(|v| v.as_str()) {
                        Some("one-click") => source::ONE_CLICK,
                        Some("page") => source::PREFERENCE_PAGE,
                        // A provider's webhook, the API or an imported history.
                        _ => "event",
                    }
                }
                EventKind::SpamComplaint => source::COMPLAINT,
                _ => return None,
            };
            let entry = ConsentEntry::new(
                e.customer_id.as_str(),
                e.occurred_at,
                ConsentAction::Withdrawn,
                from,
            )
            .evidence(e.id.as_deref());
            Some(match client {
                Some(c) => entry.request(c.ip.as_deref(), c.user_agent.as_deref()),
                None => entry,
            })
        })
        .collect()
}

/// Where new customers come from, and what that means for their consent.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The log's `source` (`import`, `api`, `signup_form`).
    pub source: &'a str,
    pub client: Option<&'a Client>,
    /// `consent.double_opt_in` applies: a new customer who did not declare consent given
    /// before (`consent_source`) waits for the confirmation click.
    pub double_opt_in: bool,
    /// Creating the customer is itself consent given (the API, the sign-up form); an
    /// import logs only what its rows declare.
    pub creation_is_consent: bool,
    /// The wording version shown, when the row does not say (`consent.wording_version`).
    pub wording: Option<&'a str>,
}

/// The consent entries and state changes for the customers `rows` creates (`new`: the ids
/// that did not exist): consent given — declared before (`consent_source`, the evidence) or
/// by the creation itself — and, under double opt-in, the wait for the confirmation.
/// Customers that existed already log nothing: re-importing a file is no new consent.
pub fn created(
    rows: &[CustomerRecord],
    new: &HashSet<String>,
    origin: &Origin<'_>,
    now: DateTime<Utc>,
) -> (Vec<ConsentEntry>, Vec<(String, ConsentChange)>) {
    let (mut entries, mut changes) = (Vec::new(), Vec::new());
    for c in rows.iter().filter(|c| new.contains(c.id.as_str())) {
        let declared = c.consent_source.as_deref();
        if declared.is_none() && !origin.creation_is_consent {
            continue;
        }
        let mut e = ConsentEntry::new(c.id.as_str(), now, ConsentAction::Given, origin.source)
            .evidence(declared)
            .wording(c.consent_wording.as_deref().or(origin.wording));
        if let Some(cl) = origin.client {
            e = e.request(cl.ip.as_deref(), cl.user_agent.as_deref());
        }
        entries.push(e);
        if origin.double_opt_in && declared.is_none() {
            changes.push((c.id.as_str().to_string(), ConsentChange::Pending));
        }
    }
    (entries, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use serde_json::{Map, Value};

    fn event(kind: EventKind, source: Option<&str>) -> EventRecord {
        let mut data = Map::new();
        if let Some(s) = source {
            data.insert("source".into(), Value::from(s));
        }
        EventRecord {
            id: Some("sendgrid:e1".into()),
            customer_id: CustomerId::parse("c1").unwrap(),
            kind,
            occurred_at: "2026-11-25T09:00:00Z".parse().unwrap(),
            data,
            machine: false,
            delivery_id: None,
        }
    }

    #[test]
    fn unsubscribes_and_spam_complaints_withdraw_everything_and_nothing_else_does() {
        let events = [
            event(EventKind::Unsubscribe, Some("one-click")),
            event(EventKind::SpamComplaint, None),
            event(EventKind::Unsubscribe, None),
            event(EventKind::EmailClick, None),
            event(EventKind::Complaint, None),
        ];
        let client = Client {
            ip: Some("192.0.2.7".into()),
            user_agent: None,
        };
        let w = withdrawals(&events, Some(&client));
        let sources: Vec<&str> = w.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(sources, ["one_click", "complaint", "event"]);
        assert!(
            w.iter()
                .all(|e| e.action == ConsentAction::Withdrawn && e.topic.is_none())
        );
        assert_eq!(w[0].ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(w[1].evidence.as_deref(), Some("sendgrid:e1"));
    }
}
