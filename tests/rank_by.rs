//! `strategy.rank_by = "predicted_value"` through the full cycle, on SQLite and PostgreSQL:
//! the facts bring every order's count, first and last time, margin and currency; the tiers
//! are cut on the margin the shop's purchase-rhythm model predicts over the next 12 months;
//! the cycle keeps a model even with no campaign on `predicted_need`.

mod scenario;
mod support;

use chrono::{DateTime, Utc};
use rapport::config::RankBy;
use rapport::domain::Level;
use rapport::import::Entity;
use rapport::store::{FactsRow, Scope, Store};
use scenario::{Shop, base, customers_csv, days};

const MODEL: &str = "predict.model";

/// One order as a JSONL line (margin: 30 % of the amount, the shipped default ratio).
fn order(id: &str, customer: &str, at: DateTime<Utc>, amount: f64, currency: &str) -> String {
    serde_json::json!({
        "id": id, "customer_id": customer, "occurred_at": at.to_rfc3339(),
        "amount": amount, "currency": currency, "items": [],
    })
    .to_string()
        + "\n"
}

/// 30 regulars ordering every 30 days (6 orders, the last 10 days before `t`, 80 to 109 a
/// time), `big`: one order of 2,000 two hundred days before `t`, and 60 customers without
/// orders. 91 customers: every tier is "few" (at most 100).
async fn shop(db: support::TestDb, t: DateTime<Utc>) -> Shop {
    let shop = Shop::new(db, &[], &[]);
    let mut ids: Vec<String> = (0..30).map(|i| format!("r{i:02}")).collect();
    ids.push("big".into());
    ids.extend((0..60).map(|i| format!("n{i:02}")));
    let rows: Vec<(&str, &str, DateTime<Utc>, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), "en", t - days(500), ""))
        .collect();
    shop.import(Entity::Customers, "customers.csv", &customers_csv(&rows), t)
        .await;
    let mut orders = String::new();
    for i in 0..30 {
        for k in 0..6 {
            let at = t - days(10 + 30 * k);
            let currency = if i == 0 { "USD" } else { "EUR" };
            orders.push_str(&order(
                &format!("r{i:02}-{k}"),
                &format!("r{i:02}"),
                at,
                80.0 + f64::from(i),
                currency,
            ));
        }
    }
    orders.push_str(&order("big-1", "big", t - days(200), 2_000.0, "EUR"));
    shop.import(Entity::Orders, "orders.jsonl", &orders, t)
        .await;
    shop
}

