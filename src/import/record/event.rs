//! Events: a kind, a time, and data whose shape some kinds prescribe.

use super::{FieldError, Problems, RecordDefaults, Row, RowErrors, check_json_size, err, parsed};
use crate::domain::{CustomerId, EventKind, EventRecord};
use serde_json::{Map, Value};

pub const EVENT_FIELDS: &[&str] = &["id", "customer_id", "kind", "occurred_at", "data"];

impl EventRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(EVENT_FIELDS, &mut p);
        let id = p.take(row.text("id").and_then(|id| match id {
            Some(id) if id.chars().any(char::is_control) || id.len() > 200 => Err(err(
                "id",
                "must be at most 200 characters without control characters",
            )),
            id => Ok(id),
        }));
        let customer_id = p.take(
            row.required_text("customer_id")
                .and_then(|s| parsed("customer_id", CustomerId::parse(&s))),
        );
        let kind = p.take(
            row.required_text("kind")
                .and_then(|s| parsed("kind", EventKind::parse(&s))),
        );
        let occurred_at = p.take(
            row.required("occurred_at")
                .and_then(|_| row.past_timestamp("occurred_at", d.latest())),
        );
        let data = p.take(row.object("data").and_then(|data| {
            check_json_size("data", &Value::Object(data.clone()), d.input.max_data_bytes)?;
            Ok(data)
        }));
        if let (Some(kind), Some(data)) = (&kind, &data) {
            p.note(check_event_data(kind, data));
        }
        let record = (|| {
            Some(EventRecord {
                id: id?,
                customer_id: customer_id?,
                kind: kind?,
                occurred_at: occurred_at?.unwrap_or(d.now),
                data: data?,
                machine: false,
                delivery_id: None,
            })
        })();
        p.finish(record)
    }
}

fn check_event_data(kind: &EventKind, data: &Map<String, Value>) -> Result<(), FieldError> {
    match kind {
        EventKind::SurveyResponse => match data.get("score").and_then(Value::as_i64) {
            Some(0..=10) => Ok(()),
            _ => Err(err(
                "data.score",
                "a survey_response needs a score from 0 to 10",
            )),
        },
        EventKind::Bounce => match data.get("type") {
            None => Ok(()),
            Some(Value::String(t)) if t == "hard" || t == "soft" => Ok(()),
            Some(_) => Err(err("data.type", "a bounce type is `hard` or `soft`")),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderRecord;
    use crate::import::record::test_support::*;
    use serde_json::json;

    fn event(kind: EventKind, machine: bool) -> EventRecord {
        EventRecord {
            id: None,
            customer_id: CustomerId::parse("c1").unwrap(),
            kind,
            occurred_at: "2026-11-20T10:00:00Z".parse().unwrap(),
            data: Map::new(),
            machine,
            delivery_id: None,
        }
    }

    #[test]
    fn only_evidence_and_suppressions_move_the_assessment() {
        assert!(!event(EventKind::EmailOpen, false).moves_assessment());
        assert!(!event(EventKind::Delivered, false).moves_assessment());
        assert!(event(EventKind::EmailClick, false).moves_assessment());
        assert!(
            !event(EventKind::EmailClick, true).moves_assessment(),
            "a scanner's click is no evidence"
        );
        assert!(event(EventKind::SurveyResponse, false).moves_assessment());
        assert!(event(EventKind::Unsubscribe, false).moves_assessment());
        assert!(event(EventKind::SpamComplaint, true).moves_assessment());
    }

    #[test]
    fn survey_answers_need_a_score_in_range() {
        let row = obj(
            json!({"customer_id":"c1","kind":"survey_response","occurred_at":"2026-11-20T10:00:00Z","data":{"score":11}}),
        );
        assert_eq!(
            EventRecord::parse(&Row::new(&row), &defaults())
                .unwrap_err()
                .0[0]
                .field,
            "data.score"
        );
    }

    #[test]
    fn events_without_id_share_a_dedupe_key_when_identical() {
        let row = obj(
            json!({"customer_id":"c1","kind":"email_click","occurred_at":"2026-11-20T10:00:00Z","data":{"b":1,"a":2}}),
        );
        let a = EventRecord::parse(&Row::new(&row), &defaults()).unwrap();
        let b = EventRecord::parse(&Row::new(&row), &defaults()).unwrap();
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        let mut c = a.clone();
        c.occurred_at += chrono::TimeDelta::seconds(1);
        assert_ne!(a.dedupe_key(), c.dedupe_key());
    }

    #[test]
    fn times_beyond_the_configured_future_skew_are_refused() {
        // defaults(): now = 2026-11-25T12:00:00Z, input.max_future = 1 h.
        for (at, ok) in [
            ("2026-11-25T12:59:00Z", true),
            ("2026-11-25T13:01:00Z", false),
            ("9999-12-31T00:00:00Z", false),
        ] {
            let row = obj(json!({"customer_id":"c1","kind":"email_click","occurred_at": at}));
            let r = EventRecord::parse(&Row::new(&row), &defaults());
            assert_eq!(r.is_ok(), ok, "{at}: {r:?}");
            let row = obj(
                json!({"id":"o1","customer_id":"c1","occurred_at": at,"amount":1,"currency":"EUR"}),
            );
            assert_eq!(
                OrderRecord::parse(&Row::new(&row), &defaults()).is_ok(),
                ok,
                "{at}"
            );
        }
        let mut lenient = defaults();
        lenient.input.max_future = crate::config::Duration::from_days(365 * 10);
        let row = obj(
            json!({"customer_id":"c1","kind":"email_click","occurred_at":"2030-01-01T00:00:00Z"}),
        );
        assert!(EventRecord::parse(&Row::new(&row), &lenient).is_ok());
    }
}
