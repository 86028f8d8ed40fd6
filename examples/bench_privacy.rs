//! Erasure, export and retention on a large database (issue 21, docs/privacy.md):
//!
//!     cargo run --release --example bench_privacy -- --backend sqlite --customers 100000 --events 2000000
//!
//! Generates `--customers` customers and `--events` reply events spread evenly over the
//! last four years (half of them older than the 730-day retention), then times: one
//! `forget` (the whole transaction) and one `export` of a customer with its share of events;
//! the retention sweep that deletes every event past 730 days as the daemon does it
//! (1,000 per transaction), with its rate and the longest single batch — how long the
//! database's write lock is held at most, what the cycle and senders may wait. PostgreSQL:
//! `RAPPORT_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432/test) is only used to
//! create and finally drop `rapport_bench_privacy`.

use chrono::{TimeDelta, Utc};
use clap::Parser;
use rapport::domain::{CustomerId, EventKind, EventRecord};
use rapport::privacy::AddressKey;
use rapport::store::{self, Erasure, Store};
use std::time::Instant;

#[path = "common/plain_customers.rs"]
mod plain_customers;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    #[arg(long, default_value_t = 2_000_000)]
    events: usize,
}

async fn open(backend: &str) -> anyhow::Result<(std::sync::Arc<dyn Store>, Option<String>)> {
    if backend == "sqlite" {
        let dir =
            std::env::temp_dir().join(format!("rapport_bench_privacy_{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}/rapport.db", dir.display());
        return Ok((
            store::connect(&url, 4).await?,
            Some(dir.display().to_string()),
        ));
    }
    let base = drop_pg().await?;
    let admin = sqlx::PgPool::connect(&base).await?;
    sqlx::query("CREATE DATABASE rapport_bench_privacy")
        .execute(&admin)
        .await?;
    let (server, _) = base.rsplit_once('/').expect("URL ends with /DATABASE");
    Ok((
        store::connect(&format!("{server}/rapport_bench_privacy"), 8).await?,
        None,
    ))
}

/// Drops the benchmark's PostgreSQL database if it exists; returns the server's URL.
async fn drop_pg() -> anyhow::Result<String> {
    let base = std::env::var("RAPPORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = sqlx::PgPool::connect(&base).await?;
    sqlx::query("DROP DATABASE IF EXISTS rapport_bench_privacy WITH (FORCE)")
        .execute(&admin)
        .await?;
    Ok(base)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, dir) = open(&args.backend).await?;
    store.migrate().await?;
    let now = Utc::now();
    plain_customers::insert(&*store, args.customers, now).await?;
    let span = TimeDelta::days(4 * 365).num_seconds();
    let mut tx = store.begin_import().await?;
    let mut rows = Vec::with_capacity(5_000);
    for i in 0..args.events {
        // Oldest first, as events arrive.
        let age = span - span * i as i64 / args.events as i64;
        rows.push(EventRecord {
            id: Some(format!("e{i}")),
            customer_id: CustomerId::parse(&format!("c{}", i % args.customers))?,
            kind: EventKind::Reply,
            occurred_at: now - TimeDelta::seconds(age),
            data: serde_json::json!({"text": "Thanks, the parcel came today."})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            machine: false,
            delivery_id: None,
        });
        if rows.len() == 5_000 || i + 1 == args.events {
            tx.insert_events(&rows, now).await?;
            rows.clear();
        }
    }
    tx.commit().await?;
    println!(
        "{}: {} customers, {} events ({} per customer)",
        args.backend,
        args.customers,
        args.events,
        args.events / args.customers
    );

    let t = Instant::now();
    let exported = store.export_customer("c7").await?.expect("c7 exists");
    println!(
        "export c7: {:.1} ms ({} events)",
        t.elapsed().as_secs_f64() * 1e3,
        exported["events"].as_array().map_or(0, Vec::len)
    );
    let key = AddressKey::new(b"bench");
    let t = Instant::now();
    store
        .erase_customer(Erasure {
            customer_id: "c7",
            key: &key,
            by: "cli:bench",
            at: now,
        })
        .await?
        .expect("c7 exists");
    println!("forget c7: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);

    let before = now - TimeDelta::days(730);
    let (mut deleted, mut longest, mut batches) = (0u64, 0f64, 0u64);
    let t = Instant::now();
    let last = loop {
        let b = Instant::now();
        let n = store.delete_events_before(before, 1_000).await?;
        let took = b.elapsed().as_secs_f64();
        if n == 0 {
            // Finding that nothing is left reads the remaining events, without a lock.
            break took;
        }
        longest = longest.max(took);
        batches += 1;
        deleted += n;
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "retention: {deleted} events deleted in {secs:.1} s ({:.0} events/s, {batches} batches \
         of 1,000, longest {:.1} ms; the final look that finds none left {:.0} ms)",
        deleted as f64 / secs,
        longest * 1e3,
        last * 1e3
    );
    drop(store);
    match dir {
        Some(dir) => std::fs::remove_dir_all(dir)?,
        None => drop(drop_pg().await?),
    }
    Ok(())
}
