//! Erasure, export and retention (issue 21, docs/privacy.md), on both backends: after
//! `forget` no column of any table — enumerated from the database's own catalogue, so tables
//! added later are covered — holds the customer's email, name or survey comment; reports
//! give the same figures; the address imported again is suppressed; the export holds what
//! is stored; retention deletes only old raw events and the report's figures hold.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeDelta, Utc};
use http_common::*;
use rapport::domain::{CustomerId, EventKind, EventRecord};
use rapport::report::{CampaignReport, ReportFilter};
use serde_json::{Value, json};

const EMAIL: &str = "jane.forget@example.com";
const NAME: &str = "Jane Forgetmenot";
const PHONE: &str = "+44 20 7946 0000";
const COMMENT: &str = "xyzzy secret comment";

/// Every `table.column` whose value, as text, contains `needle` (case-insensitive), over
/// every column of every table the catalogue lists.
async fn columns_holding(db: &support::TestDb, needle: &str) -> Vec<String> {
    let pattern = format!("%{needle}%");
    let mut found = Vec::new();
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' ORDER BY 1, 2",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(columns.len() > 50, "the catalogue lists the columns");
        for (table, column) in columns {
            let sql = format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) LIKE ?1"
            );
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&pattern)
                .fetch_one(&pool)
                .await
                .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t USING (table_schema, table_name) \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1, 2",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(columns.len() > 50, "the catalogue lists the columns");
        for (table, column) in columns {
            let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\"::text ILIKE $1");
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&pattern)
                .fetch_one(&pool)
                .await
                .unwrap();
            if n > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
        pool.close().await;
    }
    found
}

/// [`apps`] whose survey answers and unsubscribes are announced to a `[[notify]]` endpoint:
/// the notifications outbox then holds what they said.
async fn apps_announcing() -> Vec<App> {
    let config = rapport::config::load_str(
        "t.toml",
        "[[notify]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/hook\"\n\
         events = [\"survey_response\", \"unsubscribed\"]\n",
        &[],
    )
    .unwrap();
    let mut out = Vec::new();
    for db in support::all_backends().await {
        let state = state_with_config(db.store.clone(), config.clone());
        out.push(App {
            router: rapport::http::router(state.clone()),
            state,
            db,
            signer: rapport::tracking::Signer::new(SECRET),
        });
    }
    out
}

/// [`apps`] with one customer, `c1` at [`EMAIL`].
async fn apps_with_jane() -> Vec<App> {
    let apps = apps().await;
    for app in &apps {
        app.customer("c1", EMAIL, "en").await;
    }
    apps
}

