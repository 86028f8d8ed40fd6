//! A shop in a temporary folder for the issue 19 tests (conditions, segments, new triggers,
//! follow-ups): campaigns and segments written by the test, the shipped templates, a
//! database of either backend, data imported through the real import path (files and
//! `import_file`), full cycles and dispatches at chosen instants, and an in-memory transport
//! (`stub://`) that shows what reached it.
#![allow(dead_code)] // each test binary uses its own subset

pub mod cli;

use crate::support::TestDb;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use rapport::cli::Engine;
use rapport::config::{self, Config};
use rapport::cycle::{self, CycleOptions, CycleReport};
use rapport::dispatch::DispatchReport;
use rapport::import::{Entity, ImportOptions, ImportReport, RecordDefaults, import_file};
use rapport::mailer::{StubTransport, Transport};
use rapport::store::Scope;
use sqlx::Row;
use std::path::{Path, PathBuf};

/// Noon UTC, 400 days before today: every instant a test uses lies between this and the
/// present, so that imports (which refuse times ahead of their clock) and the dispatcher's
/// replay clock agree, and no cycle falls into quiet hours (21:00–08:00 local).
pub fn base() -> DateTime<Utc> {
    let day = (Utc::now() - TimeDelta::days(400)).date_naive();
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

pub fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

pub fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `files` (name, text) into `dir`, creating it.
pub fn write_all(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// A campaign file: `[audience]` and `[trigger]` bodies given, everything else fixed. The
/// template must render without an occurrence unless the trigger brings an order.
pub fn campaign(template: &str, priority: i32, audience: &str, trigger: &str) -> String {
    format!(
        "name = \"Test campaign\"\npriority = {priority}\ntemplate = \"{template}\"\n\n\
         [subject]\nen = \"A test email\"\nfa = \"یک ایمیل آزمایشی\"\n\n\
         [audience]\n{audience}\n\n[trigger]\n{trigger}\n"
    )
}

/// Every level: the campaigns of these tests are chosen by their trigger and conditions.
pub const ALL_LEVELS: &str =
    "levels = [\"basic\", \"reactive\", \"accountable\", \"proactive\", \"partnership\"]";

/// One row of the outbox, as these tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub customer_id: String,
    pub campaign: String,
    pub occurrence: String,
    pub status: String,
    pub last_error: Option<String>,
    pub message_id: String,
}

macro_rules! delivery {
    ($r:expr) => {
        Delivery {
            customer_id: $r.get(0),
            campaign: $r.get(1),
            occurrence: $r.get(2),
            status: $r.get(3),
            last_error: $r.get(4),
            message_id: $r.get(5),
        }
    };
}
pub struct Shop {
    pub db: TestDb,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub engine: Engine,
    pub stub: StubTransport,
}

/// The shipped configuration with this test's database, folders and the in-memory transport.
pub fn config_for(db_url: &str, dir: &Path) -> Config {
    let text = std::fs::read_to_string(root().join("config/rapport.toml")).unwrap();
    let overrides: Vec<(String, String)> = [
        ("RAPPORT__DATABASE__URL", db_url.to_string()),
        ("RAPPORT__SMTP__URL", "stub://".to_string()),
        ("RAPPORT__SMTP__POOL_SIZE", "2".to_string()),
        (
            "RAPPORT__PATHS__CAMPAIGNS",
            dir.join("campaigns").display().to_string(),
        ),
        (
            "RAPPORT__PATHS__SEGMENTS",
            dir.join("segments").display().to_string(),
        ),
        (
            "RAPPORT__PATHS__TEMPLATES",
            root().join("templates").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    config::load_str("config/rapport.toml", &text, &overrides).expect("test configuration")
}

impl Shop {
    /// A shop on `db` with these campaign and segment files (name, text).
    pub fn new(db: TestDb, campaigns: &[(&str, &str)], segments: &[(&str, &str)]) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        write_all(&dir.path().join("campaigns"), campaigns);
        write_all(&dir.path().join("segments"), segments);
        let config = config_for(&db.url, dir.path());
        let engine = Engine::load(&config).unwrap_or_else(|e| panic!("engine: {e:?}"));
        let stub = match &engine.transports[0] {
            Transport::Stub(s) => s.clone(),
            other => panic!("expected the stub transport, got {}", other.describe()),
        };
        Shop {
            db,
            dir,
            config,
            engine,
            stub,
        }
    }

    pub fn backend(&self) -> &'static str {
        self.db.backend
    }

    /// A full cycle at `at`.
    pub async fn cycle(&self, at: DateTime<Utc>) -> CycleReport {
        cycle::run(
            &*self.db.store,
            &self.config,
            &self.engine.campaigns,
            &CycleOptions {
                scope: Scope::All,
                now: at,
                dry_run: false,
            },
        )
        .await
        .expect("cycle")
    }

    /// The emails one full cycle at `at` queued: (customer, campaign, occurrence).
    pub async fn queued_by_cycle(&self, at: DateTime<Utc>) -> Vec<(String, String, String)> {
        let report = self.cycle(at).await;
        let mut v: Vec<_> = report
            .planned
            .into_iter()
            .map(|p| (p.customer_id, p.campaign, p.occurrence))
            .collect();
        v.sort();
        assert_eq!(
            v.len() as u64,
            report.queued,
            "{}: every planned email is queued",
            self.backend()
        );
        v
    }

    /// Sends everything due at `at`, the dispatcher's clock set to `at` (as `run --once
    /// --now` does), with the dispatcher `rapport run` builds.
    pub async fn dispatch(&self, at: DateTime<Utc>) -> DispatchReport {
        let d = self
            .engine
            .dispatcher(&self.config, self.db.store.clone())
            .with_clock(at);
        d.drain(at).await.expect("dispatch")
    }

    /// Writes `body` to `name` and imports it as `entity` with the import's clock at `at`;
    /// every row must be stored.
    pub async fn import(
        &self,
        entity: Entity,
        name: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> ImportReport {
        let path = self.dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let defaults = RecordDefaults::from_config(&self.config, at);
        let report = import_file(
            &*self.db.store,
            entity,
            &path.display().to_string(),
            &defaults,
            &ImportOptions {
                skip_invalid: false,
                progress: false,
                erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
            },
        )
        .await
        .expect("import runs");
        assert!(
            report.committed && report.rejected.is_empty(),
            "{}: {name}: {:?}",
            self.backend(),
            report.rejected
        );
        report
    }

    /// Every delivery, oldest first.
    pub async fn outbox(&self) -> Vec<Delivery> {
        const SQL: &str = "SELECT customer_id, campaign, occurrence, status, last_error, message_id \
                           FROM deliveries ORDER BY created_at, customer_id, campaign";
        if self.db.backend == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query(SQL).fetch_all(&pool).await.unwrap();
            let out: Vec<Delivery> = rows.iter().map(|r| delivery!(r)).collect();
            pool.close().await;
            out
        } else {
            let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query(SQL).fetch_all(&pool).await.unwrap();
            let out: Vec<Delivery> = rows.iter().map(|r| delivery!(r)).collect();
            pool.close().await;
            out
        }
    }

    /// The deliveries of one campaign.
    pub async fn deliveries_of(&self, campaign: &str) -> Vec<Delivery> {
        self.outbox()
            .await
            .into_iter()
            .filter(|d| d.campaign == campaign)
            .collect()
    }

    /// The recipients of every email the transport accepted, in order.
    pub fn sent_to(&self) -> Vec<String> {
        self.stub.messages().into_iter().map(|m| m.to).collect()
    }

    /// The Message-IDs of every email the transport accepted.
    pub fn sent_message_ids(&self) -> Vec<String> {
        self.stub
            .messages()
            .into_iter()
            .map(|m| m.message_id)
            .collect()
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// A customers CSV: one line per (id, locale, created_at, attributes JSON or "").
pub fn customers_csv(rows: &[(&str, &str, DateTime<Utc>, &str)]) -> String {
    let mut out = String::from("id,email,name,locale,timezone,subscribed,created_at,attributes\n");
    for (id, locale, created, attributes) in rows {
        let tz = if *locale == "fa" {
            "Asia/Tehran"
        } else {
            "UTC"
        };
        let attributes = if attributes.is_empty() {
            String::new()
        } else {
            format!("\"{}\"", attributes.replace('"', "\"\""))
        };
        out.push_str(&format!(
            "{id},{id}@example.com,Person {id},{locale},{tz},true,{},{attributes}\n",
            created.to_rfc3339()
        ));
    }
    out
}

/// One event as a JSONL line (a survey answer scores 9).
pub fn event_line(customer: &str, kind: &str, at: DateTime<Utc>) -> String {
    let data = if kind == "survey_response" {
        serde_json::json!({"score": 9})
    } else {
        serde_json::json!({})
    };
    serde_json::json!({"customer_id": customer, "kind": kind, "occurred_at": at.to_rfc3339(), "data": data})
        .to_string()
        + "\n"
}

/// One order as a JSONL line, with item SKUs.
pub fn order_line(id: &str, customer: &str, at: DateTime<Utc>, skus: &[&str]) -> String {
    let items: Vec<_> = skus
        .iter()
        .map(|s| serde_json::json!({"sku": s, "name": format!("Product {s}"), "qty": 1, "price": 20}))
        .collect();
    serde_json::json!({
        "id": id, "customer_id": customer, "occurred_at": at.to_rfc3339(),
        "amount": 80, "currency": "EUR", "items": items,
    })
    .to_string()
        + "\n"
}
