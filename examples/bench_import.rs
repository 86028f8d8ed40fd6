//! Import benchmark (docs/performance.md): 1,000,000 customers from CSV into a
//! fresh SQLite file and into a fresh PostgreSQL database, ≤ 30 s each.
//!
//!     cargo run --release --example bench_import
//!     cargo run --release --example bench_import -- --breakdown   # + parse vs database time
//!
//! The CSV is generated once (seeded, `examples/generate.rs`) under `--data` and reused.
//! PostgreSQL: `RAPPORT_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432/test) is
//! only used to create and finally drop a dedicated database, `rapport_bench_import`;
//! nothing else on that server is touched.

#[path = "common/catalog.rs"]
mod catalog;
#[path = "common/datagen.rs"]
mod datagen;

use anyhow::Context;
use clap::Parser;
use rapport::domain::{Locale, Timezone};
use rapport::import::{
    CUSTOMER_FIELDS, CustomerRecord, Entity, ImportOptions, RecordDefaults, Row, import_file,
};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BENCH_DB: &str = "rapport_bench_import";
// sqlx takes only literal SQL; these name BENCH_DB.
const DROP_DB: &str = "DROP DATABASE IF EXISTS rapport_bench_import WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE rapport_bench_import";
const BUDGET: Duration = Duration::from_secs(30);

#[derive(Parser)]
#[command(about = "Time `rapport import customers` of a large CSV on SQLite and PostgreSQL")]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Where the generated CSV is kept between runs.
    #[arg(long, default_value = "data/bench")]
    data: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Skip PostgreSQL.
    #[arg(long)]
    no_pg: bool,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Also time CSV parsing alone and database writes alone (a second import per backend).
    #[arg(long)]
    breakdown: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let csv = customers_csv(&args)?;
    let pg_url = std::env::var("RAPPORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    println!(
        "import of {} customers from {} (budget {} s each)",
        args.customers,
        csv.display(),
        BUDGET.as_secs()
    );
    if args.breakdown {
        let t = Instant::now();
        let n = parse_only(&csv)?;
        report("parse only (CSV + records)", n, t.elapsed(), false);
    }
    let mut over_budget = false;
    if !args.no_sqlite {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        over_budget |= bench(&url, "sqlite", &csv, args.customers).await?;
        if args.breakdown {
            let url = format!("sqlite://{}", dir.path().join("breakdown.db").display());
            breakdown(&url, "sqlite", &csv).await?;
        }
    }
    if !args.no_pg {
        let admin = sqlx::PgPool::connect(&pg_url)
            .await
            .with_context(|| format!("cannot reach PostgreSQL at RAPPORT_BENCH_PG_URL={pg_url}"))?;
        let url = with_database(&pg_url, BENCH_DB);
        let run = async {
            recreate(&admin).await?;
            over_budget |= bench(&url, "postgres", &csv, args.customers).await?;
            if args.breakdown {
                recreate(&admin).await?;
                breakdown(&url, "postgres", &csv).await?;
            }
            anyhow::Ok(())
        };
        let result = run.await;
        sqlx::query(DROP_DB).execute(&admin).await?;
        result?;
    }
    if over_budget {
        // A verdict, not a failure of the program: no error chain or backtrace.
        eprintln!("over budget (30 s)");
        std::process::exit(1);
    }
    Ok(())
}

