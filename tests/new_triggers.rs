//! Issue 19's sign-up, level-change and lapse triggers end to end, on SQLite and PostgreSQL,
//! the way `tests/conditions_and_followups.rs` drives follow-ups: a welcome is never repeated
//! by a re-import (nor sent because an export leaves the sign-up time out); a level drop is
//! answered by a win-back after its delay; a lapse is mailed once per lapse.

mod scenario;
mod support;

use rapport::import::Entity;
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv, days, event_line, hours};

#[tokio::test]
async fn welcome_is_not_repeated_on_reimport() {
    for db in support::all_backends().await {
        let welcome = campaign(
            "partnership-invitation",
            50,
            ALL_LEVELS,
            "on = \"signup\"\ndelay = \"1h\"",
        );
        let shop = Shop::new(db, &[("welcome.toml", &welcome)], &[]);
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[
            ("new", "en", t - hours(2), ""),
            ("old", "en", t - days(400), ""),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        let welcomed = vec![(
            "new".to_string(),
            "welcome".to_string(),
            "signup".to_string(),
        )];
        assert_eq!(
            shop.queued_by_cycle(t).await,
            welcomed,
            "{be}: the new customer only (the old one signed up beyond max_age)"
        );

        // The same file again, while the welcome is queued, then after it was sent.
        shop.import(Entity::Customers, "customers.csv", &file, t + hours(1))
            .await;
        assert_eq!(shop.queued_by_cycle(t + hours(1)).await, [], "{be}");
        assert_eq!(shop.dispatch(t + hours(1)).await.sent, 1, "{be}");
        shop.import(Entity::Customers, "customers.csv", &file, t + days(5))
            .await;
        assert_eq!(shop.queued_by_cycle(t + days(5)).await, [], "{be}");

        // An export with a different sign-up time (a shop migrating its data) either.
        let moved = customers_csv(&[
            ("new", "en", t + days(4), ""),
            ("old", "en", t + days(4), ""),
        ]);
        shop.import(Entity::Customers, "moved.csv", &moved, t + days(5))
            .await;
        let again = shop.queued_by_cycle(t + days(5) + hours(2)).await;
        assert!(
            again.iter().all(|(id, _, _)| id != "new"),
            "{be}: welcomed twice: {again:?}"
        );
        assert_eq!(shop.queued_by_cycle(t + days(9)).await, [], "{be}");
        let sent_to_new = shop
            .sent_to()
            .iter()
            .filter(|to| *to == "new@example.com")
            .count();
        assert_eq!(sent_to_new, 1, "{be}");
        let welcomes = shop.deliveries_of("welcome").await;
        assert_eq!(
            welcomes.iter().filter(|d| d.customer_id == "new").count(),
            1,
            "{be}: {welcomes:?}"
        );
    }
}

#[tokio::test]
async fn win_back_after_a_drop() {
    for db in support::all_backends().await {
        let win_back = campaign(
            "loyalty-offer",
            50,
            "levels = [\"basic\", \"reactive\"]",
            "on = \"level_change\"\ndirection = \"drop\"\ndelay = \"3d\"\nmax_age = \"30d\"",
        );
        let shop = Shop::new(db, &[("win-back.toml", &win_back)], &[]);
        let be = shop.backend();
        let t1 = base();
        let file = customers_csv(&[
            ("dropper", "en", t1 - days(400), ""),
            ("steady", "en", t1 - days(400), ""),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t1)
            .await;
        // A click makes the customer reactive (within reactive_window, 180 days).
        let click = event_line("dropper", "email_click", t1 - days(1));
        shop.import(Entity::Events, "clicks.jsonl", &click, t1)
            .await;
        assert_eq!(shop.queued_by_cycle(t1).await, [], "{be}: no drop yet");

        // 185 days later the click is out of the window: the full cycle drops them to basic.
        let t2 = t1 + days(185);
        let report = shop.cycle(t2).await;
        assert_eq!(report.level_changes, 1, "{be}: the drop");
        assert_eq!(report.queued, 0, "{be}: the win-back waits for its delay");
        assert_eq!(shop.queued_by_cycle(t2 + days(2)).await, [], "{be}");

        let queued = shop.queued_by_cycle(t2 + days(3) + hours(1)).await;
        let key = format!("level_change:{}", t2.format("%Y-%m-%dT%H:%M:%SZ"));
        assert_eq!(
            queued,
            [("dropper".to_string(), "win-back".to_string(), key)],
            "{be}: only the customer who dropped"
        );
        assert_eq!(shop.dispatch(t2 + days(3) + hours(1)).await.sent, 1, "{be}");
        assert_eq!(shop.sent_to(), ["dropper@example.com"], "{be}");
        // Once per drop.
        assert_eq!(shop.queued_by_cycle(t2 + days(10)).await, [], "{be}");
    }
}

#[tokio::test]
async fn lapse_is_mailed_once_per_lapse() {
    for db in support::all_backends().await {
        let lapse = campaign(
            "loyalty-offer",
            50,
            ALL_LEVELS,
            "on = \"lapse\"\nafter = \"120d\"",
        );
        let shop = Shop::new(db, &[("lapse.toml", &lapse)], &[]);
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[
            ("lapsed", "en", t - days(400), ""),
            ("never-ordered", "en", t - days(400), ""),
        ]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        let first = scenario::order_line("o-1", "lapsed", t, &["CM-1"]);
        shop.import(Entity::Orders, "o1.jsonl", &first, t).await;

        assert_eq!(shop.queued_by_cycle(t + days(100)).await, [], "{be}");
        let key = |at: chrono::DateTime<chrono::Utc>| format!("lapse:{}", at.date_naive());
        let queued = shop.queued_by_cycle(t + days(121)).await;
        assert_eq!(
            queued,
            [("lapsed".to_string(), "lapse".to_string(), key(t))],
            "{be}"
        );
        assert_eq!(shop.dispatch(t + days(121)).await.sent, 1, "{be}");
        // The same lapse is not mailed again, however long it lasts.
        for later in [130, 200] {
            assert_eq!(
                shop.queued_by_cycle(t + days(later)).await,
                [],
                "{be}: day {later}"
            );
        }

        // The customer comes back, then lapses again: a new lapse, mailed once.
        let second = scenario::order_line("o-2", "lapsed", t + days(210), &[]);
        shop.import(Entity::Orders, "o2.jsonl", &second, t + days(210))
            .await;
        assert_eq!(shop.queued_by_cycle(t + days(211)).await, [], "{be}");
        let queued = shop.queued_by_cycle(t + days(331)).await;
        assert_eq!(
            queued,
            [(
                "lapsed".to_string(),
                "lapse".to_string(),
                key(t + days(210))
            )],
            "{be}"
        );
        assert_eq!(shop.dispatch(t + days(331)).await.sent, 1, "{be}");
        assert_eq!(shop.queued_by_cycle(t + days(340)).await, [], "{be}");
        assert_eq!(
            shop.sent_to(),
            ["lapsed@example.com", "lapsed@example.com"],
            "{be}"
        );
    }
}

#[tokio::test]
async fn reimport_without_created_at_keeps_the_sign_up_time_and_sends_no_welcome() {
    for db in support::all_backends().await {
        let welcome = campaign(
            "partnership-invitation",
            50,
            ALL_LEVELS,
            "on = \"signup\"\ndelay = \"1h\"",
        );
        let shop = Shop::new(db, &[("welcome.toml", &welcome)], &[]);
        let be = shop.backend();
        let t = base();
        let file = customers_csv(&[("old", "en", t - days(400), "")]);
        shop.import(Entity::Customers, "customers.csv", &file, t)
            .await;
        assert_eq!(
            shop.queued_by_cycle(t).await,
            [],
            "{be}: signed up long ago"
        );

        // The shop's nightly export leaves the sign-up time out: the known customer is
        // unchanged, the new one signs up at the import's clock.
        let nightly = "id,email,name,locale\nold,old@example.com,Person old,en\n\
                       newbie,newbie@example.com,Person newbie,en\n";
        let report = shop
            .import(Entity::Customers, "nightly.csv", nightly, t + days(1))
            .await;
        assert_eq!(
            (report.stored.written, report.stored.unchanged),
            (1, 1),
            "{be}: only the new customer is written"
        );
        assert_eq!(
            shop.queued_by_cycle(t + days(1) + hours(2)).await,
            [(
                "newbie".to_string(),
                "welcome".to_string(),
                "signup".to_string()
            )],
            "{be}: a re-import is no sign-up"
        );
        // A file that does give the time still corrects it.
        let corrected = customers_csv(&[("old", "en", t - days(2), "")]);
        let report = shop
            .import(Entity::Customers, "corrected.csv", &corrected, t + days(2))
            .await;
        assert_eq!(report.stored.written, 1, "{be}");
        assert_eq!(
            shop.queued_by_cycle(t + days(2)).await,
            [(
                "old".to_string(),
                "welcome".to_string(),
                "signup".to_string()
            )],
            "{be}: signed up two days ago after all"
        );
    }
}
