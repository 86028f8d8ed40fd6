//! `rapport report` and level movement against a scripted history (known sends, opens
//! including machine opens, clicks, survey answers, orders) on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::config::Config;
use rapport::domain::{Currency, CustomerId, EventKind, Level};
use rapport::import::{CustomerRecord, EventRecord, OrderRecord, RecordDefaults, Row};
use rapport::report::{self, CampaignReport, ReportFilter};
use rapport::store::Claim;
use rapport::store::{DeliveryResult, LevelChange, NewDelivery, Store};
use serde_json::json;
use uuid::Uuid;

const A: &str = "post-sale-follow-up";
const B: &str = "satisfaction-survey";

/// A's emails go out at T0, B's two days later at T1.
fn t0() -> DateTime<Utc> {
    "2026-11-02T10:00:00Z".parse().unwrap()
}
fn t1() -> DateTime<Utc> {
    t0() + TimeDelta::days(2)
}
fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}
fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

fn config() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let mut c =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    c.paths.campaigns = concat!(env!("CARGO_MANIFEST_DIR"), "/config/campaigns").into();
    c.paths.templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
    c.strategy.currency_rates = [("USD".to_string(), 0.5)].into_iter().collect();
    c.report.conversion_window = rapport::config::Duration::from_days(7);
    c
}

fn filter() -> ReportFilter {
    report::filter(&config(), None, None, None)
}

