//! Open-pixel benchmark (docs/performance.md): `wrk` against `GET /t/o/{token}` of
//! the real router on loopback, then every hit counted in the database after the shutdown
//! flush; in the same run a bare axum handler answering the same GIF, and the ratio.
//! Goals: ≥ 20,000 requests/s, p99 ≤ 20 ms, ratio ≥ 0.5.
//!
//!     cargo run --release --example bench_pixel
//!     cargo run --release --example bench_pixel -- --seconds 20 --connections 128 --backend sqlite
//!     cargo run --release --example bench_pixel -- --connections 128 --pace-ms 4   # below saturation
//!
//! Without `--pace-ms` wrk saturates the server: once the database cannot keep up, the
//! bounded buffer pushes back and the p99 shows the database's commit time.
//!
//! Needs `wrk` on PATH (Debian package `wrk`). PostgreSQL: `RAPPORT_BENCH_PG_URL` (default
//! postgres://postgres@127.0.0.1:5432/test) is only used to create and finally drop a
//! dedicated database, `rapport_bench_pixel`; nothing else on that server is touched.

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use chrono::{TimeDelta, Utc};
use clap::Parser;
use rapport::domain::Level;
use rapport::http::{AppState, HttpSettings};
use rapport::import::{CustomerRecord, RecordDefaults, Row};
use rapport::providers::Registry;
use rapport::store::Claim;
use rapport::store::{self, DeliveryResult, NewDelivery, Store};
use rapport::tracking::Signer;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const BENCH_DB: &str = "rapport_bench_pixel";
// sqlx takes only literal SQL; these name BENCH_DB.
const DROP_DB: &str = "DROP DATABASE IF EXISTS rapport_bench_pixel WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE rapport_bench_pixel";

#[derive(Parser)]
#[command(about = "wrk against the open pixel and against a bare axum handler")]
struct Args {
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Pause each connection this many ms between requests (a wrk Lua `delay`), to measure
    /// latency at an offered load below saturation instead of at the maximum rate.
    #[arg(long)]
    pace_ms: Option<u32>,
    /// Also time the event writer alone (this many hits pushed straight into the buffer).
    #[arg(long, default_value_t = 200_000)]
    writer_hits: u64,
}

struct WrkResult {
    requests: u64,
    per_second: f64,
    p99_ms: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "wrk -t{} -c{} -d{}s --latency{}, loopback, {} CPU(s)",
        args.threads,
        args.connections,
        args.seconds,
        args.pace_ms.map_or(String::new(), |ms| format!(
            ", {ms} ms pause per request and connection"
        )),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let bare = bench_bare(&args).await?;
    print_line("bare axum handler", &bare, None);
    let mut backends = Vec::new();
    if matches!(args.backend.as_str(), "sqlite" | "both") {
        backends.push("sqlite");
    }
    if matches!(args.backend.as_str(), "postgres" | "both") {
        backends.push("postgres");
    }
    for backend in backends {
        let (store, cleanup) = match open(backend).await {
            Ok(s) => s,
            Err(e) => {
                println!("{backend}: skipped ({e:#})");
                continue;
            }
        };
        let (result, served, stored) = bench_app(&args, store.clone()).await?;
        print_line(&format!("rapport pixel ({backend})"), &result, Some(&bare));
        let ok = if stored == served {
            "every hit stored"
        } else {
            "HITS MISSING"
        };
        println!(
            "    {served} pixel answers, {stored} open events in the database after the flush: {ok}"
        );
        if args.writer_hits > 0 {
            let per_second = bench_writer(store.clone(), args.writer_hits).await?;
            println!(
                "    event writer alone: {per_second:.0} events/s ({} hits pushed, then flushed)",
                args.writer_hits
            );
        }
        cleanup.await;
        if stored != served {
            bail!("{backend}: {served} hits answered but {stored} stored");
        }
    }
    Ok(())
}

fn print_line(name: &str, r: &WrkResult, bare: Option<&WrkResult>) {
    let ratio = bare.map_or(String::new(), |b| {
        let ratio = r.per_second / b.per_second;
        format!(", ratio to bare {ratio:.2} (goal ≥ 0.5)")
    });
    let goal = if bare.is_some() {
        " (goal ≥ 20,000/s, p99 ≤ 20 ms)"
    } else {
        ""
    };
    println!(
        "{name:<28} {:>10.0} requests/s, p99 {:>6.2} ms, {} requests{goal}{ratio}",
        r.per_second, r.p99_ms, r.requests
    );
}

