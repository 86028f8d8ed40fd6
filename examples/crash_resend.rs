//! Crash re-send measurement (docs/architecture.md, "The outbox and its guarantees": a killed sender re-sends at most about
//! one connection pool plus one flush of emails, ≤ 100 per kill): the real `rapport run
//! --once` binary sends a queue to Postfix's `smtp-sink` on loopback at full speed and is
//! killed with SIGKILL `--kills` times mid-send, on SQLite and on PostgreSQL; each restart
//! comes six (simulated) minutes later, when the dead process's leases have expired, and a
//! last run sends the rest. smtp-sink dumps every message it accepted; the program counts
//! them by Message-ID against the outbox.
//!
//!     cargo build --release --examples
//!     cargo run --release --example crash_resend
//!     cargo run --release --example crash_resend -- --recipients 20000 --kills 10 --no-pg
//!
//! Per kill it prints the emails that arrived while their rows were still leased by the dead
//! process (what the next run sends again), and at the end the duplicates the sink received
//! in total, which must add up. PostgreSQL: `RAPPORT_BENCH_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/test) is only used to create and finally drop a
//! dedicated database, `rapport_bench_crash`.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use clap::Parser;
use rapport::domain::Level;
use rapport::store::{NewDelivery, Store};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/plain_customers.rs"]
mod plain_customers;
const BENCH_DB: &str = "rapport_bench_crash";
// sqlx takes only literal SQL; these name BENCH_DB.
const DROP_DB: &str = "DROP DATABASE IF EXISTS rapport_bench_crash WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE rapport_bench_crash";
const CAMPAIGN: &str = "partnership-invitation";
const BUDGET: usize = 100;

#[derive(Parser)]
#[command(about = "Emails sent twice per SIGKILL of a sending rapport, counted at smtp-sink")]
struct Args {
    #[arg(long, default_value_t = 30_000)]
    recipients: usize,
    #[arg(long, default_value_t = 10)]
    kills: usize,
    /// `smtp.pool_size`.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// The `rapport` binary (default: the one built beside this example).
    #[arg(long)]
    rapport: Option<PathBuf>,
    #[arg(long)]
    no_pg: bool,
    #[arg(long)]
    no_sqlite: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = match &args.rapport {
        Some(p) => p.clone(),
        // target/<profile>/examples/crash_resend → target/<profile>/rapport
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("cannot locate target dir")?
            .join("rapport"),
    };
    anyhow::ensure!(
        binary.exists(),
        "{} not found: build it first (cargo build --release)",
        binary.display()
    );
    let mut over = false;
    if !args.no_sqlite {
        let work = tempfile::tempdir()?;
        let url = format!("sqlite://{}", work.path().join("crash.db").display());
        over |= measure(&args, &binary, "sqlite", &url, work.path()).await?;
    }
    if !args.no_pg {
        let pg_url = std::env::var("RAPPORT_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let admin = sqlx::PgPool::connect(&pg_url)
            .await
            .with_context(|| format!("cannot reach PostgreSQL at RAPPORT_BENCH_PG_URL={pg_url}"))?;
        sqlx::query(DROP_DB).execute(&admin).await?;
        sqlx::query(CREATE_DB).execute(&admin).await?;
        let url = match pg_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{BENCH_DB}"),
            None => anyhow::bail!("RAPPORT_BENCH_PG_URL must end with /DATABASE"),
        };
        let work = tempfile::tempdir()?;
        let result = measure(&args, &binary, "postgres", &url, work.path()).await;
        sqlx::query(DROP_DB).execute(&admin).await?;
        over |= result?;
    }
    anyhow::ensure!(!over, "a kill re-sent more than {BUDGET} emails");
    Ok(())
}

