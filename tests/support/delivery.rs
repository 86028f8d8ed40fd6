//! Delivery tests' set-up: customers and queued deliveries written through the library, a
//! configuration pointed at a test SMTP server, a dispatcher built the way `cli::Engine`
//! builds it, and the outbox rows read back for assertions.
#![allow(dead_code)] // each test binary uses its own subset

use super::TestDb;
use chrono::{DateTime, TimeZone, Utc};
use rapport::cli::Engine;
use rapport::config::{self, Config};
use rapport::dispatch::{DispatchReport, Dispatcher};
use rapport::domain::{CustomerId, EmailAddress, Level, Locale, Timezone};
use rapport::import::CustomerRecord;
use rapport::store::{NewDelivery, Store};
use sqlx::Row;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The campaign every test delivery belongs to: its template needs no occurrence record.
pub const CAMPAIGN: &str = "partnership-invitation";

/// The instant a test starts at: noon UTC of tomorrow (12–36 hours ahead of the clock), so
/// that the dispatcher's `max(now, clock)` is always `now` and time moves only when a test
/// passes a later instant (retry delays are then exact multiples of the schedule, ± jitter),
/// and so that a cycle at t0 or whole days later is never inside the shipped quiet hours
/// (21:00–08:00 local): a "day ahead of the clock" made tests run in the evening defer their
/// emails to the next morning.
pub fn t0() -> DateTime<Utc> {
    let tomorrow = (Utc::now() + chrono::TimeDelta::days(1)).date_naive();
    Utc.from_utc_datetime(&tomorrow.and_hms_opt(12, 0, 0).expect("noon"))
}

/// The shipped `config/rapport.toml` with `database.url`, `smtp.url` and the pool size
/// replaced, and the campaign and template folders made absolute (tests run anywhere).
pub fn config(database_url: &str, smtp_url: &str, pool_size: usize) -> Config {
    config_with(database_url, smtp_url, pool_size, "", &[])
}

/// Like [`config`], with TOML appended to the file (`[[transports]]` tables) and more
/// `RAPPORT__…` overrides.
pub fn config_with(
    database_url: &str,
    smtp_url: &str,
    pool_size: usize,
    more_toml: &str,
    more: &[(&str, &str)],
) -> Config {
    let (mut text, mut overrides) = config_parts(database_url, smtp_url, pool_size);
    text.push_str(more_toml);
    overrides.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    config::load_str("config/rapport.toml", &text, &overrides).expect("test configuration")
}

/// The configuration file text and the `RAPPORT__…` overrides behind [`config`], for
/// tests that start the binary.
pub fn config_parts(
    database_url: &str,
    smtp_url: &str,
    pool_size: usize,
) -> (String, Vec<(String, String)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/rapport.toml")).expect("shipped config");
    let overrides = [
        ("RAPPORT__DATABASE__URL", database_url.to_string()),
        ("RAPPORT__SMTP__URL", smtp_url.to_string()),
        ("RAPPORT__SMTP__POOL_SIZE", pool_size.to_string()),
        (
            "RAPPORT__PATHS__CAMPAIGNS",
            root.join("config/campaigns").display().to_string(),
        ),
        (
            "RAPPORT__PATHS__SEGMENTS",
            root.join("config/segments").display().to_string(),
        ),
        (
            "RAPPORT__PATHS__TEMPLATES",
            root.join("templates").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    (text, overrides)
}

/// A dispatcher built exactly as `rapport run` builds it.
pub fn dispatcher(config: &Config, store: Arc<dyn Store>) -> Dispatcher {
    let engine = Engine::load(config).unwrap_or_else(|e| panic!("engine: {e:?}"));
    engine.dispatcher(config, store)
}

/// `customer-{i}@example.org`, the address of test customer `i`.
pub fn address(i: usize) -> String {
    format!("customer-{i}@example.org")
}

/// Imports `n` customers (`c{i}`, [`address`]) and queues one delivery each, due at `now`.
/// Returns the Message-IDs by address.
pub async fn queue(store: &dyn Store, n: usize, now: DateTime<Utc>) -> HashMap<String, String> {
    queue_to(store, &(0..n).map(address).collect::<Vec<_>>(), now).await
}

/// Like [`queue`] with chosen addresses (a `bounce-…` local part makes the capture server
/// answer 550 5.1.1).
pub async fn queue_to(
    store: &dyn Store,
    addresses: &[String],
    now: DateTime<Utc>,
) -> HashMap<String, String> {
    let batch = Queued {
        ids: "c",
        campaign: CAMPAIGN,
        occurrence: "eligible:first",
        service: false,
    };
    queue_as(store, addresses, batch, now).await
}

/// What [`queue_as`] queues: customers `{ids}{i}`, one delivery each of `campaign`.
#[derive(Debug, Clone, Copy)]
pub struct Queued<'a> {
    pub ids: &'a str,
    pub campaign: &'a str,
    pub occurrence: &'a str,
    pub service: bool,
}

/// Like [`queue_to`] with other customer ids and another campaign (a second batch of
/// customers, a service email).
pub async fn queue_as(
    store: &dyn Store,
    addresses: &[String],
    q: Queued<'_>,
    now: DateTime<Utc>,
) -> HashMap<String, String> {
    let customers: Vec<CustomerRecord> = addresses
        .iter()
        .enumerate()
        .map(|(i, email)| CustomerRecord {
            id: CustomerId::parse(&format!("{}{i}", q.ids)).expect("id"),
            email: EmailAddress::parse(email).expect("email"),
            name: format!("Customer {i}"),
            locale: Locale::parse("en").expect("locale"),
            timezone: Timezone::parse("UTC").expect("timezone"),
            subscribed: true,
            created_at: now - chrono::TimeDelta::days(400),
            created_at_given: true,
            attributes: serde_json::Map::new(),
            target_override: None,
            consent_source: None,
            consent_wording: None,
        })
        .collect();
    let mut tx = store.begin_import().await.expect("begin import");
    for chunk in customers.chunks(5_000) {
        tx.upsert_customers(chunk, now).await.expect("customers");
    }
    tx.commit().await.expect("commit import");
    let deliveries: Vec<NewDelivery> = addresses
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let id = uuid::Uuid::now_v7();
            NewDelivery {
                id,
                customer_id: format!("{}{i}", q.ids),
                campaign: q.campaign.into(),
                occurrence: q.occurrence.into(),
                service: q.service,
                current: Level::Proactive,
                target: Level::Partnership,
                send_at: now,
                message_id: format!("<{id}@shop.example>"),
                unless_since: None,
                variant: None,
                held_out: false,
            }
        })
        .collect();
    for chunk in deliveries.chunks(5_000) {
        store.apply_cycle(&[], chunk, now).await.expect("queue");
    }
    addresses
        .iter()
        .cloned()
        .zip(deliveries.into_iter().map(|d| d.message_id))
        .collect()
}