type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

async fn open(backend: &str) -> anyhow::Result<(Arc<dyn Store>, Cleanup)> {
    if backend == "sqlite" {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        let store = store::connect(&url, 8).await?;
        store.migrate().await?;
        return Ok((store, Box::pin(async move { drop(dir) })));
    }
    let base = std::env::var("RAPPORT_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = sqlx::PgPool::connect(&base)
        .await
        .with_context(|| format!("connecting to {base}"))?;
    sqlx::query(DROP_DB).execute(&admin).await?;
    sqlx::query(CREATE_DB).execute(&admin).await?;
    let (server, _) = base
        .rsplit_once('/')
        .context("RAPPORT_BENCH_PG_URL must end with /DATABASE")?;
    let store = store::connect(&format!("{server}/{BENCH_DB}"), 8).await?;
    store.migrate().await?;
    let cleanup = Box::pin(async move {
        sqlx::query(DROP_DB).execute(&admin).await.ok();
        admin.close().await;
    });
    Ok((store, cleanup))
}

/// One customer and one delivery sent an hour ago; returns the delivery id.
async fn seed(store: &dyn Store) -> anyhow::Result<uuid::Uuid> {
    let defaults = RecordDefaults {
        locale: rapport::domain::Locale::parse("en")?,
        timezone: rapport::domain::Timezone::parse("UTC")?,
        margin_ratio: 0.3,
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        rates: Default::default(),
        now: Utc::now(),
        input: Default::default(),
    };
    let serde_json::Value::Object(fields) =
        serde_json::json!({"id": "bench", "email": "bench@example.com"})
    else {
        unreachable!()
    };
    let customer =
        CustomerRecord::parse(&Row::new(&fields), &defaults).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = store.begin_import().await?;
    tx.upsert_customers(&[customer], Utc::now()).await?;
    tx.commit().await?;
    let id = uuid::Uuid::now_v7();
    let sent = Utc::now() - TimeDelta::hours(1);
    store
        .apply_cycle(
            &[],
            &[NewDelivery {
                id,
                customer_id: "bench".into(),
                campaign: "bench".into(),
                occurrence: "bench".into(),
                service: false,
                current: Level::Basic,
                target: Level::Reactive,
                send_at: sent,
                message_id: format!("<{id}@bench.example>"),
                unless_since: None,
                variant: None,
                held_out: false,
            }],
            sent,
        )
        .await?;
    store
        .claim_due(Claim {
            now: sent,
            limit: 1_000,
            lease: chrono::TimeDelta::minutes(5),
            owner: "bench",
        })
        .await?;
    store
        .record_results(
            &[DeliveryResult::Sent {
                id,
                links: vec!["https://shop.example/".into()],
                transport: None,
            }],
            "bench",
            sent,
        )
        .await?;
    Ok(id)
}

/// Counts answered pixel requests server-side, for the "every hit stored" check. The same
/// layer wraps the bare handler so that the ratio compares like with like.
fn counted(router: Router, counter: Arc<AtomicU64>) -> Router {
    router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let counter = counter.clone();
        async move {
            let res: Response = next.run(req).await;
            counter.fetch_add(1, Ordering::Relaxed);
            res
        }
    }))
}

async fn bench_bare(args: &Args) -> anyhow::Result<WrkResult> {
    async fn gif() -> Response {
        use axum::response::IntoResponse;
        (
            [
                ("content-type", "image/gif"),
                (
                    "cache-control",
                    "no-store, no-cache, must-revalidate, max-age=0",
                ),
                ("pragma", "no-cache"),
                ("expires", "0"),
            ],
            &rapport::http::PIXEL[..],
        )
            .into_response()
    }
    let router = counted(
        Router::new().route("/t/o/{token}", get(gif)),
        Arc::new(AtomicU64::new(0)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/t/o/token", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .await
    });
    let result = wrk(args, &url).await?;
    stop.send(()).ok();
    server.await??;
    Ok(result)
}

