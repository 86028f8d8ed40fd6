//! Provider-webhook ingest benchmark (issue 7): ≥ 5,000 provider events/s end to end —
//! HTTP, verify, parse, correlate, store — from batched posts, on SQLite and PostgreSQL.
//!
//!     cargo run --release --example bench_webhooks
//!     cargo run --release --example bench_webhooks -- --backend sqlite --events 100000
//!
//! Generates its own data: `--customers` customers, each with one sent delivery (its own
//! Message-ID), then serves the library's router on a loopback socket with SendGrid (a key
//! pair generated here), Postmark and Mailgun configured, and POSTs:
//! - SendGrid: `--events` events in signed arrays of `--batch`, from `--connections`
//!   concurrent clients; deliveries, opens, clicks and a few deferrals, bounces, spam reports and
//!   unsubscribes. Most carry our `rapport_delivery` custom arg; some only `smtp-id`, some
//!   only the recipient (SendGrid's async bounces lose both), so all three correlation paths run;
//! - Postmark (basic auth) and Mailgun (HMAC, fresh token each) single events, `--singles`
//!   of each, for the per-request path.
//!
//! Afterwards every event must be in the database (events table count, complaints count twice
//! as they also write a `complaint` behaviour event) and one batch posted again must store
//! nothing. Bodies are built and signed before the clock starts. PostgreSQL:
//! `RAPPORT_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432/test) is only used to
//! create and finally drop a dedicated database, `rapport_bench_webhooks`.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeDelta, Utc};
use clap::Parser;
use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use rapport::domain::{Level, Locale, Timezone};
use rapport::http::{AppState, HttpSettings};
use rapport::providers::{
    BasicAuthSettings, MailgunSettings, Registry, SendgridSettings, WebhookSettings,
};
use rapport::store::Claim;
use rapport::store::{self, DeliveryResult, NewDelivery, Store};
use rapport::tracking::Signer;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

#[path = "common/plain_customers.rs"]
mod plain_customers;
const BENCH_DB: &str = "rapport_bench_webhooks";
// sqlx takes only literal SQL; these name BENCH_DB.
const DROP_DB: &str = "DROP DATABASE IF EXISTS rapport_bench_webhooks WITH (FORCE)";
const CREATE_DB: &str = "CREATE DATABASE rapport_bench_webhooks";
const MAILGUN_KEY: &str = "bench-mailgun-signing-key";
const HOOK_USER: &str = "hook";
const HOOK_PASSWORD: &str = "bench-password";
const CAMPAIGN: &str = "bench-campaign";

#[derive(Parser)]
#[command(about = "Provider webhooks ingested end to end, events/s per backend and provider")]
struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Customers, each with one sent delivery.
    #[arg(long, default_value_t = 50_000)]
    customers: usize,
    /// SendGrid events in total.
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// SendGrid events per POST (SendGrid batches up to ~1,000 or 768 KB).
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Postmark and Mailgun single-event posts, each.
    #[arg(long, default_value_t = 5_000)]
    singles: usize,
}

/// A sent delivery the generated events are about.
struct Sent {
    id: Uuid,
    email: String,
    message_id: String,
}

/// One generated POST: headers and body, and how many events rows it should write.
struct Post {
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    rows: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "{} customers, {} SendGrid events in batches of {}, {} Postmark + {} Mailgun singles, {} connections, {} CPU(s); load {}",
        args.customers,
        args.events,
        args.batch,
        args.singles,
        args.singles,
        args.connections,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let mut backends = Vec::new();
    if matches!(args.backend.as_str(), "sqlite" | "both") {
        backends.push("sqlite");
    }
    if matches!(args.backend.as_str(), "postgres" | "both") {
        backends.push("postgres");
    }
    let mut failed = false;
    for backend in backends {
        let (store, cleanup) = match open(backend).await {
            Ok(s) => s,
            Err(e) => {
                println!("{backend}: skipped ({e:#})");
                continue;
            }
        };
        let result = bench(&args, backend, store).await;
        cleanup.await;
        if let Err(e) = result {
            println!("{backend}: FAILED: {e:#}");
            failed = true;
        }
    }
    if failed {
        bail!("a backend failed");
    }
    Ok(())
}

