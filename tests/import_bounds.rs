//! Import input has bounds and meaning: every problem of a row, duplicate ids and columns,
//! sizes, negative amounts, future times and unknown locales are errors with their line;
//! a JSONL file with a byte-order mark reads like a CSV one — on SQLite and PostgreSQL.

mod support;

use rapport::import::{Entity, ImportOptions, ImportReport, RecordDefaults, import_file};
use rapport::store::Store;

fn defaults() -> RecordDefaults {
    RecordDefaults::from_config(
        &rapport::config::Config::default(),
        "2026-11-25T09:00:00Z".parse().unwrap(),
    )
}

use support::import::file;

async fn import(store: &dyn Store, entity: Entity, path: &str) -> ImportReport {
    support::import::import_with(store, entity, path, &defaults(), false).await
}

fn problems(r: &ImportReport) -> Vec<String> {
    r.rejected
        .iter()
        .map(|p| format!("{}: {}", p.line, p.message))
        .collect()
}

#[tokio::test]
async fn a_duplicate_id_within_one_file_is_an_error_naming_the_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(
        &dir,
        "customers.csv",
        "id,email\nc1,a@example.com\nc2,b@example.com\nc1,other@example.com\n",
    );
    let orders = file(
        &dir,
        "orders.jsonl",
        "{\"id\":\"o1\",\"customer_id\":\"c1\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"amount\":5,\"currency\":\"EUR\"}\n\
         {\"id\":\"o1\",\"customer_id\":\"c1\",\"occurred_at\":\"2026-11-21T10:00:00Z\",\"amount\":6,\"currency\":\"EUR\"}\n",
    );
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &customers).await;
        assert_eq!(
            problems(&r),
            vec!["4: id: duplicate of line 2"],
            "{}",
            db.backend
        );
        assert!(!r.committed);
        assert_eq!(
            db.store.counts().await.unwrap().customers,
            0,
            "{}",
            db.backend
        );
        let ok = file(&dir, "c.csv", "id,email\nc1,a@example.com\n");
        assert!(import(&*db.store, Entity::Customers, &ok).await.committed);
        let r = import(&*db.store, Entity::Orders, &orders).await;
        assert_eq!(
            problems(&r),
            vec!["2: id: duplicate of line 1"],
            "{}",
            db.backend
        );
        assert_eq!(db.store.counts().await.unwrap().orders, 0, "{}", db.backend);
    }
}

#[tokio::test]
async fn a_csv_header_naming_a_column_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(
        &dir,
        "customers.csv",
        "id,email,email\nc1,a@example.com,b@example.com\n",
    );
    let db = support::sqlite().await;
    let e = import_file(
        &*db.store,
        Entity::Customers,
        &customers,
        &defaults(),
        &ImportOptions {
            skip_invalid: false,
            progress: false,
            erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
        },
    )
    .await
    .expect_err("a file-level error");
    assert!(
        e.to_string()
            .ends_with(":1: column `email` appears twice in the header"),
        "{e}"
    );
}

#[tokio::test]
async fn a_jsonl_file_with_a_byte_order_mark_is_accepted_like_a_csv_one() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = file(
        &dir,
        "customers.jsonl",
        "\u{feff}{\"id\":\"c1\",\"email\":\"a@example.com\"}\n{\"id\":\"c2\",\"email\":\"b@example.com\"}\n",
    );
    let csv = file(&dir, "more.csv", "\u{feff}id,email\nc3,c@example.com\n");
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &jsonl).await;
        assert!(
            r.committed && r.rejected.is_empty(),
            "{}: {:?}",
            db.backend,
            problems(&r)
        );
        let r = import(&*db.store, Entity::Customers, &csv).await;
        assert!(
            r.committed && r.rejected.is_empty(),
            "{}: {:?}",
            db.backend,
            problems(&r)
        );
        assert_eq!(db.store.counts().await.unwrap().customers, 3);
    }
}

#[tokio::test]
async fn every_problem_of_a_row_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let long_name = "N".repeat(5_000);
    let customers = file(
        &dir,
        "customers.csv",
        &format!(
            "id,email,name,locale,created_at\nc1,not-an-email,{long_name},xx,9999-12-31T00:00:00Z\n"
        ),
    );
    for db in support::all_backends().await {
        let r = import(&*db.store, Entity::Customers, &customers).await;
        let got = problems(&r);
        assert_eq!(got.len(), 4, "{}: {got:?}", db.backend);
        assert!(got[0].starts_with("2: email: "), "{got:?}");
        assert_eq!(got[1], "2: name: too long (5000 > 200)");
        assert!(
            got[2]
                .starts_with("2: locale: `xx` is not a configured locale (expected one of en, fa"),
            "{got:?}"
        );
        assert!(
            got[3].starts_with("2: created_at: 9999-12-31T00:00:00Z is in the future"),
            "{got:?}"
        );
        assert_eq!(
            db.store.counts().await.unwrap().customers,
            0,
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn a_negative_amount_is_not_an_order() {
    let dir = tempfile::tempdir().unwrap();
    let customers = file(&dir, "c.csv", "id,email\nc1,a@example.com\n");
    let orders = file(
        &dir,
        "orders.jsonl",
        "{\"id\":\"o1\",\"customer_id\":\"c1\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"amount\":-20,\"currency\":\"EUR\"}\n",
    );
    for db in support::all_backends().await {
        assert!(
            import(&*db.store, Entity::Customers, &customers)
                .await
                .committed
        );
        let r = import(&*db.store, Entity::Orders, &orders).await;
        let got = problems(&r);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("1: amount: -20 is negative"), "{got:?}");
        assert!(got[0].contains("custom:refund"), "{got:?}");
        assert_eq!(db.store.counts().await.unwrap().orders, 0, "{}", db.backend);
    }
}
