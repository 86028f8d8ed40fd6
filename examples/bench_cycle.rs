//! The assess + plan budget (docs/performance.md): 1,000,000 customers with 10,000,000 orders and events,
//! a full cycle ≤ 5 s, an incremental cycle after 10,000 customers changed ≤ 0.5 s, ≤ 200 MiB.
//!
//!     cargo run --release --example bench_cycle            # SQLite, then PostgreSQL
//!     BENCH_CUSTOMERS=100000 cargo run --release --example bench_cycle   # a smaller run
//!     BENCH_BACKENDS=postgres cargo run --release --example bench_cycle  # one backend
//!     BENCH_RANK_BY=predicted_value cargo run --release --example bench_cycle  # tiers by predicted value
//!
//! Run it twice: the first run generates and imports the data, and the import's memory
//! counts towards that process's peak RSS; the second run measures the cycles alone.
//! `BENCH_FRESH=1` drops the databases of the backends it runs first: the first cycles then run on a database that
//! was just imported (no VACUUM, no manual ANALYZE), as a new user's would.
//!
//! Generates the data set with the data generator (once, into bench-data/), imports it once
//! per backend (kept between runs), then times: the first full cycle (every level written),
//! a steady-state full cycle, and an incremental cycle after 10,000 customers got an event.
//! PostgreSQL: `RAPPORT_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432/test); the
//! benchmark uses its own database `rapport_bench_cycle` next to it.

#[path = "common/catalog.rs"]
mod catalog;
#[path = "common/datagen.rs"]
mod datagen;