async fn bench(args: &Args, backend: &str, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let started = Instant::now();
    let sent = seed(&*store, args.customers).await?;
    println!(
        "{backend}: seeded {} customers and sent deliveries in {:.1} s",
        sent.len(),
        started.elapsed().as_secs_f64()
    );

    let signing = SigningKey::from_slice(&[0x5a; 32]).context("bench signing key")?;
    let public_key = signing
        .verifying_key()
        .to_public_key_der()
        .context("public key DER")?;
    let webhooks = WebhookSettings {
        sendgrid: Some(SendgridSettings {
            public_key: BASE64.encode(public_key.as_bytes()),
        }),
        mailgun: Some(MailgunSettings {
            signing_key: SecretString::from(MAILGUN_KEY),
            tolerance: MailgunSettings::DEFAULT_TOLERANCE,
        }),
        postmark: Some(BasicAuthSettings {
            username: SecretString::from(HOOK_USER),
            password: SecretString::from(HOOK_PASSWORD),
        }),
        ..WebhookSettings::default()
    };
    let registry = Registry::from_settings(&webhooks)?;
    let settings = HttpSettings {
        signer: Signer::new(b"bench-secret"),
        erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
        api_keys: Vec::new(),
        default_locale: Locale::parse("en")?,
        default_timezone: Timezone::parse("UTC")?,
        margin_ratio: 0.3,
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        currency_rates: Default::default(),
        sns_auto_confirm: false,
        input: Default::default(),
        consent: Default::default(),
    };
    let state = AppState::new(store.clone(), settings, registry);
    let router = rapport::http::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rapport::http::serve_router(
        listener,
        router,
        state,
        async {
            stopped.await.ok();
        },
    ));

    let now = Utc::now();
    let sendgrid = sendgrid_posts(&sent, args.events, args.batch, &signing, now);
    let postmark = postmark_posts(&sent, args.singles, now);
    let mailgun = mailgun_posts(&sent, args.singles, now);
    let replay = sendgrid.first().map(|p| Post {
        path: p.path,
        headers: p.headers.clone(),
        body: p.body.clone(),
        rows: 0,
    });

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let mut total_rows = 0;
    for (provider, posts, events) in [
        ("sendgrid", sendgrid, args.events),
        ("postmark", postmark, args.singles),
        ("mailgun", mailgun, args.singles),
    ] {
        let before = store.counts().await?.events;
        let rows: u64 = posts.iter().map(|p| p.rows).sum();
        let requests = posts.len();
        let load = loadavg();
        let clock = Instant::now();
        let stored = post_all(&client, &base, posts, args.connections).await?;
        let took = clock.elapsed().as_secs_f64();
        let counted = store.counts().await?.events - before;
        let per_second = events as f64 / took;
        // The budget is for batched posts; single-event posts show the per-request cost.
        let goal = match (provider, per_second >= 5_000.0) {
            ("sendgrid", true) => "goal ≥ 5,000/s: ok",
            ("sendgrid", false) => "goal ≥ 5,000/s: MISSED",
            _ => "one event per request",
        };
        println!(
            "{backend:<8} {provider:<8} {events:>7} events in {requests:>5} requests: {took:>6.2} s, {per_second:>8.0} events/s ({goal}); {counted} rows in the database (expected {rows}, replies say {stored}); load before {load}"
        );
        if counted != rows || stored != rows {
            bail!("{provider}: expected {rows} rows, the database has {counted}");
        }
        total_rows += rows;
    }
    if let Some(replay) = replay {
        let stored = post_all(&client, &base, vec![replay], 1).await?;
        println!("{backend:<8} the first SendGrid batch posted again: {stored} rows stored");
        if stored != 0 {
            bail!("a replayed batch stored {stored} rows");
        }
    }
    stop.send(()).ok();
    server.await??;
    let events = store.counts().await?.events;
    println!("{backend:<8} {events} events in the table ({total_rows} from webhooks)");
    Ok(())
}

