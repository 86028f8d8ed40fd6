//! `on = "predicted_need"` through the full cycle, on SQLite and PostgreSQL: the shop's
//! purchase rhythm is fitted once (kept in `engine_state`, refitted a day later), a regular
//! gets the campaign `lead` before their predicted next order and once per gap between
//! orders, a one-time buyer and a lapsed regular never do, and the email's suggestions start
//! with what the customer bought more than once.

mod scenario;
mod support;

use chrono::{DateTime, Utc};
use rapport::import::Entity;
use rapport::valuation::model::model;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv, days, hours, order_line};

const STATE: &str = "predict.model";

/// Regulars ordering every 20 to 48 days (6 orders, the last 40 to 59 days before `t`),
/// one-time buyers, a regular who stopped 250 days ago, and `me`: a regular ordering every 30
/// days, coffee beans every time, the last 20 days before `t`.
fn orders(t: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut regular = |id: &str, last: i64, every: i64, skus: &dyn Fn(i64) -> Vec<String>| {
        for k in 0..6 {
            let at = t - days(last + every * k);
            let skus = skus(k);
            let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
            out.push_str(&order_line(&format!("{id}-{k}"), id, at, &skus));
        }
    };
    for i in 0..30 {
        let every = 20 + 2 * (i % 15);
        regular(&format!("r{i:02}"), 40 + i % 20, every, &|k| {
            vec![format!("s{}", k % 3)]
        });
    }
    regular("gone", 250, 30, &|_| vec!["s1".into()]);
    regular("me", 20, 30, &|k| {
        vec!["beans".into(), format!("s{}", k % 3)]
    });
    for i in 0..30 {
        out.push_str(&order_line(
            &format!("once{i}"),
            &format!("o{i:02}"),
            t - days(10 + i),
            &["s2"],
        ));
    }
    out
}

fn customer_ids() -> Vec<String> {
    let mut ids: Vec<String> = (0..30).map(|i| format!("r{i:02}")).collect();
    ids.extend((0..30).map(|i| format!("o{i:02}")));
    ids.extend(["gone".to_string(), "me".to_string()]);
    ids
}

fn queued_for<'a>(
    queued: &'a [(String, String, String)],
    who: &str,
) -> Vec<&'a (String, String, String)> {
    queued.iter().filter(|(id, _, _)| id == who).collect()
}

#[tokio::test]
async fn a_regular_is_reminded_lead_before_their_predicted_next_order_once_per_gap() {
    for db in support::all_backends().await {
        let reorder = campaign(
            "loyalty-offer",
            50,
            ALL_LEVELS,
            "on = \"predicted_need\"\nlead = \"3d\"",
        );
        let shop = Shop::new(db, &[("reorder.toml", &reorder)], &[]);
        let be = shop.backend();
        let t = base() + days(300);
        let created = t - days(500);
        let rows: Vec<(String, &str, DateTime<Utc>, &str)> = customer_ids()
            .into_iter()
            .map(|id| (id, "en", created, ""))
            .collect();
        let rows: Vec<(&str, &str, DateTime<Utc>, &str)> = rows
            .iter()
            .map(|(id, l, c, a)| (id.as_str(), *l, *c, *a))
            .collect();
        shop.import(Entity::Customers, "customers.csv", &customers_csv(&rows), t)
            .await;
        shop.import(Entity::Orders, "orders.jsonl", &orders(t), t)
            .await;

        // The shop's model, kept as if fitted at each cycle's time (the fit itself and its
        // keeping are the next test's): me's interval is (60 + 150) / (2 + 5) = 30 days.
        let store = &*shop.db.store;
        let next = t + days(10);

        // Four days before the date: not yet due; nor for the one-time buyers and the lapsed.
        let early = next - days(4);
        keep_model(store, early).await;
        let queued = shop.queued_by_cycle(early).await;
        assert_eq!(queued_for(&queued, "me").len(), 0, "{be}: {queued:?}");
        for id in ["gone", "o00", "o29"] {
            assert_eq!(queued_for(&queued, id).len(), 0, "{be}: {id}: {queued:?}");
        }

        // Three days before (plus an hour): due, keyed by the last order.
        let due = next - days(3) + hours(1);
        keep_model(store, due).await;
        let queued = shop.queued_by_cycle(due).await;
        let last = (t - days(20)).format("%Y-%m-%dT%H:%M:%SZ");
        assert_eq!(
            queued_for(&queued, "me"),
            [&(
                "me".to_string(),
                "reorder".to_string(),
                format!("predicted_need:{last}")
            )],
            "{be}"
        );
        for id in ["gone", "o00", "o29"] {
            assert_eq!(queued_for(&queued, id).len(), 0, "{be}: {id}");
        }
        let report = shop.dispatch(due).await;
        assert!(report.sent >= 1, "{be}");
        let email = shop
            .stub
            .messages()
            .into_iter()
            .find(|m| m.to == "me@example.com")
            .expect("sent to me");
        let text = String::from_utf8_lossy(&email.raw)
            .replace("=\r\n", "")
            .replace("=\n", "");
        let beans = text
            .find("Product beans")
            .unwrap_or_else(|| panic!("{be}: {text}"));
        assert!(
            !text[..beans].contains("  - Product"),
            "{be}: the repeat purchase comes first: {text}"
        );

        // Not again in the same gap.
        keep_model(store, next).await;
        let queued = shop.queued_by_cycle(next).await;
        assert_eq!(queued_for(&queued, "me").len(), 0, "{be}");

        // A new order starts a new gap: (60 + 180) / (2 + 6) = 30 days, a new occurrence.
        let new_order = order_line("me-new", "me", next, &["beans"]);
        shop.import(Entity::Orders, "more.jsonl", &new_order, next + hours(1))
            .await;
        let then = next + days(30) - days(3) + hours(1);
        keep_model(store, then).await;
        let queued = shop.queued_by_cycle(then).await;
        let key = format!("predicted_need:{}", next.format("%Y-%m-%dT%H:%M:%SZ"));
        assert_eq!(
            queued_for(&queued, "me"),
            [&("me".to_string(), "reorder".to_string(), key)],
            "{be}"
        );
    }
}

