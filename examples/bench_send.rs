//! Send benchmark (docs/performance.md): end to end — claim, render, SMTP,
//! record — to Postfix's `smtp-sink` on loopback, on SQLite and on PostgreSQL, compared
//! with Postfix's own `smtp-source` pushing to the same sink with as many connections in the
//! same run (goal: ≥ 0.5 of its rate). Then the same with DKIM (RSA-2048), compared with
//! `openssl speed -multi <cores> rsa2048`'s signs/s in the same run (goal: ≥ 0.5 of it), and
//! peak RSS. Each drain prints the cores it kept busy (process CPU time / wall time).
//!
//!     cargo run --release --example bench_send
//!     cargo run --release --example bench_send -- --recipients 20000 --breakdown
//!
//! The program starts `smtp-sink -c 127.0.0.1:PORT 1000` itself (its running counter goes
//! to a file, never to a pipe nobody reads). PostgreSQL: `RAPPORT_BENCH_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/test) is only used to create and finally drop a
//! dedicated database, `rapport_bench_send`; nothing else on that server is touched.
//!
//! `--throttled RATE` measures something else: the same drain against a relay that allows
//! RATE emails/s and answers `454 Throttling` beyond it (examples/common/throttling_server.rs,
//! aiosmtpd), rapport's own rate unlimited: the rate reached (goal: ≥ 0.9 × RATE, as the
//! adaptive send rate settles just under the relay's) and that every email arrived once.
//!
//!     PATH=target/test-python/bin:$PATH cargo run --release --example bench_send -- \
//!         --throttled 500 --recipients 20000
//!
//! `--breakdown` then times each stage on its own (claim, render on one core, SMTP with
//! pre-built messages, record), to show where the end-to-end time goes.

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;
use rapport::cli::Engine;
use rapport::config::{self, Config};
use rapport::dispatch::Composer;
use rapport::domain::Level;
use rapport::mailer::OutgoingEmail;
use rapport::store::Claim;
use rapport::store::{DeliveryResult, NewDelivery, Store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/openssl_speed.rs"]
mod openssl_speed;
#[path = "common/plain_customers.rs"]
mod plain_customers;
#[path = "common/throttling_server.rs"]
mod throttling_server;
const BENCH_DB: &str = "rapport_bench_send";
// sqlx takes only literal SQL; these name BENCH_DB.
const DROP_DB: &str = "DROP DATABASE IF EXISTS rapport_bench_send WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE rapport_bench_send";
/// The campaign sent: its template needs no order or complaint record.
const CAMPAIGN: &str = "partnership-invitation";
const GOAL: f64 = 0.5;

#[derive(Parser)]
#[command(about = "Emails/s end to end to smtp-sink, against smtp-source in the same run")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    recipients: usize,
    /// Sender workers (`smtp.pool_size`), and smtp-source's `-s`.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Skip PostgreSQL.
    #[arg(long)]
    no_pg: bool,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Skip the DKIM run.
    #[arg(long)]
    no_dkim: bool,
    /// Also time claim, render, SMTP and record on their own.
    #[arg(long)]
    breakdown: bool,
    /// Instead: send to a relay allowing this many emails/s (454 beyond it).
    #[arg(long)]
    throttled: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let work = tempfile::tempdir()?;
    if let Some(allowed) = args.throttled {
        return throttled(&args, work.path(), allowed).await;
    }
    let sink = Sink::start(work.path())?;
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
    let dkim_key = if args.no_dkim {
        None
    } else {
        Some(rsa_key(work.path())?)
    };
    println!(
        "send benchmark: {} recipients, {} connections, smtp-sink on 127.0.0.1:{}",
        args.recipients, args.connections, sink.port
    );
    let mut rates = Vec::new();
    let mut signed_rates = Vec::new();
    if !args.no_sqlite {
        let url = format!("sqlite://{}", work.path().join("bench.db").display());
        let store = rapport::store::connect(&url, 8).await?;
        store.migrate().await?;
        let (rate, signed) =
            bench(&args, "sqlite", store, &url, &smtp_url, dkim_key.as_deref()).await?;
        rates.push(("sqlite".to_string(), rate));
        signed_rates.extend(signed.map(|r| ("sqlite".to_string(), r)));
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
        let result = async {
            let store = rapport::store::connect(&url, 8).await?;
            store.migrate().await?;
            bench(
                &args,
                "postgres",
                store,
                &url,
                &smtp_url,
                dkim_key.as_deref(),
            )
            .await
        }
        .await;
        sqlx::query(DROP_DB).execute(&admin).await?;
        let (rate, signed) = result?;
        rates.push(("postgres".to_string(), rate));
        signed_rates.extend(signed.map(|r| ("postgres".to_string(), r)));
    }

    // Postfix's own load generator, same sink, same number of connections, same run. The
    // goal is set against its default (a session per message, as in the design measurements);
    // `-d` (sessions kept open, as our senders do) is printed beside it for reference.
    let source = smtp_source(&args, sink.port, false)?;
    let source_kept = smtp_source(&args, sink.port, true)?;
    let mut below = false;
    for (backend, rate) in &rates {
        let ratio = rate / source;
        below |= ratio < GOAL;
        println!(
            "{:<34} {ratio:>9.2}  (goal ≥ {GOAL}){}",
            format!("ratio {backend} / smtp-source"),
            if ratio < GOAL { "  BELOW GOAL" } else { "" }
        );
    }
    for (backend, rate) in &rates {
        println!(
            "{:<34} {:>9.2}  (reference)",
            format!("ratio {backend} / smtp-source -d"),
            rate / source_kept
        );
    }
    if !signed_rates.is_empty() {
        let openssl = openssl_rsa2048_signs()?;
        for (backend, rate) in &signed_rates {
            let ratio = rate / openssl;
            below |= ratio < GOAL;
            println!(
                "{:<34} {ratio:>9.2}  (goal ≥ {GOAL}){}",
                format!("ratio {backend} DKIM / openssl"),
                if ratio < GOAL { "  BELOW GOAL" } else { "" }
            );
        }
    }
    println!(
        "peak RSS (VmHWM)                   {:>9} MiB",
        peak_rss_mib()
    );
    println!("smtp-sink counters: {}", sink.last_counter());
    if below {
        anyhow::bail!("below goal");
    }
    Ok(())
}

