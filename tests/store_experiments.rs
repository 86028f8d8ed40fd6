//! The store's side of experiments (issue 20), on SQLite and PostgreSQL: outcomes per arm
//! (recipients by assignment, human opens and clicks, conversions and their revenue, level
//! climbs, each at its window's edges), the programme against the global hold-out, the
//! auto-winner's records, the report's held-out count — and, end to end through the real
//! cycle and dispatcher, that a held-out customer never receives the campaign.

mod scenario;
mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::domain::{EventKind, Level};
use rapport::report::ReportFilter;
use rapport::store::{DeliveryResult, ProgrammeQuery, WinnerRecord};
use scenario::{ALL_LEVELS, Shop, base, campaign, customers_csv};
use serde_json::json;
use support::experiments::{
    Arm, customers, delivery, event, events, level_change, orders, query, queue, row, settle,
};

const EXP: &str = "offer";

fn t0() -> DateTime<Utc> {
    "2026-06-01T10:00:00Z".parse().unwrap()
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn arm_rows_count_every_delivery_by_assignment_whatever_became_of_it() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        customers(
            s,
            &ids(&["a1", "a2", "a3", "a4", "b1", "b2", "h1", "h2"]),
            t0(),
        )
        .await;
        let a = Arm::Variant("A");
        let b = Arm::Variant("B");
        let d = |c, arm| delivery(EXP, c, arm, Level::Basic, t0());
        let rows = vec![
            d("a1", a),
            d("a2", a),
            d("a3", a),
            d("b1", b),
            d("b2", b),
            d("h1", Arm::Holdout),
            d("h2", Arm::Holdout),
            delivery("plain", "a1", Arm::Plain, Level::Basic, t0()),
            // Another campaign, and a delivery after `until`: neither is looked at.
            delivery("other", "a2", Arm::Plain, Level::Basic, t0()),
            delivery(EXP, "a4", a, Level::Basic, t0() + days(2)),
        ];
        queue(s, &rows).await;
        let (failed, cancelled, suppressed) = (rows[1].id, rows[2].id, rows[4].id);
        settle(s, t0(), |id| {
            if id == failed {
                Some(DeliveryResult::Failed {
                    id,
                    error: "550".into(),
                    suppress: None,
                })
            } else if id == cancelled {
                Some(DeliveryResult::Cancelled {
                    id,
                    reason: "ordered".into(),
                })
            } else if id == suppressed {
                Some(DeliveryResult::Suppressed {
                    id,
                    reason: "unsubscribed".into(),
                })
            } else {
                None
            }
        })
        .await;

        let out = s
            .arm_outcomes(&query(&[EXP, "plain"], t0() + days(1)))
            .await
            .unwrap();
        let arms: Vec<(&str, &str, u64)> = out
            .iter()
            .map(|r| (r.campaign.as_str(), r.arm.as_str(), r.recipients))
            .collect();
        assert_eq!(
            arms,
            [
                (EXP, "A", 3),
                (EXP, "B", 2),
                (EXP, "holdout", 2),
                ("plain", "", 1)
            ],
            "{be}: sent, failed, cancelled, suppressed and held out all count"
        );
        assert_eq!(row(&out, EXP, "A").revenue.n, 3, "{be}");

        // `since` leaves out the deliveries before it.
        let mut q = query(&[EXP], t0() + days(3));
        q.since = Some(t0() + days(1));
        let later = s.arm_outcomes(&q).await.unwrap();
        assert_eq!(later.len(), 1, "{be}: {later:?}");
        assert_eq!(
            (later[0].arm.as_str(), later[0].recipients),
            ("A", 1),
            "{be}"
        );
    }
}