async fn bench_app(args: &Args, store: Arc<dyn Store>) -> anyhow::Result<(WrkResult, u64, u64)> {
    let delivery = seed(&*store).await?;
    let before = store.counts().await?.events;
    let signer = Signer::new(b"bench-secret");
    let settings = HttpSettings {
        signer: signer.clone(),
        erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
        api_keys: Vec::new(),
        default_locale: rapport::domain::Locale::parse("en")?,
        default_timezone: rapport::domain::Timezone::parse("UTC")?,
        margin_ratio: 0.3,
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        currency_rates: Default::default(),
        sns_auto_confirm: false,
        input: Default::default(),
        consent: Default::default(),
    };
    let state = AppState::new(store.clone(), settings, Registry::default());
    let served = Arc::new(AtomicU64::new(0));
    let router = counted(rapport::http::router(state.clone()), served.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://{}/t/o/{}",
        listener.local_addr()?,
        signer.sign_open(delivery)
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rapport::http::serve_router(
        listener,
        router,
        state,
        async {
            stopped.await.ok();
        },
    ));
    let result = wrk(args, &url).await?;
    stop.send(()).ok();
    let flush = std::time::Instant::now();
    server.await??;
    println!(
        "    shutdown (drain + flush) took {:.0} ms",
        flush.elapsed().as_secs_f64() * 1e3
    );
    let stored = store.counts().await?.events - before;
    Ok((result, served.load(Ordering::Relaxed), stored))
}

/// How fast the buffer's writer stores hits when nothing else competes for the CPU.
async fn bench_writer(store: Arc<dyn Store>, hits: u64) -> anyhow::Result<f64> {
    let delivery = seed_more(&*store).await?;
    let before = store.counts().await?.events;
    let buffer = rapport::http::EventBuffer::spawn(store.clone());
    let started = std::time::Instant::now();
    for _ in 0..hits {
        buffer
            .push(rapport::http::Hit {
                delivery_id: delivery,
                at: Utc::now(),
                user_agent: None,
                what: rapport::http::HitKind::Open,
            })
            .await;
    }
    buffer.flush().await;
    let elapsed = started.elapsed().as_secs_f64();
    let stored = store.counts().await?.events - before;
    if stored != hits {
        bail!("writer: {hits} hits pushed, {stored} stored");
    }
    Ok(hits as f64 / elapsed)
}

/// A second delivery for the writer benchmark (the customer exists already).
async fn seed_more(store: &dyn Store) -> anyhow::Result<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    let sent = Utc::now() - TimeDelta::hours(1);
    store
        .apply_cycle(
            &[],
            &[NewDelivery {
                id,
                customer_id: "bench".into(),
                campaign: "bench".into(),
                occurrence: "writer".into(),
                service: false,
                current: Level::Basic,
                target: Level::Reactive,
                send_at: sent,
                message_id: format!("<{id}@bench.example>"),
                unless_since: None,
                variant: None,
                held_out: false,
            }],
            sent,
        )
        .await?;
    store
        .claim_due(Claim {
            now: sent,
            limit: 1_000,
            lease: chrono::TimeDelta::minutes(5),
            owner: "bench",
        })
        .await?;
    store
        .record_results(
            &[DeliveryResult::Sent {
                id,
                links: vec![],
                transport: None,
            }],
            "bench",
            sent,
        )
        .await?;
    Ok(id)
}

async fn wrk(args: &Args, url: &str) -> anyhow::Result<WrkResult> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        format!("-t{}", args.threads),
        format!("-c{}", args.connections),
        format!("-d{}s", args.seconds),
        "--latency".into(),
    ]);
    let script = match args.pace_ms {
        Some(ms) => {
            let path = std::env::temp_dir().join(format!("bench_pixel_pace_{ms}.lua"));
            std::fs::write(&path, format!("function delay()\n  return {ms}\nend\n"))?;
            cmd.arg("-s").arg(&path);
            Some(path)
        }
        None => None,
    };
    cmd.arg(url);
    let out = tokio::process::Command::from(cmd)
        .output()
        .await
        .context("running wrk (apt-get install wrk)")?;
    if let Some(path) = script {
        std::fs::remove_file(path).ok();
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&text).with_context(|| format!("unexpected wrk output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<WrkResult> {
    let mut r = WrkResult {
        requests: 0,
        per_second: 0.0,
        p99_ms: 0.0,
    };
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            r.per_second = v.trim().parse().ok()?;
        } else if let Some(v) = line.strip_prefix("99%") {
            r.p99_ms = millis(v.trim())?;
        } else if line.contains(" requests in ") {
            r.requests = line.split_whitespace().next()?.parse().ok()?;
        } else if line.starts_with("Non-2xx") || line.starts_with("Socket errors") {
            println!("    wrk: {line}");
        }
    }
    (r.per_second > 0.0).then_some(r)
}

fn millis(v: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e3)
    } else {
        (v, 1.0)
    };
    num.parse::<f64>().ok().map(|n| n * factor)
}