/// The measured figure: `Dispatcher::drain` as `rapport run --once` runs it, on a queue of
/// `recipients` deliveries; then the same with DKIM. Returns the rates without and with it.
async fn bench(
    args: &Args,
    backend: &str,
    store: Arc<dyn Store>,
    db_url: &str,
    smtp_url: &str,
    dkim_key: Option<&Path>,
) -> anyhow::Result<(f64, Option<f64>)> {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let t = Instant::now();
    plain_customers::insert(&*store, args.recipients, now).await?;
    queue(&*store, args.recipients, "eligible:plain", now).await?;
    println!(
        "{backend}: {} customers and deliveries written in {:.1} s",
        args.recipients,
        t.elapsed().as_secs_f64()
    );

    let cfg = bench_config(db_url, smtp_url, args.connections, None)?;
    let rate = drain(&cfg, store.clone(), backend, "", args.recipients, now).await?;

    let mut signed = None;
    if let Some(key) = dkim_key {
        queue(&*store, args.recipients, "eligible:dkim", now).await?;
        let cfg = bench_config(db_url, smtp_url, args.connections, Some(key))?;
        let rate = drain(
            &cfg,
            store.clone(),
            backend,
            "with DKIM RSA-2048",
            args.recipients,
            now,
        )
        .await?;
        signed = Some(rate);
    }
    if args.breakdown {
        breakdown(&cfg, store.clone(), backend, args, now).await?;
    }
    Ok((rate, signed))
}