use chrono::{DateTime, Utc};
use rapport::cli::load_campaigns;
use rapport::config::{self, Config};
use rapport::cycle::{self, CycleOptions};
use rapport::import::{Entity, ImportOptions, RecordDefaults, import_file};
use rapport::store::{self, Scope, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const NOW: &str = "2026-11-25T09:00:00Z";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resets the peak RSS (VmHWM) to the current RSS, so that the import and the other
/// backend's run do not count towards a cycle's peak (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_u64("BENCH_CUSTOMERS", 1_000_000);
    let orders = customers * 4;
    let events = customers * 6;
    let dir = format!("bench-data/cycle-{customers}");
    let spec = datagen::Spec {
        customers,
        orders,
        events,
        seed: 7,
        anchor: NOW.parse::<DateTime<Utc>>()?.timestamp(),
        history_days: 3 * 365,
        items: false,
    };
    std::fs::create_dir_all(&dir)?;
    let file = |n: &str| format!("{dir}/{n}.csv");
    if !Path::new(&file("events")).exists() {
        let t = Instant::now();
        datagen::write_customers(&spec, Path::new(&file("customers")), datagen::Format::Csv)?;
        datagen::write_orders(&spec, Path::new(&file("orders")), datagen::Format::Csv)?;
        datagen::write_events(&spec, Path::new(&file("events")), datagen::Format::Csv)?;
        println!(
            "generated {customers} customers, {orders} orders, {events} events in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let mut cfg: Config =
        config::load(Path::new(config::DEFAULT_PATH)).map_err(|e| anyhow::anyhow!("{e}"))?;
    // BENCH_CAMPAIGNS=examples/bench_campaigns: the five campaigns with conditions (one on
    // the triggering order's lines) instead of the shipped ones.
    if let Ok(campaigns) = std::env::var("BENCH_CAMPAIGNS") {
        cfg.paths.campaigns = campaigns.into();
        println!("campaigns: {}", cfg.paths.campaigns.display());
    }
    // BENCH_RANK_BY=predicted_value: the strategy matrix ranks by the purchase-rhythm model's
    // predicted margin (every customer scored on full cycles) instead of last year's margin.
    if std::env::var("BENCH_RANK_BY").is_ok_and(|v| v == "predicted_value") {
        cfg.strategy.rank_by = config::RankBy::PredictedValue;
        println!("strategy.rank_by = predicted_value");
    }
    let campaigns = load_campaigns(&cfg).map_err(|_| anyhow::anyhow!("campaigns do not load"))?;

    // BENCH_BACKENDS=postgres (or sqlite) runs one backend: its own process, its own peak RSS.
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    // BENCH_FRESH=1: measure a new user's first hour — drop the databases of the backends
    // run (only those) and import again.
    let start_fresh = std::env::var("BENCH_FRESH").is_ok_and(|v| v == "1");
    if start_fresh && backends.contains("sqlite") {
        for f in ["rapport.db", "rapport.db-wal", "rapport.db-shm"] {
            let _ = std::fs::remove_file(format!("{dir}/{f}"));
        }
    }
    let sqlite_url = format!("sqlite://{dir}/rapport.db");
    cfg.database.url = config::SecretUrl::new(&sqlite_url);
    if backends.contains("sqlite") {
        run_backend("sqlite", &sqlite_url, &cfg, &campaigns, &dir).await?;
    }
    if !backends.contains("postgres") {
        return Ok(());
    }

    let pg_base = std::env::var("RAPPORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = sqlx::PgPool::connect(&pg_base).await?;
    let db = format!("rapport_bench_cycle_{customers}");
    if start_fresh {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&db)
            .fetch_one(&admin)
            .await?;
    if !exists {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&admin)
            .await?;
    }
    let pg_url = format!(
        "{}/{db}",
        pg_base.rsplit_once('/').map(|x| x.0).unwrap_or(&pg_base)
    );
    cfg.database.url = config::SecretUrl::new(&pg_url);
    run_backend("postgres", &pg_url, &cfg, &campaigns, &dir).await?;
    println!(
        "peak RSS of the PostgreSQL cycles: {:.0} MiB",
        peak_rss_mib()
    );
    Ok(())
}

async fn run_backend(
    name: &str,
    url: &str,
    cfg: &Config,
    campaigns: &[rapport::campaigns::Campaign],
    dir: &str,
) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = store::connect(url, 8).await?;
    store.migrate().await?;
    let now: DateTime<Utc> = NOW.parse()?;
    let fresh = store.counts().await?.events == 0;
    if fresh {
        let t = Instant::now();
        let defaults = RecordDefaults::from_config(cfg, now);
        for (entity, f) in [
            (Entity::Customers, "customers"),
            (Entity::Orders, "orders"),
            (Entity::Events, "events"),
        ] {
            let te = Instant::now();
            let r = import_file(
                &*store,
                entity,
                &format!("{dir}/{f}.csv"),
                &defaults,
                &ImportOptions {
                    skip_invalid: false,
                    progress: false,
                    erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
                },
            )
            .await?;
            anyhow::ensure!(
                r.rejected.is_empty(),
                "{f}: {} rejected, first: {:?}",
                r.rejected.len(),
                r.rejected.first()
            );
            let secs = te.elapsed().as_secs_f64();
            println!(
                "[{name}] imported {} {f} in {secs:.1} s: {:.0} rows/s (budget >= 50,000)",
                r.rows,
                r.rows as f64 / secs
            );
        }
        println!(
            "[{name}] imported the data set in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        // Nothing else: no VACUUM, no ANALYZE by hand. A new user imports and runs the
        // daemon; the import refreshes the planner statistics itself.
    }
    let c = store.counts().await?;
    println!(
        "[{name}] {} customers, {} orders, {} events; database {}",
        c.customers,
        c.orders,
        c.events,
        if fresh {
            "freshly imported by this run (no VACUUM, no manual ANALYZE)"
        } else {
            "imported by an earlier run (aged: earlier cycles ran on it)"
        }
    );
    if url.starts_with("postgres") {
        // The server's buffer cache decides whether an incremental cycle's random reads hit
        // shared memory or copy pages from the OS cache (docs/performance.md).
        let pool = sqlx::PgPool::connect(url).await?;
        let (buffers, version): (String, String) = sqlx::query_as(
            "SELECT current_setting('shared_buffers'), current_setting('server_version')",
        )
        .fetch_one(&pool)
        .await?;
        pool.close().await;
        println!("[{name}] server: PostgreSQL {version}, shared_buffers = {buffers}");
    }
    reset_peak_rss();
    for (label, scope) in [
        ("full cycle", Scope::All),
        ("full cycle, steady state", Scope::All),
    ] {
        let r = cycle::run(
            &*store,
            cfg,
            campaigns,
            &CycleOptions {
                scope,
                now,
                dry_run: false,
            },
        )
        .await?;
        println!(
            "[{name}] {label}: {:.2} s ({} assessed, {} level changes, {} queued); peak RSS {:.0} MiB",
            r.seconds,
            r.assessed,
            r.level_changes,
            r.queued,
            peak_rss_mib()
        );
        println!("[{name}]   {} candidates; {}", r.candidates, r.phases);
    }
    // 10,000 customers get a click now: the incremental cycle must look at them only. Each
    // run picks another 10,000 (an offset from the clock): customers clicked by an earlier
    // run have nothing new to assess, and their cycle would write nothing.
    let mut tx = store.begin_import().await?;
    let mut events = Vec::with_capacity(10_000);
    let step = (c.customers / 10_000).max(1);
    let bench_at = Utc::now();
    let offset = bench_at.timestamp_millis() as u64 % step;
    for i in 0..10_000u64.min(c.customers) {
        let id = rapport::domain::CustomerId::parse(&datagen::customer_id(i * step + offset))?;
        events.push(rapport::import::EventRecord {
            id: Some(format!("bench-{}-{i}", bench_at.timestamp_millis())),
            customer_id: id,
            kind: rapport::domain::EventKind::EmailClick,
            occurred_at: now - chrono::TimeDelta::minutes(1),
            data: Default::default(),
            machine: false,
            delivery_id: None,
        });
    }
    tx.insert_events(&events, Utc::now()).await?;
    tx.commit().await?;
    // The insert above ran with the import's large SQLite cache: not the cycle's memory.
    reset_peak_rss();
    let before = peak_rss_mib();
    let scope = cycle::incremental_scope(&*store).await?;
    let r = cycle::run(
        &*store,
        cfg,
        campaigns,
        &CycleOptions {
            scope,
            now,
            dry_run: false,
        },
    )
    .await?;
    println!(
        "[{name}] incremental cycle after 10,000 customers changed: {:.2} s ({} assessed, {} level changes, {} queued); peak RSS {:.0} MiB ({before:.0} MiB before the cycle)",
        r.seconds,
        r.assessed,
        r.level_changes,
        r.queued,
        peak_rss_mib()
    );
    println!("[{name}]   {} candidates; {}", r.candidates, r.phases);
    Ok(())
}
