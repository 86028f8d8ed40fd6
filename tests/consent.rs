//! Consent (docs/consent.md), on SQLite and PostgreSQL: the append-only consent log and what
//! writes to it, double opt-in, topics and the preference page.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_common::{API_KEY, BROWSER, an_hour_ago, apps};
use rapport::domain::{ConsentAction, ConsentEntry, Topic};
use rapport::import::Entity;
use rapport::store::Store;
use serde_json::{Value, json};

fn html(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).unwrap()
}

async fn log(store: &dyn Store, id: &str) -> Vec<ConsentEntry> {
    store.consent_log(id).await.unwrap()
}

/// Every text a log entry holds: none of it may be the address or the name.
fn texts(e: &ConsentEntry) -> Vec<String> {
    [
        Some(e.customer_id.clone()),
        Some(e.source.clone()),
        e.evidence.clone(),
        e.wording_version.clone(),
        e.ip.clone(),
        e.user_agent.clone(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

const CUSTOMERS_CSV: &str = "id,email,name,consent_source,consent_wording
c1,sara@example.com,Sara Ahmadi,checkout checkbox 2025-03,v3
c2,john@example.com,John Smith,,
";

#[tokio::test]
async fn an_import_with_consent_source_logs_consent_given_with_its_evidence_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::import::file(&dir, "customers.csv", CUSTOMERS_CSV);
    for db in support::all_backends().await {
        let defaults = http_common::defaults();
        let r =
            support::import::import_with(&*db.store, Entity::Customers, &path, &defaults, false)
                .await;
        assert!(r.committed, "{}: {:?}", db.backend, r.rejected);
        let entries = log(&*db.store, "c1").await;
        assert_eq!(entries.len(), 1, "{}", db.backend);
        let e = &entries[0];
        assert_eq!(
            (e.action, e.topic, e.source.as_str()),
            (ConsentAction::Given, None, "import")
        );
        assert_eq!(e.evidence.as_deref(), Some("checkout checkbox 2025-03"));
        assert_eq!(e.wording_version.as_deref(), Some("v3"));
        for t in texts(e) {
            assert!(
                !t.contains("sara@example.com") && !t.contains("Sara"),
                "{t}"
            );
        }
        // A row that declares nothing logs nothing; importing the file again logs nothing new.
        assert!(log(&*db.store, "c2").await.is_empty(), "{}", db.backend);
        support::import::import_with(&*db.store, Entity::Customers, &path, &defaults, false).await;
        assert_eq!(log(&*db.store, "c1").await.len(), 1, "{}", db.backend);
    }
}

/// Runs `sql` on the test database directly, as an operator with a SQL prompt would.
async fn direct(db: &support::TestDb, sql: &'static str) -> Result<u64, String> {
    if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let r = sqlx::query(sql).execute(&pool).await;
        pool.close().await;
        r.map(|d| d.rows_affected()).map_err(|e| e.to_string())
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let r = sqlx::query(sql).execute(&pool).await;
        pool.close().await;
        r.map(|d| d.rows_affected()).map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_consent_log_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::import::file(&dir, "customers.csv", CUSTOMERS_CSV);
    for db in support::all_backends().await {
        support::import::import_with(
            &*db.store,
            Entity::Customers,
            &path,
            &http_common::defaults(),
            false,
        )
        .await;
        let before = log(&*db.store, "c1").await;
        assert_eq!(before.len(), 1);
        let update = direct(&db, "UPDATE consent_log SET source = 'forged'").await;
        assert!(
            update.as_ref().is_err_and(|e| e.contains("append-only")),
            "{}: {update:?}",
            db.backend
        );
        let delete = direct(&db, "DELETE FROM consent_log").await;
        assert!(
            delete.as_ref().is_err_and(|e| e.contains("append-only")),
            "{}: {delete:?}",
            db.backend
        );
        if db.backend == "postgres" {
            let truncate = direct(&db, "TRUNCATE consent_log").await;
            assert!(truncate.is_err(), "{truncate:?}");
        }
        assert_eq!(log(&*db.store, "c1").await, before, "{}", db.backend);
    }
}

#[tokio::test]
async fn no_route_changes_the_consent_log() {
    for app in apps().await {
        let (status, _) = app
            .api(
                "/api/v1/customers",
                Some(API_KEY),
                json!({"id": "c1", "email": "c1@example.com"}).to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let before = log(&**app.store(), "c1").await;
        assert_eq!(before.len(), 1);
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let req = Request::builder()
                .method(method)
                .uri("/api/v1/customers/c1/consent")
                .header("authorization", format!("Bearer {API_KEY}"))
                .header("content-type", "application/json")
                .body(Body::from("[]"))
                .unwrap();
            let (status, _, _) = app.send(req).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        }
        assert_eq!(
            log(&**app.store(), "c1").await,
            before,
            "{}",
            app.db.backend
        );
    }
}

/// No statement in the code can change or remove a log entry: the store only appends.
#[test]
fn no_command_or_route_has_a_statement_that_changes_the_consent_log() {
    let mut offending = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_default()
                .to_lowercase();
            let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for bad in [
                "update consent_log",
                "delete from consent_log",
                "truncate consent_log",
            ] {
                if squeezed.contains(bad) {
                    offending.push(format!("{}: {bad}", path.display()));
                }
            }
        }
    }
    assert!(offending.is_empty(), "{offending:#?}");
}