#[tokio::test]
async fn opens_and_clicks_count_recipients_with_a_human_one_only() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        customers(s, &ids(&["c1", "c2", "c3", "c4"]), t0()).await;
        let rows: Vec<_> = ["c1", "c2", "c3", "c4"]
            .iter()
            .map(|c| delivery(EXP, c, Arm::Variant("A"), Level::Basic, t0()))
            .collect();
        queue(s, &rows).await;
        settle(s, t0(), |_| None).await;
        let h = |n| t0() + TimeDelta::hours(n);
        let machine = |mut e: rapport::domain::EventRecord| {
            e.machine = true;
            e
        };
        use EventKind::*;
        let mut unlinked = event("c4", EmailOpen, rows[3].id, h(1));
        unlinked.delivery_id = None;
        events(
            s,
            &[
                event("c1", EmailOpen, rows[0].id, h(1)),
                event("c1", EmailOpen, rows[0].id, h(2)),
                event("c1", EmailClick, rows[0].id, h(2)),
                // A privacy proxy's open and a link scanner's click.
                machine(event("c2", EmailOpen, rows[1].id, h(0))),
                machine(event("c2", EmailClick, rows[1].id, h(0))),
                // A proxy first, then the person.
                machine(event("c3", EmailOpen, rows[2].id, h(0))),
                event("c3", EmailOpen, rows[2].id, h(5)),
                // An open the pixel could not tie to the email.
                unlinked,
            ],
        )
        .await;
        let out = s.arm_outcomes(&query(&[EXP], t0())).await.unwrap();
        let a = row(&out, EXP, "A");
        assert_eq!(
            (a.recipients, a.opened, a.clicked),
            (4, 2, 1),
            "{be}: {a:?}"
        );
    }
}

#[tokio::test]
async fn an_order_converts_after_send_at_up_to_the_end_of_the_window() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let who = ids(&["at", "just-after", "last-second", "too-late", "before"]);
        customers(s, &who, t0()).await;
        let rows: Vec<_> = who
            .iter()
            .map(|c| delivery(EXP, c, Arm::Variant("A"), Level::Basic, t0()))
            .collect();
        queue(s, &rows).await;
        let o = |c: &str, at| (format!("o-{c}"), c.to_string(), at, 10.0, "EUR");
        orders(
            s,
            &[
                o("at", t0()),
                o("just-after", t0() + secs(1)),
                o("last-second", t0() + days(7)),
                o("too-late", t0() + days(7) + secs(1)),
                o("before", t0() - secs(1)),
            ],
        )
        .await;
        let out = s.arm_outcomes(&query(&[EXP], t0())).await.unwrap();
        let a = row(&out, EXP, "A");
        assert_eq!(
            (a.recipients, a.converted, a.revenue.sum),
            (5, 2, 20.0),
            "{be}: (send_at, send_at + 7 d] converts: {a:?}"
        );
        let mut wider = query(&[EXP], t0());
        wider.conversion_window = days(7) + secs(1);
        let a = s.arm_outcomes(&wider).await.unwrap()[0].clone();
        assert_eq!(a.converted, 3, "{be}: one second more takes the late order");
    }
}

#[tokio::test]
async fn a_climb_is_a_level_above_the_planned_one_within_the_climb_window() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let who = ids(&[
            "climbs",
            "last-second",
            "too-late",
            "at-send",
            "same",
            "drops",
        ]);
        customers(s, &who, t0()).await;
        let rows: Vec<_> = who
            .iter()
            .map(|c| delivery(EXP, c, Arm::Variant("A"), Level::Reactive, t0()))
            .collect();
        queue(s, &rows).await;
        let up = |c: &str| vec![c.to_string()];
        let (r, a) = (Some(Level::Reactive), Level::Accountable);
        level_change(s, &up("climbs"), r, a, t0() + days(1)).await;
        level_change(s, &up("last-second"), r, a, t0() + days(60)).await;
        level_change(s, &up("too-late"), r, a, t0() + days(60) + secs(1)).await;
        level_change(s, &up("at-send"), r, a, t0()).await;
        // Back to the level it had when the email was planned: not above it.
        level_change(
            s,
            &up("same"),
            Some(Level::Basic),
            Level::Reactive,
            t0() + days(2),
        )
        .await;
        level_change(s, &up("drops"), r, Level::Basic, t0() + days(2)).await;
        let out = s.arm_outcomes(&query(&[EXP], t0())).await.unwrap();
        let row = row(&out, EXP, "A");
        assert_eq!(
            (row.recipients, row.climbed),
            (6, 2),
            "{be}: (send_at, send_at + 60 d], above the planned level: {row:?}"
        );
    }
}