/// Keeps a fixed model (days: r = 2, α = 60, a = 0.5, b = 5) as fitted at `at`.
async fn keep_model(store: &dyn rapport::store::Store, at: DateTime<Utc>) {
    let saved = serde_json::json!({
        "fitted_at": at,
        "model": {"purchases": {"r": 2.0, "alpha": 60.0, "a": 0.5, "b": 5.0}, "spend": {}},
    });
    store.set_state(STATE, &saved.to_string()).await.unwrap();
}

#[tokio::test]
async fn the_model_is_kept_for_a_day_and_then_refitted() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &[], &[]);
        let be = shop.backend();
        let t = base() + days(300);
        let rows: Vec<(String, &str, DateTime<Utc>, &str)> = customer_ids()
            .into_iter()
            .map(|id| (id, "en", t - days(500), ""))
            .collect();
        let rows: Vec<(&str, &str, DateTime<Utc>, &str)> = rows
            .iter()
            .map(|(id, l, c, a)| (id.as_str(), *l, *c, *a))
            .collect();
        shop.import(Entity::Customers, "customers.csv", &customers_csv(&rows), t)
            .await;
        shop.import(Entity::Orders, "orders.jsonl", &orders(t), t)
            .await;
        let store = &*shop.db.store;
        let first = model(store, t, false).await.unwrap().expect("fitted");
        // Twenty hours on, with a new order: the kept model, not a new fit.
        let more = order_line("r00-new", "r00", t + hours(1), &["s1"]);
        shop.import(Entity::Orders, "more.jsonl", &more, t + hours(1))
            .await;
        assert_eq!(
            model(store, t + hours(20), false).await.unwrap(),
            Some(first.clone()),
            "{be}"
        );
        // A dry run refits without keeping it.
        let dry = model(store, t + days(2), true)
            .await
            .unwrap()
            .expect("fitted");
        assert_ne!(dry, first, "{be}");
        assert_eq!(
            model(store, t + hours(21), false).await.unwrap(),
            Some(first.clone()),
            "{be}"
        );
        // Past a day: refitted and kept.
        let refit = model(store, t + days(2), false)
            .await
            .unwrap()
            .expect("fitted");
        assert_eq!(refit, dry, "{be}");
        assert_eq!(
            model(store, t + days(2) + hours(5), false).await.unwrap(),
            Some(refit),
            "{be}"
        );
    }
}
