//! Opens and clicks from the tracking endpoint into events. The endpoint answers before
//! any database call, so hits reach here in batches from the HTTP layer's buffer, which
//! looks up the deliveries opens belong to; what a hit becomes is decided here, without I/O.

use super::machine::{early_open, machine_agent};
use crate::domain::{CustomerId, EventKind, EventRecord};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One tracking hit, as the handler saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub delivery_id: Uuid,
    pub at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub what: HitKind,
}

#[derive(Debug, Clone)]
pub enum HitKind {
    /// The writer looks the delivery up (the pixel answers before any database call).
    Open,
    /// The click handler already looked the delivery up to redirect.
    Click {
        customer_id: String,
        link: u16,
        url: String,
        honeypot: bool,
    },
}

/// Who an open belongs to and when the email went out (for the early-open rule).
#[derive(Debug, Clone)]
pub struct OpenTarget {
    pub customer_id: String,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The event a hit becomes; `target` is the delivery an open belongs to (clicks carry
/// their own). None for an open of a delivery that does not exist (a valid token for a
/// deleted row).
pub fn hit_record(hit: &Hit, target: Option<&OpenTarget>) -> Option<EventRecord> {
    let ua = hit.user_agent.as_deref();
    let (customer_id, kind, machine, mut data) = match &hit.what {
        HitKind::Open => {
            let Some(t) = target else {
                tracing::debug!(delivery_id = %hit.delivery_id, "Open for an unknown delivery; skipped.");
                return None;
            };
            let machine = machine_agent(ua) || early_open(t.sent_at, hit.at);
            (&t.customer_id, EventKind::EmailOpen, machine, Map::new())
        }
        HitKind::Click {
            customer_id,
            link,
            url,
            honeypot,
        } => {
            let mut data = Map::new();
            data.insert("link".into(), Value::from(*link));
            data.insert("url".into(), Value::from(url.as_str()));
            if *honeypot {
                data.insert("honeypot".into(), Value::Bool(true));
            }
            // Nobody sees the honeypot link: whatever follows it is a scanner.
            let machine = *honeypot || machine_agent(ua);
            (customer_id, EventKind::EmailClick, machine, data)
        }
    };
    let customer_id = CustomerId::parse(customer_id).ok()?;
    if let Some(ua) = ua {
        data.insert(
            "user_agent".into(),
            Value::from(ua.chars().take(300).collect::<String>()),
        );
    }
    Some(EventRecord {
        // Every hit is its own event: two opens in the same millisecond are two opens.
        id: Some(format!("t:{}", Uuid::now_v7())),
        customer_id,
        kind,
        occurred_at: hit.at,
        data,
        machine,
        delivery_id: Some(hit.delivery_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(what: HitKind, ua: Option<&str>) -> Hit {
        Hit {
            delivery_id: Uuid::now_v7(),
            at: "2026-11-25T12:10:00Z".parse().unwrap(),
            user_agent: ua.map(str::to_string),
            what,
        }
    }

    const PERSON: &str = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Thunderbird/128.0";

    #[test]
    fn an_open_needs_its_delivery_and_is_a_machine_open_when_early() {
        let h = hit(HitKind::Open, Some(PERSON));
        assert!(hit_record(&h, None).is_none());
        let mut t = OpenTarget {
            customer_id: "c1".into(),
            sent_at: Some("2026-11-25T12:00:00Z".parse().unwrap()),
        };
        let r = hit_record(&h, Some(&t)).unwrap();
        assert_eq!((r.kind, r.machine), (EventKind::EmailOpen, false));
        assert_eq!(r.delivery_id, Some(h.delivery_id));
        assert_eq!(r.data["user_agent"], PERSON);
        t.sent_at = Some(h.at - chrono::TimeDelta::seconds(1));
        assert!(hit_record(&h, Some(&t)).unwrap().machine);
    }

    #[test]
    fn a_click_on_the_honeypot_is_a_scanners() {
        let click = |honeypot| HitKind::Click {
            customer_id: "c1".into(),
            link: 2,
            url: "https://shop.example/".into(),
            honeypot,
        };
        let r = hit_record(&hit(click(false), Some(PERSON)), None).unwrap();
        assert_eq!((r.kind.clone(), r.machine), (EventKind::EmailClick, false));
        assert_eq!(r.data["link"], 2);
        let r = hit_record(&hit(click(true), Some(PERSON)), None).unwrap();
        assert!(r.machine);
        assert_eq!(r.data["honeypot"], true);
    }
}
