//! Issue 19's follow-ups and new triggers end to end, on SQLite and PostgreSQL: campaign
//! files in a temporary folder, data through the real import path, full cycles and the
//! dispatcher `rapport run` builds, at chosen instants; what reaches the transport is read
//! from the in-memory `stub://` transport.
//!
//! A survey reminder answered between queueing and sending is cancelled (and only then);
//! an abandoned cart followed by an order sends nothing, and one ordered after queueing is
//! cancelled. The sign-up, level-change and lapse triggers are in `tests/new_triggers.rs`.

mod scenario;
mod support;

use rapport::import::Entity;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv, days, event_line, hours};

fn survey_campaigns() -> Vec<(&'static str, String)> {
    vec![
        (
            "survey.toml",
            campaign(
                "satisfaction-survey",
                50,
                ALL_LEVELS,
                "on = \"order\"\nmax_age = \"30d\"",
            ),
        ),
        (
            "survey-reminder.toml",
            campaign(
                "satisfaction-survey",
                40,
                ALL_LEVELS,
                "on = \"sent\"\ncampaign = \"survey\"\ndelay = \"5d\"\nunless = [\"survey_response\"]",
            ),
        ),
    ]
}

fn files<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(n, t)| (*n, t.as_str())).collect()
}

/// Customers `ids` (created long ago), one order each an hour before `base()`, and the
/// survey for each queued and sent at `base()`.
async fn surveyed(shop: &Shop, ids: &[&str]) {
    let t = base();
    let rows: Vec<_> = ids
        .iter()
        .map(|id| (*id, "en", t - days(400), ""))
        .collect();
    shop.import(Entity::Customers, "customers.csv", &customers_csv(&rows), t)
        .await;
    let orders: String = ids
        .iter()
        .map(|id| scenario::order_line(&format!("o-{id}"), id, t - hours(1), &["CM-1"]))
        .collect();
    shop.import(Entity::Orders, "orders.jsonl", &orders, t)
        .await;
    let queued = shop.queued_by_cycle(t).await;
    let expected: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                id.to_string(),
                "survey".to_string(),
                format!("order:o-{id}"),
            )
        })
        .collect();
    assert_eq!(queued, expected, "{}", shop.backend());
    let r = shop.dispatch(t).await;
    assert_eq!(
        (r.sent, r.cancelled),
        (ids.len() as u64, 0),
        "{}",
        shop.backend()
    );
}

#[tokio::test]
async fn survey_answered_between_queueing_and_sending_is_cancelled_not_sent() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &files(&survey_campaigns()), &[]);
        let be = shop.backend();
        let t = base();
        surveyed(&shop, &["answers", "silent"]).await;

        // Six days on: both are due for the reminder, neither has answered yet.
        let queued = shop.queued_by_cycle(t + days(6)).await;
        let reminder = |id: &str| {
            (
                id.to_string(),
                "survey-reminder".to_string(),
                format!("sent:order:o-{id}"),
            )
        };
        assert_eq!(queued, [reminder("answers"), reminder("silent")], "{be}");

        // One answers the survey before the sender gets to the reminder.
        let answer = event_line("answers", "survey_response", t + days(6) + hours(1));
        shop.import(
            Entity::Events,
            "answers.jsonl",
            &answer,
            t + days(6) + hours(1),
        )
        .await;
        let before = shop.stub.attempts();
        let r = shop.dispatch(t + days(6) + hours(2)).await;
        assert_eq!((r.sent, r.cancelled, r.failed), (1, 1, 0), "{be}: {r:?}");
        assert_eq!(
            shop.stub.attempts(),
            before + 1,
            "{be}: only the silent customer's reminder reached the transport"
        );
        let to: Vec<String> = shop.sent_to().split_off(before);
        assert_eq!(to, ["silent@example.com"], "{be}");

        let reminders = shop.deliveries_of("survey-reminder").await;
        let answered = reminders
            .iter()
            .find(|d| d.customer_id == "answers")
            .unwrap();
        assert_eq!(answered.status, "cancelled", "{be}: {answered:?}");
        let reason = answered.last_error.as_deref().unwrap_or_default();
        assert!(
            reason.contains("survey_response"),
            "{be}: the reason names the activity: {reason:?}"
        );
        assert!(
            !shop.sent_message_ids().contains(&answered.message_id),
            "{be}: the cancelled reminder was never handed to the transport"
        );
        let silent = reminders
            .iter()
            .find(|d| d.customer_id == "silent")
            .unwrap();
        assert_eq!(silent.status, "sent", "{be}");

        // Cancelled is final: later cycles and dispatches do not bring the reminder back.
        assert_eq!(shop.queued_by_cycle(t + days(8)).await, [], "{be}");
        let r = shop.dispatch(t + days(8)).await;
        assert_eq!((r.sent, r.cancelled), (0, 0), "{be}");
    }
}