/// Returns true when a kill went over the budget.
async fn measure(
    args: &Args,
    binary: &Path,
    backend: &str,
    url: &str,
    work: &Path,
) -> anyhow::Result<bool> {
    let store = rapport::store::connect(url, 4).await?;
    store.migrate().await?;
    // Noon UTC tomorrow: outside the shipped quiet hours, and ahead of the clock so that
    // `--now` (not the clock) decides what is due and when leases expire.
    let tomorrow = (Utc::now() + TimeDelta::days(1)).date_naive();
    let mut now = Utc.from_utc_datetime(&tomorrow.and_hms_opt(12, 0, 0).expect("noon"));
    let queued = queue(&*store, args.recipients, now).await?;
    let sink = Sink::start(work)?;
    let smtp = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
    println!(
        "{backend}: {} emails queued, {} kills, {} connections, smtp-sink on 127.0.0.1:{}",
        args.recipients, args.kills, args.connections, sink.port
    );
    let mut arrived = Arrivals::default();
    let mut resent = Vec::new();
    // Kill points spread over the queue; an odd step, so that kills land at every position
    // within a claimed batch of 500, not always at a batch boundary (where nothing is in
    // flight).
    let step = (args.recipients / (args.kills + 2))
        .saturating_sub(173)
        .max(1)
        | 1;
    for k in 0..args.kills {
        let mut child = spawn(binary, args, url, &smtp, now, work, &format!("run-{k}.log"))?;
        let target = sink.count() + step;
        let deadline = Instant::now() + Duration::from_secs(300);
        while sink.count() < target {
            anyhow::ensure!(
                child.try_wait()?.is_none(),
                "{backend}: run {k} ended before the kill"
            );
            anyhow::ensure!(Instant::now() < deadline, "{backend}: run {k} too slow");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill()?; // SIGKILL
        child.wait()?;
        // What the sink was still taking in was in flight: let it land.
        std::thread::sleep(Duration::from_millis(300));
        arrived.read_new(&sink.dir)?;
        let leased = leased_message_ids(backend, url).await?;
        let n = leased
            .iter()
            .filter(|id| arrived.count.contains_key(*id))
            .count();
        println!(
            "  kill {:>2}: {:>6} arrived so far, {:>4} rows leased by the dead process, {n:>3} of them already arrived (sent again next)",
            k + 1,
            arrived.total,
            leased.len()
        );
        resent.push(n);
        now += TimeDelta::minutes(6);
    }
    let mut last = spawn(binary, args, url, &smtp, now, work, "last.log")?;
    let status = last.wait()?;
    anyhow::ensure!(status.success(), "{backend}: last run failed: {status}");
    std::thread::sleep(Duration::from_millis(300));
    arrived.read_new(&sink.dir)?;
    let missing = queued
        .iter()
        .filter(|id| !arrived.count.contains_key(*id))
        .count();
    let duplicates: usize = arrived.count.values().map(|n| n - 1).sum();
    let max = resent.iter().copied().max().unwrap_or(0);
    let mean = resent.iter().sum::<usize>() as f64 / resent.len().max(1) as f64;
    println!(
        "{backend}: re-sent per kill {resent:?}: max {max}, mean {mean:.1} (budget ≤ {BUDGET}); smtp-sink received {} messages for {} distinct emails = {duplicates} duplicates; {missing} queued emails never arrived",
        arrived.total,
        arrived.count.len()
    );
    anyhow::ensure!(missing == 0, "{backend}: {missing} emails lost");
    Ok(max > BUDGET)
}

fn spawn(
    binary: &Path,
    args: &Args,
    db_url: &str,
    smtp_url: &str,
    now: DateTime<Utc>,
    work: &Path,
    log: &str,
) -> anyhow::Result<Child> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(binary)
        .arg("--config")
        .arg(root.join("config/rapport.toml"))
        .args(["run", "--once", "--now", &now.to_rfc3339()])
        .env("RAPPORT__DATABASE__URL", db_url)
        .env("RAPPORT__SMTP__URL", smtp_url)
        .env("RAPPORT__SMTP__POOL_SIZE", args.connections.to_string())
        .env("RAPPORT__PATHS__CAMPAIGNS", root.join("config/campaigns"))
        .env("RAPPORT__PATHS__TEMPLATES", root.join("templates"))
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join(log))?)
        .spawn()
        .context("spawn rapport")
}

/// Message-IDs of the deliveries still leased (`sending`).
async fn leased_message_ids(backend: &str, url: &str) -> anyhow::Result<Vec<String>> {
    const SQL: &str = "SELECT message_id FROM deliveries WHERE status = 'sending'";
    let rows = if backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let rows = sqlx::query(SQL).fetch_all(&pool).await?;
        let ids = rows.iter().map(|r| r.get(0)).collect();
        pool.close().await;
        ids
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let rows = sqlx::query(SQL).fetch_all(&pool).await?;
        let ids = rows.iter().map(|r| r.get(0)).collect();
        pool.close().await;
        ids
    };
    Ok(rows)
}

/// What smtp-sink dumped, by Message-ID; each file read once.
#[derive(Default)]
struct Arrivals {
    seen: HashSet<std::ffi::OsString>,
    count: HashMap<String, usize>,
    total: usize,
}

impl Arrivals {
    fn read_new(&mut self, dir: &Path) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            // Skip files still being written (smtp-sink leaves aborted transactions empty).
            if name.to_string_lossy().starts_with('.') || self.seen.contains(&name) {
                continue;
            }
            let text = std::fs::read(entry.path())?;
            let text = String::from_utf8_lossy(&text);
            let Some(id) = text.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.eq_ignore_ascii_case("message-id") && v.contains("@shop.example"))
                    .then(|| v.trim().to_string())
            }) else {
                continue;
            };
            self.seen.insert(name);
            *self.count.entry(id).or_default() += 1;
            self.total += 1;
        }
        Ok(())
    }
}

/// Customers `c{i}` and one delivery each, due at `now`; returns the Message-IDs.
async fn queue(store: &dyn Store, n: usize, now: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    plain_customers::insert(store, n, now).await?;
    let mut ids = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(5_000);
    for i in 0..n {
        let id = uuid::Uuid::now_v7();
        let message_id = format!("<{id}@shop.example>");
        ids.push(message_id.clone());
        rows.push(NewDelivery {
            id,
            customer_id: format!("c{i}"),
            campaign: CAMPAIGN.into(),
            occurrence: "eligible:crash".into(),
            service: false,
            current: Level::Proactive,
            target: Level::Partnership,
            send_at: now,
            message_id,
            unless_since: None,
            variant: None,
            held_out: false,
        });
        if rows.len() == 5_000 || i + 1 == n {
            store.apply_cycle(&[], &rows, now).await?;
            rows.clear();
        }
    }
    Ok(ids)
}

fn postfix_tool(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/lib/postfix/sbin", "/usr/libexec/postfix"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// `smtp-sink -d DIR/%H%M%S. 127.0.0.1:PORT 256`: one file per accepted message; killed on
/// drop.
struct Sink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Sink {
    fn start(work: &Path) -> anyhow::Result<Sink> {
        let dir = work.join("sink");
        std::fs::create_dir_all(&dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = Command::new(postfix_tool("smtp-sink"));
        if unsafe { libc::geteuid() } == 0 {
            // smtp-sink refuses to keep root privileges; the dump folder must be writable
            // by the user it becomes.
            command.args(["-u", "nobody"]);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))?;
            std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o777))?;
        }
        let child = command
            .arg("-d")
            .arg(format!("{}/%H%M%S.", dir.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("start smtp-sink (install Postfix)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "smtp-sink did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Sink { child, port, dir })
    }

    /// Messages dumped so far (cheap: no file is read).
    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|e| {
                e.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
