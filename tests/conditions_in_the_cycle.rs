//! Campaign conditions (`[audience] where`, issue 19) through the real full cycle, on SQLite
//! and PostgreSQL: a condition on the facts (the customer's language) is decided in the
//! cycle's first pass; conditions on what only a lookup brings (custom attributes, the
//! triggering order's lines) send their customers through the cycle's second pass, with the
//! condition extras the store looks up for them.

mod scenario;
mod support;

use rapport::import::Entity;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv, days, hours, order_line};

fn with_where(condition: &str) -> String {
    format!("{ALL_LEVELS}\nwhere = \"{condition}\"")
}

fn ids(queued: &[(String, String, String)]) -> Vec<(&str, &str)> {
    queued
        .iter()
        .map(|(id, campaign, _)| (id.as_str(), campaign.as_str()))
        .collect()
}

#[tokio::test]
async fn persian_only_campaign_reaches_only_persian_customers() {
    for db in support::all_backends().await {
        let persian = campaign(
            "partnership-invitation",
            50,
            &with_where("customer.language == 'fa'"),
            "on = \"eligible\"",
        );
        let shop = Shop::new(db, &[("persian.toml", &persian)], &[]);
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[
            ("en-1", "en", t - days(100), ""),
            ("fa-1", "fa", t - days(100), ""),
            ("en-2", "en", t - days(100), ""),
            ("fa-2", "fa", t - days(100), ""),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        let queued = shop.queued_by_cycle(t).await;
        assert_eq!(
            ids(&queued),
            [("fa-1", "persian"), ("fa-2", "persian")],
            "{be}"
        );
        shop.dispatch(t).await;
        let mut to = shop.sent_to();
        to.sort();
        assert_eq!(to, ["fa-1@example.com", "fa-2@example.com"], "{be}");
        // The English customers stay out in later cycles too.
        assert_eq!(shop.queued_by_cycle(t + days(1)).await, [], "{be}");
    }
}

#[tokio::test]
async fn condition_on_custom_attribute_selects_customers() {
    for db in support::all_backends().await {
        let friends = campaign(
            "partnership-invitation",
            50,
            &with_where("customer.attributes.source == 'friend'"),
            "on = \"eligible\"",
        );
        let shop = Shop::new(db, &[("friends.toml", &friends)], &[]);
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[
            (
                "friend-1",
                "en",
                t - days(100),
                r#"{"source":"friend","vip":true}"#,
            ),
            ("ad", "en", t - days(100), r#"{"source":"ad"}"#),
            ("friend-2", "fa", t - days(100), r#"{"source":"friend"}"#),
            // No attributes at all: the condition cannot hold.
            ("plain", "en", t - days(100), ""),
            ("number", "en", t - days(100), r#"{"source":7}"#),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        let queued = shop.queued_by_cycle(t).await;
        assert_eq!(
            ids(&queued),
            [("friend-1", "friends"), ("friend-2", "friends")],
            "{be}"
        );
        assert_eq!(shop.dispatch(t).await.sent, 2, "{be}");
    }
}

#[tokio::test]
async fn condition_on_order_items_selects_by_sku() {
    for db in support::all_backends().await {
        // The coffee-machine follow-up outranks a follow-up every order gets: a customer whose
        // triggering order holds no machine gets the other one (the second pass plans every
        // campaign, not only the one whose condition needed the lookup).
        let machines = campaign(
            "satisfaction-survey",
            50,
            &with_where("'CM-1' in occurrence.skus"),
            "on = \"order\"\nmax_age = \"30d\"",
        );
        let everyone = campaign(
            "satisfaction-survey",
            10,
            ALL_LEVELS,
            "on = \"order\"\nmax_age = \"30d\"",
        );
        let shop = Shop::new(
            db,
            &[("machines.toml", &machines), ("everyone.toml", &everyone)],
            &[],
        );
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[
            ("machine", "en", t - days(100), ""),
            ("beans", "fa", t - days(100), ""),
            ("switched", "en", t - days(100), ""),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        let orders = [
            order_line("o-machine", "machine", t - hours(1), &["BEAN-2", "CM-1"]),
            order_line("o-beans", "beans", t - hours(1), &["BEAN-2"]),
            // The machine came with an older order; the one that triggers holds beans only.
            order_line("o-old", "switched", t - days(20), &["CM-1"]),
            order_line("o-new", "switched", t - hours(2), &["BEAN-2"]),
        ]
        .concat();
        shop.import(Entity::Orders, "orders.jsonl", &orders, t)
            .await;
        let queued = shop.queued_by_cycle(t).await;
        let expected = [
            ("beans", "everyone", "order:o-beans"),
            ("machine", "machines", "order:o-machine"),
            ("switched", "everyone", "order:o-new"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
        assert_eq!(queued, expected, "{be}");
    }
}
