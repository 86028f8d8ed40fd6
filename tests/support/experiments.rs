//! Experiment test data written through the store: customers, deliveries in an arm (a
//! variant, the hold-out, or none), what became of them, tracked events, orders and level
//! climbs — and [`planted`], a data set whose arms convert and climb at chosen rates, for
//! checking that the outcomes find an effect where one was planted and none where none was.
#![allow(dead_code)] // each test binary uses its own subset

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport::domain::{Currency, EventRecord, OrderRecord};
use rapport::domain::{CustomerId, EmailAddress, EventKind, Level, Locale, Timezone};
use rapport::import::CustomerRecord;
use rapport::store::{
    ArmOutcome, Claim, DeliveryResult, LevelChange, NewDelivery, OutcomeQuery, Store,
};
use uuid::Uuid;

/// Which arm a delivery is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// The campaign's hold-out: stored `held_out`, never sent.
    Holdout,
    Variant(&'static str),
    /// A campaign without variants.
    Plain,
}

impl Arm {
    /// The arm's name in [`ArmOutcome::arm`].
    pub fn name(self) -> &'static str {
        match self {
            Arm::Holdout => "holdout",
            Arm::Variant(v) => v,
            Arm::Plain => "",
        }
    }
}

/// Imports customers `ids` (created a year before `at`).
pub async fn customers(store: &dyn Store, ids: &[String], at: DateTime<Utc>) {
    let rows: Vec<CustomerRecord> = ids
        .iter()
        .map(|id| CustomerRecord {
            id: CustomerId::parse(id).expect("id"),
            email: EmailAddress::parse(&format!("{id}@example.org")).expect("email"),
            name: format!("Customer {id}"),
            locale: Locale::parse("en").expect("locale"),
            timezone: Timezone::parse("UTC").expect("timezone"),
            subscribed: true,
            created_at: at - TimeDelta::days(365),
            created_at_given: true,
            attributes: serde_json::Map::new(),
            target_override: None,
            consent_source: None,
            consent_wording: None,
        })
        .collect();
    let mut tx = store.begin_import().await.expect("begin import");
    for chunk in rows.chunks(5_000) {
        tx.upsert_customers(chunk, at).await.expect("customers");
    }
    tx.commit().await.expect("commit import");
}

/// A delivery of `campaign` to `customer` in `arm`, planned at `level`, due at `send_at`.
pub fn delivery(
    campaign: &str,
    customer: &str,
    arm: Arm,
    level: Level,
    send_at: DateTime<Utc>,
) -> NewDelivery {
    let id = Uuid::now_v7();
    NewDelivery {
        id,
        customer_id: customer.into(),
        campaign: campaign.into(),
        occurrence: format!("test:{}", send_at.timestamp()),
        service: false,
        current: level,
        target: Level::Partnership,
        send_at,
        message_id: format!("<{id}@shop.example>"),
        unless_since: None,
        variant: match arm {
            Arm::Variant(v) => Some(v.into()),
            _ => None,
        },
        held_out: arm == Arm::Holdout,
    }
}

/// Queues `deliveries` (as a cycle at the earliest send time would).
pub async fn queue(store: &dyn Store, deliveries: &[NewDelivery]) {
    let Some(at) = deliveries.iter().map(|d| d.send_at).min() else {
        return;
    };
    for chunk in deliveries.chunks(5_000) {
        store.apply_cycle(&[], chunk, at).await.expect("queue");
    }
}

/// Claims what is due at `at` and records, for each, what `outcome` says (sent by default).
pub async fn settle(
    store: &dyn Store,
    at: DateTime<Utc>,
    outcome: impl Fn(Uuid) -> Option<DeliveryResult>,
) {
    let claimed = store
        .claim_due(Claim {
            now: at,
            limit: 10_000,
            lease: TimeDelta::minutes(5),
            owner: "test",
        })
        .await
        .expect("claim");
    let results: Vec<DeliveryResult> = claimed
        .iter()
        .map(|c| {
            outcome(c.id).unwrap_or(DeliveryResult::Sent {
                id: c.id,
                links: vec![],
                transport: None,
            })
        })
        .collect();
    store
        .record_results(&results, "test", at)
        .await
        .expect("record");
}

/// A tracked event of `customer` linked to `delivery`.
pub fn event(customer: &str, kind: EventKind, delivery: Uuid, at: DateTime<Utc>) -> EventRecord {
    EventRecord {
        id: Some(format!("ev-{}", Uuid::now_v7())),
        customer_id: CustomerId::parse(customer).expect("id"),
        kind,
        occurred_at: at,
        data: serde_json::Map::new(),
        machine: false,
        delivery_id: Some(delivery),
    }
}

pub async fn events(store: &dyn Store, rows: &[EventRecord]) {
    let mut tx = store.begin_import().await.expect("begin import");
    tx.insert_events(rows, Utc::now()).await.expect("events");
    tx.commit().await.expect("commit events");
}

