//! A generated experiment with a planted effect (issue 20): N customers who each got the
//! loyalty offer in one of three arms — held out, variant A (the campaign as written) or
//! variant B (another subject) — and then ordered and climbed at rates planted per arm. The
//! report must find the lift it was given: B converts and climbs more than A, and both more
//! than the hold-out.
//!
//!     cargo run --release --example experiment_scenario                 # SQLite, 20,000 customers
//!     cargo run --release --example experiment_scenario -- --customers 50000 --seed 7
//!     cargo run --release --example experiment_scenario -- \
//!         --database-url postgres://postgres@127.0.0.1:5432/rapport_experiment
//!
//! It writes into `--out` (default `data/experiment-scenario/`) the campaign folder to report with
//! (the shipped campaigns, `loyalty-offer` with `holdout = 0.1` and two variants) and, by
//! default, the SQLite database `rapport.db`; it refuses a database that has customers. Arms
//! are drawn as the planner draws them (SHA-256 of campaign, salt and customer), so `explain`
//! agrees with the data; outcomes are drawn from a seeded generator: the same arguments give
//! the same data. Everything happens before 2026-11-25T09:00:00Z, as in the sample shop.

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport::campaigns::{self, Arm, Campaign};
use rapport::domain::{Currency, CustomerId, EmailAddress, EventKind, Level, Locale, Timezone};
use rapport::domain::{CustomerRecord, EventRecord, OrderRecord};
use rapport::store::{self, Claim, DeliveryResult, LevelChange, NewDelivery, OutcomeQuery, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CAMPAIGN: &str = "loyalty-offer";

#[derive(Parser)]
#[command(about = "Generate an experiment with a planted lift for `rapport report --experiment`")]
struct Args {
    #[arg(long, default_value_t = 20_000)]
    customers: usize,
    /// Same seed, same outcomes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the campaign folder (and the default SQLite database) go.
    #[arg(long, default_value = "data/experiment-scenario")]
    out: PathBuf,
    /// Default: sqlite://OUT/rapport.db.
    #[arg(long)]
    database_url: Option<String>,
}

/// What each arm was planted with: the chance of an order within 7 days of the email, of a
/// climb (accountable → proactive) within 60 days, and of a human open and click.
struct Planted {
    convert: f64,
    climb: f64,
    open: f64,
    click: f64,
}

/// (arm, conversion, climb, open, click).
const PLANTED: [(&str, [f64; 4]); 3] = [
    ("holdout", [0.04, 0.08, 0.0, 0.0]),
    ("A", [0.05, 0.10, 0.38, 0.06]),
    ("B", [0.065, 0.12, 0.44, 0.08]),
];

fn planted(arm: &str) -> Planted {
    let [convert, climb, open, click] = PLANTED.iter().find(|p| p.0 == arm).expect("an arm").1;
    Planted {
        convert,
        climb,
        open,
        click,
    }
}

fn anchor() -> DateTime<Utc> {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

/// The shipped campaigns, wherever the example runs from.
fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns")
}

/// The shipped loyalty offer with a 10 % hold-out and a variant B with its own subject.
fn campaign_text() -> anyhow::Result<String> {
    let shipped = std::fs::read_to_string(shipped().join(format!("{CAMPAIGN}.toml")))?;
    Ok(format!(
        "holdout = 0.1\n\n{shipped}\n[experiment]\nsalt = \"scenario\"\n\n\
         [[variant]]\nid = \"A\"\n\n[[variant]]\nid = \"B\"\n\n[variant.subject]\n\
         en = \"{{{{customer.first_name}}}}, three things we think you will like\"\n"
    ))
}

/// Copies the shipped campaigns into OUT/campaigns with the experiment's loyalty offer.
fn write_campaigns(out: &Path) -> anyhow::Result<Campaign> {
    let dir = out.join("campaigns");
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(shipped())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap()))?;
        }
    }
    let text = campaign_text()?;
    let path = dir.join(format!("{CAMPAIGN}.toml"));
    std::fs::write(&path, &text)?;
    campaigns::parse(&path, &text, &|_| true).map_err(|e| anyhow::anyhow!("{e:?}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let campaign = write_campaigns(&args.out)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/rapport.db", args.out.display()));
    let store = store::connect(&url, 4).await?;
    store.migrate().await?;
    anyhow::ensure!(
        store.counts().await?.customers == 0,
        "{url} already has customers: give an empty database"
    );
    let s = &*store;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let ids: Vec<String> = (0..args.customers).map(|i| format!("x{i:06}")).collect();
    customers(s, &ids).await?;
    // Everyone accountable since four months before: the loyalty offer's climb audience.
    let first = changes(&ids, None, Level::Accountable);
    s.apply_cycle(&first, &[], anchor() - TimeDelta::days(120))
        .await?;

    let mut deliveries = Vec::new();
    let (mut orders, mut climbs) = (Vec::new(), BTreeMap::<DateTime<Utc>, Vec<String>>::new());
    for (i, id) in ids.iter().enumerate() {
        // Fourteen days of sends, 90 to 77 days before the anchor: every window has closed.
        let send_at = anchor() - TimeDelta::days(90 - (i % 14) as i64) + TimeDelta::hours(1);
        let arm = campaign.experiment.arm(CAMPAIGN, id);
        let name = match arm {
            Arm::HeldOut => "holdout",
            _ => arm.variant_id().unwrap_or(""),
        };
        let p = planted(name);
        let week = send_at.iso_week();
        let did = uuid::Uuid::now_v7();
        deliveries.push(NewDelivery {
            id: did,
            customer_id: id.clone(),
            campaign: CAMPAIGN.into(),
            occurrence: format!("week:{}-W{:02}", week.year(), week.week()),
            service: false,
            current: Level::Accountable,
            target: Level::Proactive,
            send_at,
            message_id: format!("<{did}@scenario.example>"),
            unless_since: None,
            variant: arm.variant_id().map(String::from),
            held_out: arm == Arm::HeldOut,
        });
        if rng.random::<f64>() < p.convert {
            let after = TimeDelta::minutes(rng.random_range(60..7 * 24 * 60 - 60));
            orders.push(order(&mut rng, id, "w", send_at + after));
        }
        // What no arm may count: earlier orders, later ones, a drop.
        for k in 0..rng.random_range(0..3) {
            let before = TimeDelta::days(rng.random_range(2..300));
            orders.push(order(&mut rng, id, &format!("b{k}"), send_at - before));
        }
        if rng.random::<f64>() < 0.03 {
            let after = TimeDelta::days(rng.random_range(8..60));
            orders.push(order(&mut rng, id, "late", send_at + after));
        }
        if rng.random::<f64>() < p.climb {
            // Some morning 1–59 days after the email (06:00, before its hour: inside 60 d).
            let day = send_at.date_naive() + TimeDelta::days(rng.random_range(1..60));
            let at = day.and_hms_opt(6, 0, 0).unwrap().and_utc();
            climbs.entry(at).or_default().push(id.clone());
        }
    }
    for chunk in deliveries.chunks(5_000) {
        s.apply_cycle(&[], chunk, anchor() - TimeDelta::days(91))
            .await?;
    }
    let arms: BTreeMap<uuid::Uuid, &str> = deliveries
        .iter()
        .map(|d| (d.id, d.variant.as_deref().unwrap_or("holdout")))
        .collect();
    send_and_engage(s, &arms, &mut rng).await?;
    let mut tx = s.begin_import().await?;
    for chunk in orders.chunks(5_000) {
        tx.upsert_orders(chunk, anchor()).await?;
    }
    tx.commit().await?;
    for (at, who) in &climbs {
        s.apply_cycle(
            &changes(who, Some(Level::Accountable), Level::Proactive),
            &[],
            *at,
        )
        .await?;
    }
    println!(
        "{url}: {} customers, {} deliveries of {CAMPAIGN}, {} orders, {} climbs",
        ids.len(),
        deliveries.len(),
        orders.len(),
        climbs.values().map(Vec::len).sum::<usize>()
    );
    print_outcomes(s).await?;
    println!(
        "planted: conversion hold-out 4 %, A 5 %, B 6.5 %; climbs 8 / 10 / 12 %\n\
         report: RAPPORT__DATABASE__URL={url} RAPPORT__PATHS__CAMPAIGNS={}/campaigns \
         rapport report --experiment {CAMPAIGN}",
        args.out.display()
    );
    Ok(())
}

