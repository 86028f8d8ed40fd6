//! Import: CSV and JSONL, upserts, all-or-nothing files, line-numbered errors — on SQLite
//! and PostgreSQL.

mod support;

use rapport::domain::{Locale, Timezone};
use rapport::import::{Entity, ImportReport, RecordDefaults};
use rapport::store::Store;

fn defaults() -> RecordDefaults {
    RecordDefaults {
        locale: Locale::parse("en").unwrap(),
        timezone: Timezone::parse("Asia/Tehran").unwrap(),
        margin_ratio: 0.3,
        now: "2026-11-25T09:00:00Z".parse().unwrap(),
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        rates: [("USD".to_string(), 0.92)].into_iter().collect(),
        input: Default::default(),
    }
}

use support::import::file;

async fn import(store: &dyn Store, entity: Entity, path: &str, skip_invalid: bool) -> ImportReport {
    support::import::import_with(store, entity, path, &defaults(), skip_invalid).await
}

const CUSTOMERS_CSV: &str = "id,email,name,locale,timezone,subscribed,created_at,attributes
c1,sara@example.com,سارا احمدی,fa,Asia/Tehran,true,2025-01-02T10:00:00Z,\"{\"\"vip\"\":true}\"
c2,john@example.com,John Smith,en,Europe/Berlin,true,2025-03-04T10:00:00Z,
c3,mina@example.org,مینا رضایی,,,false,,
";

const ORDERS_JSONL: &str = r#"{"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":120.5,"currency":"EUR","items":[{"sku":"MUG-1","name":"Ceramic mug","qty":2,"price":60.25}]}
{"id":"o2","customer_id":"c2","occurred_at":"2026-11-21T10:00:00Z","amount":"40","currency":"usd","margin":12}
"#;

#[tokio::test]
async fn csv_and_jsonl_import_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(&dir, "customers.csv", CUSTOMERS_CSV);
    let orders = file(&dir, "orders.jsonl", ORDERS_JSONL);
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &customers, false).await;
        assert!(
            r.committed && r.rejected.is_empty(),
            "{}: {:?}",
            db.backend,
            r.rejected
        );
        assert_eq!(r.stored.written, 3, "{}", db.backend);
        assert_eq!(
            r.summary(),
            "imported 3 customers, 0 rejected (3 new or changed, 0 unchanged)"
        );
        let r = import(&*db.store, Entity::Orders, &orders, false).await;
        assert_eq!(r.stored.written, 2, "{}: {:?}", db.backend, r.rejected);

        let again = import(&*db.store, Entity::Customers, &customers, false).await;
        assert_eq!(
            (again.stored.written, again.stored.unchanged),
            (0, 3),
            "{}",
            db.backend
        );
        let again = import(&*db.store, Entity::Orders, &orders, false).await;
        assert_eq!(
            (again.stored.written, again.stored.unchanged),
            (0, 2),
            "{}",
            db.backend
        );
        let counts = db.store.counts().await.unwrap();
        assert_eq!((counts.customers, counts.orders), (3, 2), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_file_with_one_bad_row_stores_nothing_and_names_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = file(
        &dir,
        "customers.csv",
        "id,email,name\nc1,a@example.com,A\nc2,not-an-email,B\nc3,c@example.com,C\n",
    );
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &bad, false).await;
        assert!(!r.committed, "{}", db.backend);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 3);
        assert!(
            r.rejected[0].message.starts_with("email: "),
            "{}",
            r.rejected[0].message
        );
        assert_eq!(
            db.store.counts().await.unwrap().customers,
            0,
            "{}: half-stored",
            db.backend
        );
    }
}

#[tokio::test]
async fn skip_invalid_stores_the_good_rows() {
    let dir = tempfile::tempdir().unwrap();
    let bad = file(
        &dir,
        "customers.jsonl",
        "{\"id\":\"c1\",\"email\":\"a@example.com\"}\n{\"id\":\"c2\",\"email\":\"b@example.com\",\"created_at\":\"last tuesday\"}\n{\"id\":\"c3\",\"email\":\"c@example.com\"}\n",
    );
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &bad, true).await;
        assert!(r.committed);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 2);
        assert!(r.rejected[0].message.starts_with("created_at: "));
        assert_eq!(
            db.store.counts().await.unwrap().customers,
            2,
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn orders_and_events_for_unknown_customers_are_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(&dir, "c.csv", "id,email\nc1,a@example.com\n");
    let orders = file(
        &dir,
        "o.csv",
        "id,customer_id,occurred_at,amount,currency\no1,c1,2026-11-20T10:00:00Z,10,EUR\no2,ghost,2026-11-20T10:00:00Z,10,EUR\n",
    );
    let events = file(
        &dir,
        "e.jsonl",
        "{\"customer_id\":\"ghost\",\"kind\":\"email_click\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}\n",
    );
    for db in support::all_backends().await {
        import(&*db.store, Entity::Customers, &customers, false).await;
        let r = import(&*db.store, Entity::Orders, &orders, false).await;
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 3);
        assert!(r.rejected[0].message.contains("unknown customer `ghost`"));
        let r = import(&*db.store, Entity::Events, &events, false).await;
        assert_eq!((r.rejected.len(), r.rejected[0].line), (1, 1));
        let c = db.store.counts().await.unwrap();
        assert_eq!((c.orders, c.events), (0, 0), "{}", db.backend);
    }
}