/// Orders as (id, customer, time, amount, currency).
pub async fn orders(store: &dyn Store, rows: &[(String, String, DateTime<Utc>, f64, &str)]) {
    let rows: Vec<OrderRecord> = rows
        .iter()
        .map(|(id, c, at, amount, cur)| OrderRecord {
            id: id.clone(),
            customer_id: CustomerId::parse(c).expect("id"),
            occurred_at: *at,
            amount: *amount,
            currency: Currency::parse(cur).expect("currency"),
            margin: amount * 0.3,
            items: serde_json::json!([]),
        })
        .collect();
    let mut tx = store.begin_import().await.expect("begin import");
    for chunk in rows.chunks(5_000) {
        tx.upsert_orders(chunk, Utc::now()).await.expect("orders");
    }
    tx.commit().await.expect("commit orders");
}

/// Records, at `at`, a level change of each customer from `from` to `to` (a cycle's write).
pub async fn level_change(
    store: &dyn Store,
    who: &[String],
    from: Option<Level>,
    to: Level,
    at: DateTime<Utc>,
) {
    let changes: Vec<LevelChange> = who
        .iter()
        .map(|c| LevelChange {
            customer_id: c.clone(),
            from,
            current: to,
            target: to,
            reasons: vec!["test".into()],
        })
        .collect();
    store.apply_cycle(&changes, &[], at).await.expect("levels");
}

/// The outcomes of `campaigns` up to `until`: conversions within 7 days, climbs within 60,
/// EUR the base currency and USD at 0.5.
pub fn query(campaigns: &[&str], until: DateTime<Utc>) -> OutcomeQuery {
    OutcomeQuery {
        campaigns: campaigns.iter().map(|c| c.to_string()).collect(),
        since: None,
        until,
        conversion_window: TimeDelta::days(7),
        climb_window: TimeDelta::days(60),
        rates: vec![("EUR".into(), 1.0), ("USD".into(), 0.5)],
    }
}

/// The row of `arm`, or a panic naming what there is.
pub fn row<'a>(rows: &'a [ArmOutcome], campaign: &str, arm: &str) -> &'a ArmOutcome {
    rows.iter()
        .find(|r| r.campaign == campaign && r.arm == arm)
        .unwrap_or_else(|| panic!("no row for {campaign}/{arm:?} in {rows:#?}"))
}

/// One arm of a planted data set: its share of the customers and the chances, planted, that
/// one of its customers orders within the conversion window and climbs within the climb
/// window.
#[derive(Debug, Clone, Copy)]
pub struct PlantedArm {
    pub arm: Arm,
    pub share: f64,
    pub convert: f64,
    pub climb: f64,
}

/// The campaign of a planted data set and its deliveries' send time.
pub const PLANTED_CAMPAIGN: &str = "offer";

pub fn planted_send_at() -> DateTime<Utc> {
    "2026-06-01T10:00:00Z".parse().unwrap()
}

/// Writes `n` customers (`p0`…), each with one delivery of [`PLANTED_CAMPAIGN`] at
/// [`planted_send_at`] in an arm drawn by the shares, and draws each one's outcome from its
/// arm's planted chances: an order of 20–120 EUR 1 h–6 d after the email, a climb from basic
/// to reactive 10 days after. Noise no arm may count: every tenth customer also ordered
/// 3 days before the email. Deterministic for a `seed`; returns how many customers each
/// arm got.
pub async fn planted(store: &dyn Store, n: usize, arms: &[PlantedArm], seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let send_at = planted_send_at();
    let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    customers(store, &ids, send_at).await;
    let total: f64 = arms.iter().map(|a| a.share).sum();
    let mut counts = vec![0u64; arms.len()];
    let (mut deliveries, mut orders_rows, mut climbers) = (Vec::new(), Vec::new(), Vec::new());
    for (i, id) in ids.iter().enumerate() {
        let mut draw = rng.random::<f64>() * total;
        let k = arms
            .iter()
            .position(|a| {
                draw -= a.share;
                draw < 0.0
            })
            .unwrap_or(arms.len() - 1);
        counts[k] += 1;
        let arm = arms[k];
        deliveries.push(delivery(
            PLANTED_CAMPAIGN,
            id,
            arm.arm,
            Level::Basic,
            send_at,
        ));
        if rng.random::<f64>() < arm.convert {
            let after = TimeDelta::minutes(rng.random_range(60..6 * 24 * 60));
            let amount = rng.random_range(20.0..120.0_f64).round();
            orders_rows.push((
                format!("{id}-o"),
                id.clone(),
                send_at + after,
                amount,
                "EUR",
            ));
        }
        if i % 10 == 0 {
            let before = send_at - TimeDelta::days(3);
            orders_rows.push((format!("{id}-early"), id.clone(), before, 50.0, "EUR"));
        }
        if rng.random::<f64>() < arm.climb {
            climbers.push(id.clone());
        }
    }
    queue(store, &deliveries).await;
    orders(store, &orders_rows).await;
    let climbed_at = send_at + TimeDelta::days(10);
    level_change(
        store,
        &climbers,
        Some(Level::Basic),
        Level::Reactive,
        climbed_at,
    )
    .await;
    counts
}