async fn drain(
    cfg: &Config,
    store: Arc<dyn Store>,
    backend: &str,
    label: &str,
    expected: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<f64> {
    let engine = Engine::load(cfg).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let dispatcher = engine.dispatcher(cfg, store);
    // The peak while sending, not the peak of writing the customers and deliveries before.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let cpu = cpu_seconds();
    let server_cpu = cpu_seconds_of("postgres");
    let sink_cpu = cpu_seconds_of("smtp-sink");
    let report = dispatcher.drain(now).await?;
    dispatcher.close().await;
    let took = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let cores = cpu / took;
    let server_cpu = cpu_seconds_of("postgres") - server_cpu;
    let sink_cpu = cpu_seconds_of("smtp-sink") - sink_cpu;
    anyhow::ensure!(
        report.sent as usize == expected,
        "{backend}: sent {} of {expected}: {report:?}",
        report.sent
    );
    let rate = expected as f64 / took;
    println!(
        "{:<34} {rate:>9.0} emails/s  ({expected} in {took:.1} s; {cores:.2} cores busy; peak RSS while sending {} MiB)",
        format!("{backend} end to end {label}"),
        peak_rss_mib()
    );
    // The CPU an email costs, in rapport, in every PostgreSQL server process and in the
    // sink: on two cores their shares are what the ratios lose to (on SQLite the database's
    // work is inside rapport's own figure).
    let per_email = |secs: f64| secs * 1e6 / expected as f64;
    let server = if backend == "postgres" {
        format!(
            ", {:.0} µs in PostgreSQL's processes",
            per_email(server_cpu)
        )
    } else {
        String::new()
    };
    println!(
        "{:<34} {:>9.0} µs of CPU per email in rapport{server}, {:.0} µs in smtp-sink",
        "",
        per_email(cpu),
        per_email(sink_cpu)
    );
    Ok(rate)
}

/// Each stage alone, on a fresh queue of `recipients` deliveries.
async fn breakdown(
    cfg: &Config,
    store: Arc<dyn Store>,
    backend: &str,
    args: &Args,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let n = args.recipients;
    queue(&*store, n, "eligible:breakdown", now).await?;
    let lease = chrono::TimeDelta::minutes(5);

    // Claim and record alternate, as in a run: rows left `sending` would make every later
    // claim look at them (they could have expired leases).
    let (mut claiming, mut recording) = (Duration::ZERO, Duration::ZERO);
    let mut claimed = Vec::with_capacity(n);
    loop {
        let t = Instant::now();
        let batch = store
            .claim_due(Claim {
                now,
                limit: 500,
                lease,
                owner: "bench",
            })
            .await?;
        claiming += t.elapsed();
        if batch.is_empty() {
            break;
        }
        let results: Vec<DeliveryResult> = batch
            .iter()
            .map(|d| DeliveryResult::Sent {
                id: d.id,
                links: Vec::new(),
                transport: None,
            })
            .collect();
        let t = Instant::now();
        store.record_results(&results, "bench", now).await?;
        recording += t.elapsed();
        claimed.extend(batch);
    }
    stage(backend, "claim (batches of 500)", claimed.len(), claiming);
    stage(backend, "record (batches of 500)", claimed.len(), recording);

    let engine = Engine::load(cfg).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let composer: Arc<Composer> = engine.composer.clone();
    let t = Instant::now();
    let mut sample: Vec<OutgoingEmail> = Vec::new();
    let mut bytes = 0usize;
    for chunk in claimed.chunks(500) {
        let prepared = composer.prepare(&*store, chunk).await?;
        for d in chunk {
            let (email, _) = composer.compose(d, &prepared, now)?;
            bytes += email.raw.len();
            if sample.len() < 1000 {
                sample.push(email);
            }
        }
    }
    stage(
        backend,
        "render + build (1 core)",
        claimed.len(),
        t.elapsed(),
    );
    println!(
        "{:<34} {:>9} bytes",
        "  mean message size",
        bytes / claimed.len().max(1)
    );

    if backend == "sqlite" || args.no_sqlite {
        let sample = Arc::new(sample);
        let t = Instant::now();
        let mut workers = Vec::new();
        for w in 0..args.connections {
            let mut sender = engine.transports[0].sender();
            let sample = sample.clone();
            let share = n / args.connections + usize::from(w < n % args.connections);
            workers.push(tokio::spawn(async move {
                let mut sent = 0;
                for i in 0..share {
                    if sender.send(&sample[i % sample.len()]).await.is_sent() {
                        sent += 1;
                    }
                }
                sender.close().await;
                sent
            }));
        }
        let mut sent = 0;
        for w in workers {
            sent += w.await?;
        }
        stage("", "SMTP only (pre-built messages)", sent, t.elapsed());
    }
    Ok(())
}

/// Runs `smtp-source -s CONNECTIONS -m RECIPIENTS -l 8192 [-d]`; returns its emails/s.
fn smtp_source(args: &Args, port: u16, keep_sessions: bool) -> anyhow::Result<f64> {
    let mut command = Command::new(smtp_source_path());
    command
        .args(["-s", &args.connections.to_string()])
        .args(["-m", &args.recipients.to_string()])
        .args(["-l", "8192"]);
    if keep_sessions {
        command.arg("-d");
    }
    let t = Instant::now();
    let status = command
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .status()
        .context("run smtp-source")?;
    anyhow::ensure!(status.success(), "smtp-source failed: {status}");
    let rate = args.recipients as f64 / t.elapsed().as_secs_f64();
    println!(
        "{:<34} {rate:>9.0} emails/s",
        format!(
            "smtp-source -s {} -l 8192{}",
            args.connections,
            if keep_sessions { " -d" } else { "" }
        )
    );
    Ok(rate)
}

fn stage(backend: &str, what: &str, n: usize, took: Duration) {
    let secs = took.as_secs_f64();
    println!(
        "{:<34} {:>9.0} per s  ({n} in {secs:.2} s)",
        format!("  {backend} {what}"),
        n as f64 / secs
    );
}

/// The shipped configuration with the benchmark's database, sink, pool size and DKIM key.
fn bench_config(
    db_url: &str,
    smtp_url: &str,
    connections: usize,
    dkim_key: Option<&Path>,
) -> anyhow::Result<Config> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/rapport.toml"))?;
    let mut overrides = vec![
        ("RAPPORT__DATABASE__URL", db_url.to_string()),
        ("RAPPORT__SMTP__URL", smtp_url.to_string()),
        ("RAPPORT__SMTP__POOL_SIZE", connections.to_string()),
        (
            "RAPPORT__PATHS__CAMPAIGNS",
            root.join("config/campaigns").display().to_string(),
        ),
        (
            "RAPPORT__PATHS__TEMPLATES",
            root.join("templates").display().to_string(),
        ),
    ];
    if let Some(key) = dkim_key {
        overrides.push(("RAPPORT__DKIM__DOMAIN", "shop.example".into()));
        overrides.push(("RAPPORT__DKIM__SELECTOR", "rapport".into()));
        overrides.push(("RAPPORT__DKIM__PRIVATE_KEY_PATH", key.display().to_string()));
    }
    let overrides: Vec<(String, String)> = overrides
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok(config::load_str("config/rapport.toml", &text, &overrides)?)
}