async fn api_get(app: &App, path: &str) -> (StatusCode, Value) {
    let (status, _, body) = app
        .send(
            Request::get(path)
                .header("authorization", format!("Bearer {API_KEY}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn api_delete(app: &App, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::delete(path);
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let (status, _, body) = app.send(req.body(Body::empty()).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn report(app: &App) -> Vec<CampaignReport> {
    let filter = ReportFilter::all(TimeDelta::days(7), "EUR");
    app.store().report(&filter).await.unwrap()
}

/// Jane (c1) and Other (c2), each with a sent survey email answered, an order after it,
/// and for Jane a comment, a reply quoting her, an unsubscribe and a link with her address.
async fn shop(app: &App) {
    let (status, body) = app
        .api(
            "/api/v1/customers",
            Some(API_KEY),
            json!([
                {"id": "c1", "email": "Jane.Forget@Example.com", "name": NAME, "locale": "en",
                 "attributes": {"nickname": "Forgetmenot", "phone": "+44 20 7946 0000"}},
                {"id": "c2", "email": "other@example.com", "name": "Other Person", "locale": "en"}
            ])
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d1 = app
        .delivery(
            "c1",
            &[&format!("https://shop.example/?e={EMAIL}")],
            an_hour_ago(),
        )
        .await;
    let d2 = app.delivery("c2", &[], an_hour_ago()).await;
    let ordered = (Utc::now() - TimeDelta::minutes(30)).to_rfc3339();
    let (status, body) = app
        .api(
            "/api/v1/orders",
            Some(API_KEY),
            json!([
                {"id": "o1", "customer_id": "c1", "occurred_at": ordered, "amount": 50.0,
                 "currency": "EUR", "items": [{"sku": "tea", "name": "Tea", "note": format!("gift from {NAME}")}]},
                {"id": "o2", "customer_id": "c2", "occurred_at": ordered, "amount": 20.0,
                 "currency": "EUR", "items": [{"sku": "tea", "name": "Tea"}]}
            ])
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .api(
            "/api/v1/events",
            Some(API_KEY),
            json!([
                {"id": format!("reply-{EMAIL}"), "customer_id": "c1", "kind": "reply", "occurred_at": ordered,
                 "data": {"text": format!("Hello, {NAME} here"), "from": EMAIL}},
                // An integrator's own survey tool: announced with its comment.
                {"customer_id": "c1", "kind": "survey_response", "occurred_at": ordered,
                 "data": {"score": 8, "comment": COMMENT}}
            ])
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (d, score) in [(d1, 9), (d2, 7)] {
        let uri = format!("/s/{}?score={score}", app.signer.sign_survey(d));
        assert_eq!(app.get(&uri).await.0, StatusCode::OK);
    }
    let (status, _, _) = app
        .post(
            &format!("/s/{}", app.signer.sign_survey(d1)),
            "application/x-www-form-urlencoded",
            format!("score=9&comment={}", COMMENT.replace(' ', "+")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .post(
            &format!("/u/{}", app.signer.sign_unsubscribe(d1)),
            "application/x-www-form-urlencoded",
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn after_forget_no_table_holds_the_email_the_name_or_a_survey_comment_and_reports_agree() {
    for app in apps_announcing().await {
        let backend = app.db.backend;
        shop(&app).await;
        // The whole phone number: a bare "7946" also turns up in migration timestamps.
        for needle in [EMAIL, NAME, COMMENT, PHONE] {
            let before = columns_holding(&app.db, needle).await;
            assert!(!before.is_empty(), "{backend}: `{needle}` stored before");
        }
        assert!(
            columns_holding(&app.db, COMMENT)
                .await
                .contains(&"notifications.body".to_string()),
            "{backend}: the announcement carries the comment"
        );
        let report_before = report(&app).await;
        let l = &report_before[0];
        assert_eq!(
            (
                l.sent,
                l.survey_answers,
                l.unsubscribed,
                l.converted,
                l.revenue
            ),
            (2, 2, 1, 2, 70.0),
            "{backend}"
        );

        let (status, body) = api_delete(&app, "/api/v1/customers/c1", Some(API_KEY)).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        assert_eq!(body["erased"], "c1");

        for needle in [EMAIL, NAME, COMMENT, "Forgetmenot", PHONE] {
            assert_eq!(
                columns_holding(&app.db, needle).await,
                Vec::<String>::new(),
                "{backend}: `{needle}` is still stored"
            );
        }
        assert_eq!(report(&app).await, report_before, "{backend}");
        // The other customer is untouched.
        assert_eq!(
            columns_holding(&app.db, "other@example.com").await,
            vec!["customers.email".to_string()],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn erasure_answers_404_for_an_unknown_customer_401_without_a_key_and_is_logged() {
    for app in apps_with_jane().await {
        let backend = app.db.backend;
        let (status, body) = api_delete(&app, "/api/v1/customers/nobody", Some(API_KEY)).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::NOT_FOUND, &json!("not found")),
            "{backend}"
        );
        let (status, body) = api_delete(&app, "/api/v1/customers/c1", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}: {body}");
        assert!(body["error"].is_string(), "{backend}");
        let (status, _) = api_delete(&app, "/api/v1/customers/c1", Some(API_KEY)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        // Who and when, not what: the log names the key by its fingerprint.
        let (_, export) = api_get(&app, "/api/v1/customers/c1/export").await;
        let log = export["erasures"].as_array().expect("erasures").clone();
        assert_eq!(log.len(), 1, "{backend}: {export}");
        let by = log[0]["erased_by"].as_str().unwrap();
        assert!(
            by.starts_with("api-key:") && !by.contains(API_KEY),
            "{backend}: {by}"
        );
        assert!(
            log[0]["erased_at"].as_str().unwrap().starts_with("20"),
            "{backend}"
        );
        assert_eq!(
            export["customer"]["email"], "erased@erased.invalid",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_forgotten_address_imported_or_created_again_is_suppressed() {
    for app in apps_with_jane().await {
        let backend = app.db.backend;
        let (status, _) = api_delete(&app, "/api/v1/customers/c1", Some(API_KEY)).await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(
            app.store().suppression(EMAIL).await.unwrap(),
            None,
            "{backend}: the address is not kept"
        );

        // Through the API, typed differently, under a new id.
        let (status, body) = app
            .api(
                "/api/v1/customers",
                Some(API_KEY),
                json!({"id": "c9", "email": " JANE.FORGET@example.com", "locale": "en"})
                    .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {body}");
        let reason = app
            .store()
            .suppression("JANE.FORGET@example.com")
            .await
            .unwrap();
        assert!(reason.is_some_and(|r| r.starts_with("erased")), "{backend}");

        // Through an import file, as `rapport import customers` runs it.
        let dir = tempfile::tempdir().unwrap();
        let file = support::import::file(
            &dir,
            "customers.csv",
            &format!("id,email,locale\nc1,{EMAIL},en\n"),
        );
        let report = support::import::import_with(
            &**app.store(),
            rapport::import::Entity::Customers,
            &file,
            &defaults(),
            false,
        )
        .await;
        assert!(report.committed, "{backend}");
        let reason = app.store().suppression(EMAIL).await.unwrap();
        assert!(reason.is_some_and(|r| r.starts_with("erased")), "{backend}");
        // Another address is not.
        app.customer("c3", "someone.new@example.com", "en").await;
        assert_eq!(
            app.store()
                .suppression("someone.new@example.com")
                .await
                .unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn the_export_holds_the_customer_orders_events_deliveries_suppressions_and_levels() {
    for app in apps().await {
        let backend = app.db.backend;
        shop(&app).await;
        // The cycle's levels are stored beside the profile (customer_levels); the export shows
        // them on the customer record.
        let level = rapport::store::LevelChange {
            customer_id: "c1".into(),
            from: None,
            current: rapport::domain::Level::Reactive,
            target: rapport::domain::Level::Proactive,
            reasons: vec!["1 order in 365 d".into()],
        };
        app.store()
            .apply_cycle(std::slice::from_ref(&level), &[], Utc::now())
            .await
            .unwrap();
        let (status, export) = api_get(&app, "/api/v1/customers/c1/export").await;
        assert_eq!(status, StatusCode::OK, "{backend}: {export}");
        assert_eq!(
            export["customer"]["email"], "Jane.Forget@example.com",
            "{backend}"
        );
        assert_eq!(
            export["customer"]["current_level"],
            rapport::domain::Level::Reactive.rank(),
            "{backend}: {export}"
        );
        assert!(export.get("customer_levels").is_none(), "{backend}");
        assert_eq!(export["customer"]["name"], NAME, "{backend}");
        assert_eq!(
            export["customer"]["attributes"]["nickname"], "Forgetmenot",
            "{backend}"
        );
        assert_eq!(export["orders"][0]["id"], "o1", "{backend}");
        assert_eq!(export["orders"][0]["lines"][0]["sku"], "tea", "{backend}");
        let events = export["events"].as_array().unwrap();
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "survey_response" && e["data"]["comment"] == COMMENT),
            "{backend}: {events:?}"
        );
        assert!(events.iter().any(|e| e["kind"] == "reply"), "{backend}");
        assert_eq!(
            export["deliveries"].as_array().unwrap().len(),
            1,
            "{backend}"
        );
        assert_eq!(
            export["suppressions"][0]["reason"], "unsubscribe",
            "{backend}"
        );
        assert!(export["levels_history"].is_array(), "{backend}");
        assert!(export["consent"].is_array(), "{backend}");
        // Nothing of the other customer.
        assert!(
            !export.to_string().contains("other@example.com"),
            "{backend}"
        );
        // Unknown: 404.
        assert_eq!(
            api_get(&app, "/api/v1/customers/nobody/export").await.0,
            StatusCode::NOT_FOUND
        );
    }
}

/// An event of `kind` for `customer`, `days` ago, of delivery `delivery`.
fn event(customer: &str, kind: EventKind, days: i64, delivery: Option<uuid::Uuid>) -> EventRecord {
    EventRecord {
        id: None,
        customer_id: CustomerId::parse(customer).unwrap(),
        kind,
        occurred_at: Utc::now() - TimeDelta::days(days),
        data: Default::default(),
        machine: false,
        delivery_id: delivery,
    }
}

#[tokio::test]
async fn retention_deletes_only_old_raw_events_and_the_report_figures_hold() {
    for app in apps_with_jane().await {
        let backend = app.db.backend;
        let old = app
            .delivery(
                "c1",
                &["https://shop.example/"],
                Utc::now() - TimeDelta::days(1000),
            )
            .await;
        let recent = app.delivery("c1", &[], an_hour_ago()).await;
        let mut tx = app.store().begin_import().await.unwrap();
        let mut rows = Vec::new();
        for days in [1001, 999, 800] {
            rows.push(event("c1", EventKind::EmailClick, days, Some(old)));
            rows.push(event("c1", EventKind::Reply, days, None));
        }
        rows.push(event("c1", EventKind::EmailClick, 0, Some(recent)));
        rows.push(event("c1", EventKind::Reply, 10, None));
        tx.insert_events(&rows, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        let report_before = report(&app).await;
        assert_eq!(app.events().await.len(), 8, "{backend}");

        let clock = rapport::app::Clock::System;
        let (_stop_tx, mut stop) = tokio::sync::watch::channel(false);
        let before = rapport::app::retention::cutoff(
            Utc::now(),
            rapport::config::Duration::parse("730d").unwrap(),
        );
        let deleted = rapport::app::retention::sweep(&**app.store(), before, &clock, &mut stop)
            .await
            .unwrap();
        assert_eq!(deleted, 6, "{backend}");
        assert_eq!(
            app.events().await.len(),
            2,
            "{backend}: the recent events stay"
        );
        assert_eq!(report(&app).await, report_before, "{backend}");
        // Nothing older is left: a second sweep deletes nothing.
        let again = rapport::app::retention::sweep(&**app.store(), before, &clock, &mut stop);
        assert_eq!(again.await.unwrap(), 0, "{backend}");
    }
}

/// Runs `statements` on the test database, outside the store (a table or a trigger of the
/// test's own).
async fn execute(db: &support::TestDb, statements: &[&str]) {
    // The same on either pool type; sqlx has no pool over both without the `any` driver.
    macro_rules! run_on {
        ($pool:expr) => {{
            let pool = $pool.await.unwrap();
            for s in statements {
                let q = sqlx::query(sqlx::AssertSqlSafe(s.to_string()));
                q.execute(&pool).await.unwrap();
            }
            pool.close().await;
        }};
    }
    if db.backend == "sqlite" {
        run_on!(sqlx::SqlitePool::connect(&db.url))
    } else {
        run_on!(sqlx::PgPool::connect(&db.url))
    }
}

#[tokio::test]
async fn the_export_includes_any_table_naming_the_customer_and_the_consent_log_as_consent() {
    for app in apps_with_jane().await {
        let backend = app.db.backend;
        execute(
            &app.db,
            &[
                "CREATE TABLE shop_notes (customer_id TEXT NOT NULL, note TEXT NOT NULL)",
                "INSERT INTO shop_notes VALUES ('c1', 'prefers phone calls')",
                "INSERT INTO shop_notes VALUES ('c2', 'someone else')",
                if backend == "sqlite" {
                    "INSERT INTO consent_log (customer_id, at, action, source) \
                     VALUES ('c1', 0, 'given', 'import')"
                } else {
                    "INSERT INTO consent_log (customer_id, at, action, source) \
                     VALUES ('c1', now(), 'given', 'import')"
                },
            ],
        )
        .await;
        let (status, export) = api_get(&app, "/api/v1/customers/c1/export").await;
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(
            export["shop_notes"],
            json!([{"customer_id": "c1", "note": "prefers phone calls"}]),
            "{backend}"
        );
        // The consent log, under `consent`: the entry of c1 only.
        let consent = export["consent"].as_array().unwrap();
        assert_eq!(consent.len(), 1, "{backend}: {consent:?}");
        assert_eq!(
            (
                &consent[0]["customer_id"],
                &consent[0]["action"],
                &consent[0]["source"]
            ),
            (&json!("c1"), &json!("given"), &json!("import")),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn forget_cancels_the_emails_still_queued_for_the_customer() {
    for app in apps_with_jane().await {
        let backend = app.db.backend;
        let queued = rapport::store::NewDelivery {
            id: uuid::Uuid::now_v7(),
            customer_id: "c1".into(),
            campaign: "loyalty-offer".into(),
            occurrence: "week:1".into(),
            service: false,
            current: rapport::domain::Level::Proactive,
            target: rapport::domain::Level::Proactive,
            send_at: Utc::now() + TimeDelta::hours(1),
            message_id: "<q@shop.example>".into(),
            unless_since: None,
            variant: None,
            held_out: false,
        };
        app.store()
            .apply_cycle(&[], &[queued], Utc::now())
            .await
            .unwrap();
        let (status, body) = api_delete(&app, "/api/v1/customers/c1", Some(API_KEY)).await;
        assert_eq!(
            (status, &body["cancelled_emails"]),
            (StatusCode::OK, &json!(1)),
            "{backend}: {body}"
        );
        let (_, export) = api_get(&app, "/api/v1/customers/c1/export").await;
        assert_eq!(export["deliveries"][0]["status"], "cancelled", "{backend}");
        assert_eq!(
            app.store().pending_deliveries().await.unwrap(),
            0,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_erasure_that_fails_half_way_leaves_everything_as_it_was() {
    for app in apps().await {
        let backend = app.db.backend;
        shop(&app).await;
        // The orders step (after the customer and events steps) fails.
        let failing: &[&str] = if backend == "sqlite" {
            &[
                "CREATE TRIGGER refuse BEFORE UPDATE ON orders BEGIN SELECT RAISE(ABORT, 'refused'); END",
            ]
        } else {
            &[
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
                "CREATE TRIGGER refuse BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION refuse()",
            ]
        };
        execute(&app.db, failing).await;
        let held = columns_holding(&app.db, EMAIL).await;
        let (status, body) = api_delete(&app, "/api/v1/customers/c1", Some(API_KEY)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{backend}: {body}");
        assert_eq!(columns_holding(&app.db, EMAIL).await, held, "{backend}");
        assert!(
            !columns_holding(&app.db, COMMENT).await.is_empty(),
            "{backend}"
        );
        let (_, export) = api_get(&app, "/api/v1/customers/c1/export").await;
        assert_eq!(export["erasures"], json!([]), "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_deletes_raw_events_past_event_retention_on_its_own() {
    for db in support::all_backends().await {
        let backend = db.backend;
        let outbox = tempfile::tempdir().unwrap();
        let mut cfg = support::daemon::config(&db, &format!("file://{}", outbox.path().display()));
        cfg.privacy.event_retention = Some(rapport::config::Duration::parse("730d").unwrap());
        let t0 = support::delivery::t0();
        support::daemon::customer(&*db.store, &cfg, "c1", t0).await;
        let at = |days: i64| EventRecord {
            occurred_at: t0 - TimeDelta::days(days),
            ..event("c1", EventKind::Reply, 0, None)
        };
        let mut tx = db.store.begin_import().await.unwrap();
        tx.insert_events(&[at(800), at(731), at(10)], t0)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let clock = rapport::app::ManualClock::new(t0);
        let daemon = support::daemon::start(&db, cfg, &clock, "replica-a").await;
        let dbr = &db;
        support::wait::until_async(
            &format!("{backend}: the events past retention deleted"),
            std::time::Duration::from_secs(30),
            move || async move { stored_events(dbr).await.len() == 1 },
        )
        .await;
        daemon.shutdown().await;
    }
}