/// Posts everything over `connections` concurrent clients; returns the sum of the replies'
/// `stored`. Any non-200 answer fails the run.
async fn post_all(
    client: &reqwest::Client,
    base: &str,
    posts: Vec<Post>,
    connections: usize,
) -> anyhow::Result<u64> {
    let queue = Arc::new(std::sync::Mutex::new(posts.into_iter()));
    let mut workers = Vec::new();
    for _ in 0..connections.max(1) {
        let queue = queue.clone();
        let client = client.clone();
        let base = base.to_string();
        workers.push(tokio::spawn(async move {
            let mut stored = 0u64;
            loop {
                let next = queue.lock().expect("queue").next();
                let Some(post) = next else { break };
                let mut req = client
                    .post(format!("{base}{}", post.path))
                    .header("content-type", "application/json");
                for (name, value) in &post.headers {
                    req = req.header(*name, value);
                }
                let res = req.body(post.body).send().await?;
                let status = res.status();
                let text = res.text().await?;
                if !status.is_success() {
                    bail!("{} answered {status}: {text}", post.path);
                }
                let reply: Value = serde_json::from_str(&text)?;
                stored += reply["stored"].as_u64().unwrap_or(0);
            }
            Ok(stored)
        }));
    }
    let mut stored = 0;
    for w in workers {
        stored += w.await??;
    }
    Ok(stored)
}

/// The deterministic mix of one SendGrid event: what happened, and which correlation the
/// event carries (custom arg, only smtp-id, or only the recipient).
fn sendgrid_event(n: usize, d: &Sent, at: i64) -> (Value, u64) {
    let (event, rows) = match n % 200 {
        0 => ("bounce", 1),
        1 => ("spamreport", 2),
        2 => ("unsubscribe", 1),
        3..=5 => ("deferred", 1),
        6..=79 => ("delivered", 1),
        80..=159 => ("open", 1),
        _ => ("click", 1),
    };
    let mut e = json!({
        "email": d.email,
        "timestamp": at,
        "event": event,
        "sg_event_id": format!("bench-{n}"),
        "sg_message_id": format!("sg{n}.filter0001.bench"),
    });
    match n % 20 {
        // Async bounces and some others arrive without custom args or smtp-id.
        0 => {}
        1 | 2 => e["smtp-id"] = json!(d.message_id),
        _ => {
            e["rapport_delivery"] = json!(d.id.to_string());
            e["smtp-id"] = json!(d.message_id);
        }
    }
    match event {
        "open" => {
            e["useragent"] = json!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36");
            e["sg_machine_open"] = json!(n.is_multiple_of(7));
        }
        "click" => {
            e["useragent"] = json!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36");
            e["url"] = json!(format!("https://shop.example/p/{}", n % 50));
        }
        "bounce" => {
            e["type"] = json!("bounce");
            e["status"] = json!("5.1.1");
            e["reason"] =
                json!("550 5.1.1 The email account that you tried to reach does not exist");
        }
        "deferred" => {
            e["response"] = json!("421 4.7.0 Try again later");
            e["attempt"] = json!("1");
        }
        _ => {}
    }
    (e, rows)
}

fn sendgrid_posts(
    sent: &[Sent],
    events: usize,
    batch: usize,
    key: &SigningKey,
    now: DateTime<Utc>,
) -> Vec<Post> {
    let mut posts = Vec::new();
    let mut n = 0;
    while n < events {
        let end = (n + batch.max(1)).min(events);
        let mut rows = 0;
        let items: Vec<Value> = (n..end)
            .map(|i| {
                let (e, r) = sendgrid_event(i, &sent[i % sent.len()], now.timestamp() - 60);
                rows += r;
                e
            })
            .collect();
        // SendGrid separates events with CRLF (see the SDK vectors).
        let body = format!(
            "[{}]\r\n",
            items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(",\r\n")
        )
        .into_bytes();
        let timestamp = now.timestamp().to_string();
        let mut signed = timestamp.clone().into_bytes();
        signed.extend_from_slice(&body);
        let signature: Signature = key.sign(&signed);
        posts.push(Post {
            path: "/webhooks/sendgrid",
            headers: vec![
                (
                    "x-twilio-email-event-webhook-signature",
                    BASE64.encode(signature.to_der().as_bytes()),
                ),
                ("x-twilio-email-event-webhook-timestamp", timestamp),
            ],
            body,
            rows,
        });
        n = end;
    }
    posts
}