#[tokio::test]
async fn the_api_logs_a_customer_it_creates_and_returns_the_log() {
    for app in apps().await {
        let body = json!([
            {"id": "c1", "email": "c1@example.com", "name": "Ann Lee"},
            {"id": "c2", "email": "c2@example.com", "consent_source": "paper form at the fair"}
        ]);
        let (status, _) = app
            .api("/api/v1/customers", Some(API_KEY), body.to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        // Sent again: the customers exist, no new consent.
        app.api("/api/v1/customers", Some(API_KEY), body.to_string())
            .await;
        let get = |key: Option<&'static str>, id: &'static str| {
            let mut req = Request::get(format!("/api/v1/customers/{id}/consent"));
            if let Some(k) = key {
                req = req.header("authorization", format!("Bearer {k}"));
            }
            app.send(req.body(Body::empty()).unwrap())
        };
        let (status, _, body) = get(Some(API_KEY), "c1").await;
        assert_eq!(status, StatusCode::OK, "{}", app.db.backend);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v["entries"][0]["action"], "given");
        assert_eq!(v["entries"][0]["source"], "api");
        assert_eq!(v["pending_confirmation"], false);
        assert!(!html(&body).contains("c1@example.com") && !html(&body).contains("Ann"));
        let (_, _, body) = get(Some(API_KEY), "c2").await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["entries"][0]["evidence"], "paper form at the fair");
        assert_eq!(get(None, "c1").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(get(Some(API_KEY), "nobody").await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn unsubscribes_and_spam_complaints_are_logged_as_withdrawn() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        app.customer("c2", "c2@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/u/{}", app.signer.sign_unsubscribe(d));
        let req = Request::post(&uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", BROWSER)
            .header("x-forwarded-for", "192.0.2.10, 10.0.0.1")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::OK);
        let entries = log(&**app.store(), "c1").await;
        assert_eq!(entries.len(), 1, "{}", app.db.backend);
        let e = &entries[0];
        assert_eq!(
            (e.action, e.topic, e.source.as_str()),
            (ConsentAction::Withdrawn, None, "one_click")
        );
        assert_eq!(e.ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(e.user_agent.as_deref(), Some(BROWSER));

        let complaint = json!({"customer_id": "c2", "kind": "spam_complaint",
            "occurred_at": an_hour_ago().to_rfc3339()});
        let (status, _) = app
            .api("/api/v1/events", Some(API_KEY), complaint.to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        let entries = log(&**app.store(), "c2").await;
        assert_eq!(entries.len(), 1, "{}", app.db.backend);
        assert_eq!(
            (entries[0].action, entries[0].source.as_str()),
            (ConsentAction::Withdrawn, "complaint")
        );
    }
}

#[tokio::test]
async fn the_preference_page_on_get_changes_nothing() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "fa").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let (status, _, body) = app
            .get(&format!("/u/{}", app.signer.sign_unsubscribe(d)))
            .await;
        assert_eq!(status, StatusCode::OK);
        let page = html(&body);
        assert!(page.contains("lang=\"fa\" dir=\"rtl\""), "{page}");
        for t in Topic::ALL {
            assert!(page.contains(&format!("value=\"{}\"", t.name())), "{page}");
        }
        assert!(page.contains("value=\"all\""));
        assert!(
            log(&**app.store(), "c1").await.is_empty(),
            "{}",
            app.db.backend
        );
        let state = app.store().customer_consent("c1").await.unwrap().unwrap();
        assert!(state.left_topics.is_empty() && !state.pending);
        assert_eq!(
            app.store().suppression("c1@example.com").await.unwrap(),
            None
        );
        assert!(app.events().await.is_empty());
    }
}

