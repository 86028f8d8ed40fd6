//! Notifications to other systems (`[[notify]]` in the config): a CRM, a Slack bridge, a
//! data warehouse. The engine writes each event it wants to tell about into the durable
//! `notifications` outbox (one row per subscribed endpoint); [`Worker`] POSTs them as JSON,
//! signed, and retries with backoff until the endpoint answers 2xx or the attempts run out.
//! The engine never waits on an endpoint: writing a row is all it does.
//!
//! Body (fixed at enqueue time):
//! `{"id": "<event uuid>", "event": "level_changed", "occurred_at": "RFC 3339",
//!   "customer_id": "…", "data": {…}}` — `id` is the same for every endpoint and every retry:
//! receivers dedupe on it (delivery is at least once).
//!
//! Headers: `X-Rapport-Event`, `X-Rapport-Timestamp: <unix seconds>` and, when the endpoint
//! has a `secret`, `X-Rapport-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//! (see [`signature::verify`] for the receiving side).

pub mod signature;
mod worker;

pub use crate::domain::{
    ClaimedNotification, NewNotification, NotificationCounts, NotificationResult,
};
pub use worker::{RetryPolicy, Worker, WorkerOptions, send_sample};

use crate::config::NotifyConfig;
use crate::store::{LevelChange, Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The events an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyEvent {
    LevelChanged,
    Complaint,
    SurveyResponse,
    PartnershipAccepted,
    Unsubscribed,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 5] = [
        NotifyEvent::LevelChanged,
        NotifyEvent::Complaint,
        NotifyEvent::SurveyResponse,
        NotifyEvent::PartnershipAccepted,
        NotifyEvent::Unsubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::LevelChanged => "level_changed",
            NotifyEvent::Complaint => "complaint",
            NotifyEvent::SurveyResponse => "survey_response",
            NotifyEvent::PartnershipAccepted => "partnership_accepted",
            NotifyEvent::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
    }
}

/// One thing that happened, to be told to every endpoint that wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub event: NotifyEvent,
    pub customer_id: String,
    pub occurred_at: DateTime<Utc>,
    pub data: Value,
}

impl Notification {
    /// The JSON body (without the id, which is added per event by [`fan_out`]).
    pub(crate) fn body(&self, id: uuid::Uuid) -> String {
        json!({
            "id": id,
            "event": self.event.as_str(),
            "occurred_at": self.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "customer_id": self.customer_id,
            "data": self.data,
        })
        .to_string()
    }
}