/// One delivery per customer for `occurrence`, due at `now`.
async fn queue(
    store: &dyn Store,
    n: usize,
    occurrence: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(5_000);
    for i in 0..n {
        let id = uuid::Uuid::now_v7();
        rows.push(NewDelivery {
            id,
            customer_id: format!("c{i}"),
            campaign: CAMPAIGN.into(),
            occurrence: occurrence.into(),
            service: false,
            current: Level::Proactive,
            target: Level::Partnership,
            send_at: now,
            message_id: format!("<{id}@shop.example>"),
            unless_since: None,
            variant: None,
            held_out: false,
        });
        if rows.len() == 5_000 || i + 1 == n {
            store.apply_cycle(&[], &rows, now).await?;
            rows.clear();
        }
    }
    Ok(())
}

fn rsa_key(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .context("run openssl (needed for the DKIM key; or pass --no-dkim)")?;
    anyhow::ensure!(out.status.success(), "openssl genrsa failed");
    let path = dir.join("dkim.pem");
    std::fs::write(&path, out.stdout)?;
    Ok(path)
}

/// `openssl speed -multi <cores> rsa2048`: RSA-2048 signs/s on every core, the reference of
/// the DKIM goal.
fn openssl_rsa2048_signs() -> anyhow::Result<f64> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let signs = openssl_speed::rsa2048_signs(cores, 10).context("or pass --no-dkim")?;
    println!(
        "{:<34} {signs:>9.0} signs/s",
        format!("openssl speed -multi {cores} rsa2048")
    );
    Ok(signs)
}

/// CPU time (user + system) of this process so far, every thread, in seconds.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; zeroed is a valid rusage.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// CPU time (user + system) of every process called `name` on this machine so far, in
/// seconds, with their reaped children (PostgreSQL's backends that exited in between, which
/// the postmaster reaped). 0 when none runs or `/proc` cannot be read.
fn cpu_seconds_of(name: &str) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut total = 0u64;
    for entry in procs.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces, so split after its last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if head.rsplit_once('(').is_none_or(|(_, comm)| comm != name) {
            continue;
        }
        // utime, stime, cutime, cstime: fields 14–17 of stat; the state (field 3) is index 0.
        let fields: Vec<&str> = rest.split_whitespace().collect();
        total += fields
            .get(11..15)
            .into_iter()
            .flatten()
            .filter_map(|f| f.parse::<u64>().ok())
            .sum::<u64>();
    }
    total as f64 / ticks
}

/// Peak resident set size of this process so far.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