#[tokio::test]
async fn leaving_a_topic_on_the_page_is_logged_and_kept_and_the_address_stays_mailable() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/u/{}", app.signer.sign_unsubscribe(d));
        let (status, _, body) = app
            .post(&uri, "application/x-www-form-urlencoded", "topic=offers")
            .await;
        assert_eq!(status, StatusCode::OK, "{}", html(&body));
        let (status, _, _) = app
            .post(&uri, "application/x-www-form-urlencoded", "topic=deals")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let state = app.store().customer_consent("c1").await.unwrap().unwrap();
        assert_eq!(state.left_topics, [Topic::Offers], "{}", app.db.backend);
        assert_eq!(
            app.store().suppression("c1@example.com").await.unwrap(),
            None
        );
        let entries = log(&**app.store(), "c1").await;
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (
                entries[0].action,
                entries[0].topic,
                entries[0].source.as_str()
            ),
            (
                ConsentAction::Withdrawn,
                Some(Topic::Offers),
                "preference_page"
            )
        );
        // The page now says so.
        let (_, _, body) = app.get(&uri).await;
        assert!(!html(&body).contains("value=\"offers\""));
    }
}

fn config() -> rapport::config::Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let mut c =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    c.paths.campaigns = concat!(env!("CARGO_MANIFEST_DIR"), "/config/campaigns").into();
    c.paths.templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
    c.consent.double_opt_in = true;
    c
}

/// One full cycle with the shipped campaigns at `at`.
/// Noon (UTC) tomorrow: hours after the signup, and outside the default quiet hours
/// (21:00–08:00 in the customer's timezone, UTC here), so what a cycle then plans is due at
/// once whenever the test runs. `now + 2 h` fell in quiet hours for runs after 19:00 UTC:
/// the confirmation was deferred to 08:00 and `min_gap` then held the welcome back.
fn daytime_later() -> chrono::DateTime<chrono::Utc> {
    let tomorrow = chrono::Utc::now().date_naive() + chrono::TimeDelta::days(1);
    tomorrow.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

async fn cycle_at(store: &dyn Store, at: chrono::DateTime<chrono::Utc>) {
    let cfg = config();
    let campaigns = rapport::cli::load_campaigns(&cfg)
        .map_err(|_| "campaigns")
        .unwrap();
    let opts = rapport::cycle::CycleOptions {
        scope: rapport::store::Scope::All,
        now: at,
        dry_run: false,
    };
    rapport::cycle::run(store, &cfg, &campaigns, &opts)
        .await
        .unwrap();
}

/// (campaign, delivery id) of a customer's deliveries, oldest first.
async fn deliveries(db: &support::TestDb, customer: &str) -> Vec<(String, uuid::Uuid)> {
    let rows: Vec<(String, String)> = if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let r = sqlx::query_as(
            "SELECT campaign, id FROM deliveries WHERE customer_id = $1 ORDER BY send_at",
        )
        .bind(customer)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        r
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let r = sqlx::query_as(
            "SELECT campaign, id::text FROM deliveries WHERE customer_id = $1 ORDER BY send_at",
        )
        .bind(customer)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        r
    };
    rows.into_iter()
        .map(|(c, id)| (c, id.parse().unwrap()))
        .collect()
}

async fn double_opt_in_apps() -> Vec<http_common::App> {
    let mut out = Vec::new();
    for db in support::all_backends().await {
        out.push(
            http_common::app_with(db, |s| {
                s.consent.double_opt_in = true;
                s.consent.wording_version = Some("2026-12".into());
            })
            .await,
        );
    }
    out
}