/// The shop's model kept as fitted at `at`: CDNOW's purchase parameters (in days: customers
/// differ a lot, many leave), and a spend model for euros only.
async fn keep_model(store: &dyn Store, at: DateTime<Utc>) {
    let saved = serde_json::json!({
        "fitted_at": at,
        "model": {
            "purchases": {"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426},
            "spend": {"EUR": {"p": 6.0, "q": 4.0, "gamma": 15.0}},
        },
    });
    store.set_state(MODEL, &saved.to_string()).await.unwrap();
}

async fn facts(shop: &Shop, id: &str, t: DateTime<Utc>) -> FactsRow {
    let mut rx = shop.db.store.facts_chunks(
        Scope::One(id.into()),
        rapport::cycle::windows(&shop.config, t),
        1,
    );
    rx.recv().await.unwrap().unwrap().remove(0)
}

#[tokio::test]
async fn ranking_by_predicted_value_puts_a_regular_above_a_one_off_big_spender() {
    for db in support::all_backends().await {
        let t = base() + days(300);
        let mut shop = shop(db, t).await;
        let be = shop.backend();

        // By last year's margin (the default), the one-off 2,000 is the top customer.
        shop.cycle(t).await;
        let big = facts(&shop, "big", t).await;
        assert_eq!(big.stored_target, Level::Partnership, "{be}: few × high");
        assert_eq!(
            facts(&shop, "r29", t).await.stored_target,
            Level::Partnership,
            "{be}"
        );

        // By predicted value: the regular stays on top, the big spender who has not come back
        // for 200 days drops to the medium tier.
        shop.config.strategy.rank_by = RankBy::PredictedValue;
        keep_model(&*shop.db.store, t).await;
        shop.cycle(t).await;
        let big = facts(&shop, "big", t).await;
        assert_eq!(big.stored_target, Level::Proactive, "{be}: few × medium");
        assert_eq!(
            facts(&shop, "r29", t).await.stored_target,
            Level::Partnership,
            "{be}"
        );
        // No spend model for dollars: r00 is worth 0 and ranks with those without orders.
        assert_eq!(
            facts(&shop, "r00", t).await.stored_target,
            Level::Accountable,
            "{be}: few × low"
        );
        assert_eq!(
            facts(&shop, "n00", t).await.stored_target,
            Level::Accountable,
            "{be}"
        );

        // explain's path: the kept tiers and model, the ranking named in the reason.
        let store = &*shop.db.store;
        let (tiers, model) = rapport::cycle::current_tiers(store, &shop.config, t)
            .await
            .unwrap();
        let mut f = facts(&shop, "big", t).await.facts;
        rapport::cycle::score(&mut f, model.as_ref(), &shop.config.strategy, t);
        let cfg = &shop.config;
        let a = rapport::levels::assess(&f, &cfg.levels, &cfg.strategy, &tiers, t);
        let why = a.reasons.last().unwrap();
        assert!(
            why.starts_with("target proactive: predicted margin ")
                && why.contains("ranked by predicted value, not by margin 600.00 in 365 d"),
            "{be}: {why}"
        );
    }
}

#[tokio::test]
async fn the_facts_bring_every_orders_margin_and_currency() {
    for db in support::all_backends().await {
        let t = base() + days(300);
        let shop = shop(db, t).await;
        let be = shop.backend();
        let r05 = facts(&shop, "r05", t).await.facts;
        assert_eq!(r05.orders, 6, "{be}");
        assert!(
            (r05.margin - 6.0 * 85.0 * 0.3).abs() < 1e-9,
            "{be}: {}",
            r05.margin
        );
        assert_eq!(
            r05.currency.map(|c| c.as_str().to_string()),
            Some("EUR".into()),
            "{be}"
        );
        let summary = r05.order_summary().expect("orders");
        assert_eq!(
            (summary.first_at, summary.last_at),
            (t - days(160), t - days(10)),
            "{be}"
        );
        let none = facts(&shop, "n00", t).await.facts;
        assert_eq!(
            (none.orders, none.margin, none.currency),
            (0, 0.0, None),
            "{be}"
        );
        assert_eq!(none.order_summary(), None, "{be}");
    }
}

#[tokio::test]
async fn ranking_by_predicted_value_fits_the_model_without_any_predicted_need_campaign() {
    for db in support::all_backends().await {
        let t = base() + days(300);
        let mut shop = shop(db, t).await;
        let be = shop.backend();
        shop.cycle(t).await;
        assert_eq!(
            shop.db.store.get_state(MODEL).await.unwrap(),
            None,
            "{be}: not needed"
        );
        shop.config.strategy.rank_by = RankBy::PredictedValue;
        shop.cycle(t).await;
        assert!(
            shop.db.store.get_state(MODEL).await.unwrap().is_some(),
            "{be}: fitted and kept"
        );
    }
}

/// Incremental cycles classify the customers they look at against the tiers the last full
/// cycle cut, scoring them with the kept model: the big spender who comes back climbs.
#[tokio::test]
async fn an_incremental_cycle_scores_a_returning_customer_against_the_kept_tiers() {
    for db in support::all_backends().await {
        let t = base() + days(300);
        let mut shop = shop(db, t).await;
        let be = shop.backend();
        shop.config.strategy.rank_by = RankBy::PredictedValue;
        keep_model(&*shop.db.store, t).await;
        // Not in the inserts' millisecond: the watermark is inclusive.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        shop.cycle(t).await;
        assert_eq!(
            facts(&shop, "big", t).await.stored_target,
            Level::Proactive,
            "{be}"
        );

        let later = t + chrono::TimeDelta::hours(2);
        let again = order(
            "big-2",
            "big",
            t + chrono::TimeDelta::hours(1),
            2_000.0,
            "EUR",
        );
        shop.import(Entity::Orders, "again.jsonl", &again, later)
            .await;
        let store = &*shop.db.store;
        let scope = rapport::cycle::incremental_scope(store).await.unwrap();
        let report = rapport::cycle::run(
            store,
            &shop.config,
            &shop.engine.campaigns,
            &rapport::cycle::CycleOptions {
                scope,
                now: later,
                dry_run: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(report.assessed, 1, "{be}: only big was touched");
        assert_eq!(
            facts(&shop, "big", later).await.stored_target,
            Level::Partnership,
            "{be}: a second big order, just now: the top tier"
        );
    }
}