#[tokio::test]
async fn revenue_is_priced_per_recipient_and_an_unpriced_currency_adds_nothing() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        customers(s, &ids(&["two", "yen", "eur", "none"]), t0()).await;
        let rows: Vec<_> = ["two", "yen", "eur", "none"]
            .iter()
            .map(|c| delivery(EXP, c, Arm::Variant("B"), Level::Basic, t0()))
            .collect();
        queue(s, &rows).await;
        let at = t0() + days(1);
        let o = |id: &str, c: &str, amount, cur| (id.to_string(), c.to_string(), at, amount, cur);
        orders(
            s,
            &[
                o("o1", "two", 100.0, "EUR"),
                o("o2", "two", 50.0, "USD"),
                o("o3", "yen", 7000.0, "JPY"),
                o("o4", "eur", 40.0, "EUR"),
            ],
        )
        .await;
        let out = s.arm_outcomes(&query(&[EXP], t0())).await.unwrap();
        let b = row(&out, EXP, "B");
        // two: 100 + 50 × 0.5 = 125; yen: converted, no price; eur: 40; none: 0.
        assert_eq!((b.recipients, b.converted), (4, 3), "{be}");
        assert_eq!(b.revenue.n, 4, "{be}");
        assert!((b.revenue.sum - 165.0).abs() < 1e-9, "{be}: {b:?}");
        let squares = 125.0_f64.powi(2) + 40.0_f64.powi(2);
        assert!(
            (b.revenue.sum_squares - squares).abs() < 1e-6,
            "{be}: {b:?}"
        );
    }
}

#[tokio::test]
async fn programme_outcomes_split_customers_by_the_global_holdout() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        customers(s, &ids(&["m1", "m2", "m3", "h1", "h2"]), t0()).await;
        let at = t0() + days(3);
        let o =
            |id: &str, c: &str, at, amount, cur| (id.to_string(), c.to_string(), at, amount, cur);
        orders(
            s,
            &[
                o("o1", "m1", at, 100.0, "EUR"),
                o("o2", "m1", at, 20.0, "USD"),
                o("o3", "m2", at, 9000.0, "JPY"),
                o("o4", "h1", at, 30.0, "EUR"),
                // Outside the period.
                o("o5", "m3", t0() - secs(1), 500.0, "EUR"),
                o("o6", "h2", t0() + days(30) + secs(1), 500.0, "EUR"),
            ],
        )
        .await;
        // First assessments are where customers start, not climbs.
        level_change(
            s,
            &ids(&["m1", "m2", "m3", "h1", "h2"]),
            None,
            Level::Basic,
            t0(),
        )
        .await;
        level_change(
            s,
            &ids(&["m3", "h2"]),
            Some(Level::Basic),
            Level::Reactive,
            at,
        )
        .await;
        level_change(s, &ids(&["m1"]), Some(Level::Basic), Level::Basic, at).await;
        let q = ProgrammeQuery {
            since: t0(),
            until: t0() + days(30),
            rates: vec![("EUR".into(), 1.0), ("USD".into(), 0.5)],
        };
        let [marketed, held] = s
            .programme_outcomes(&q, &|id: &str| id.starts_with('h'))
            .await
            .unwrap();
        assert_eq!(
            (marketed.customers, marketed.converted, marketed.climbed),
            (3, 2, 1),
            "{be}: {marketed:?}"
        );
        assert_eq!(marketed.revenue.n, 3, "{be}");
        assert!(
            (marketed.revenue.sum - 110.0).abs() < 1e-9,
            "{be}: {marketed:?}"
        );
        assert!(
            (marketed.revenue.sum_squares - 110.0 * 110.0).abs() < 1e-6,
            "{be}"
        );
        assert_eq!(
            (held.customers, held.converted, held.climbed, held.revenue.n),
            (2, 1, 1, 2),
            "{be}: {held:?}"
        );
        assert!((held.revenue.sum - 30.0).abs() < 1e-9, "{be}: {held:?}");
    }
}

#[tokio::test]
async fn record_winner_keeps_the_first_of_two_decisions() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        let decision = |variant: &str, salt: &str, at| WinnerRecord {
            campaign: EXP.into(),
            salt: salt.into(),
            variant: variant.into(),
            metric: "conversion".into(),
            decided_at: at,
            detail: json!({"comparisons": [{"arm": variant, "p": 0.01}]}),
        };
        let first = decision("B", "2026-06", t0());
        assert!(s.record_winner(&first).await.unwrap(), "{be}");
        let second = decision("A", "2026-06", t0() + secs(1));
        assert!(
            !s.record_winner(&second).await.unwrap(),
            "{be}: a replica came second"
        );
        let next = decision("A", "2026-07", t0() + days(30));
        assert!(
            s.record_winner(&next).await.unwrap(),
            "{be}: a new salt decides again"
        );
        assert_eq!(s.winners().await.unwrap(), [first, next], "{be}");
    }
}