/// Generates the CSV unless a file for the same size and seed is already there.
fn customers_csv(args: &Args) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(&args.data)?;
    let path = args.data.join(format!(
        "customers-{}-seed{}.csv",
        args.customers, args.seed
    ));
    if !path.exists() {
        let spec = datagen::Spec {
            customers: args.customers,
            orders: 0,
            events: 0,
            seed: args.seed,
            anchor: chrono::DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z")?.timestamp(),
            history_days: 3 * 365,
            items: false,
        };
        let t = Instant::now();
        let tmp = path.with_extension("csv.partial");
        datagen::write_customers(&spec, &tmp, datagen::Format::Csv)?;
        std::fs::rename(&tmp, &path)?;
        println!(
            "generated {} in {:.1} s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(path)
}

fn defaults() -> RecordDefaults {
    let mut d =
        RecordDefaults::from_config(&rapport::config::Config::default(), chrono::Utc::now());
    d.locale = Locale::parse("en").expect("en");
    d.timezone = Timezone::parse("UTC").expect("UTC");
    d
}

/// The measured figure: `import_file` exactly as `rapport import customers FILE` runs it,
/// into a freshly migrated database. Returns true when over budget.
async fn bench(url: &str, backend: &str, csv: &Path, expected: u64) -> anyhow::Result<bool> {
    let store = rapport::store::connect(url, 4).await?;
    store.migrate().await?;
    let opts = ImportOptions {
        skip_invalid: false,
        progress: false,
        erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
    };
    let t = Instant::now();
    let rep = import_file(
        &*store,
        Entity::Customers,
        &csv.display().to_string(),
        &defaults(),
        &opts,
    )
    .await?;
    let took = t.elapsed();
    let stored = store.counts().await?.customers;
    anyhow::ensure!(
        rep.committed && rep.rejected.is_empty() && stored == expected,
        "{backend}: {} (stored {stored} of {expected})",
        rep.summary()
    );
    Ok(report(&format!("{backend} import"), stored, took, true))
}

fn report(what: &str, rows: u64, took: Duration, budgeted: bool) -> bool {
    let secs = took.as_secs_f64();
    let over = took > BUDGET;
    let verdict = match (budgeted, over) {
        (false, _) => String::new(),
        (true, false) => "  within budget".into(),
        (true, true) => "  OVER BUDGET".into(),
    };
    println!(
        "{what:<28} {rows:>9} rows  {secs:>7.2} s  {:>9.0} rows/s{verdict}",
        rows as f64 / secs
    );
    budgeted && over
}

/// Reads the CSV as the importer does (header row, trimmed cells, a field map per row) and
/// parses every record, writing nothing.
fn parse_only(csv: &Path) -> anyhow::Result<u64> {
    let mut n = 0;
    for r in records(csv)? {
        r?;
        n += 1;
    }
    Ok(n)
}

fn records(csv: &Path) -> anyhow::Result<impl Iterator<Item = anyhow::Result<CustomerRecord>>> {
    let defaults = defaults();
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(
        std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(csv)?),
    );
    let names: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
    anyhow::ensure!(names.iter().all(|h| CUSTOMER_FIELDS.contains(&h.as_str())));
    Ok(rdr.into_records().map(move |rec| {
        let rec = rec?;
        let fields: Map<String, Value> = names
            .iter()
            .zip(rec.iter())
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        CustomerRecord::parse(&Row::new(&fields), &defaults)
            .map_err(|e| anyhow::anyhow!("line {:?}: {e}", rec.position()))
    }))
}

/// Parses and writes in chunks of 5,000 as the importer does, one after the other, timing
/// the two apart (on 2 shared cores, overlapping them would blur both figures).
async fn breakdown(url: &str, backend: &str, csv: &Path) -> anyhow::Result<()> {
    let store = rapport::store::connect(url, 4).await?;
    store.migrate().await?;
    let (mut parse, mut db) = (Duration::ZERO, Duration::ZERO);
    let mut rows = 0u64;
    let now = chrono::Utc::now();
    let total = Instant::now();
    let mut tx = store.begin_import().await?;
    let mut it = records(csv)?;
    loop {
        let t = Instant::now();
        let chunk: Vec<CustomerRecord> = it.by_ref().take(5_000).collect::<Result<_, _>>()?;
        parse += t.elapsed();
        if chunk.is_empty() {
            break;
        }
        let t = Instant::now();
        tx.upsert_customers(&chunk, now).await?;
        db += t.elapsed();
        rows += chunk.len() as u64;
    }
    let t = Instant::now();
    tx.commit().await?;
    db += t.elapsed();
    report(&format!("{backend}: parse"), rows, parse, false);
    report(&format!("{backend}: upsert_customers"), rows, db, false);
    report(
        &format!("{backend}: both, in sequence"),
        rows,
        total.elapsed(),
        false,
    );
    Ok(())
}

async fn recreate(admin: &sqlx::PgPool) -> anyhow::Result<()> {
    sqlx::query(DROP_DB).execute(admin).await?;
    sqlx::query(CREATE_DB).execute(admin).await?;
    Ok(())
}

/// `url` with its database name replaced (query string kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{db}{query}", &base[..path])
}