async fn customers(s: &dyn Store, ids: &[(&str, &str)]) {
    let d = RecordDefaults::from_config(&config(), t0());
    let rows: Vec<CustomerRecord> = ids
        .iter()
        .map(|(id, locale)| {
            let v = json!({"id": id, "email": format!("{id}@example.com"), "locale": locale,
                "created_at": (t0() - days(20)).to_rfc3339()});
            CustomerRecord::parse(&Row::new(v.as_object().unwrap()), &d).unwrap()
        })
        .collect();
    let mut tx = s.begin_import().await.unwrap();
    tx.upsert_customers(&rows, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

/// Queues one delivery per customer at `at - 1h`, due at `at`; returns their ids.
async fn queue(s: &dyn Store, campaign: &str, who: &[&str], at: DateTime<Utc>) -> Vec<Uuid> {
    let rows: Vec<NewDelivery> = who
        .iter()
        .map(|c| {
            let id = Uuid::now_v7();
            NewDelivery {
                id,
                customer_id: c.to_string(),
                campaign: campaign.into(),
                occurrence: format!("test:{campaign}:{c}"),
                service: false,
                current: Level::Basic,
                target: Level::Reactive,
                send_at: at,
                message_id: format!("<{id}@shop.example>"),
                unless_since: None,
                variant: None,
                held_out: false,
            }
        })
        .collect();
    s.apply_cycle(&[], &rows, at - TimeDelta::hours(1))
        .await
        .unwrap();
    rows.iter().map(|d| d.id).collect()
}

/// Claims everything due at `at`, records the given outcome per delivery (sent by default).
async fn send(s: &dyn Store, at: DateTime<Utc>, failed: &[Uuid]) {
    let claimed = s
        .claim_due(Claim {
            now: at,
            limit: 100,
            lease: TimeDelta::minutes(5),
            owner: "test",
        })
        .await
        .unwrap();
    let results: Vec<DeliveryResult> = claimed
        .iter()
        .map(|c| {
            if failed.contains(&c.id) {
                DeliveryResult::Failed {
                    id: c.id,
                    error: "550 5.7.1 rejected".into(),
                    suppress: None,
                }
            } else {
                DeliveryResult::Sent {
                    id: c.id,
                    links: vec![],
                    transport: None,
                }
            }
        })
        .collect();
    s.record_results(&results, "test", at).await.unwrap();
}

struct Ev {
    customer: &'static str,
    kind: EventKind,
    at: DateTime<Utc>,
    delivery: Option<Uuid>,
    machine: bool,
    data: serde_json::Value,
}

fn ev(customer: &'static str, kind: EventKind, delivery: Uuid, at: DateTime<Utc>) -> Ev {
    Ev {
        customer,
        kind,
        at,
        delivery: Some(delivery),
        machine: false,
        data: json!({}),
    }
}

/// How the scripted events reach the store.
#[derive(Clone, Copy, PartialEq)]
enum Arrival {
    /// In one import transaction.
    Batch,
    /// One per transaction, newest first, each twice (a provider's retry): the rollup must
    /// end up the same, and an older survey answer arriving late must not replace a newer one.
    OneByOneBackwardsTwice,
}

async fn events_arriving(s: &dyn Store, evs: Vec<Ev>, arrival: Arrival) {
    let rows: Vec<EventRecord> = evs
        .into_iter()
        .enumerate()
        .map(|(i, e)| EventRecord {
            id: Some(format!("ev-{i}-{}", Uuid::now_v7())),
            customer_id: CustomerId::parse(e.customer).unwrap(),
            kind: e.kind,
            occurred_at: e.at,
            data: e.data.as_object().unwrap().clone(),
            machine: e.machine,
            delivery_id: e.delivery,
        })
        .collect();
    if arrival == Arrival::Batch {
        let mut tx = s.begin_import().await.unwrap();
        tx.insert_events(&rows, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        return;
    }
    for row in rows.iter().rev() {
        for attempt in 0..2 {
            let mut tx = s.begin_import().await.unwrap();
            let written = tx
                .insert_events(std::slice::from_ref(row), Utc::now())
                .await
                .unwrap()
                .written;
            assert_eq!(written, 1 - attempt, "the retry is not stored again");
            tx.commit().await.unwrap();
        }
    }
}

async fn orders(s: &dyn Store, rows: &[(&str, &str, DateTime<Utc>, f64, &str)]) {
    let rows: Vec<OrderRecord> = rows
        .iter()
        .map(|(id, c, at, amount, cur)| OrderRecord {
            id: id.to_string(),
            customer_id: CustomerId::parse(c).unwrap(),
            occurred_at: *at,
            amount: *amount,
            currency: Currency::parse(cur).unwrap(),
            margin: amount * 0.3,
            items: json!([]),
        })
        .collect();
    let mut tx = s.begin_import().await.unwrap();
    tx.upsert_orders(&rows, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

/// The scripted history, with the figures it must produce:
///
/// | | A (post-sale-follow-up) | B (satisfaction-survey) |
/// |---|---|---|
/// | deliveries | c1–c4 sent at T0, c5 failed, c6 (fa) still queued | c1–c3 sent at T1 = T0+2d |
/// | delivered | c1, c2, c3 | – |
/// | opens | c1 human ×2, c2 machine only, c3 machine + human → 2 human, 3 all | – |
/// | clicks | c1 human, c2 machine (scanner) → 1 | – |
/// | unsub / bounce / spam | c2 / c4 (soft) / c3 | – |
/// | survey | – | c1: 3 then 9 (latest 9), c2: 10, c3: 5 → 3 answers, NPS (2−1)/3 = 33.3 |
/// | conversions | c2 (50 USD = 25 EUR, + one JPY order: unpriced), c4 (10 EUR, 1 s inside) → 2, 35 | c1 (100, last touch beats A), c3 (40, 1 s inside) → 2, 140 |
async fn scripted(s: &dyn Store) {
    scripted_arriving(s, Arrival::Batch).await
}

async fn scripted_arriving(s: &dyn Store, arrival: Arrival) {
    customers(
        s,
        &[
            ("c1", "en"),
            ("c2", "en"),
            ("c3", "en"),
            ("c4", "en"),
            ("c5", "en"),
            ("c6", "fa"),
        ],
    )
    .await;
    let a = queue(s, A, &["c1", "c2", "c3", "c4", "c5"], t0()).await;
    queue(s, A, &["c6"], t0() + days(30)).await;
    send(s, t0(), &[a[4]]).await;
    let b = queue(s, B, &["c1", "c2", "c3"], t1()).await;
    send(s, t1(), &[]).await;

    let h = |n: i64| t0() + TimeDelta::hours(n);
    let machine = |mut e: Ev| {
        e.machine = true;
        e
    };
    let score = |c, d, at, n: i64| Ev {
        data: json!({"score": n}),
        ..ev(c, EventKind::SurveyResponse, d, at)
    };
    use EventKind::*;
    events_arriving(
        s,
        vec![
            ev("c1", Delivered, a[0], h(0)),
            ev("c2", Delivered, a[1], h(0)),
            ev("c3", Delivered, a[2], h(0)),
            ev("c1", EmailOpen, a[0], h(1)),
            ev("c1", EmailOpen, a[0], h(2)),
            ev("c1", EmailClick, a[0], h(2)),
            machine(ev("c2", EmailOpen, a[1], h(0))),
            machine(ev("c2", EmailClick, a[1], h(0))),
            machine(ev("c3", EmailOpen, a[2], h(0))),
            ev("c3", EmailOpen, a[2], h(5)),
            ev("c2", Unsubscribe, a[1], h(6)),
            Ev {
                data: json!({"type": "soft"}),
                ..ev("c4", Bounce, a[3], h(0))
            },
            ev("c3", SpamComplaint, a[2], h(7)),
            score("c1", b[0], t1() + secs(60), 3),
            score("c1", b[0], t1() + secs(120), 9),
            score("c2", b[1], t1() + secs(60), 10),
            score("c3", b[2], t1() + secs(60), 5),
            // An answer without our link is not any campaign's.
            Ev {
                delivery: None,
                ..score("c4", b[0], t1(), 0)
            },
        ],
        arrival,
    )
    .await;
    orders(
        s,
        &[
            ("o1", "c1", t1() + TimeDelta::hours(1), 100.0, "EUR"),
            ("o2", "c2", t0() + days(1), 50.0, "USD"),
            ("o2b", "c2", t0() + TimeDelta::hours(2), 7000.0, "JPY"),
            ("o3", "c3", t1() + days(7) - secs(1), 40.0, "EUR"),
            ("o3late", "c3", t1() + days(7) + secs(1), 1000.0, "EUR"),
            ("o4early", "c4", t0() - TimeDelta::hours(1), 1000.0, "EUR"),
            ("o4", "c4", t0() + days(7) - secs(1), 10.0, "EUR"),
            ("o4late", "c4", t0() + days(7) + secs(1), 1000.0, "EUR"),
            ("o5", "c5", t0() + TimeDelta::hours(1), 1000.0, "EUR"),
        ],
    )
    .await;
}

fn line<'a>(lines: &'a [CampaignReport], c: &str) -> &'a CampaignReport {
    lines
        .iter()
        .find(|l| l.campaign == c)
        .unwrap_or_else(|| panic!("no line for {c}"))
}

#[tokio::test]
async fn report_figures_match_the_scripted_history() {
    for db in support::all_backends().await {
        let s = &*db.store;
        scripted(s).await;
        let lines = s.report(&filter()).await.unwrap();
        assert_eq!(lines.len(), 2, "{}", db.backend);
        let a = line(&lines, A);
        assert_eq!(
            (a.queued, a.sent, a.failed, a.delivered),
            (1, 4, 1, 3),
            "{}: funnel",
            db.backend
        );
        assert_eq!(
            (a.opened, a.opened_all, a.clicked),
            (2, 3, 1),
            "{}",
            db.backend
        );
        assert_eq!(
            (a.unsubscribed, a.bounced, a.complained),
            (1, 1, 1),
            "{}",
            db.backend
        );
        assert_eq!((a.survey_answers, a.nps), (0, None), "{}", db.backend);
        let b = line(&lines, B);
        assert_eq!(
            (b.queued, b.sent, b.failed, b.delivered),
            (0, 3, 0, 0),
            "{}",
            db.backend
        );
        assert_eq!(
            b.survey_answers, 3,
            "{}: the latest answer per email",
            db.backend
        );
        assert_eq!(b.nps, Some(33.3), "{}", db.backend);
        assert_eq!(b.survey_average, Some(8.0), "{}", db.backend);
    }
}

#[tokio::test]
async fn the_engagement_rollup_agrees_with_a_recount_of_the_events() {
    for arrival in [Arrival::Batch, Arrival::OneByOneBackwardsTwice] {
        for db in support::all_backends().await {
            let s = &*db.store;
            scripted_arriving(s, arrival).await;
            let maintained = s.report(&filter()).await.unwrap();
            support::recount_engagement(&db).await;
            let recounted = s.report(&filter()).await.unwrap();
            assert_eq!(maintained, recounted, "{}", db.backend);
            // And the figures the scripted history fixes, whatever the arrival order.
            let (a, b) = (line(&maintained, A), line(&maintained, B));
            assert_eq!(
                (a.delivered, a.opened, a.opened_all, a.clicked),
                (3, 2, 3, 1),
                "{}",
                db.backend
            );
            assert_eq!(
                (a.unsubscribed, a.bounced, a.complained),
                (1, 1, 1),
                "{}",
                db.backend
            );
            assert_eq!(
                (b.survey_answers, b.nps, b.survey_average),
                (3, Some(33.3), Some(8.0)),
                "{}: c1's 9 (the later answer) stands even when the 3 arrives after it",
                db.backend
            );
        }
    }
}

#[tokio::test]
async fn machine_opens_count_in_opened_all_but_not_in_unique_human_opens() {
    for db in support::all_backends().await {
        let s = &*db.store;
        scripted(s).await;
        let a = line(&s.report(&filter()).await.unwrap(), A).clone();
        // c2 was opened only by a privacy proxy, c3 by a proxy and then by a human.
        assert_eq!(a.opened_all - a.opened, 1, "{}", db.backend);
        assert_eq!(
            a.clicked, 1,
            "{}: a scanner's click is not a click",
            db.backend
        );
    }
}

#[tokio::test]
async fn conversions_count_orders_inside_the_window_and_go_to_the_last_email() {
    for db in support::all_backends().await {
        let s = &*db.store;
        scripted(s).await;
        let lines = s.report(&filter()).await.unwrap();
        let (a, b) = (line(&lines, A), line(&lines, B));
        // A: c2 (50 USD at 0.5 = 25 EUR; a JPY order has no rate) and c4 (10 EUR 1 s inside
        // the window; the order 1 s outside and the one before the email do not count).
        assert_eq!(
            (a.converted, a.revenue, a.unpriced_orders),
            (2, 35.0, 1),
            "{}",
            db.backend
        );
        // B: c1 (also inside A's window, but B was the last email before the order) and c3
        // (1 s inside B's window; 1 s outside does not count).
        assert_eq!((b.converted, b.revenue), (2, 140.0), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_one_second_wider_window_takes_the_orders_just_outside() {
    for db in support::all_backends().await {
        let s = &*db.store;
        scripted(s).await;
        let mut f = filter();
        f.conversion_window = days(7) + secs(1);
        let lines = s.report(&f).await.unwrap();
        assert_eq!(line(&lines, A).revenue, 35.0 + 1000.0, "{}", db.backend);
        assert_eq!(line(&lines, B).revenue, 140.0 + 1000.0, "{}", db.backend);
    }
}

#[tokio::test]
async fn filters_select_campaign_locale_and_period_without_changing_a_line() {
    for db in support::all_backends().await {
        let s = &*db.store;
        scripted(s).await;
        let full = s.report(&filter()).await.unwrap();
        let cfg = config();
        let only_b = s
            .report(&report::filter(&cfg, Some(B.into()), None, None))
            .await
            .unwrap();
        assert_eq!(only_b, vec![line(&full, B).clone()], "{}", db.backend);
        let fa = s
            .report(&report::filter(&cfg, None, None, Some("fa".into())))
            .await
            .unwrap();
        assert_eq!(fa.len(), 1, "{}", db.backend);
        assert_eq!(
            (fa[0].campaign.as_str(), fa[0].queued, fa[0].sent),
            (A, 1, 0)
        );
        let since = s
            .report(&report::filter(
                &cfg,
                None,
                Some(t1() - TimeDelta::hours(2)),
                None,
            ))
            .await
            .unwrap();
        // B's emails, and c6's A email queued later (due in a month).
        assert_eq!(line(&since, B), line(&full, B), "{}", db.backend);
        assert_eq!(
            (line(&since, A).queued, line(&since, A).sent),
            (1, 0),
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn json_lines_have_exactly_the_keys_spec_names() {
    let db = support::sqlite().await;
    scripted(&*db.store).await;
    let lines = db.store.report(&filter()).await.unwrap();
    let v = serde_json::to_value(&lines).unwrap();
    let keys: Vec<&str> = v[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "campaign",
        "queued",
        "sent",
        "failed",
        "delivered",
        "opened",
        "opened_all",
        "clicked",
        "survey_answers",
        "nps",
        "unsubscribed",
        "bounced",
        "complained",
        "converted",
        "revenue",
    ];
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    expected.sort();
    assert_eq!(keys_sorted, expected);
    let b = v
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["campaign"] == B)
        .unwrap();
    assert_eq!(b["nps"], json!(33.3));
    assert_eq!(
        v.as_array()
            .unwrap()
            .iter()
            .find(|l| l["campaign"] == A)
            .unwrap()["nps"],
        json!(null)
    );
}

#[tokio::test]
async fn report_on_an_empty_database_is_empty() {
    for db in support::all_backends().await {
        let lines = db
            .store
            .report(&ReportFilter::all(days(7), "EUR"))
            .await
            .unwrap();
        assert!(lines.is_empty(), "{}", db.backend);
    }
}

async fn change(s: &dyn Store, c: &str, from: Level, to: Level, at: DateTime<Utc>) {
    s.apply_cycle(
        &[LevelChange {
            customer_id: c.into(),
            from: Some(from),
            current: to,
            target: Level::Partnership,
            reasons: vec![],
        }],
        &[],
        at,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn level_movement_counts_transitions_and_time_to_climb() {
    use Level::*;
    for db in support::all_backends().await {
        let s = &*db.store;
        customers(s, &[("c1", "en"), ("c2", "en"), ("c3", "en")]).await;
        // Everyone signed up at T0 - 20d.
        change(s, "c1", Basic, Reactive, t0()).await;
        change(s, "c1", Reactive, Accountable, t0() + days(10)).await;
        change(s, "c2", Basic, Reactive, t0() + days(5)).await;
        change(s, "c2", Reactive, Basic, t0() + days(6)).await;
        change(s, "c3", Basic, Reactive, t0() - days(40)).await; // before the period

        let m = s
            .level_movement(t0() - days(1)..t0() + days(30))
            .await
            .unwrap();
        assert_eq!((m.climbs(), m.drops()), (3, 1), "{}", db.backend);
        let mx = m.matrix();
        assert_eq!((mx[0][1], mx[1][2], mx[1][0]), (2, 1, 1), "{}", db.backend);
        let (n, secs) = m.climb_time(Basic).unwrap();
        assert_eq!(n, 2);
        assert!(
            (secs / 86_400.0 - 22.5).abs() < 1e-6,
            "{}: {secs}",
            db.backend
        );
        let (n, secs) = m.climb_time(Reactive).unwrap();
        assert_eq!(n, 1);
        assert!(
            (secs / 86_400.0 - 10.0).abs() < 1e-6,
            "{}: {secs}",
            db.backend
        );

        // A later period still measures c1's second step from its first (before the period).
        let m = s
            .level_movement(t0() + days(7)..t0() + days(30))
            .await
            .unwrap();
        assert_eq!((m.climbs(), m.drops()), (1, 0), "{}", db.backend);
        assert!((m.climb_time(Reactive).unwrap().1 / 86_400.0 - 10.0).abs() < 1e-6);
    }
}