#[tokio::test]
async fn malformed_json_timestamp_and_values_are_reported_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(&dir, "c.csv", "id,email\nc1,a@example.com\n");
    let events = file(
        &dir,
        "e.jsonl",
        concat!(
            "{\"customer_id\":\"c1\",\"kind\":\"email_click\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}\n",
            "{\"customer_id\":\"c1\",\"kind\":\"email_click\",\"occurred_at\":\"2026-11-20 nope\"}\n",
            "{\"customer_id\":\"c1\",\"kind\":\n",
            "{\"customer_id\":\"c1\",\"kind\":\"teleport\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}\n",
            "[1,2]\n",
        ),
    );
    for db in support::all_backends().await {
        import(&*db.store, Entity::Customers, &customers, false).await;
        let r = import(&*db.store, Entity::Events, &events, false).await;
        let got: Vec<(u64, String)> = r
            .rejected
            .iter()
            .map(|p| (p.line, p.message.split(':').next().unwrap().to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "occurred_at".into()),
                (3, "malformed JSON".into()),
                (4, "kind".into()),
                (5, "expected a JSON object".into())
            ],
            "{}",
            db.backend
        );
        assert_eq!(db.store.counts().await.unwrap().events, 0);
    }
}

#[tokio::test]
async fn events_without_id_are_deduplicated() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(&dir, "c.csv", "id,email\nc1,a@example.com\n");
    let line = "{\"customer_id\":\"c1\",\"kind\":\"survey_response\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"data\":{\"score\":9}}\n";
    let events = file(&dir, "e.jsonl", &format!("{line}{line}"));
    for db in support::all_backends().await {
        import(&*db.store, Entity::Customers, &customers, false).await;
        let r = import(&*db.store, Entity::Events, &events, false).await;
        assert_eq!(
            (r.stored.written, r.stored.unchanged),
            (1, 1),
            "{}",
            db.backend
        );
        let r = import(&*db.store, Entity::Events, &events, false).await;
        assert_eq!(r.stored.written, 0);
        assert_eq!(db.store.counts().await.unwrap().events, 1);
    }
}

#[test]
fn cli_reports_file_line_field_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let bad = file(&dir, "customers.csv", "id,email\nc1,broken\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["import", "customers", &bad])
        .env(
            "RAPPORT__DATABASE__URL",
            format!("sqlite://{}", db.display()),
        )
        .env(
            "RAPPORT_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("{bad}:2: email: ")), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("imported 0 customers, 1 rejected"),
        "{stdout}"
    );
}

#[test]
fn cli_rejects_a_config_with_an_unknown_key_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = file(&dir, "rapport.toml", "[smtp]\npool_sise = 3\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["--config", &cfg, "check"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!("{cfg}:2:1: unknown field `pool_sise`")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_large_import_leaves_fresh_statistics_and_visibility_map_on_postgres() {
    // A shop's first import fills empty tables; the next cycle must not be planned for the
    // empty tables they were until autovacuum gets round to them.
    let Some(db) = support::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,email,name\n");
    for i in 0..12_000 {
        csv.push_str(&format!("c{i},c{i}@example.com,Customer {i}\n"));
    }
    let path = file(&dir, "customers.csv", &csv);
    let r = import(&*db.store, Entity::Customers, &path, false).await;
    assert_eq!(r.stored.written, 12_000);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (analyzed, vacuumed, estimate): (bool, bool, f32) = sqlx::query_as(
        "SELECT s.last_analyze IS NOT NULL, s.last_vacuum IS NOT NULL, c.reltuples \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
         WHERE s.relname = 'customers'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(analyzed, "customers was not analysed after the import");
    // Vacuumed too: the visibility map keeps the cycle's index-only scans index-only.
    assert!(vacuumed, "customers was not vacuumed after the import");
    assert!(estimate >= 11_000.0, "planner estimate {estimate}");
    pool.close().await;
}
