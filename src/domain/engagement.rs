//! The per-delivery engagement rollup (`delivery_engagement`, migration 0011): which kinds of
//! tracked event each delivery has had, and its latest survey answer. `rapport report` sums
//! these rows (one per engaged delivery) instead of grouping the events table, which is ten
//! times larger. Every event write goes through `ImportTx::insert_new_events`, which folds the
//! newly stored events with [`fold`] and merges the result into the rollup in the same
//! transaction, so the rollup never disagrees with the committed events.
//!
//! The merge is a monotone upsert: a flag, once set, stays set (OR), and the survey answer is
//! replaced only by a later one — (occurred_at, seq) greater, seq being the events table's
//! write order, the same tie-break the report used over the events. Only events that were new
//! are folded, so an event delivered twice (webhook retries, re-imports) counts once.

use crate::domain::EventKind;
use crate::domain::EventRecord;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A survey answer: when, its row in the events table, and its score (None unless an integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyAnswer {
    pub at: DateTime<Utc>,
    pub seq: i64,
    pub score: Option<i64>,
}

/// What a batch of new events adds to one delivery's engagement row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementDelta {
    pub delivery_id: uuid::Uuid,
    pub delivered: bool,
    /// A human open (privacy-proxy opens are machine).
    pub opened: bool,
    /// Any open, machine ones included.
    pub opened_all: bool,
    /// A human click (link scanners' clicks are machine).
    pub clicked: bool,
    pub unsubscribed: bool,
    pub bounced: bool,
    pub complained: bool,
    /// The latest survey answer among the batch.
    pub survey: Option<SurveyAnswer>,
}

impl EngagementDelta {
    fn new(delivery_id: uuid::Uuid) -> Self {
        EngagementDelta {
            delivery_id,
            delivered: false,
            opened: false,
            opened_all: false,
            clicked: false,
            unsubscribed: false,
            bounced: false,
            complained: false,
            survey: None,
        }
    }
}

/// Whether an event of this kind moves a report figure (others need no rollup row).
fn counts(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Delivered
            | EventKind::EmailOpen
            | EventKind::EmailClick
            | EventKind::Unsubscribe
            | EventKind::Bounce
            | EventKind::SpamComplaint
            | EventKind::SurveyResponse
    )
}

/// One delta per delivery from newly stored events and their `seq`, in delivery id order
/// (a stable order for the upsert, and never the same delivery twice in one statement).
/// Events without a delivery, and kinds no report figure counts, are left out. Pure.
pub fn fold<'a>(
    new_events: impl IntoIterator<Item = (&'a EventRecord, i64)>,
) -> Vec<EngagementDelta> {
    let mut by: BTreeMap<uuid::Uuid, EngagementDelta> = BTreeMap::new();
    for (e, seq) in new_events {
        let Some(id) = e.delivery_id else { continue };
        if !counts(&e.kind) {
            continue;
        }
        let d = by.entry(id).or_insert_with(|| EngagementDelta::new(id));
        match e.kind {
            EventKind::Delivered => d.delivered = true,
            EventKind::EmailOpen => {
                d.opened_all = true;
                d.opened |= !e.machine;
            }
            EventKind::EmailClick => d.clicked |= !e.machine,
            EventKind::Unsubscribe => d.unsubscribed = true,
            EventKind::Bounce => d.bounced = true,
            EventKind::SpamComplaint => d.complained = true,
            EventKind::SurveyResponse => {
                let answer = SurveyAnswer {
                    at: e.occurred_at,
                    seq,
                    score: e.data.get("score").and_then(serde_json::Value::as_i64),
                };
                if d.survey
                    .is_none_or(|s| (answer.at, answer.seq) > (s.at, s.seq))
                {
                    d.survey = Some(answer);
                }
            }
            _ => {}
        }
    }
    by.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use chrono::TimeZone;
    use serde_json::json;

    fn ev(kind: EventKind, delivery: Option<u128>, minute: u32, machine: bool) -> EventRecord {
        EventRecord {
            id: None,
            customer_id: CustomerId::parse("c1").unwrap(),
            kind,
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 20, 10, minute, 0).unwrap(),
            data: serde_json::Map::new(),
            machine,
            delivery_id: delivery.map(uuid::Uuid::from_u128),
        }
    }

    fn survey(delivery: u128, minute: u32, score: i64) -> EventRecord {
        let mut e = ev(EventKind::SurveyResponse, Some(delivery), minute, false);
        e.data.insert("score".into(), json!(score));
        e
    }

    #[test]
    fn machine_opens_count_for_all_opens_only_and_scanner_clicks_not_at_all() {
        let events = [
            ev(EventKind::EmailOpen, Some(1), 0, true),
            ev(EventKind::EmailClick, Some(1), 1, true),
            ev(EventKind::EmailOpen, Some(2), 0, false),
            ev(EventKind::EmailClick, Some(2), 1, false),
        ];
        let d = fold(events.iter().zip(1..));
        assert_eq!(d.len(), 2);
        assert!(d[0].opened_all && !d[0].opened && !d[0].clicked);
        assert!(d[1].opened_all && d[1].opened && d[1].clicked);
    }

    #[test]
    fn the_latest_answer_wins_and_ties_go_to_the_later_write() {
        let events = [
            survey(1, 5, 3),
            survey(1, 9, 9),
            survey(1, 7, 1),
            survey(1, 9, 10),
        ];
        let d = fold(events.iter().zip(10..));
        assert_eq!(d.len(), 1);
        let s = d[0].survey.unwrap();
        assert_eq!((s.seq, s.score), (13, Some(10)));
    }

    #[test]
    fn events_without_a_delivery_or_a_counted_kind_make_no_row() {
        let events = [
            ev(EventKind::EmailOpen, None, 0, false),
            ev(EventKind::Reply, Some(3), 0, false),
            ev(EventKind::Bounce, Some(4), 0, false),
            ev(EventKind::SpamComplaint, Some(4), 1, false),
            ev(EventKind::Unsubscribe, Some(4), 2, false),
            ev(EventKind::Delivered, Some(4), 3, false),
        ];
        let d = fold(events.iter().zip(1..));
        assert_eq!(d.len(), 1);
        let d = &d[0];
        assert_eq!(d.delivery_id, uuid::Uuid::from_u128(4));
        assert!(d.bounced && d.complained && d.unsubscribed && d.delivered);
        assert!(!d.opened_all && d.survey.is_none());
    }
}
