//! Render throughput: personalised emails rendered and built into bytes per second, on one
//! core, with the shipped templates — without DKIM, then with RSA-2048, Ed25519, and both
//! (dual signatures).
//!
//!     cargo run --release --example render_throughput [-- SECONDS [DUMP_DIR]]
//!
//! DUMP_DIR, when given (`-` for none), receives one .eml per campaign × locale to look at.
//! `RAPPORT_BENCH_DKIM=none|rsa|ed25519|dual` runs one variant only (for profiling).
//! DKIM keys are generated with `openssl` (skipped with a note when it is missing).

use rapport::domain::{EmailAddress, Locale};
use rapport::render::{
    DeliveryMeta, DkimSigner, EmailContext, MessageMeta, Renderer, TemplateSpec, Tracking,
    build_message, parse_mailbox,
};
use rapport::tracking::Signer;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use uuid::Uuid;

const CAMPAIGNS: [&str; 5] = [
    "post-sale-follow-up",
    "satisfaction-survey",
    "loyalty-offer",
    "partnership-invitation",
    "complaint-follow-up",
];

fn specs() -> Vec<TemplateSpec> {
    CAMPAIGNS
        .iter()
        .map(|c| TemplateSpec {
            campaign: c.to_string(),
            template: c.to_string(),
            subjects: BTreeMap::from([
                (
                    "en".to_string(),
                    "{{customer.first_name}}, a note from {{shop.name}}".to_string(),
                ),
                (
                    "fa".to_string(),
                    "{{customer.first_name}} عزیز، پیامی از {{shop.name}}".to_string(),
                ),
            ]),
            subject_sources: BTreeMap::new(),
        })
        .collect()
}

fn rsa_key() -> Option<String> {
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

fn ed25519_key() -> Option<String> {
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-outform", "DER"])
        .output()
        .ok()?;
    use base64::Engine as _;
    (out.status.success() && out.stdout.len() >= 32).then(|| {
        base64::engine::general_purpose::STANDARD.encode(&out.stdout[out.stdout.len() - 32..])
    })
}

/// Personalised contexts: different names, locales, orders, so that nothing is cached.
fn contexts(n: usize) -> Vec<EmailContext> {
    let locales = [Locale::parse("en").unwrap(), Locale::parse("fa").unwrap()];
    (0..n)
        .map(|i| {
            let campaign = CAMPAIGNS[i % CAMPAIGNS.len()];
            let mut ctx = EmailContext::sample(campaign, &locales[(i / CAMPAIGNS.len()) % 2]);
            ctx.customer.id = format!("c-{i}");
            ctx.customer.first_name = format!("{}{i}", ctx.customer.first_name);
            ctx.customer.email = format!("customer{i}@example.com");
            if ctx.occurrence.is_object() {
                ctx.occurrence["id"] = format!("A-{}", 10_000 + i).into();
            }
            ctx
        })
        .collect()
}

/// Time this thread spent on a CPU, in seconds: "per core" even on a busy machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn report(label: &str, n: usize, wall: f64, cpu: Option<f64>, extra: &str) {
    match cpu {
        Some(cpu) => println!(
            "{label:<30} {:>8.0} emails/s per core (CPU time; {:.0}/s wall){extra}",
            n as f64 / cpu,
            n as f64 / wall
        ),
        None => println!(
            "{label:<30} {:>8.0} emails/s (wall){extra}",
            n as f64 / wall
        ),
    }
}

fn run(
    label: &str,
    r: &Renderer,
    ctxs: &[EmailContext],
    dkim: Option<&DkimSigner>,
    budget: Duration,
) {
    let from = parse_mailbox("Rapport Demo Shop <hello@shop.example>").unwrap();
    let reply_to = parse_mailbox("support@shop.example").unwrap();
    let emails: Vec<EmailAddress> = ctxs
        .iter()
        .map(|c| EmailAddress::parse(&c.customer.email).unwrap())
        .collect();
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let (mut n, mut bytes) = (0usize, 0usize);
    while start.elapsed() < budget {
        for (ctx, to) in ctxs.iter().zip(&emails).take(200) {
            let id = Uuid::new_v4();
            let rendered = r
                .render(&ctx.campaign, ctx, &DeliveryMeta { delivery_id: id })
                .unwrap();
            let message_id = format!("<{id}@shop.example>");
            let meta = MessageMeta {
                delivery_id: id,
                message_id: &message_id,
                to_email: to,
                to_name: &ctx.customer.name,
                from: &from,
                reply_to: Some(&reply_to),
                unsubscribe_mailto: None,
                correlation_headers: true,
                date: chrono::Utc::now(),
            };
            bytes += build_message(&rendered, &meta, dkim).unwrap().len();
            n += 1;
        }
    }
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let extra = format!(
        ", {n} emails, {:.1} KiB average",
        bytes as f64 / n as f64 / 1024.0
    );
    report(label, n, start.elapsed().as_secs_f64(), cpu, &extra);
}