#[tokio::test]
async fn the_report_counts_held_out_deliveries_as_nothing_else() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        customers(s, &ids(&["a1", "h1", "h2"]), t0()).await;
        let d = |c, arm| delivery(EXP, c, arm, Level::Basic, t0());
        queue(
            s,
            &[
                d("a1", Arm::Variant("A")),
                d("h1", Arm::Holdout),
                d("h2", Arm::Holdout),
            ],
        )
        .await;
        settle(s, t0(), |_| None).await;
        let lines = s.report(&ReportFilter::all(days(7), "EUR")).await.unwrap();
        let l = &lines[0];
        assert_eq!(
            (
                l.queued,
                l.sent,
                l.failed,
                l.suppressed,
                l.cancelled,
                l.held_out
            ),
            (0, 1, 0, 0, 0, 2),
            "{be}: {l:?}"
        );
        let mut since = ReportFilter::all(days(7), "EUR");
        since.since = Some(t0() - days(1));
        let l = s.report(&since).await.unwrap()[0].clone();
        assert_eq!(
            (l.sent, l.held_out),
            (1, 2),
            "{be}: the filtered statement too"
        );
    }
}

/// `holdout = 0.5` on a campaign due for every customer, run through the real cycle and
/// dispatcher (the in-memory transport shows what was sent).
#[tokio::test]
async fn held_out_customers_never_receive_the_campaign() {
    for db in support::all_backends().await {
        let text = format!(
            "holdout = 0.5\n{}",
            campaign(
                "partnership-invitation",
                50,
                ALL_LEVELS,
                "on = \"eligible\""
            )
        );
        let shop = Shop::new(db, &[("first.toml", &text)], &[]);
        let be = shop.backend();
        let start = base();
        let who: Vec<String> = (0..40).map(|i| format!("e{i}")).collect();
        let rows: Vec<(&str, &str, DateTime<Utc>, &str)> = who
            .iter()
            .map(|c| (c.as_str(), "en", start - days(400), ""))
            .collect();
        let csv = customers_csv(&rows);
        shop.import(rapport::import::Entity::Customers, "c.csv", &csv, start)
            .await;

        shop.cycle(start).await;
        shop.dispatch(start + TimeDelta::minutes(1)).await;
        let outbox = shop.deliveries_of("first").await;
        let sent_to = shop.sent_to();
        let held: Vec<&str> = outbox
            .iter()
            .filter(|d| d.status == "held_out")
            .map(|d| d.customer_id.as_str())
            .collect();
        for d in &outbox {
            let to = format!("{}@example.com", d.customer_id);
            match d.status.as_str() {
                "held_out" => assert!(!sent_to.contains(&to), "{be}: {to} was held out and got it"),
                "sent" => assert!(sent_to.contains(&to), "{be}: {to} is sent but got nothing"),
                other => panic!("{be}: {} ended {other}", d.customer_id),
            }
        }
        assert_eq!(
            outbox.len(),
            who.len(),
            "{be}: every eligible customer is in an arm"
        );
        assert_eq!(sent_to.len() + held.len(), who.len(), "{be}");
        assert!(
            (10..=30).contains(&held.len()),
            "{be}: about half held out: {}",
            held.len()
        );

        // The next cycle sees the held-out delivery as the occurrence's: nothing new.
        let again = shop.queued_by_cycle(start + TimeDelta::hours(2)).await;
        assert!(
            again
                .iter()
                .all(|(c, camp, _)| camp != "first" || !held.contains(&c.as_str())),
            "{be}: a held-out customer was queued again: {again:?}"
        );
        shop.dispatch(start + TimeDelta::hours(2)).await;
        assert_eq!(
            shop.sent_to().len(),
            sent_to.len(),
            "{be}: nothing more was sent"
        );
        assert_eq!(shop.deliveries_of("first").await.len(), who.len(), "{be}");
    }
}