#[tokio::test]
async fn no_marketing_before_the_confirmation_click() {
    for app in double_opt_in_apps().await {
        let req = Request::post("/subscribe")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", BROWSER)
            .header("x-forwarded-for", "198.51.100.4")
            .body(Body::from(
                "email=neda%40example.com&name=Neda&locale=fa&submit=Join",
            ))
            .unwrap();
        let (status, _, body) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{}", html(&body));
        assert!(html(&body).contains("dir=\"rtl\""));
        let ids = app
            .store()
            .customers_by_email(&["neda@example.com".into()])
            .await
            .unwrap();
        let id = ids["neda@example.com"].clone();
        let entries = log(&**app.store(), &id).await;
        assert_eq!(entries.len(), 1, "{}", app.db.backend);
        assert_eq!(
            (entries[0].action, entries[0].source.as_str()),
            (ConsentAction::Given, "signup_form")
        );
        assert_eq!(entries[0].ip.as_deref(), Some("198.51.100.4"));
        assert_eq!(entries[0].wording_version.as_deref(), Some("2026-12"));

        // Later the welcome would be due: only the confirmation is queued.
        let later = daytime_later();
        cycle_at(&**app.store(), later).await;
        let queued = deliveries(&app.db, &id).await;
        let campaigns: Vec<&str> = queued.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(campaigns, ["confirm-subscription"], "{}", app.db.backend);
        cycle_at(&**app.store(), later + chrono::TimeDelta::hours(1)).await;
        assert_eq!(deliveries(&app.db, &id).await.len(), 1, "sent once");

        // The link's GET asks and changes nothing; the POST confirms, once.
        let token = app
            .signer
            .sign(rapport::tracking::Purpose::Confirm, queued[0].1);
        let uri = format!("/c/{token}");
        let (status, _, body) = app.get(&uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html(&body).contains("<form method=\"post\""));
        assert!(
            app.store()
                .customer_consent(&id)
                .await
                .unwrap()
                .unwrap()
                .pending
        );
        for _ in 0..2 {
            let (status, _, _) = app
                .post(&uri, "application/x-www-form-urlencoded", "confirm=yes")
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        assert!(
            !app.store()
                .customer_consent(&id)
                .await
                .unwrap()
                .unwrap()
                .pending
        );
        let actions: Vec<(ConsentAction, String)> = log(&**app.store(), &id)
            .await
            .into_iter()
            .map(|e| (e.action, e.source))
            .collect();
        assert_eq!(
            actions,
            [
                (ConsentAction::Given, "signup_form".to_string()),
                (ConsentAction::Confirmed, "confirmation_link".to_string())
            ]
        );
        let confirmed = &log(&**app.store(), &id).await[1];
        assert_eq!(confirmed.user_agent.as_deref(), Some(BROWSER));
        assert_eq!(confirmed.wording_version.as_deref(), Some("2026-12"));
        // Confirmed: marketing is planned again (once `planner.min_gap` after the confirmation).
        let gap = config().planner.min_gap.chrono();
        cycle_at(&**app.store(), later + gap + chrono::TimeDelta::hours(1)).await;
        let campaigns: Vec<String> = deliveries(&app.db, &id)
            .await
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            campaigns,
            ["confirm-subscription", "welcome"],
            "{}",
            app.db.backend
        );
    }
}

