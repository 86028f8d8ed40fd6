//! Generates a shop-like data set for benchmarks: N customers, M orders, K events,
//! deterministic from a seed.
//!
//!     cargo run --release --example generate -- \
//!         --customers 1000000 --orders 4000000 --events 6000000 --seed 1 --out data/bench
//!
//! writes `OUT/customers.csv`, `OUT/orders.csv` and `OUT/events.csv` (`--format jsonl` for
//! JSONL), ready for `rapport import customers|orders|events FILE`. The three files are
//! written in parallel; the same arguments always give the same bytes.

#[path = "common/catalog.rs"]
mod catalog;
#[path = "common/datagen.rs"]
mod datagen;

use clap::Parser;
use datagen::{Format, Spec};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Generate customers, orders and events for rapport benchmarks")]
struct Args {
    /// Number of customers.
    #[arg(long, default_value_t = 10_000)]
    customers: u64,
    /// Number of orders, spread over customers by a Pareto law (35 % never order).
    #[arg(long, default_value_t = 40_000)]
    orders: u64,
    /// Number of events (mostly opens and clicks).
    #[arg(long, default_value_t = 60_000)]
    events: u64,
    /// Same seed, same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long, default_value = "data/generated")]
    out: PathBuf,
    /// "Now" of the data set: nothing happens after it.
    #[arg(long, default_value = "2026-11-25T09:00:00Z")]
    anchor: chrono::DateTime<chrono::Utc>,
    /// How far back customers signed up, in days.
    #[arg(long, default_value_t = 3 * 365)]
    history_days: i64,
    /// csv or jsonl.
    #[arg(long, default_value = "csv", value_parser = ["csv", "jsonl"])]
    format: String,
    /// Leave out order lines (`items`): smaller files, faster imports.
    #[arg(long)]
    no_items: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.customers > 0, "--customers must be at least 1");
    let format = if args.format == "jsonl" {
        Format::Jsonl
    } else {
        Format::Csv
    };
    let spec = Spec {
        customers: args.customers,
        orders: args.orders,
        events: args.events,
        seed: args.seed,
        anchor: args.anchor.timestamp(),
        history_days: args.history_days.max(1),
        items: !args.no_items,
    };
    std::fs::create_dir_all(&args.out)?;
    let path = |name: &str| args.out.join(format!("{name}.{}", format.ext()));
    let started = Instant::now();
    let (c, o, e) = std::thread::scope(|s| {
        let c = s.spawn(|| {
            timed(&path("customers"), |p| {
                datagen::write_customers(&spec, p, format)
            })
        });
        let o = s.spawn(|| timed(&path("orders"), |p| datagen::write_orders(&spec, p, format)));
        let e = timed(&path("events"), |p| datagen::write_events(&spec, p, format));
        (c.join(), o.join(), e)
    });
    for r in [c.expect("customers thread"), o.expect("orders thread"), e] {
        r?;
    }
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn timed(path: &Path, write: impl FnOnce(&Path) -> std::io::Result<u64>) -> anyhow::Result<()> {
    let t = Instant::now();
    let rows = write(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "{}: {rows} rows, {:.0} MiB, {:.1} s",
        path.display(),
        bytes as f64 / (1 << 20) as f64,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