#[tokio::test]
async fn unanswered_survey_gets_its_reminder_once_after_the_delay() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &files(&survey_campaigns()), &[]);
        let be = shop.backend();
        let t = base();
        surveyed(&shop, &["silent"]).await;

        // Not before the delay (5 days after the survey was sent).
        assert_eq!(shop.queued_by_cycle(t + days(4)).await, [], "{be}");
        let queued = shop.queued_by_cycle(t + days(5) + hours(1)).await;
        assert_eq!(
            queued,
            [(
                "silent".to_string(),
                "survey-reminder".to_string(),
                "sent:order:o-silent".to_string()
            )],
            "{be}"
        );
        let r = shop.dispatch(t + days(5) + hours(1)).await;
        assert_eq!((r.sent, r.cancelled), (1, 0), "{be}");
        assert_eq!(
            shop.sent_to(),
            ["silent@example.com", "silent@example.com"],
            "{be}: the survey, then its reminder"
        );
        // Once: the reminder is not repeated.
        assert_eq!(shop.queued_by_cycle(t + days(12)).await, [], "{be}");
    }
}

fn cart_campaigns() -> Vec<(&'static str, String)> {
    vec![(
        "abandoned-cart.toml",
        campaign(
            "loyalty-offer",
            50,
            ALL_LEVELS,
            "on = \"event\"\nkind = \"custom:cart_abandoned\"\ndelay = \"4h\"\nmax_age = \"2d\"\nunless = [\"order\"]",
        ),
    )]
}

/// Customers `ids`, each with a cart abandoned at `base()`.
async fn carts_abandoned(shop: &Shop, ids: &[&str]) {
    let t = base();
    let rows: Vec<_> = ids
        .iter()
        .map(|id| (*id, "en", t - days(400), ""))
        .collect();
    shop.import(Entity::Customers, "customers.csv", &customers_csv(&rows), t)
        .await;
    let events: String = ids
        .iter()
        .map(|id| event_line(id, "custom:cart_abandoned", t))
        .collect();
    shop.import(Entity::Events, "carts.jsonl", &events, t).await;
}

#[tokio::test]
async fn abandoned_cart_then_order_within_delay_sends_nothing() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &files(&cart_campaigns()), &[]);
        let be = shop.backend();
        let t = base();
        carts_abandoned(&shop, &["ordered", "left"]).await;
        assert_eq!(
            shop.queued_by_cycle(t + hours(1)).await,
            [],
            "{be}: within the delay"
        );
        let order = scenario::order_line("o-1", "ordered", t + hours(2), &["CM-1"]);
        shop.import(Entity::Orders, "orders.jsonl", &order, t + hours(2))
            .await;

        // After the delay only the customer who did not order is mailed.
        let queued = shop.queued_by_cycle(t + hours(5)).await;
        assert_eq!(queued.len(), 1, "{be}: {queued:?}");
        assert_eq!(
            (queued[0].0.as_str(), queued[0].1.as_str()),
            ("left", "abandoned-cart"),
            "{be}"
        );
        assert!(queued[0].2.starts_with("event:"), "{be}: {queued:?}");
        shop.dispatch(t + hours(5)).await;
        assert_eq!(shop.sent_to(), ["left@example.com"], "{be}");
        // Nor later, while the cart is within max_age.
        assert_eq!(shop.queued_by_cycle(t + days(1)).await, [], "{be}");
        assert!(
            shop.outbox()
                .await
                .iter()
                .all(|d| d.customer_id != "ordered"),
            "{be}"
        );
    }
}

#[tokio::test]
async fn abandoned_cart_without_order_is_mailed_after_delay() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &files(&cart_campaigns()), &[]);
        let be = shop.backend();
        let t = base();
        carts_abandoned(&shop, &["left"]).await;
        assert_eq!(shop.queued_by_cycle(t + hours(3)).await, [], "{be}");
        let queued = shop.queued_by_cycle(t + hours(4) + hours(1)).await;
        assert_eq!(queued.len(), 1, "{be}: {queued:?}");
        assert_eq!(queued[0].1, "abandoned-cart", "{be}");
        let r = shop.dispatch(t + hours(5)).await;
        assert_eq!((r.sent, r.cancelled), (1, 0), "{be}");
        assert_eq!(shop.sent_to(), ["left@example.com"], "{be}");
        // One email per abandoned cart.
        assert_eq!(shop.queued_by_cycle(t + days(1)).await, [], "{be}");
        assert_eq!(shop.stub.attempts(), 1, "{be}");
    }
}

#[tokio::test]
async fn abandoned_cart_ordered_after_queueing_is_cancelled_at_send_time() {
    for db in support::all_backends().await {
        let shop = Shop::new(db, &files(&cart_campaigns()), &[]);
        let be = shop.backend();
        let t = base();
        carts_abandoned(&shop, &["late"]).await;
        assert_eq!(shop.queued_by_cycle(t + hours(5)).await.len(), 1, "{be}");
        let order = scenario::order_line("o-1", "late", t + hours(5) + hours(1), &[]);
        shop.import(Entity::Orders, "orders.jsonl", &order, t + hours(6))
            .await;
        let r = shop.dispatch(t + hours(7)).await;
        assert_eq!((r.sent, r.cancelled), (0, 1), "{be}: {r:?}");
        assert_eq!(
            shop.stub.attempts(),
            0,
            "{be}: nothing reached the transport"
        );
        let d = &shop.deliveries_of("abandoned-cart").await[0];
        assert_eq!(d.status, "cancelled", "{be}");
        assert!(
            d.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("order"),
            "{be}: {d:?}"
        );
    }
}