/// One batch at `now`, with its report.
pub async fn batch(d: &Dispatcher, now: DateTime<Utc>) -> (usize, DispatchReport) {
    let mut report = DispatchReport::default();
    let n = d.run_batch(now, &mut report).await.expect("run batch");
    // run_batch records in the background while the next batch is sent; wait for it.
    d.flush().await.expect("record results");
    (n, report)
}

/// One outbox row, as the tests look at it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub email: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub message_id: String,
    pub last_error: Option<String>,
}

/// Every delivery, by recipient address.
pub async fn outbox(db: &TestDb) -> HashMap<String, OutboxRow> {
    outbox_at(db.backend, &db.url).await
}

pub async fn outbox_at(backend: &str, url: &str) -> HashMap<String, OutboxRow> {
    const COLUMNS: &str = "c.email, d.status, d.attempts, d.next_attempt_at, d.lease_until, \
                           d.message_id, d.last_error FROM deliveries d JOIN customers c ON c.id = d.customer_id";
    let rows: Vec<OutboxRow> = if backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(url).await.expect("open sqlite");
        let ms = |v: i64| Utc.timestamp_millis_opt(v).single().expect("timestamp");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}")))
            .fetch_all(&pool)
            .await
            .expect("read outbox");
        let out = rows
            .iter()
            .map(|r| OutboxRow {
                email: r.get(0),
                status: r.get(1),
                attempts: r.get(2),
                next_attempt_at: ms(r.get(3)),
                lease_until: r.get::<Option<i64>, _>(4).map(ms),
                message_id: r.get(5),
                last_error: r.get(6),
            })
            .collect();
        pool.close().await;
        out
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("open postgres");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}")))
            .fetch_all(&pool)
            .await
            .expect("read outbox");
        let out = rows
            .iter()
            .map(|r| OutboxRow {
                email: r.get(0),
                status: r.get(1),
                attempts: i64::from(r.get::<i32, _>(2)),
                next_attempt_at: r.get(3),
                lease_until: r.get(4),
                message_id: r.get(5),
                last_error: r.get(6),
            })
            .collect();
        pool.close().await;
        out
    };
    rows.into_iter().map(|r| (r.email.clone(), r)).collect()
}

/// The `Message-ID` header of a message (or of an `smtp-sink` dump).
pub fn message_id(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_string())
    })
}

/// How many times each Message-ID arrived.
pub fn arrivals<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for t in texts {
        let id = message_id(t).expect("every message has a Message-ID");
        *out.entry(id).or_default() += 1;
    }
    out
}
