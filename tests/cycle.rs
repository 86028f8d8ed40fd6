//! The assess + plan cycle against real databases: idempotent queueing, incremental scope,
//! level history, suppression — on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::cli::load_campaigns;
use rapport::config::Config;
use rapport::cycle::{self, CycleOptions};
use rapport::domain::{CustomerId, EventKind, Level};
use rapport::import::{CustomerRecord, EventRecord, OrderRecord, RecordDefaults, Row};
use rapport::store::Suppression;
use rapport::store::{Scope, Store};
use serde_json::json;

fn now() -> DateTime<Utc> {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

fn config() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let mut c =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    c.paths.campaigns = concat!(env!("CARGO_MANIFEST_DIR"), "/config/campaigns").into();
    c.paths.templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
    c
}

fn defaults() -> RecordDefaults {
    RecordDefaults::from_config(&config(), now())
}

fn obj(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().unwrap().clone()
}

async fn customer(store: &dyn Store, id: &str, tz: &str) {
    let row = obj(
        json!({"id": id, "email": format!("{id}@example.com"), "name": "Test Person", "timezone": tz}),
    );
    let c = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap();
    let mut tx = store.begin_import().await.unwrap();
    tx.upsert_customers(&[c], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn order(store: &dyn Store, id: &str, customer: &str, ago: TimeDelta) {
    let row = obj(
        json!({"id": id, "customer_id": customer, "occurred_at": (now() - ago).to_rfc3339(), "amount": 80, "currency": "EUR"}),
    );
    let o = OrderRecord::parse(&Row::new(&row), &defaults()).unwrap();
    let mut tx = store.begin_import().await.unwrap();
    tx.upsert_orders(&[o], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn event(
    store: &dyn Store,
    customer: &str,
    kind: EventKind,
    ago: TimeDelta,
    data: serde_json::Value,
) {
    let e = EventRecord {
        id: None,
        customer_id: CustomerId::parse(customer).unwrap(),
        kind,
        occurred_at: now() - ago,
        data: obj(data),
        machine: false,
        delivery_id: None,
    };
    let mut tx = store.begin_import().await.unwrap();
    tx.insert_events(&[e], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn cycle_at(store: &dyn Store, scope: Scope, at: DateTime<Utc>) -> cycle::CycleReport {
    let cfg = config();
    let campaigns = load_campaigns(&cfg).map_err(|_| "campaigns").unwrap();
    cycle::run(
        store,
        &cfg,
        &campaigns,
        &CycleOptions {
            scope,
            now: at,
            dry_run: false,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn planning_twice_queues_nothing_new() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1", "Europe/Berlin").await;
        order(s, "o1", "c1", TimeDelta::days(4)).await;
        let first = cycle_at(s, Scope::All, now()).await;
        assert_eq!(first.queued, 1, "{}", db.backend);
        assert_eq!(first.planned[0].campaign, "post-sale-follow-up");
        assert_eq!(first.planned[0].occurrence, "order:o1");
        let second = cycle_at(s, Scope::All, now()).await;
        assert_eq!(
            (second.queued, second.planned.len()),
            (0, 0),
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn incremental_cycle_looks_only_at_changed_customers() {
    for db in support::all_backends().await {
        let s = &*db.store;
        for i in 0..5 {
            customer(s, &format!("c{i}"), "UTC").await;
        }
        // The watermark is inclusive (a write in the cycle's first millisecond is assessed
        // again rather than missed), so the cycle must not start in the inserts' millisecond.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(cycle_at(s, Scope::All, now()).await.assessed, 5);
        let scope = cycle::incremental_scope(s).await.unwrap();
        assert_eq!(
            cycle_at(s, scope, now()).await.assessed,
            0,
            "{}: nothing changed",
            db.backend
        );
        event(
            s,
            "c3",
            EventKind::EmailClick,
            TimeDelta::hours(1),
            json!({}),
        )
        .await;
        let scope = cycle::incremental_scope(s).await.unwrap();
        let r = cycle_at(s, scope, now()).await;
        assert_eq!((r.assessed, r.level_changes), (1, 1), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_write_still_open_while_a_cycle_runs_is_seen_by_the_next_incremental_cycle() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1", "UTC").await;
        customer(s, "c2", "UTC").await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        cycle_at(s, Scope::All, now()).await;
        // An import writes c2's click and is still open when the next cycle reads the facts.
        let mut tx = s.begin_import().await.unwrap();
        let click = EventRecord {
            id: None,
            customer_id: CustomerId::parse("c2").unwrap(),
            kind: EventKind::EmailClick,
            occurred_at: now() - TimeDelta::hours(1),
            data: obj(json!({})),
            machine: false,
            delivery_id: None,
        };
        tx.insert_events(&[click], Utc::now()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let scope = cycle::incremental_scope(s).await.unwrap();
        let during = cycle_at(s, scope, now()).await;
        assert_eq!(
            during.assessed, 0,
            "{}: the click is not visible yet",
            db.backend
        );
        tx.commit().await.unwrap();
        let scope = cycle::incremental_scope(s).await.unwrap();
        let after = cycle_at(s, scope, now()).await;
        assert_eq!(
            (after.assessed, after.level_changes),
            (1, 1),
            "{}: the committed click must not fall behind the watermark",
            db.backend
        );
    }
}

#[tokio::test]
async fn opens_do_not_wake_the_incremental_cycle_but_clicks_do() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1", "UTC").await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        cycle_at(s, Scope::All, now()).await;
        for (kind, expected) in [(EventKind::EmailOpen, 0), (EventKind::EmailClick, 1)] {
            event(s, "c1", kind.clone(), TimeDelta::hours(1), json!({})).await;
            let scope = cycle::incremental_scope(s).await.unwrap();
            let r = cycle_at(s, scope, now()).await;
            assert_eq!(r.assessed, expected, "{}: after {kind:?}", db.backend);
        }
    }
}

#[tokio::test]
async fn a_climb_is_recorded_in_the_level_history_with_its_reasons() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "c1", "UTC").await;
        order(s, "o1", "c1", TimeDelta::days(20)).await;
        cycle_at(s, Scope::All, now()).await;
        event(
            s,
            "c1",
            EventKind::SurveyResponse,
            TimeDelta::hours(2),
            json!({"score": 9}),
        )
        .await;
        cycle_at(s, Scope::All, now()).await;
        let history = s.level_history("c1").await.unwrap();
        let last = history.last().expect("a history row");
        assert_eq!(last.to, Level::Accountable, "{}", db.backend);
        assert!(
            last.reasons.iter().any(|r| r.contains("survey")),
            "{:?}",
            last.reasons
        );
        let counts = s.level_counts(now()).await.unwrap();
        assert_eq!(counts.current[Level::Accountable.rank() as usize - 1], 1);
    }
}

#[tokio::test]
async fn a_first_assessment_is_where_a_customer_starts_not_a_climb() {
    for db in support::all_backends().await {
        let s = &*db.store;
        // c1 arrives engaged (reactive), c2 with nothing (basic).
        customer(s, "c1", "UTC").await;
        customer(s, "c2", "UTC").await;
        order(s, "o1", "c1", TimeDelta::days(20)).await;
        event(s, "c1", EventKind::Reply, TimeDelta::days(5), json!({})).await;
        let t1 = now() - TimeDelta::days(10);
        cycle_at(s, Scope::All, t1).await;

        for (id, level) in [("c1", Level::Reactive), ("c2", Level::Basic)] {
            let history = s.level_history(id).await.unwrap();
            assert_eq!(history.len(), 1, "{}: {id} {history:?}", db.backend);
            assert_eq!(
                (history[0].from, history[0].to, history[0].at),
                (None, level, t1),
                "{}: {id}",
                db.backend
            );
        }
        let counts = s.level_counts(t1).await.unwrap();
        assert_eq!(
            (counts.climbed_30d, counts.dropped_30d),
            (0, 0),
            "{}",
            db.backend
        );
        let m = s
            .level_movement(t1 - TimeDelta::days(1)..now())
            .await
            .unwrap();
        assert_eq!((m.climbs(), m.drops()), (0, 0), "{}: {m:?}", db.backend);

        // A second assessment that finds the same levels records nothing more.
        cycle_at(s, Scope::All, t1 + TimeDelta::hours(1)).await;
        assert_eq!(
            s.level_history("c2").await.unwrap().len(),
            1,
            "{}",
            db.backend
        );

        // c1 answers a survey: a climb between two assessments, timed from the first one.
        event(
            s,
            "c1",
            EventKind::SurveyResponse,
            TimeDelta::hours(2),
            json!({"score": 9}),
        )
        .await;
        cycle_at(s, Scope::All, now()).await;
        let history = s.level_history("c1").await.unwrap();
        assert_eq!(history.len(), 2, "{}: {history:?}", db.backend);
        assert_eq!(
            (history[1].from, history[1].to),
            (Some(Level::Reactive), Level::Accountable),
            "{}",
            db.backend
        );
        assert_eq!(
            s.level_counts(now()).await.unwrap().climbed_30d,
            1,
            "{}",
            db.backend
        );
        let m = s
            .level_movement(t1 - TimeDelta::days(1)..now() + TimeDelta::hours(1))
            .await
            .unwrap();
        assert_eq!((m.climbs(), m.drops()), (1, 0), "{}: {m:?}", db.backend);
        let (n, secs) = m
            .climb_time(Level::Reactive)
            .expect("reactive -> accountable");
        assert_eq!(n, 1);
        assert!(
            (secs / 86_400.0 - 10.0).abs() < 1e-6,
            "{}: {secs}",
            db.backend
        );
    }
}

#[tokio::test]
async fn an_imported_unsubscribe_or_hard_bounce_stops_all_email() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "gone", "UTC").await;
        customer(s, "bounced", "UTC").await;
        customer(s, "soft", "UTC").await;
        for c in ["gone", "bounced", "soft"] {
            order(s, &format!("o-{c}"), c, TimeDelta::days(4)).await;
        }
        event(
            s,
            "gone",
            EventKind::Unsubscribe,
            TimeDelta::days(1),
            json!({}),
        )
        .await;
        event(
            s,
            "bounced",
            EventKind::Bounce,
            TimeDelta::days(1),
            json!({"type": "hard"}),
        )
        .await;
        event(
            s,
            "soft",
            EventKind::Bounce,
            TimeDelta::days(1),
            json!({"type": "soft"}),
        )
        .await;
        let r = cycle_at(s, Scope::All, now()).await;
        let who: Vec<&str> = r.planned.iter().map(|p| p.customer_id.as_str()).collect();
        assert_eq!(who, vec!["soft"], "{}", db.backend);
        assert_eq!(
            s.suppression("gone@example.com").await.unwrap().as_deref(),
            Some("unsubscribed")
        );
        assert_eq!(
            s.suppression("bounced@example.com")
                .await
                .unwrap()
                .as_deref(),
            Some("bounced: hard")
        );
    }
}

#[tokio::test]
async fn quiet_hours_defer_the_send_in_the_customers_timezone() {
    for db in support::all_backends().await {
        let s = &*db.store;
        customer(s, "ny", "America/New_York").await;
        order(s, "o1", "ny", TimeDelta::days(4)).await;
        // 09:00 UTC is 04:00 in New York: inside 21:00–08:00, so the send waits for 08:00 local.
        let r = cycle_at(s, Scope::All, now()).await;
        assert_eq!(
            r.planned[0].send_at,
            "2026-11-25T13:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "{}",
            db.backend
        );
    }
}

#[test]
fn demo_writes_an_email_for_every_due_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("demo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "RAPPORT__DATABASE__URL",
            format!("sqlite://{}/demo.db", dir.path().display()),
        )
        .env("RAPPORT__SMTP__URL", format!("file://{}", outbox.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_dir(&outbox)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "eml")
        })
        .count();
    assert!(written >= 20, "only {written} emails written");
    assert!(stdout.contains(&format!("wrote {written} to")), "{stdout}");
    for campaign in [
        "post-sale-follow-up",
        "satisfaction-survey",
        "partnership-invitation",
        "complaint-follow-up",
    ] {
        assert!(
            stdout.contains(campaign),
            "{campaign} missing from the summary:\n{stdout}"
        );
    }
}

async fn order_with_items(store: &dyn Store, id: &str, customer: &str, skus: &[&str]) {
    let items: Vec<_> = skus
        .iter()
        .map(|s| json!({"sku": s, "name": format!("Product {s}"), "qty": 1, "price": 10}))
        .collect();
    let row = obj(
        json!({"id": id, "customer_id": customer, "occurred_at": (now() - TimeDelta::days(50)).to_rfc3339(), "amount": 10, "currency": "EUR", "items": items}),
    );
    let o = OrderRecord::parse(&Row::new(&row), &defaults()).unwrap();
    let mut tx = store.begin_import().await.unwrap();
    tx.upsert_orders(&[o], Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn suggestions_are_what_customers_with_the_same_purchases_bought_and_this_one_has_not() {
    for db in support::all_backends().await {
        let s = &*db.store;
        for c in ["a", "b", "c", "me"] {
            customer(s, c, "UTC").await;
        }
        order_with_items(s, "o-a", "a", &["MUG", "TEA"]).await;
        order_with_items(s, "o-b", "b", &["MUG", "TEA", "POT"]).await;
        order_with_items(s, "o-c", "c", &["MUG", "SAFFRON"]).await;
        order_with_items(s, "o-me", "me", &["MUG"]).await;
        cycle_at(s, Scope::All, now()).await; // a full cycle refreshes the co-purchase counts
        let got = s.suggestions(&["me".to_string()], 2).await.unwrap();
        let skus: Vec<&str> = got["me"].iter().map(|(sku, _)| sku.as_str()).collect();
        assert_eq!(
            skus,
            vec!["TEA", "POT"],
            "{}: bought together with MUG most, never MUG itself",
            db.backend
        );
        assert_eq!(got["me"][0].1, "Product TEA");
    }
}

/// The facts arrive as merged streams and the plan context is fetched only where the facts
/// show it can matter: a complaint (even one flagged as machine-made, as before) is still
/// answered, and a suppressed address still gets nothing.
#[tokio::test]
async fn complaints_are_answered_and_suppressed_addresses_skipped_through_the_store() {
    for db in support::all_backends().await {
        let s = &*db.store;
        for id in ["human", "machine", "gone"] {
            customer(s, id, "UTC").await;
            order(s, &format!("o-{id}"), id, TimeDelta::days(4)).await;
        }
        event(
            s,
            "human",
            EventKind::Complaint,
            TimeDelta::hours(2),
            json!({}),
        )
        .await;
        let flagged = EventRecord {
            id: Some("flagged-complaint".into()),
            customer_id: CustomerId::parse("machine").unwrap(),
            kind: EventKind::Complaint,
            occurred_at: now() - TimeDelta::hours(2),
            data: obj(json!({})),
            machine: true,
            delivery_id: None,
        };
        let mut tx = s.begin_import().await.unwrap();
        tx.insert_events(&[flagged], Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        s.suppress(Suppression {
            email: "gone@example.com",
            reason: "unsubscribed",
            source: "test",
            at: now(),
        })
        .await
        .unwrap();
        let r = cycle_at(s, Scope::All, now()).await;
        let mut picks: Vec<(&str, &str)> = r
            .planned
            .iter()
            .map(|p| (p.customer_id.as_str(), p.campaign.as_str()))
            .collect();
        picks.sort();
        assert_eq!(
            picks,
            vec![
                ("human", "complaint-follow-up"),
                ("machine", "complaint-follow-up")
            ],
            "{}",
            db.backend
        );
    }
}

async fn dry_run_at(store: &dyn Store, scope: Scope, at: DateTime<Utc>) -> Vec<String> {
    let cfg = config();
    let campaigns = load_campaigns(&cfg).map_err(|_| "campaigns").unwrap();
    let r = cycle::run(
        store,
        &cfg,
        &campaigns,
        &CycleOptions {
            scope,
            now: at,
            dry_run: true,
        },
    )
    .await
    .unwrap();
    let mut picks: Vec<String> = r
        .planned
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                p.customer_id, p.campaign, p.occurrence, p.send_at
            )
        })
        .collect();
    picks.sort();
    picks
}

/// A full cycle brings recent orders, recent complaints and deliveries with the facts; a
/// touched one looks them up per chunk (SQLite) or streams the touched customers' deliveries
/// (PostgreSQL). Both must plan exactly the same.
#[tokio::test]
async fn a_full_cycle_plans_what_per_customer_lookups_would() {
    for db in support::all_backends().await {
        let s = &*db.store;
        for (i, id) in ["a", "b", "c", "d", "e", "f"].iter().enumerate() {
            customer(s, id, "UTC").await;
            for n in 0..i {
                let ago = TimeDelta::days(4 + 30 * n as i64);
                order(s, &format!("o-{id}-{n}"), id, ago).await;
            }
        }
        // Queue the follow-ups of the recent orders: deliveries that block a second pick.
        let first = cycle_at(s, Scope::All, now()).await;
        assert!(first.queued >= 4, "{}: {first:?}", db.backend);
        event(
            s,
            "c",
            EventKind::Complaint,
            TimeDelta::hours(-2),
            json!({}),
        )
        .await;
        event(s, "f", EventKind::Complaint, TimeDelta::days(20), json!({})).await;
        order(s, "o-a-new", "a", TimeDelta::hours(-1)).await;
        order(s, "o-e-new", "e", TimeDelta::hours(-1)).await;
        let later = now() + TimeDelta::days(4);
        let full = dry_run_at(s, Scope::All, later).await;
        let looked_up = dry_run_at(s, Scope::TouchedSince(DateTime::UNIX_EPOCH), later).await;
        assert!(
            full.iter().any(|p| p.contains("complaint-follow-up")),
            "{}: {full:?}",
            db.backend
        );
        assert!(
            full.iter().any(|p| p.contains("order:o-a-new")),
            "{}: {full:?}",
            db.backend
        );
        assert_eq!(full, looked_up, "{}", db.backend);
    }
}

#[tokio::test]
async fn a_full_cycle_on_a_one_connection_pool_does_not_wait_for_itself() {
    for db in support::all_backends().await {
        // The cycle streams its facts while it looks up and writes: on a pool of one it
        // must still finish (the streams have connections of their own).
        let small = rapport::store::connect(&db.url, 1).await.unwrap();
        let s = &*small;
        for id in ["a", "b", "c"] {
            customer(s, id, "UTC").await;
            order(s, &format!("o-{id}"), id, TimeDelta::days(4)).await;
        }
        let report = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            cycle_at(s, Scope::All, now()),
        )
        .await
        .unwrap_or_else(|_| panic!("{}: the cycle waited for its own pool", db.backend));
        assert_eq!(report.queued, 3, "{}: {report:?}", db.backend);
        let again = cycle_at(s, Scope::TouchedSince(DateTime::UNIX_EPOCH), now()).await;
        assert_eq!(again.queued, 0, "{}", db.backend);
    }
}

#[tokio::test]
async fn a_cycle_that_rewrites_many_levels_vacuums_customer_levels_on_postgres() {
    // Without autovacuum (off on some servers, behind on busy ones) the next full cycle
    // would read every dead version the level writes left behind, and plan the levels'
    // join without statistics.
    let Some(db) = support::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,email,name\n");
    for i in 0..10_500 {
        csv.push_str(&format!("c{i},c{i}@example.com,Customer {i}\n"));
    }
    let path = support::import::file(&dir, "customers.csv", &csv);
    let r = support::import::import_with(
        &*db.store,
        rapport::import::Entity::Customers,
        &path,
        &defaults(),
        false,
    )
    .await;
    assert!(r.committed, "{:?}", r.rejected.first());
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let vacuums = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'customer_levels'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = vacuums().await;
    // Every customer's first assessment is written: 10,500 level changes.
    let report = cycle_at(&*db.store, Scope::All, now()).await;
    assert!(report.level_changes >= 10_000, "{report:?}");
    assert!(
        vacuums().await > before,
        "customer_levels was not vacuumed after the cycle"
    );
    pool.close().await;
}