fn postmark_posts(sent: &[Sent], singles: usize, now: DateTime<Utc>) -> Vec<Post> {
    let auth = format!(
        "Basic {}",
        BASE64.encode(format!("{HOOK_USER}:{HOOK_PASSWORD}"))
    );
    (0..singles)
        .map(|i| {
            let d = &sent[(i * 7 + 3) % sent.len()];
            let at = (now - TimeDelta::seconds(30) + TimeDelta::milliseconds(i as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let body = match i % 3 {
                0 => json!({"RecordType": "Delivery", "MessageID": format!("pm-{i}"),
                    "Recipient": d.email, "DeliveredAt": at, "Details": "250 2.0.0 OK",
                    "Metadata": {"rapport-delivery": d.id.to_string()}}),
                1 => json!({"RecordType": "Open", "MessageID": format!("pm-{i}"),
                    "Recipient": d.email, "ReceivedAt": at, "FirstOpen": true,
                    "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
                    "Metadata": {"rapport-delivery": d.id.to_string()}}),
                _ => json!({"RecordType": "Click", "MessageID": format!("pm-{i}"),
                    "Recipient": d.email, "ReceivedAt": at,
                    "OriginalLink": "https://shop.example/sale",
                    "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
                    "Metadata": {"rapport-delivery": d.id.to_string()}}),
            };
            Post {
                path: "/webhooks/postmark",
                headers: vec![("authorization", auth.clone())],
                body: body.to_string().into_bytes(),
                rows: 1,
            }
        })
        .collect()
}

fn mailgun_posts(sent: &[Sent], singles: usize, now: DateTime<Utc>) -> Vec<Post> {
    let timestamp = now.timestamp().to_string();
    (0..singles)
        .map(|i| {
            let d = &sent[(i * 13 + 5) % sent.len()];
            let token = format!("{:050x}", i as u128 * 0x9e37_79b9_7f4a_7c15 + 1);
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(MAILGUN_KEY.as_bytes())
                .expect("any key length");
            mac.update(timestamp.as_bytes());
            mac.update(token.as_bytes());
            let signature: String = mac
                .finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let event = ["delivered", "opened", "clicked"][i % 3];
            let body = json!({
                "signature": {"timestamp": timestamp, "token": token, "signature": signature},
                "event-data": {
                    "event": event,
                    "id": format!("mg-bench-{i}"),
                    "timestamp": now.timestamp() as f64 - 30.0 + i as f64 / 1000.0,
                    "recipient": d.email,
                    "url": "https://shop.example/sale",
                    "message": {"headers": {"message-id": d.message_id.trim_matches(['<', '>'])}},
                    "user-variables": {"rapport_delivery": d.id.to_string()},
                    "client-info": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64)", "bot": ""},
                },
            });
            Post {
                path: "/webhooks/mailgun",
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
                rows: 1,
            }
        })
        .collect()
}

/// `n` customers, each with one delivery of `CAMPAIGN` sent an hour ago.
async fn seed(store: &dyn Store, n: usize) -> anyhow::Result<Vec<Sent>> {
    let now = Utc::now();
    let sent_at = now - TimeDelta::hours(1);
    plain_customers::insert(store, n, now).await?;

    let mut sent = Vec::with_capacity(n);
    let mut queued = Vec::with_capacity(5_000);
    for i in 0..n {
        let id = Uuid::now_v7();
        let message_id = format!("<{id}@shop.example>");
        queued.push(NewDelivery {
            id,
            customer_id: format!("c{i}"),
            campaign: CAMPAIGN.into(),
            occurrence: "bench".into(),
            service: false,
            current: Level::Basic,
            target: Level::Reactive,
            send_at: sent_at,
            message_id: message_id.clone(),
            unless_since: None,
            variant: None,
            held_out: false,
        });
        sent.push(Sent {
            id,
            email: format!("customer-{i}@example.org"),
            message_id,
        });
        if queued.len() == 5_000 || i + 1 == n {
            store.apply_cycle(&[], &queued, sent_at).await?;
            queued.clear();
        }
    }
    // Sent the way the dispatcher does it: claimed, then recorded under that claim.
    loop {
        let claimed = store
            .claim_due(Claim {
                now: sent_at,
                limit: 5_000,
                lease: TimeDelta::minutes(5),
                owner: "bench",
            })
            .await?;
        if claimed.is_empty() {
            break;
        }
        let results: Vec<DeliveryResult> = claimed
            .iter()
            .map(|c| DeliveryResult::Sent {
                id: c.id,
                links: vec!["https://shop.example/sale".into()],
                transport: None,
            })
            .collect();
        store.record_results(&results, "bench", sent_at).await?;
    }
    Ok(sent)
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

/// `uptime`'s three load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
