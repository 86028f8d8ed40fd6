//! What the predictions read from the store, on SQLite and PostgreSQL: every customer's
//! orders summed up as of an instant, and the human opens and clicks with the customer's
//! timezone (machine-flagged ones left out).

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::domain::EventKind;
use rapport::predict::best_hour::best_hour;
use support::experiments::{customers, event, events, orders};

fn now() -> DateTime<Utc> {
    "2026-06-01T10:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn order_histories_sum_each_customers_orders_up_to_now() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        customers(s, &ids, now()).await;
        let d = |n| now() - TimeDelta::days(n);
        let o = |id: &str, c: &str, at| (id.to_string(), c.to_string(), at, 100.0, "EUR");
        orders(
            s,
            &[
                o("a1", "a", d(90)),
                o("a2", "a", d(60)),
                o("a3", "a", d(30)),
                o("b1", "b", d(5)),
                // After `now`: not yet history.
                o("c1", "c", now() + TimeDelta::hours(1)),
            ],
        )
        .await;
        let mut got = s.order_histories(None, now()).await.expect("histories");
        got.sort_by(|x, y| x.customer_id.cmp(&y.customer_id));
        assert_eq!(got.len(), 2, "{be}: {got:?}");
        assert_eq!(
            (got[0].customer_id.as_str(), got[0].orders),
            ("a", 3),
            "{be}"
        );
        assert_eq!((got[0].first_at, got[0].last_at), (d(90), d(30)), "{be}");
        assert!(
            (got[0].margin - 90.0).abs() < 1e-9,
            "{be}: {}",
            got[0].margin
        );
        assert_eq!(got[0].currency, "EUR", "{be}");
        assert_eq!(
            (got[1].customer_id.as_str(), got[1].orders),
            ("b", 1),
            "{be}"
        );
        // One customer's alone (predict, explain), the same figures; none for an order
        // after `now` only.
        let a = s.order_histories(Some("a"), now()).await.expect("a");
        assert_eq!(a, got[..1], "{be}");
        let c = s.order_histories(Some("c"), now()).await.expect("c");
        assert!(c.is_empty(), "{be}: {c:?}");
    }
}

#[tokio::test]
async fn the_fit_sample_keeps_every_kth_history_and_no_more_than_asked() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let ids: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        customers(s, &ids, now()).await;
        let d = |n| now() - TimeDelta::days(n);
        let rows: Vec<_> = ids
            .iter()
            .map(|id| (format!("{id}-o"), id.clone(), d(3), 100.0, "EUR"))
            .collect();
        orders(s, &rows).await;
        let all = s.order_history_sample(now(), 100).await.expect("sample");
        assert_eq!(all.len(), 10, "{be}");
        let third = s.order_history_sample(now(), 4).await.expect("sample");
        // 10 customers, at most about 4: every 3rd (ceil(10 / 4)), the 1st, 4th, 7th, 10th.
        assert_eq!(third.len(), 4, "{be}: {third:?}");
        assert!(third.iter().all(|h| h.orders == 1), "{be}");
    }
}

#[tokio::test]
async fn engagement_times_leave_out_machine_events_and_give_the_timezone() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let ids: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        customers(s, &ids, now()).await;
        let delivery = uuid::Uuid::now_v7();
        let at = |d: i64, h: i64| now() - TimeDelta::days(d) + TimeDelta::hours(h);
        let mut rows = vec![
            event("a", EventKind::EmailClick, delivery, at(3, 9)),
            event("a", EventKind::EmailOpen, delivery, at(2, 9)),
            event("a", EventKind::EmailClick, delivery, at(1, 9)),
            event("b", EventKind::EmailOpen, delivery, at(1, 2)),
        ];
        for d in 1..6 {
            let mut machine = event("a", EventKind::EmailOpen, delivery, at(d, 1));
            machine.machine = true;
            rows.push(machine);
        }
        events(s, &rows).await;
        let mine = s.engagement_times(Some("a"), now()).await.expect("times");
        assert_eq!(mine.len(), 3, "{be}: {mine:?}");
        assert!(mine.iter().all(|(tz, _)| tz == "UTC"), "{be}");
        // 10:00 + 9 h: the human hour, not the scanners' 11:00.
        assert_eq!(best_hour(&mine), Some(19), "{be}");
        let shop = s.engagement_times(None, now()).await.expect("times");
        assert_eq!(shop.len(), 4, "{be}: {shop:?}");
    }
}
