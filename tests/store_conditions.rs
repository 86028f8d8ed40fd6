//! The store's side of conditions, new triggers and follow-ups (issue 19), on SQLite and
//! PostgreSQL: what the facts stream brings for them, the level's previous value and time
//! written with each change (and backfilled by migration 0040), the custom events of a plan
//! context, the per-customer lookups conditions need, the send-time `unless` check and
//! cancelled deliveries.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::conditions::Needs;
use rapport::config::Config;
use rapport::domain::{CustomerId, EventKind, Level, OrderItem};
use rapport::import::{CustomerRecord, EventRecord, OrderRecord, RecordDefaults, Row};
use rapport::store::{
    Activity, ActivityCheck, Claim, ContextRequest, DeliveryResult, FactsRow, FactsWindows,
    LevelChange, NewDelivery, Scope, Store,
};
use serde_json::json;
use support::TestDb;

fn now() -> DateTime<Utc> {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

fn ago(days: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(days)
}

fn config() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap()
}

fn defaults() -> RecordDefaults {
    RecordDefaults::from_config(&config(), now())
}

fn obj(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().unwrap().clone()
}

/// Imports customer `id`, created at `created`, with `attributes`.
async fn customer_with(
    store: &dyn Store,
    id: &str,
    created: DateTime<Utc>,
    attributes: serde_json::Value,
) {
    let row = obj(json!({
        "id": id, "email": format!("{id}@example.com"), "name": "Test Person",
        "created_at": created.to_rfc3339(), "attributes": attributes,
    }));
    let c = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap();
    let mut tx = store.begin_import().await.unwrap();
    tx.upsert_customers(&[c], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn customer(store: &dyn Store, id: &str) {
    customer_with(store, id, ago(400), json!({})).await;
}

async fn order(store: &dyn Store, id: &str, customer: &str, at: DateTime<Utc>) {
    order_with(store, id, customer, at, json!([])).await;
}

async fn order_with(
    store: &dyn Store,
    id: &str,
    customer: &str,
    at: DateTime<Utc>,
    items: serde_json::Value,
) {
    let row = obj(json!({
        "id": id, "customer_id": customer, "occurred_at": at.to_rfc3339(),
        "amount": 80, "currency": "EUR", "items": items,
    }));
    let o = OrderRecord::parse(&Row::new(&row), &defaults()).unwrap();
    let mut tx = store.begin_import().await.unwrap();
    tx.upsert_orders(&[o], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn event(
    store: &dyn Store,
    customer: &str,
    kind: EventKind,
    at: DateTime<Utc>,
    machine: bool,
    data: serde_json::Value,
) {
    let e = EventRecord {
        id: None,
        customer_id: CustomerId::parse(customer).unwrap(),
        kind,
        occurred_at: at,
        data: obj(data),
        machine,
        delivery_id: None,
    };
    let mut tx = store.begin_import().await.unwrap();
    tx.insert_events(&[e], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

fn custom(name: &str) -> EventKind {
    EventKind::parse(&format!("custom:{name}")).unwrap()
}

fn windows() -> FactsWindows {
    FactsWindows {
        orders_since: ago(365),
        margin_since: ago(365),
        referrals_since: ago(365),
        recent_orders_since: None,
        recent_complaints_since: None,
        deliveries: false,
    }
}

/// Every customer's facts row, by the full scan (`Scope::All`) and by the one-customer
/// scope: both statements must agree.
async fn facts(store: &dyn Store, id: &str) -> FactsRow {
    let mut all = store.facts_chunks(Scope::All, windows(), 100);
    let mut found = None;
    while let Some(chunk) = all.recv().await {
        found = found.or(chunk.unwrap().into_iter().find(|r| r.customer_id == id));
    }
    let mut one = store.facts_chunks(Scope::One(id.into()), windows(), 100);
    let row = one.recv().await.unwrap().unwrap().pop().unwrap();
    let found = found.expect("the customer is in the full scan");
    assert_eq!(found.facts, row.facts, "full and one-customer scans differ");
    row
}

fn change(id: &str, from: Option<Level>, current: Level, target: Level) -> LevelChange {
    LevelChange {
        customer_id: id.into(),
        from,
        current,
        target,
        reasons: vec!["test".into()],
    }
}

async fn apply(store: &dyn Store, changes: &[LevelChange], at: DateTime<Utc>) {
    store.apply_cycle(changes, &[], at).await.unwrap();
}

#[tokio::test]
async fn facts_bring_created_at_first_order_and_custom_event_time() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer_with(store, "c-1", ago(200), json!({})).await;
        customer_with(store, "c-2", ago(3), json!({})).await;
        order(store, "o-2", "c-1", ago(5)).await;
        order(store, "o-1", "c-1", ago(30)).await;
        event(
            store,
            "c-1",
            custom("cart_abandoned"),
            ago(4),
            false,
            json!({}),
        )
        .await;
        // A machine-flagged custom event (a shop's backend) counts: it may trigger.
        event(store, "c-1", custom("viewed"), ago(1), true, json!({})).await;
        // Not custom: the custom time ignores it.
        event(
            store,
            "c-1",
            EventKind::EmailClick,
            ago(0),
            false,
            json!({}),
        )
        .await;

        let f = facts(store, "c-1").await.facts;
        assert_eq!(f.created_at, Some(ago(200)), "{}", db.backend);
        assert_eq!(f.first_order_at, Some(ago(30)), "{}", db.backend);
        assert_eq!(f.last_order_at, Some(ago(5)), "{}", db.backend);
        assert_eq!(f.last_custom_event_at, Some(ago(1)), "{}", db.backend);
        assert_eq!(f.last_click_at, Some(ago(0)), "{}", db.backend);

        let f = facts(store, "c-2").await.facts;
        assert_eq!(f.created_at, Some(ago(3)), "{}", db.backend);
        assert_eq!(
            (f.first_order_at, f.last_custom_event_at),
            (None, None),
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn level_change_records_previous_level_and_since() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer(store, "c-1").await;
        let f = facts(store, "c-1").await.facts;
        assert_eq!(
            (f.previous_level, f.level_since),
            (None, None),
            "{}",
            db.backend
        );

        // The first assessment: where the customer starts, since then; no previous level.
        apply(
            store,
            &[change("c-1", None, Level::Reactive, Level::Reactive)],
            ago(30),
        )
        .await;
        let f = facts(store, "c-1").await.facts;
        assert_eq!(
            (f.previous_level, f.level_since),
            (None, Some(ago(30))),
            "{}",
            db.backend
        );

        let climb = change(
            "c-1",
            Some(Level::Reactive),
            Level::Accountable,
            Level::Accountable,
        );
        apply(store, &[climb], ago(10)).await;
        let f = facts(store, "c-1").await.facts;
        assert_eq!(
            (f.previous_level, f.level_since),
            (Some(Level::Reactive), Some(ago(10))),
            "{}",
            db.backend
        );

        let drop = change("c-1", Some(Level::Accountable), Level::Basic, Level::Basic);
        apply(store, &[drop], ago(2)).await;
        let f = facts(store, "c-1").await.facts;
        assert_eq!(
            (f.previous_level, f.level_since),
            (Some(Level::Accountable), Some(ago(2))),
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn target_only_change_keeps_level_since() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer(store, "c-1").await;
        apply(
            store,
            &[change("c-1", None, Level::Basic, Level::Basic)],
            ago(40),
        )
        .await;
        let climb = change("c-1", Some(Level::Basic), Level::Reactive, Level::Reactive);
        apply(store, &[climb], ago(20)).await;

        // Only the target moves: the current level, its previous one and its time stay.
        let aim = change(
            "c-1",
            Some(Level::Reactive),
            Level::Reactive,
            Level::Proactive,
        );
        apply(store, &[aim], ago(5)).await;
        let row = facts(store, "c-1").await;
        assert_eq!(row.stored_target, Level::Proactive, "{}", db.backend);
        assert_eq!(
            (row.facts.previous_level, row.facts.level_since),
            (Some(Level::Basic), Some(ago(20))),
            "{}",
            db.backend
        );
    }
}

/// Runs the backend's migrations up to `version` on the test database.
async fn migrate_to(db: &TestDb, version: i64) {
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::migrate!("migrations/sqlite")
            .run_to(version, &pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::migrate!("migrations/postgres")
            .run_to(version, &pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

/// Writes a level_history row and the customer's stored level as a cycle before migration
/// 0040 would have.
async fn history(db: &TestDb, id: &str, from: Option<Level>, to: Level, at: DateTime<Utc>) {
    let from = from.map(Level::rank);
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO level_history (customer_id, from_level, to_level, at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(from)
        .bind(to.rank())
        .bind(at.timestamp_millis())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO level_history (customer_id, from_level, to_level, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(from)
        .bind(to.rank())
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

/// Marks a customer assessed at `current` (as cycles before migration 0040 stored it).
async fn assessed(db: &TestDb, id: &str, current: Level, at: DateTime<Utc>) {
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        sqlx::query(
            "UPDATE customers SET current_level = ?, target_level = ?, assessed_at = ? WHERE id = ?",
        )
        .bind(current.rank())
        .bind(current.rank())
        .bind(at.timestamp_millis())
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        sqlx::query(
            "UPDATE customers SET current_level = $1, target_level = $1, assessed_at = $2 WHERE id = $3",
        )
        .bind(current.rank())
        .bind(at)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
}

#[tokio::test]
async fn migration_backfills_previous_level_from_history() {
    for db in support::all_backends_unmigrated().await {
        migrate_to(&db, 31).await;
        let store = db.store.as_ref();
        for id in ["moved", "started", "tied", "unrecorded", "never"] {
            customer(store, id).await;
        }
        // Started basic, climbed to accountable, then dropped to reactive: the latest row.
        history(&db, "moved", None, Level::Basic, ago(90)).await;
        history(
            &db,
            "moved",
            Some(Level::Reactive),
            Level::Accountable,
            ago(30),
        )
        .await;
        history(&db, "moved", Some(Level::Basic), Level::Reactive, ago(60)).await;
        history(
            &db,
            "moved",
            Some(Level::Accountable),
            Level::Reactive,
            ago(10),
        )
        .await;
        assessed(&db, "moved", Level::Reactive, ago(1)).await;
        // Only the first assessment: a time, no previous level.
        history(&db, "started", None, Level::Proactive, ago(50)).await;
        assessed(&db, "started", Level::Proactive, ago(1)).await;
        // Two rows at the same instant: the later written (higher seq) is the latest.
        history(&db, "tied", Some(Level::Basic), Level::Reactive, ago(7)).await;
        history(
            &db,
            "tied",
            Some(Level::Reactive),
            Level::Accountable,
            ago(7),
        )
        .await;
        assessed(&db, "tied", Level::Accountable, ago(1)).await;
        // Assessed, but no history kept: nothing to backfill from.
        assessed(&db, "unrecorded", Level::Reactive, ago(1)).await;

        db.store.migrate().await.unwrap();
        let expect = [
            ("moved", Some(Level::Accountable), Some(ago(10))),
            ("started", None, Some(ago(50))),
            ("tied", Some(Level::Reactive), Some(ago(7))),
            ("unrecorded", None, None),
            ("never", None, None),
        ];
        for (id, previous, since) in expect {
            let f = facts(store, id).await.facts;
            assert_eq!(
                (f.previous_level, f.level_since),
                (previous, since),
                "{}: {id}",
                db.backend
            );
        }
        // 0059 carried the assessed customers' levels into customer_levels; the customer
        // never assessed has none.
        let stored = [
            ("moved", Some(Level::Reactive)),
            ("started", Some(Level::Proactive)),
            ("tied", Some(Level::Accountable)),
            ("unrecorded", Some(Level::Reactive)),
            ("never", None),
        ];
        for (id, level) in stored {
            let row = facts(store, id).await;
            assert_eq!(row.stored_current, level, "{}: {id}", db.backend);
        }
    }
}

#[tokio::test]
async fn plan_context_brings_recent_custom_events() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer(store, "c-1").await;
        customer(store, "c-2").await;
        event(
            store,
            "c-1",
            custom("cart_abandoned"),
            ago(2),
            true,
            json!({"cart": "k-9", "total": 120}),
        )
        .await;
        event(store, "c-1", custom("viewed"), ago(1), false, json!({})).await;
        event(
            store,
            "c-1",
            custom("viewed"),
            ago(20),
            false,
            json!({"old": true}),
        )
        .await;
        event(store, "c-1", EventKind::Complaint, ago(1), false, json!({})).await;
        event(store, "c-2", custom("viewed"), ago(1), false, json!({})).await;

        let ids = ["c-1".to_string(), "c-2".to_string()];
        let req = ContextRequest {
            ids: &ids,
            ordered_recently: &[],
            complained_recently: &[],
            custom_recently: &ids[..1],
            orders_since: ago(7),
            complaints_since: ago(7),
            custom_since: ago(7),
        };
        let contexts = store.plan_contexts(&req).await.unwrap();
        let mut events = contexts["c-1"].custom_events.clone();
        events.sort_by_key(|e| e.at);
        let got: Vec<(&str, DateTime<Utc>)> =
            events.iter().map(|e| (e.name.as_str(), e.at)).collect();
        assert_eq!(
            got,
            [("cart_abandoned", ago(2)), ("viewed", ago(1))],
            "{}",
            db.backend
        );
        assert_eq!(
            events[0].data,
            obj(json!({"cart": "k-9", "total": 120})),
            "{}",
            db.backend
        );
        assert!(
            events[0].id.parse::<i64>().unwrap() < events[1].id.parse::<i64>().unwrap(),
            "{}: ids are the events' seqs, in the order written: {events:?}",
            db.backend
        );
        // Not asked for: c-2's facts said it has no recent custom event to look up.
        assert!(
            contexts
                .get("c-2")
                .is_none_or(|c| c.custom_events.is_empty()),
            "{}",
            db.backend
        );

        // One customer's context (explain, preview): everything since the given instant.
        let one = "c-1".to_string();
        let contexts = store
            .plan_contexts(&ContextRequest::one(&one, ago(30)))
            .await
            .unwrap();
        assert_eq!(contexts["c-1"].custom_events.len(), 3, "{}", db.backend);
    }
}

#[tokio::test]
async fn condition_extras_bring_attributes_last_human_open_and_survey_score() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer_with(
            store,
            "c-1",
            ago(400),
            json!({"source": "friend", "vip": true}),
        )
        .await;
        customer(store, "c-2").await;
        customer(store, "c-3").await;
        event(
            store,
            "c-1",
            EventKind::EmailOpen,
            ago(10),
            false,
            json!({}),
        )
        .await;
        event(
            store,
            "c-1",
            EventKind::EmailOpen,
            ago(12),
            false,
            json!({}),
        )
        .await;
        // A privacy proxy's open is no person reading: not the last open.
        event(store, "c-1", EventKind::EmailOpen, ago(1), true, json!({})).await;
        let survey = EventKind::SurveyResponse;
        event(
            store,
            "c-1",
            survey.clone(),
            ago(8),
            false,
            json!({"score": 3}),
        )
        .await;
        event(
            store,
            "c-1",
            survey.clone(),
            ago(5),
            false,
            json!({"score": 9}),
        )
        .await;
        event(
            store,
            "c-1",
            survey.clone(),
            ago(2),
            true,
            json!({"score": 0}),
        )
        .await;
        // A score that is no whole number: the answer counts, the score does not.
        event(
            store,
            "c-2",
            survey.clone(),
            ago(4),
            false,
            json!({"score": 7.5}),
        )
        .await;

        let ids: Vec<String> = ["c-1", "c-2", "c-3"].map(String::from).to_vec();
        let all = Needs {
            attributes: true,
            opens: true,
            survey: true,
            items: false,
        };
        let x = store.condition_extras(&ids, all, &[]).await.unwrap();
        assert_eq!(x.len(), 3, "{}: every customer gets an entry", db.backend);
        let c1 = &x["c-1"];
        assert_eq!(
            c1.attributes,
            obj(json!({"source": "friend", "vip": true})),
            "{}",
            db.backend
        );
        assert_eq!(c1.last_open_at, Some(ago(10)), "{}", db.backend);
        assert_eq!(c1.last_survey, Some((ago(5), Some(9))), "{}", db.backend);
        assert_eq!(x["c-2"].last_survey, Some((ago(4), None)), "{}", db.backend);
        assert_eq!(x["c-2"].last_open_at, None, "{}", db.backend);
        assert_eq!(x["c-3"], Default::default(), "{}", db.backend);

        // Only what is needed is looked up.
        let x = store
            .condition_extras(&ids, Needs::default(), &[])
            .await
            .unwrap();
        assert_eq!(x.len(), 3, "{}", db.backend);
        assert!(
            x.values().all(|e| *e == Default::default()),
            "{}: {x:?}",
            db.backend
        );
        let opens = Needs {
            opens: true,
            ..Needs::default()
        };
        let x = store.condition_extras(&ids, opens, &[]).await.unwrap();
        assert!(x["c-1"].attributes.is_empty(), "{}", db.backend);
        assert_eq!(x["c-1"].last_survey, None, "{}", db.backend);
        assert_eq!(x["c-1"].last_open_at, Some(ago(10)), "{}", db.backend);
    }
}

#[tokio::test]
async fn condition_extras_bring_items_of_orders() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer(store, "c-1").await;
        customer(store, "c-2").await;
        let lines = json!([
            {"sku": "CM-1", "name": "Coffee machine", "category": "machines", "qty": 1, "price": 300},
            {"sku": "BEAN-2", "name": "Beans", "qty": 2.5},
            {"sku": "CUP", "name": "Cup", "category": 7},
        ]);
        order_with(store, "o-1", "c-1", ago(2), lines).await;
        order_with(
            store,
            "o-2",
            "c-2",
            ago(3),
            json!([{"sku": "X", "name": "X"}]),
        )
        .await;
        order_with(
            store,
            "o-3",
            "c-1",
            ago(9),
            json!([{"sku": "Y", "name": "Y"}]),
        )
        .await;

        let ids = vec!["c-1".to_string()];
        let items = Needs {
            items: true,
            ..Needs::default()
        };
        let orders = ["o-1", "o-2"].map(String::from);
        let x = store.condition_extras(&ids, items, &orders).await.unwrap();
        let c1 = &x["c-1"];
        assert_eq!(
            c1.order_items.len(),
            1,
            "{}: only the orders asked for",
            db.backend
        );
        assert_eq!(
            c1.order_items["o-1"],
            vec![
                OrderItem {
                    sku: "CM-1".into(),
                    name: "Coffee machine".into(),
                    category: Some("machines".into()),
                    qty: Some(1),
                },
                OrderItem {
                    sku: "BEAN-2".into(),
                    name: "Beans".into(),
                    category: None,
                    qty: None,
                },
                OrderItem {
                    sku: "CUP".into(),
                    name: "Cup".into(),
                    category: None,
                    qty: None,
                },
            ],
            "{}",
            db.backend
        );
        // Listed under the order's customer, even one not among the ids.
        assert_eq!(x["c-2"].order_items["o-2"][0].sku, "X", "{}", db.backend);

        let no_items = store
            .condition_extras(&ids, Needs::default(), &orders)
            .await
            .unwrap();
        assert!(no_items["c-1"].order_items.is_empty(), "{}", db.backend);
    }
}

fn check(customer: &str, since: DateTime<Utc>, kinds: &[EventKind], orders: bool) -> ActivityCheck {
    ActivityCheck {
        delivery_id: uuid::Uuid::now_v7(),
        customer_id: customer.into(),
        since,
        kinds: kinds.to_vec(),
        orders,
    }
}

#[tokio::test]
async fn activity_since_finds_order_or_survey_after_since_only() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        for id in ["answered", "ordered", "machine", "custom", "both"] {
            customer(store, id).await;
        }
        let survey = EventKind::SurveyResponse;
        event(
            store,
            "answered",
            survey.clone(),
            ago(3),
            false,
            json!({"score": 8}),
        )
        .await;
        order(store, "o-1", "ordered", ago(1)).await;
        order(store, "o-0", "ordered", ago(9)).await;
        event(store, "machine", survey.clone(), ago(1), true, json!({})).await;
        event(
            store,
            "custom",
            custom("bought_in_store"),
            ago(1),
            false,
            json!({}),
        )
        .await;
        event(store, "both", survey.clone(), ago(3), false, json!({})).await;
        order(store, "o-2", "both", ago(2)).await;
        // Before every anchor: never activity since.
        event(
            store,
            "ordered",
            EventKind::EmailClick,
            ago(12),
            false,
            json!({}),
        )
        .await;

        let unless = [survey.clone(), EventKind::EmailClick];
        let checks = [
            check("answered", ago(5), &unless, true),
            // The answer came before the anchor: not activity since.
            check("answered", ago(2), &unless, true),
            check("ordered", ago(2), &unless, true),
            // Orders do not count unless asked for.
            check("ordered", ago(2), &unless, false),
            // A machine-flagged answer is no person answering.
            check("machine", ago(5), &unless, true),
            check("custom", ago(5), &[custom("bought_in_store")], false),
            check("custom", ago(5), &[custom("other")], false),
            // The earliest activity is the one named.
            check("both", ago(5), &unless, true),
            // At the anchor itself counts.
            check("answered", ago(3), std::slice::from_ref(&survey), false),
            check("nobody", ago(5), &unless, true),
        ];
        let found = store.activity_since(&checks).await.unwrap();
        let got = |i: usize| found.get(&checks[i].delivery_id).cloned();
        let activity = |kind: &str, at| {
            Some(Activity {
                kind: kind.into(),
                at,
            })
        };
        assert_eq!(
            got(0),
            activity("survey_response", ago(3)),
            "{}",
            db.backend
        );
        assert_eq!(got(1), None, "{}", db.backend);
        assert_eq!(got(2), activity("order", ago(1)), "{}", db.backend);
        assert_eq!(got(3), None, "{}", db.backend);
        assert_eq!(got(4), None, "{}", db.backend);
        assert_eq!(
            got(5),
            activity("custom:bought_in_store", ago(1)),
            "{}",
            db.backend
        );
        assert_eq!(got(6), None, "{}", db.backend);
        assert_eq!(
            got(7),
            activity("survey_response", ago(3)),
            "{}",
            db.backend
        );
        assert_eq!(
            got(8),
            activity("survey_response", ago(3)),
            "{}",
            db.backend
        );
        assert_eq!(got(9), None, "{}", db.backend);
        assert_eq!(found.len(), 5, "{}: {found:?}", db.backend);

        assert!(store.activity_since(&[]).await.unwrap().is_empty());
    }
}

fn delivery(customer: &str, occurrence: &str, unless_since: Option<DateTime<Utc>>) -> NewDelivery {
    let id = uuid::Uuid::now_v7();
    NewDelivery {
        id,
        customer_id: customer.into(),
        campaign: "survey-reminder".into(),
        occurrence: occurrence.into(),
        service: false,
        current: Level::Basic,
        target: Level::Basic,
        send_at: ago(1),
        message_id: format!("<{id}@shop.example>"),
        unless_since,
        variant: None,
        held_out: false,
    }
}

fn claim(owner: &str) -> Claim<'_> {
    Claim {
        now: now(),
        limit: 10,
        lease: TimeDelta::minutes(5),
        owner,
    }
}

#[tokio::test]
async fn cancelled_delivery_is_recorded_with_reason() {
    for db in support::all_backends().await {
        let store = db.store.as_ref();
        customer(store, "c-1").await;
        customer(store, "c-2").await;
        let first = delivery("c-1", "sent:order:o-1", Some(ago(6)));
        let other = delivery("c-2", "sent:order:o-2", None);
        let queued = store
            .apply_cycle(&[], &[first.clone(), other.clone()], ago(1))
            .await
            .unwrap();
        assert_eq!(queued, 2, "{}", db.backend);

        let claimed = store.claim_due(claim("worker-a")).await.unwrap();
        let unless: Vec<(String, Option<DateTime<Utc>>)> = {
            let mut v: Vec<_> = claimed
                .iter()
                .map(|c| (c.customer_id.clone(), c.unless_since))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            unless,
            [("c-1".to_string(), Some(ago(6))), ("c-2".to_string(), None)],
            "{}",
            db.backend
        );

        let reason = "unless: survey_response at 2026-11-22T09:00:00Z".to_string();
        // Fenced: a worker that no longer holds the lease records nothing.
        let late = DeliveryResult::Cancelled {
            id: other.id,
            reason: reason.clone(),
        };
        store
            .record_results(&[late], "worker-b", now())
            .await
            .unwrap();
        let cancel = DeliveryResult::Cancelled {
            id: first.id,
            reason: reason.clone(),
        };
        store
            .record_results(&[cancel], "worker-a", now())
            .await
            .unwrap();

        let rows = support::delivery::outbox(&db).await;
        let row = &rows["c-1@example.com"];
        assert_eq!(
            (row.status.as_str(), row.last_error.as_deref()),
            ("cancelled", Some(reason.as_str())),
            "{}",
            db.backend
        );
        assert_eq!(rows["c-2@example.com"].status, "sending", "{}", db.backend);

        let counts = store.outbox_counts().await.unwrap();
        assert_eq!(counts.len(), 1, "{}", db.backend);
        let c = &counts[0];
        assert_eq!(
            (c.cancelled, c.suppressed, c.sending, c.sent),
            (1, 0, 1, 0),
            "{}",
            db.backend
        );
        assert_eq!(
            store.pending_deliveries().await.unwrap(),
            1,
            "{}",
            db.backend
        );
        // A cancelled delivery is never claimed again.
        let later = Claim {
            now: now() + TimeDelta::hours(1),
            ..claim("worker-c")
        };
        let again = store.claim_due(later).await.unwrap();
        assert!(
            again.iter().all(|c| c.id != first.id),
            "{}: {again:?}",
            db.backend
        );
    }
}

/// PostgreSQL: every facts stream reads one snapshot. A customer deleted (with its orders)
/// after the orders stream started but before the customers stream did was in one stream and
/// not the other, and the merge failed the cycle ("the facts streams disagree"). A lock on
/// `customer_levels`, which only the customers statement reads, holds that statement back
/// while the others run; the customer is deleted meanwhile.
#[tokio::test]
async fn a_customer_deleted_while_the_facts_streams_start_does_not_fail_the_read() {
    let Some(db) = support::postgres().await else {
        return;
    };
    let store = &*db.store;
    for id in ["c-1", "c-2", "c-3"] {
        customer(store, id).await;
        order(store, &format!("o-{id}"), id, ago(10)).await;
    }
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE customer_levels IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let mut rx = store.facts_chunks(Scope::All, windows(), 100);
    // The customers statement waits for the lock once the other streams have their rows
    // (this test's database only: other tests share the server).
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity \
                   WHERE wait_event_type = 'Lock' AND query LIKE '%customer_levels%' \
                   AND datname = current_database() AND pid <> pg_backend_pid()";
    let mut tries = 0;
    while sqlx::query_scalar::<_, i64>(waiting)
        .fetch_one(&pool)
        .await
        .unwrap()
        == 0
    {
        tries += 1;
        // 30 s: the other streams open their connections and read first, on a busy machine.
        assert!(
            tries < 3_000,
            "the customers statement never waited for the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for sql in [
        "DELETE FROM orders WHERE customer_id = 'c-1'",
        "DELETE FROM customers WHERE id = 'c-1'",
    ] {
        sqlx::query(sql).execute(&mut *lock).await.unwrap();
    }
    lock.commit().await.unwrap();
    let mut seen = Vec::new();
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk.expect("the facts read survives a customer deleted meanwhile");
        seen.extend(chunk.into_iter().map(|r| (r.customer_id, r.facts.orders)));
    }
    // One snapshot, taken before the delete: c-1 with its order, as every stream saw it.
    assert_eq!(
        seen,
        vec![("c-1".into(), 1), ("c-2".into(), 1), ("c-3".into(), 1)]
    );
}
