//! `send_time = "best"` through the full cycle, on SQLite and PostgreSQL: a scheduled
//! campaign's emails are queued for each customer's best hour inside the slot's window (their
//! own, else the shop's), or now when that hour is outside it; quiet hours still hold.

mod scenario;
mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::import::Entity;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv, days, event_line, hours};

fn clicks(who: &str, day: DateTime<Utc>, hour: i64, n: i64) -> String {
    (1..=n)
        .map(|k| {
            event_line(
                who,
                "email_click",
                day - days(k) + hours(hour) + TimeDelta::minutes(10),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_scheduled_campaign_is_queued_for_each_customers_best_hour() {
    for db in support::all_backends().await {
        let daily = campaign(
            "loyalty-offer",
            50,
            ALL_LEVELS,
            "on = \"schedule\"\nschedule = \"0 0 10 * * *\"\nwindow = \"12h\"\nsend_time = \"best\"",
        );
        let shop = Shop::new(db, &[("daily.toml", &daily)], &[]);
        let be = shop.backend();
        // Midnight UTC of the day the slot fires (10:00 UTC; every customer here is in UTC).
        let day = base() + days(300) - hours(12);
        let created = day - days(100);
        let rows = [
            ("evening", "en", created, ""),
            ("morning", "en", created, ""),
            ("nightowl", "en", created, ""),
            ("fresh", "en", created, ""),
        ];
        shop.import(
            Entity::Customers,
            "customers.csv",
            &customers_csv(&rows),
            day,
        )
        .await;
        let events = clicks("evening", day, 19, 4)
            + &clicks("morning", day, 11, 6)
            + &clicks("nightowl", day, 23, 4);
        shop.import(Entity::Events, "clicks.jsonl", &events, day)
            .await;

        let now = day + hours(10) + TimeDelta::minutes(5);
        let report = shop.cycle(now).await;
        let send_at = |who: &str| {
            report
                .planned
                .iter()
                .find(|p| p.customer_id == who)
                .unwrap_or_else(|| panic!("{be}: {who} planned: {:?}", report.planned))
                .send_at
        };
        assert_eq!(send_at("evening"), day + hours(19), "{be}: their own hour");
        assert_eq!(send_at("morning"), day + hours(11), "{be}");
        // Too few clicks of their own: the shop's hour (most clicks: the morning's).
        assert_eq!(send_at("fresh"), day + hours(11), "{be}: the shop's hour");
        // 23:00 is after the window (10:00–22:00): as soon as due.
        assert_eq!(send_at("nightowl"), now, "{be}: outside the window");
        assert_eq!(report.queued, 4, "{be}");

        // Nothing goes before its hour.
        assert_eq!(
            shop.dispatch(now).await.sent,
            1,
            "{be}: the night owl's only"
        );
        assert_eq!(shop.dispatch(day + hours(11)).await.sent, 2, "{be}");
        assert_eq!(shop.dispatch(day + hours(19)).await.sent, 1, "{be}");
    }
}
