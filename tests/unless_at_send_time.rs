//! Property: an `unless` that is true at send time never sends (issue 19). Random
//! interleavings of queueing a follow-up, activity of a listed or an unlisted kind (imported
//! through the real import path, sometimes arriving late), and dispatching — on SQLite and
//! PostgreSQL. A delivery whose customer had listed activity after its `unless_since` is
//! never handed to the transport and ends `cancelled`; every other one is sent.
//!
//! One database per backend serves every case (a case's customers, orders and times are its
//! own), so that PostgreSQL runs the same number of cases as SQLite at a modest cost.

mod scenario;
mod support;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use rapport::domain::Level;
use rapport::import::Entity;
use rapport::store::NewDelivery;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv};
use std::collections::HashMap;

const CASES: u32 = 48;
const CUSTOMERS: u8 = 3;

/// The kinds the follow-up lists in `unless`, and some it does not.
const LISTED: &[&str] = &["survey_response", "order", "custom:cart_done"];
const UNLISTED: &[&str] = &["email_click", "custom:viewed", "reply"];

#[derive(Debug, Clone)]
enum Op {
    /// Queue a follow-up for a customer, its first email sent `back` minutes ago.
    Queue {
        customer: u8,
        back: i64,
    },
    /// Activity of a kind, which happened `late` minutes before it is imported.
    Activity {
        customer: u8,
        listed: bool,
        kind: usize,
        late: i64,
    },
    Dispatch,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..CUSTOMERS, 0..180i64).prop_map(|(customer, back)| Op::Queue { customer, back }),
        4 => (0..CUSTOMERS, any::<bool>(), 0..3usize, 0..120i64).prop_map(
            |(customer, listed, kind, late)| Op::Activity { customer, listed, kind, late }
        ),
        2 => Just(Op::Dispatch),
    ]
}

struct Queued {
    id: uuid::Uuid,
    customer: String,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
}

struct Happened {
    customer: String,
    listed: bool,
    /// When it happened (`occurred_at`).
    at: DateTime<Utc>,
    /// When it was imported: a dispatch before that cannot know of it.
    imported: DateTime<Utc>,
}

fn campaigns() -> Vec<(&'static str, String)> {
    let unless = LISTED
        .iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        (
            "first.toml",
            campaign(
                "partnership-invitation",
                50,
                ALL_LEVELS,
                "on = \"eligible\"",
            ),
        ),
        (
            "follow-up.toml",
            campaign(
                "partnership-invitation",
                40,
                ALL_LEVELS,
                &format!(
                    "on = \"sent\"\ncampaign = \"first\"\ndelay = \"1d\"\nunless = [{unless}]"
                ),
            ),
        ),
    ]
}