fn postfix_tool(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/lib/postfix/sbin", "/usr/libexec/postfix"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn smtp_source_path() -> PathBuf {
    postfix_tool("smtp-source")
}

/// `smtp-sink -c 127.0.0.1:PORT 1000`, its counter written to a file; killed on drop.
struct Sink {
    child: Child,
    port: u16,
    counter: PathBuf,
}

impl Sink {
    fn start(dir: &Path) -> anyhow::Result<Sink> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let counter = dir.join("smtp-sink.out");
        let mut command = Command::new(postfix_tool("smtp-sink"));
        if unsafe { libc::geteuid() } == 0 {
            // smtp-sink refuses to keep root privileges.
            command.args(["-u", "nobody"]);
        }
        let child = command
            .arg("-c")
            .arg(format!("127.0.0.1:{port}"))
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&counter)?)
            .spawn()
            .context("start smtp-sink (install Postfix)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "smtp-sink did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Sink {
            child,
            port,
            counter,
        })
    }

    /// The last running count smtp-sink printed.
    fn last_counter(&self) -> String {
        std::fs::read_to_string(&self.counter)
            .unwrap_or_default()
            .split(['\r', '\n'])
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--throttled ALLOWED`: on each backend, the rate reached against a relay that allows
/// ALLOWED emails/s, and whether every email arrived exactly once.
async fn throttled(args: &Args, dir: &Path, allowed: u32) -> anyhow::Result<()> {
    const THROTTLED_GOAL: f64 = 0.9;
    println!(
        "throttled send: {} recipients, {} connections, relay allowing {allowed} emails/s",
        args.recipients, args.connections
    );
    let mut below = false;
    let mut backends = Vec::new();
    if !args.no_sqlite {
        backends.push(format!("sqlite://{}", dir.join("throttled.db").display()));
    }
    if !args.no_pg {
        backends.push(
            std::env::var("RAPPORT_BENCH_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        );
    }
    for url in backends {
        let server_dir = tempfile::tempdir()?;
        let server = throttling_server::ThrottlingServer::start(server_dir.path(), allowed)?;
        let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", server.port);
        let (backend, db_url, admin) = if url.starts_with("sqlite:") {
            ("sqlite", url.clone(), None)
        } else {
            let admin = sqlx::PgPool::connect(&url).await?;
            sqlx::query(DROP_DB).execute(&admin).await?;
            sqlx::query(CREATE_DB).execute(&admin).await?;
            let (server_url, _) = url.rsplit_once('/').context("…/DATABASE")?;
            ("postgres", format!("{server_url}/{BENCH_DB}"), Some(admin))
        };
        let store = rapport::store::connect(&db_url, 8).await?;
        store.migrate().await?;
        // Due a minute ago; then the daemon's loop on the wall clock, so that throttled
        // emails (due again a second later) are claimed again.
        let now = Utc::now() - chrono::TimeDelta::minutes(1);
        plain_customers::insert(&*store, args.recipients, now).await?;
        queue(&*store, args.recipients, "eligible:throttled", now).await?;
        let cfg = bench_config(&db_url, &smtp_url, args.connections, None)?;
        let engine = Engine::load(&cfg).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let dispatcher = engine.dispatcher(&cfg, store.clone());
        let mut report = rapport::dispatch::DispatchReport::default();
        let t = Instant::now();
        while report.sent < args.recipients as u64 {
            anyhow::ensure!(t.elapsed() < Duration::from_secs(3600), "stuck: {report:?}");
            if dispatcher.run_batch(Utc::now(), &mut report).await? == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        dispatcher.close().await;
        let took = t.elapsed().as_secs_f64();
        let rate = args.recipients as f64 / took;
        let ratio = rate / f64::from(allowed);
        let (accepted, distinct) = server.accepted();
        below |= ratio < THROTTLED_GOAL || distinct != args.recipients || report.failed > 0;
        println!(
            "{:<34} {rate:>9.0} emails/s = {ratio:.2} × allowed (goal ≥ {THROTTLED_GOAL}); \
             {} throttled and put back, {} retried, {} failed; relay accepted {accepted}, \
             {distinct} distinct of {}",
            format!("{backend} throttled end to end"),
            report.throttled,
            report.retried,
            report.failed,
            args.recipients
        );
        drop(store);
        if let Some(admin) = admin {
            sqlx::query(DROP_DB).execute(&admin).await?;
        }
    }
    if below {
        anyhow::bail!("below goal or an email lost");
    }
    Ok(())
}