#[tokio::test]
async fn the_sign_up_endpoint_validates_and_answers_json_without_telling_who_is_known() {
    for app in double_opt_in_apps().await {
        let post = |body: Value| {
            app.send(
                Request::post("/subscribe")
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
        };
        let (status, _, body) = post(json!({"email": "not an address", "colour": "red"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", html(&body));
        assert!(
            html(&body).contains("colour: unknown field"),
            "{}",
            html(&body)
        );
        let (status, _, body) = post(json!({"email": "not an address"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&body).contains("email"), "{}", html(&body));
        let (status, _, _) = app.post("/subscribe", "text/plain", "email=a@b.co").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        for _ in 0..2 {
            let (status, _, body) = post(json!({"email": "ann@example.com"})).await;
            assert_eq!(status, StatusCode::ACCEPTED);
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["status"], "pending_confirmation");
        }
        // The second sign-up of the address changed nothing.
        let ids = app
            .store()
            .customers_by_email(&["ann@example.com".into()])
            .await
            .unwrap();
        assert_eq!(log(&**app.store(), &ids["ann@example.com"]).await.len(), 1);
    }
}

#[tokio::test]
async fn unconfirmed_sign_ups_are_forgotten_after_the_ttl_and_their_log_stays() {
    for app in double_opt_in_apps().await {
        let old = (chrono::Utc::now() - chrono::TimeDelta::days(8)).to_rfc3339();
        let body = json!([
            {"id": "old", "email": "old@example.com", "created_at": old},
            {"id": "new", "email": "new@example.com"},
            {"id": "sure", "email": "sure@example.com", "created_at": old, "consent_source": "checkout"}
        ]);
        let (status, _) = app
            .api("/api/v1/customers", Some(API_KEY), body.to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        // The confirmation queued: forgetting deletes it with the customer.
        cycle_at(&**app.store(), chrono::Utc::now()).await;
        assert_eq!(
            deliveries(&app.db, "old").await.len(),
            1,
            "{}",
            app.db.backend
        );
        let now = chrono::Utc::now();
        let ttl = config().consent.unconfirmed_ttl.chrono();
        let forgotten = app
            .store()
            .forget_unconfirmed(now - ttl, 500, now)
            .await
            .unwrap();
        assert_eq!(forgotten, ["old"], "{}", app.db.backend);
        assert!(app.store().customer_consent("old").await.unwrap().is_none());
        assert!(deliveries(&app.db, "old").await.is_empty());
        assert!(app.store().customer_consent("new").await.unwrap().is_some());
        assert!(
            app.store()
                .customer_consent("sure")
                .await
                .unwrap()
                .is_some()
        );
        let actions: Vec<ConsentAction> = log(&**app.store(), "old")
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, [ConsentAction::Given, ConsentAction::Expired]);
    }
}

/// `rapport ARGS` against the test database, from the repository (its config/rapport.toml).
fn rapport_cli(db_url: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("RAPPORT__") || k == "RAPPORT_CONFIG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("RAPPORT__DATABASE__URL", db_url);
    cmd.output().expect("run rapport")
}

#[tokio::test]
async fn rapport_consent_prints_the_log_of_an_imported_customer() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::import::file(&dir, "customers.csv", CUSTOMERS_CSV);
    for db in support::all_backends().await {
        let out = rapport_cli(&db.url, &["import", "customers", &path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = rapport_cli(&db.url, &["consent", "c1"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        assert!(text.contains("consent log of customer c1"), "{text}");
        assert!(
            text.contains(
                "given      all          import  evidence: checkout checkbox 2025-03  wording: v3"
            ),
            "{text}"
        );
        assert!(!text.contains("sara@example.com"), "{text}");
        let out = rapport_cli(&db.url, &["consent", "c1", "--format", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["entries"][0]["source"], "import");
        let out = rapport_cli(&db.url, &["consent", "nobody"]);
        assert_eq!(out.status.code(), Some(1), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_queued_email_on_a_topic_left_meanwhile_is_cancelled_at_send_time() {
    let campaigns = rapport::cli::load_campaigns(&config())
        .map_err(|_| "campaigns")
        .unwrap();
    let rules = rapport::dispatch::UnlessRules::new(&campaigns);
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let sent = app.delivery("c1", &[], an_hour_ago()).await;
        let now = chrono::Utc::now();
        // A loyalty offer and a survey queued for later (quiet hours), then offers left.
        let queue = |campaign: &str| rapport::store::NewDelivery {
            id: uuid::Uuid::now_v7(),
            customer_id: "c1".into(),
            campaign: campaign.into(),
            occurrence: "week:2026-W48".into(),
            service: false,
            current: rapport::domain::Level::Accountable,
            target: rapport::domain::Level::Proactive,
            send_at: now + chrono::TimeDelta::minutes(5),
            message_id: format!("<{}@shop.example>", uuid::Uuid::now_v7()),
            unless_since: None,
            variant: None,
            held_out: false,
        };
        let (offer, survey) = (queue("loyalty-offer"), queue("satisfaction-survey"));
        app.store()
            .apply_cycle(&[], &[offer.clone(), survey.clone()], now)
            .await
            .unwrap();
        let uri = format!("/u/{}", app.signer.sign_unsubscribe(sent));
        app.post(&uri, "application/x-www-form-urlencoded", "topic=offers")
            .await;
        let claimed = app
            .store()
            .claim_due(rapport::store::Claim {
                now: now + chrono::TimeDelta::minutes(10),
                limit: 10,
                lease: chrono::TimeDelta::minutes(5),
                owner: "test",
            })
            .await
            .unwrap();
        let (keep, cancelled) = rules
            .cancel_pointless(&**app.store(), claimed)
            .await
            .unwrap();
        let kept: Vec<&str> = keep.iter().map(|d| d.campaign.as_str()).collect();
        assert_eq!(kept, ["satisfaction-survey"], "{}", app.db.backend);
        assert!(
            matches!(
                &cancelled[..],
                [rapport::store::DeliveryResult::Cancelled { id, reason }]
                    if *id == offer.id && reason.contains("left the topic `offers`")
            ),
            "{cancelled:?}"
        );
    }
}

#[tokio::test]
async fn an_erased_address_signing_up_again_gets_only_the_confirmation_and_its_click_lifts_the_suppression()
 {
    let outbox = tempfile::tempdir().unwrap();
    for app in double_opt_in_apps().await {
        let backend = app.db.backend;
        let create = |id: &str| json!({"id": id, "email": "pat@example.com", "locale": "en"});
        let (status, _) = app
            .api("/api/v1/customers", Some(API_KEY), create("p1").to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        let req = Request::delete("/api/v1/customers/p1")
            .header("authorization", format!("Bearer {API_KEY}"))
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(req).await.0, StatusCode::OK, "{backend}: forget");

        // Back through the API (double opt-in): stored, suppressed as erased before, pending.
        let (status, _) = app
            .api("/api/v1/customers", Some(API_KEY), create("p2").to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        let reason = app.store().suppression("pat@example.com").await.unwrap();
        assert!(reason.is_some_and(|r| r.starts_with("erased")), "{backend}");

        // Only the confirmation is planned, and it is sent despite the suppression.
        let later = daytime_later();
        cycle_at(&**app.store(), later).await;
        let queued = deliveries(&app.db, "p2").await;
        let campaigns: Vec<&str> = queued.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(campaigns, ["confirm-subscription"], "{backend}");
        let url = format!("file://{}", outbox.path().join(backend).display());
        let dispatcher =
            support::delivery::dispatcher(&support::delivery::config(&app.db.url, &url, 1), {
                app.store().clone()
            });
        let (_, report) = support::delivery::batch(&dispatcher, later).await;
        assert_eq!((report.sent, report.suppressed), (1, 0), "{backend}");

        // The click is the new consent: the suppression goes, marketing follows.
        let token = app
            .signer
            .sign(rapport::tracking::Purpose::Confirm, queued[0].1);
        let (status, _, _) = app
            .post(
                &format!("/c/{token}"),
                "application/x-www-form-urlencoded",
                "confirm=yes",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            app.store().suppression("pat@example.com").await.unwrap(),
            None,
            "{backend}"
        );
        let gap = config().planner.min_gap.chrono();
        cycle_at(&**app.store(), later + gap + chrono::TimeDelta::hours(1)).await;
        let campaigns: Vec<String> = deliveries(&app.db, "p2")
            .await
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(campaigns, ["confirm-subscription", "welcome"], "{backend}");
    }
}

/// An unconfirmed signup past its window is deleted with its history (`forget_unconfirmed`).
/// The cycle writes levels and history only for customers that still exist (PostgreSQL's
/// level_history and customer_levels have no key to customers, migrations 0058 and 0059), so
/// a level written for a customer who is gone by then leaves no row behind, on both backends.
#[tokio::test]
async fn a_level_written_for_a_customer_deleted_meanwhile_leaves_no_history() {
    for db in support::all_backends().await {
        let gone = rapport::store::LevelChange {
            customer_id: "deleted-meanwhile".into(),
            from: None,
            current: rapport::domain::Level::Reactive,
            target: rapport::domain::Level::Proactive,
            reasons: vec!["2 orders in 365 d".into()],
        };
        let written = db
            .store
            .apply_cycle(std::slice::from_ref(&gone), &[], chrono::Utc::now())
            .await;
        written
            .unwrap_or_else(|e| panic!("{}: the customer who is gone is skipped: {e}", db.backend));
        assert!(
            db.store.current_levels().await.unwrap().is_empty(),
            "{}: no level stored",
            db.backend
        );
        assert_eq!(
            db.store
                .level_history("deleted-meanwhile")
                .await
                .unwrap()
                .len(),
            0,
            "{}",
            db.backend
        );
    }
}