async fn customers(s: &dyn Store, ids: &[String]) -> anyhow::Result<()> {
    let rows: Vec<CustomerRecord> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| CustomerRecord {
            id: CustomerId::parse(id).unwrap(),
            email: EmailAddress::parse(&format!("{id}@example.org")).unwrap(),
            name: format!("Customer {i}"),
            locale: Locale::parse(if i % 5 == 4 { "fa" } else { "en" }).unwrap(),
            timezone: Timezone::parse("UTC").unwrap(),
            subscribed: true,
            created_at: anchor() - TimeDelta::days(400),
            created_at_given: true,
            attributes: serde_json::Map::new(),
            target_override: None,
            consent_source: None,
            consent_wording: None,
        })
        .collect();
    let mut tx = s.begin_import().await?;
    for chunk in rows.chunks(5_000) {
        tx.upsert_customers(chunk, anchor()).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn changes(ids: &[String], from: Option<Level>, to: Level) -> Vec<LevelChange> {
    ids.iter()
        .map(|id| LevelChange {
            customer_id: id.clone(),
            from,
            current: to,
            target: Level::Proactive,
            reasons: vec!["scenario".into()],
        })
        .collect()
}

/// An order of 25 EUR plus an exponential tail (mean 45), one in seven in USD.
fn order(rng: &mut StdRng, customer: &str, tag: &str, at: DateTime<Utc>) -> OrderRecord {
    let amount = (25.0 - 45.0 * (1.0 - rng.random::<f64>()).ln()).round();
    let usd = rng.random_range(0..7) == 0;
    OrderRecord {
        id: format!("{customer}-{tag}"),
        customer_id: CustomerId::parse(customer).unwrap(),
        occurred_at: at,
        amount,
        currency: Currency::parse(if usd { "USD" } else { "EUR" }).unwrap(),
        margin: (amount * 0.3).round(),
        items: serde_json::json!([]),
    }
}

/// Sends each day's emails at their time (the hold-out is never claimed) and writes their
/// tracked events: delivered, human and proxy opens, human and scanner clicks.
async fn send_and_engage(
    s: &dyn Store,
    arms: &BTreeMap<uuid::Uuid, &str>,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let mut events = Vec::new();
    for day in 0..14 {
        let now = anchor() - TimeDelta::days(90 - day) + TimeDelta::hours(1);
        loop {
            let claim = Claim {
                now,
                limit: 5_000,
                lease: TimeDelta::minutes(5),
                owner: "scenario",
            };
            let claimed = s.claim_due(claim).await?;
            if claimed.is_empty() {
                break;
            }
            let sent: Vec<DeliveryResult> = claimed
                .iter()
                .map(|c| DeliveryResult::Sent {
                    id: c.id,
                    links: vec![],
                    transport: None,
                })
                .collect();
            s.record_results(&sent, "scenario", now).await?;
            for c in &claimed {
                let p = planted(arms[&c.id]);
                let mut ev = |kind, hours: i64, machine| {
                    events.push(EventRecord {
                        id: Some(format!("scenario-{}-{}", c.id, events.len())),
                        customer_id: CustomerId::parse(&c.customer_id).unwrap(),
                        kind,
                        occurred_at: now + TimeDelta::hours(hours),
                        data: serde_json::Map::new(),
                        machine,
                        delivery_id: Some(c.id),
                    })
                };
                ev(EventKind::Delivered, 0, false);
                if rng.random::<f64>() < 0.2 {
                    ev(EventKind::EmailOpen, 0, true);
                }
                if rng.random::<f64>() < 0.03 {
                    ev(EventKind::EmailClick, 0, true);
                }
                if rng.random::<f64>() < p.open {
                    ev(EventKind::EmailOpen, 3, false);
                    if rng.random::<f64>() < p.click / p.open {
                        ev(EventKind::EmailClick, 3, false);
                    }
                }
            }
        }
    }
    let mut tx = s.begin_import().await?;
    for chunk in events.chunks(5_000) {
        tx.insert_events(chunk, anchor()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What the store reads back per arm (the figures the report compares).
async fn print_outcomes(s: &dyn Store) -> anyhow::Result<()> {
    let q = OutcomeQuery {
        campaigns: vec![CAMPAIGN.into()],
        since: None,
        until: anchor(),
        conversion_window: TimeDelta::days(7),
        climb_window: TimeDelta::days(60),
        rates: vec![("EUR".into(), 1.0), ("USD".into(), 0.92)],
    };
    println!("arm       recipients  opened  clicked  converted  climbed  revenue/recipient EUR");
    for a in s.arm_outcomes(&q).await? {
        let pct = |n: u64| format!("{:.1} %", a.rate(n).rate().unwrap_or(0.0) * 100.0);
        println!(
            "{:<9} {:>10} {:>7} {:>8} {:>10} {:>8} {:>22.2}",
            a.arm,
            a.recipients,
            pct(a.opened),
            pct(a.clicked),
            pct(a.converted),
            pct(a.climbed),
            a.revenue.mean().unwrap_or(0.0)
        );
    }
    Ok(())
}