/// Runs one interleaving on `shop`; `case` keeps its customers and times apart from the
/// other cases'.
async fn run_case(shop: &Shop, case: u32, ops: &[Op]) -> Result<(), TestCaseError> {
    let be = shop.backend();
    let start = base() + TimeDelta::hours(4 * i64::from(case));
    let customer = |i: u8| format!("p{case}-c{i}");
    let rows: Vec<(String, &str, DateTime<Utc>, &str)> = (0..CUSTOMERS)
        .map(|i| (customer(i), "en", start - TimeDelta::days(400), ""))
        .collect();
    let rows: Vec<(&str, &str, DateTime<Utc>, &str)> = rows
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), *b, *c, *d))
        .collect();
    shop.import(
        Entity::Customers,
        "customers.csv",
        &customers_csv(&rows),
        start,
    )
    .await;

    let mut now = start;
    let mut queued: Vec<Queued> = Vec::new();
    let mut happened: Vec<Happened> = Vec::new();
    // Each delivery's dispatch: the first one at or after its queueing.
    let mut dispatched_at: HashMap<uuid::Uuid, DateTime<Utc>> = HashMap::new();
    let all = ops.iter().chain(std::iter::once(&Op::Dispatch));
    for (n, op) in all.enumerate() {
        now += TimeDelta::minutes(7);
        match op {
            Op::Queue { customer: c, back } => {
                let id = uuid::Uuid::now_v7();
                let since = now - TimeDelta::minutes(*back);
                let d = NewDelivery {
                    id,
                    customer_id: customer(*c),
                    campaign: "follow-up".into(),
                    occurrence: format!("sent:eligible:{n}"),
                    service: false,
                    current: Level::Basic,
                    target: Level::Basic,
                    send_at: now,
                    message_id: format!("<{id}@shop.example>"),
                    unless_since: Some(since),
                    variant: None,
                    held_out: false,
                };
                shop.db.store.apply_cycle(&[], &[d], now).await.unwrap();
                queued.push(Queued {
                    id,
                    customer: customer(*c),
                    since,
                    at: now,
                });
            }
            Op::Activity {
                customer: c,
                listed,
                kind,
                late,
            } => {
                let at = now - TimeDelta::minutes(*late);
                let kind = if *listed {
                    LISTED[*kind]
                } else {
                    UNLISTED[*kind]
                };
                let who = customer(*c);
                if kind == "order" {
                    let line = scenario::order_line(&format!("{who}-o{n}"), &who, at, &[]);
                    shop.import(Entity::Orders, "order.jsonl", &line, now).await;
                } else {
                    let line = scenario::event_line(&who, kind, at);
                    shop.import(Entity::Events, "event.jsonl", &line, now).await;
                }
                happened.push(Happened {
                    customer: who,
                    listed: *listed,
                    at,
                    imported: now,
                });
            }
            Op::Dispatch => {
                shop.dispatch(now).await;
                for q in &queued {
                    dispatched_at.entry(q.id).or_insert(now);
                }
            }
        }
    }

    let handed: Vec<String> = shop
        .stub
        .messages()
        .into_iter()
        .map(|m| m.delivery_id)
        .collect();
    let statuses: HashMap<String, (String, Option<String>)> = shop
        .outbox()
        .await
        .into_iter()
        .map(|d| (d.message_id, (d.status, d.last_error)))
        .collect();
    for q in &queued {
        let sent_at = dispatched_at[&q.id];
        let blocked_by = happened
            .iter()
            .filter(|h| h.customer == q.customer && h.listed && h.at > q.since)
            // Only what was imported before the dispatch ran can be seen by it.
            .filter(|h| h.imported < sent_at)
            .map(|h| h.at)
            .min();
        let (status, reason) = &statuses[&format!("<{}@shop.example>", q.id)];
        let was_handed = handed.contains(&q.id.to_string());
        match blocked_by {
            Some(at) => {
                prop_assert!(
                    !was_handed,
                    "{be}: delivery {} of {} (unless_since {}, queued {}) was sent although listed activity happened at {at}",
                    q.id,
                    q.customer,
                    q.since,
                    q.at
                );
                prop_assert_eq!(status.as_str(), "cancelled", "{}: {:?}", be, reason);
            }
            None => {
                prop_assert!(
                    was_handed,
                    "{be}: delivery {} of {} was not sent: {status} {reason:?}",
                    q.id,
                    q.customer
                );
                prop_assert_eq!(status.as_str(), "sent", "{}", be);
            }
        }
    }
    Ok(())
}

#[test]
fn unless_true_at_send_time_never_sends() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dbs = rt.block_on(support::all_backends());
    let campaigns = campaigns();
    let files: Vec<(&str, &str)> = campaigns.iter().map(|(n, t)| (*n, t.as_str())).collect();
    for db in dbs {
        let shop = Shop::new(db, &files, &[]);
        let mut runner = TestRunner::new(ProptestConfig {
            cases: CASES,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let case = std::sync::atomic::AtomicU32::new(0);
        let result = runner.run(&prop::collection::vec(op(), 1..24), |ops| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_case(&shop, case, &ops))
        });
        if let Err(e) = result {
            panic!("{}: {e}", shop.backend());
        }
    }
}
