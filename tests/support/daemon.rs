//! The daemon in-process ([`rapport::app::Application`]) on a test database and a manual
//! clock, and the customers its scheduler plans for.
#![allow(dead_code)] // each test binary uses its own subset

use super::TestDb;
use super::wait;
use chrono::{DateTime, TimeDelta, Utc};
use rapport::app::{App, Application, ManualClock, Options};
use rapport::config::Config;
use rapport::domain::{CustomerId, CustomerRecord, EventKind, EventRecord, OrderRecord};
use rapport::import::{RecordDefaults, Row};
use rapport::store::Store;
use std::time::Duration;

/// The shipped configuration pointed at `db` and `smtp_url`, with the HTTP endpoint on a
/// free port (the test reads [`Application::address`]).
pub fn config(db: &TestDb, smtp_url: &str) -> Config {
    let mut cfg = super::delivery::config(&db.url, smtp_url, 2);
    cfg.http.bind = "127.0.0.1:0".into();
    cfg
}

/// Starts the daemon on `db`'s store at the manual clock's time, as replica `owner`.
pub async fn start(db: &TestDb, config: Config, clock: &ManualClock, owner: &str) -> Application {
    let app = App {
        config,
        store: db.store.clone(),
    };
    let options = Options {
        clock: clock.clone().into(),
        lease_owner: owner.into(),
    };
    Application::start(app, options)
        .await
        .unwrap_or_else(|e| panic!("{}: the daemon did not start: {e:?}", db.backend))
}

/// Waits until the daemon's scheduler has finished `n` ticks in all.
pub async fn ticked(daemon: &Application, n: u64) {
    let mut ticks = daemon.ticks();
    wait::watch(
        &format!("{n} scheduler ticks"),
        Duration::from_secs(60),
        &mut ticks,
        |t| *t >= n,
    )
    .await;
}

fn row(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().expect("object").clone()
}

/// Imports customer `id` (`{id}@example.org`, English, UTC).
pub async fn customer(store: &dyn Store, cfg: &Config, id: &str, now: DateTime<Utc>) {
    let defaults = RecordDefaults::from_config(cfg, now);
    let c = CustomerRecord::parse(
        &Row::new(&row(
            serde_json::json!({"id": id, "email": format!("{id}@example.org"),
            "name": "Survey Person", "timezone": "UTC", "locale": "en"}),
        )),
        &defaults,
    )
    .expect("customer");
    let mut tx = store.begin_import().await.expect("begin");
    tx.upsert_customers(&[c], now).await.expect("customers");
    tx.commit().await.expect("commit");
}

/// An order at `order_at` and a click at `click_at` for an imported customer, making them
/// reactive: with the order 10 days back, the satisfaction survey is due.
pub async fn order_and_click(
    store: &dyn Store,
    cfg: &Config,
    customer: &str,
    order_at: DateTime<Utc>,
    click_at: DateTime<Utc>,
) {
    let defaults = RecordDefaults::from_config(cfg, order_at);
    let o = OrderRecord::parse(
        &Row::new(&row(serde_json::json!({"id": format!("o-{customer}"),
            "customer_id": customer, "occurred_at": order_at.to_rfc3339(),
            "amount": 80, "currency": "EUR"}))),
        &defaults,
    )
    .expect("order");
    let click = EventRecord {
        id: None,
        customer_id: CustomerId::parse(customer).expect("id"),
        kind: EventKind::EmailClick,
        occurred_at: click_at,
        data: serde_json::Map::new(),
        machine: false,
        delivery_id: None,
    };
    let mut tx = store.begin_import().await.expect("begin");
    tx.upsert_orders(&[o], order_at).await.expect("orders");
    tx.insert_events(&[click], order_at).await.expect("events");
    tx.commit().await.expect("commit");
}

/// Customer `id` imported, reactive, their satisfaction survey due at `now` (order 12 days
/// back, click 20 days back).
pub async fn survey_due(store: &dyn Store, cfg: &Config, id: &str, now: DateTime<Utc>) {
    customer(store, cfg, id, now).await;
    order_and_click(
        store,
        cfg,
        id,
        now - TimeDelta::days(12),
        now - TimeDelta::days(20),
    )
    .await;
}