/// The Handlebars + link-tracking half alone, to see where the time goes.
fn render_only(r: &Renderer, ctxs: &[EmailContext], budget: Duration) {
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let mut n = 0usize;
    while start.elapsed() < budget {
        for ctx in ctxs {
            let rendered = r
                .render(
                    &ctx.campaign,
                    ctx,
                    &DeliveryMeta {
                        delivery_id: Uuid::new_v4(),
                    },
                )
                .unwrap();
            std::hint::black_box(rendered);
            n += 1;
        }
    }
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    report(
        "render only (no MIME)",
        n,
        start.elapsed().as_secs_f64(),
        cpu,
        "",
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let budget = Duration::from_secs_f64(seconds);
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let shop = BTreeMap::from([
        ("name".to_string(), "Rapport Demo Shop".to_string()),
        (
            "support_email".to_string(),
            "support@shop.example".to_string(),
        ),
        ("website".to_string(), "https://shop.example".to_string()),
    ]);
    let tracking = Tracking::new(
        "https://mail.shop.example",
        Signer::new(b"benchmark-secret"),
    );
    let t = Instant::now();
    let r = Renderer::load(&templates, &specs(), &shop, tracking).unwrap_or_else(|errors| {
        for e in errors {
            eprintln!("{e}");
        }
        std::process::exit(1);
    });
    println!(
        "templates loaded (CSS inlined, samples checked) in {:.0?}; one thread",
        t.elapsed()
    );
    let ctxs = contexts(200);

    if let Some(dir) = args.get(2).filter(|d| *d != "-") {
        std::fs::create_dir_all(dir).unwrap();
        let from = parse_mailbox("Rapport Demo Shop <hello@shop.example>").unwrap();
        for ctx in ctxs.iter().take(10) {
            let id = Uuid::new_v4();
            let rendered = r
                .render(&ctx.campaign, ctx, &DeliveryMeta { delivery_id: id })
                .unwrap();
            let to = EmailAddress::parse(&ctx.customer.email).unwrap();
            let message_id = format!("<{id}@shop.example>");
            let meta = MessageMeta {
                delivery_id: id,
                message_id: &message_id,
                to_email: &to,
                to_name: &ctx.customer.name,
                from: &from,
                reply_to: None,
                unsubscribe_mailto: None,
                correlation_headers: true,
                date: chrono::Utc::now(),
            };
            let path = Path::new(dir).join(format!("{}.{}.eml", ctx.campaign, rendered.lang));
            std::fs::write(&path, build_message(&rendered, &meta, None).unwrap()).unwrap();
            std::fs::write(path.with_extension("html"), &rendered.html).unwrap();
        }
        println!("wrote 10 emails to {dir}");
    }

    let only = std::env::var("RAPPORT_BENCH_DKIM").unwrap_or_default();
    let wanted = |v: &str| only.is_empty() || only == v;
    if wanted("none") {
        render_only(&r, &ctxs, budget);
        run("render + build, no DKIM", &r, &ctxs, None, budget);
    }
    if wanted("rsa") {
        match rsa_key().map(|k| DkimSigner::new("shop.example", "rapport", &k).unwrap()) {
            Some(s) => run("render + build, DKIM RSA-2048", &r, &ctxs, Some(&s), budget),
            None => println!("DKIM RSA-2048: skipped (openssl not found)"),
        }
    }
    if wanted("ed25519") {
        match ed25519_key().map(|k| DkimSigner::new("shop.example", "rapport", &k).unwrap()) {
            Some(s) => run("render + build, DKIM Ed25519", &r, &ctxs, Some(&s), budget),
            None => println!("DKIM Ed25519: skipped (openssl not found)"),
        }
    }
    if wanted("dual") {
        let dual = rsa_key().zip(ed25519_key()).map(|(rsa, ed)| {
            DkimSigner::new("shop.example", "rapport", &rsa)
                .and_then(|s| s.with_key("rapport-ed", &ed))
                .unwrap()
        });
        match dual {
            Some(s) => run(
                "render + build, DKIM RSA + Ed25519",
                &r,
                &ctxs,
                Some(&s),
                budget,
            ),
            None => println!("DKIM RSA + Ed25519: skipped (openssl not found)"),
        }
    }
}