/// Checks `[[notify]]`: unique names, an http(s) URL, known event names. Errors name the
/// entry and what to write instead.
pub fn validate(endpoints: &[NotifyConfig]) -> Result<(), String> {
    let mut errors = Vec::new();
    for (i, e) in endpoints.iter().enumerate() {
        if endpoints[..i].iter().any(|o| o.name == e.name) {
            errors.push(format!("[[notify]] `{}`: the name is used twice", e.name));
        }
        match url::Url::parse(&e.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => errors.push(format!(
                "[[notify]] `{}`: url `{}` is not an http:// or https:// URL",
                e.name, e.url
            )),
        }
        for ev in &e.events {
            if NotifyEvent::parse(ev).is_none() {
                errors.push(format!(
                    "[[notify]] `{}`: unknown event `{ev}`: expected level_changed, complaint, survey_response, partnership_accepted or unsubscribed",
                    e.name
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn wants(endpoint: &NotifyConfig, event: NotifyEvent) -> bool {
    endpoint.events.iter().any(|e| e.trim() == event.as_str())
}

/// One outbox row per (notification, endpoint subscribed to its event). Pure.
pub fn fan_out(
    endpoints: &[NotifyConfig],
    notifications: &[Notification],
    now: DateTime<Utc>,
) -> Vec<NewNotification> {
    let mut rows = Vec::new();
    for n in notifications {
        let targets: Vec<&NotifyConfig> = endpoints.iter().filter(|e| wants(e, n.event)).collect();
        if targets.is_empty() {
            continue;
        }
        let event_id = uuid::Uuid::now_v7();
        let body = n.body(event_id);
        for e in targets {
            rows.push(NewNotification {
                id: uuid::Uuid::now_v7(),
                event_id,
                endpoint: e.name.clone(),
                event: n.event.as_str().to_string(),
                body: body.clone(),
                created_at: now,
            });
        }
    }
    rows
}

/// Writes the notifications to the outbox for the endpoints that want them, in a
/// transaction of their own. Events announce theirs through [`crate::ingest`], in the
/// transaction that stores them. Returns how many rows were written (0 without `[[notify]]`).
pub async fn enqueue(
    store: &dyn Store,
    endpoints: &[NotifyConfig],
    notifications: &[Notification],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    if endpoints.is_empty() || notifications.is_empty() {
        return Ok(0);
    }
    let rows = fan_out(endpoints, notifications, now);
    store.enqueue_notifications(&rows).await
}

/// The notifications stored events stand for: a complaint, a survey answer, an accepted
/// partnership, an unsubscribe (other kinds notify nobody).
pub fn from_events<'a>(
    events: impl IntoIterator<Item = &'a crate::domain::EventRecord>,
) -> Vec<Notification> {
    use crate::domain::EventKind;
    events
        .into_iter()
        .filter_map(|e| {
            let event = match e.kind {
                EventKind::Complaint => NotifyEvent::Complaint,
                EventKind::SurveyResponse => NotifyEvent::SurveyResponse,
                EventKind::PartnershipAccepted => NotifyEvent::PartnershipAccepted,
                EventKind::Unsubscribe => NotifyEvent::Unsubscribed,
                _ => return None,
            };
            Some(Notification {
                event,
                customer_id: e.customer_id.as_str().to_string(),
                occurred_at: e.occurred_at,
                data: Value::Object(e.data.clone()),
            })
        })
        .collect()
}

/// `level_changed` notifications for the changes of current level in a cycle's write-back.
/// A first assessment is where the customer starts, not a change: nothing is announced.
pub fn level_changes(changes: &[LevelChange], at: DateTime<Utc>) -> Vec<Notification> {
    changes
        .iter()
        .filter(|c| c.is_move())
        .map(|c| Notification {
            event: NotifyEvent::LevelChanged,
            customer_id: c.customer_id.clone(),
            occurred_at: at,
            data: json!({
                "from": c.from,
                "to": c.current,
                "target": c.target,
                "direction": if Some(c.current) > c.from { "climb" } else { "drop" },
                "reasons": c.reasons,
            }),
        })
        .collect()
}

/// The sample `rapport notify-test` sends: a level change of a made-up customer.
pub fn sample(now: DateTime<Utc>) -> Notification {
    Notification {
        event: NotifyEvent::LevelChanged,
        customer_id: "sample-customer".into(),
        occurred_at: now,
        data: json!({
            "from": "reactive",
            "to": "accountable",
            "target": "proactive",
            "direction": "climb",
            "reasons": ["accountable: survey answer 3 days ago (within 365 days)"],
            "test": true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn endpoint(name: &str, events: &[&str]) -> NotifyConfig {
        NotifyConfig {
            name: name.into(),
            url: "https://crm.example/hook".into(),
            events: events.iter().map(|s| s.to_string()).collect(),
            secret: None,
        }
    }

    #[test]
    fn each_endpoint_gets_only_the_events_it_asked_for() {
        let eps = [
            endpoint("crm", &["level_changed", "complaint"]),
            endpoint("slack", &["complaint"]),
        ];
        let now = Utc::now();
        let mut n = sample(now);
        let rows = fan_out(&eps, std::slice::from_ref(&n), now);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].endpoint, "crm");
        n.event = NotifyEvent::Complaint;
        let rows = fan_out(&eps, &[n], now);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].event_id, rows[1].event_id,
            "one event id across endpoints"
        );
        assert_ne!(rows[0].id, rows[1].id);
        let body: Value = serde_json::from_str(&rows[0].body).unwrap();
        assert_eq!(body["event"], "complaint");
        assert_eq!(body["id"], rows[0].event_id.to_string());
    }

    #[test]
    fn a_first_assessment_is_not_announced_as_a_level_change() {
        let change = |from: Option<Level>, current: Level| LevelChange {
            customer_id: "c1".into(),
            from,
            current,
            target: Level::Partnership,
            reasons: vec![],
        };
        let now = Utc::now();
        let notes = level_changes(
            &[
                change(None, Level::Proactive),
                change(Some(Level::Reactive), Level::Reactive),
                change(Some(Level::Proactive), Level::Reactive),
            ],
            now,
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].data["direction"], "drop");
    }

    #[test]
    fn unknown_event_names_and_bad_urls_are_config_errors() {
        let mut bad = endpoint("crm", &["level_change"]);
        bad.url = "ftp://x".into();
        let e = validate(&[bad, endpoint("crm", &[])]).unwrap_err();
        assert!(e.contains("unknown event `level_change`"), "{e}");
        assert!(e.contains("not an http"), "{e}");
        assert!(e.contains("used twice"), "{e}");
        assert!(validate(&[endpoint("a", &["unsubscribed"])]).is_ok());
    }
}
