//! What customers do from an email besides opening and clicking: unsubscribe, answer the
//! survey, accept the partnership invitation. Each is one event of the delivery behind a
//! verified link, idempotent by its id, stored (with its notification) before the page
//! answers.

use super::apply::{IngestError, Rules, apply};
use super::batch::{Batch, Suppression};
use super::machine::scanner_agent;
use crate::domain::suppression::reason;
use crate::domain::{CustomerId, EventKind, EventRecord};
use crate::store::{Store, TrackedDelivery};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// One event from a customer's action, idempotent by `id`.
fn event(
    d: &TrackedDelivery,
    id: String,
    kind: EventKind,
    data: Map<String, Value>,
    machine: bool,
    now: DateTime<Utc>,
) -> Option<EventRecord> {
    Some(EventRecord {
        id: Some(id),
        customer_id: CustomerId::parse(&d.customer_id).ok()?,
        kind,
        occurred_at: now,
        data,
        machine,
        delivery_id: Some(d.id),
    })
}

fn campaign_data(d: &TrackedDelivery) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("campaign".into(), Value::from(d.campaign.as_str()));
    data
}

/// A batch of no or one event.
fn batch(event: Option<EventRecord>) -> Batch {
    Batch::events(event.into_iter().collect())
}

/// An unsubscribe from the page (`page`) or a mail client's one-click (`one-click`): the
/// address is suppressed (the customer asked: `unsubscribe` is the reason on record) and
/// the event stored, with its `unsubscribed` notification, in one transaction: the next
/// send already skips the address, and a notification exists exactly when the
/// suppression does.
pub fn unsubscribe(d: &TrackedDelivery, source: &'static str, now: DateTime<Utc>) -> Batch {
    let mut data = campaign_data(d);
    data.insert("source".into(), Value::from(source));
    let id = format!("unsubscribe:{}", d.id);
    let mut b = batch(event(d, id, EventKind::Unsubscribe, data, false, now));
    b.requested.push(Suppression {
        address: d.email.clone(),
        reason: reason::UNSUBSCRIBE_REQUEST.into(),
        source,
    });
    b
}

/// A survey answer, with the comment when there is one. One answer per delivery and score:
/// clicking the same score twice records it once. Only a clear sign in the user agent
/// discounts an answer.
pub fn survey(
    d: &TrackedDelivery,
    score: u8,
    comment: Option<&str>,
    user_agent: Option<&str>,
    now: DateTime<Utc>,
) -> Batch {
    let mut data = campaign_data(d);
    data.insert("score".into(), Value::from(score));
    if let Some(c) = comment {
        data.insert("comment".into(), Value::from(c));
    }
    let id = format!("survey:{}:{score}", d.id);
    let machine = scanner_agent(user_agent);
    batch(event(d, id, EventKind::SurveyResponse, data, machine, now))
}

/// The partnership invitation accepted.
pub fn partnership(d: &TrackedDelivery, user_agent: Option<&str>, now: DateTime<Utc>) -> Batch {
    let id = format!("partnership:{}", d.id);
    let machine = scanner_agent(user_agent);
    let data = campaign_data(d);
    batch(event(
        d,
        id,
        EventKind::PartnershipAccepted,
        data,
        machine,
        now,
    ))
}

/// Stores a survey answer with its comment; when the answer is stored already (the GET
/// reached us), the comment is added to it instead. Returns how many events were new.
pub async fn survey_comment(
    store: &dyn Store,
    rules: &Rules<'_>,
    answer: &Batch,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<u64, IngestError> {
    let new = apply(store, rules, answer, now).await?.new_events;
    if new == 0
        && let Some(e) = answer.events.first()
    {
        store.add_event_comment(&e.dedupe_key(), comment).await?;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> TrackedDelivery {
        TrackedDelivery {
            id: uuid::Uuid::now_v7(),
            customer_id: "c1".into(),
            email: "c1@example.com".into(),
            locale: "en".into(),
            campaign: "survey".into(),
            message_id: "<m@rapport>".into(),
            links: vec![],
            sent_at: None,
        }
    }

    #[test]
    fn an_unsubscribe_suppresses_the_address_before_its_event_is_stored() {
        let d = delivery();
        let b = unsubscribe(&d, "one-click", Utc::now());
        assert_eq!(b.requested[0].address, "c1@example.com");
        assert_eq!(b.requested[0].reason, "unsubscribe");
        assert_eq!(b.requested[0].source, "one-click");
        assert_eq!(b.events[0].kind, EventKind::Unsubscribe);
        assert_eq!(b.events[0].data["source"], "one-click");
        assert_eq!(b.events[0].id, Some(format!("unsubscribe:{}", d.id)));
    }

    #[test]
    fn one_answer_per_delivery_and_score_and_scanners_are_flagged() {
        let d = delivery();
        let now = Utc::now();
        let a = survey(&d, 9, None, Some("Mozilla/5.0"), now);
        let b = survey(&d, 9, Some("great"), Some("Barracuda Sentinel"), now);
        assert_eq!(a.events[0].id, b.events[0].id);
        assert!(
            !a.events[0].machine,
            "a bare Mozilla/5.0 may be a person here"
        );
        assert!(b.events[0].machine);
        assert_eq!(b.events[0].data["comment"], "great");
        let p = partnership(&d, None, now);
        assert_eq!(p.events[0].kind, EventKind::PartnershipAccepted);
        assert!(!p.events[0].machine);
    }
}
