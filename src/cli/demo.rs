use super::Engine;
use super::hints;
use super::{CmdResult, Failure};
use crate::config::{Config, SecretUrl};
use crate::cycle::{self, CycleOptions, PlannedEmail};
use crate::domain::Level;
use crate::import::{Entity, ImportOptions, RecordDefaults, import_file};
use crate::store::{self, Scope, Store};
use anyhow::Context;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::path::Path;

/// The instant the sample data in `examples/` is written around (examples/README.md): the
/// demo decides "as of" then, so it shows the same story whatever today's date is.
pub const SAMPLE_NOW: &str = "2026-11-25T09:00:00Z";

/// Marks a database as the demo's own, so a later `demo` may recreate it.
const DEMO_MARK: &str = "demo.database";

/// The sample shop the demo imports, relative to the project folder.
const SAMPLE_FILES: [(Entity, &str); 3] = [
    (Entity::Customers, "examples/customers.csv"),
    (Entity::Orders, "examples/orders.jsonl"),
    (Entity::Events, "examples/events.jsonl"),
];

/// `rapport demo`: a fresh SQLite database, the sample shop, one full cycle into the file
/// transport, and a summary of what happened.
pub async fn run(mut config: Config) -> CmdResult {
    let url = config.database.url.expose().to_string();
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Err(Failure::User(anyhow::anyhow!(
            "the demo runs on SQLite only; database.url is {}",
            config.database.url
        )));
    };
    let path = path.split('?').next().unwrap_or(path).to_string();
    // Everything that can be wrong with the configuration, the campaigns, the templates or
    // the sample files is found before anything is deleted: a typo in a campaign must not
    // cost the last demo's database and outbox.
    let engine = Engine::load(&config)?;
    if let Some((_, missing)) = SAMPLE_FILES.iter().find(|(_, f)| !Path::new(f).is_file()) {
        return Err(Failure::User(anyhow::anyhow!(
            "{missing} not found: run the demo from the project folder"
        )));
    }
    refuse_foreign_database(&path).await?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let outbox = clear_outbox(&config)?;
    config.database.url = SecretUrl::new(&url);
    let store = store::connect(&url, 4)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    store
        .migrate()
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    store.set_state(DEMO_MARK, "true").await?;
    println!("rapport demo: fresh database {path}");

    let now: DateTime<Utc> = SAMPLE_NOW.parse().expect("valid constant");
    let defaults = RecordDefaults::from_config(&config, now);
    for (entity, file) in SAMPLE_FILES {
        let report = import_file(
            &*store,
            entity,
            file,
            &defaults,
            &ImportOptions {
                skip_invalid: false,
                progress: false,
                erasure_key: crate::privacy::AddressKey::new(
                    config.erasure_secret().expose_secret().as_bytes(),
                ),
            },
        )
        .await
        .with_context(|| format!("cannot import {file} (run the demo from the project folder)"))
        .map_err(Failure::User)?;
        println!("  {file}: {}", report.summary());
    }

    let report = cycle::run(
        &*store,
        &config,
        &engine.campaigns,
        &CycleOptions {
            scope: Scope::All,
            now,
            dry_run: false,
        },
    )
    .await?;
    let dispatcher = engine.dispatcher(&config, store.clone());
    let sent = dispatcher.drain(now).await?;
    dispatcher.close().await;

    println!("\nOne cycle as of {SAMPLE_NOW} (the sample data's \"today\"):");
    println!(
        "  assessed {} customers in {:.2} s, queued {} emails, wrote {} to {}",
        report.assessed, report.seconds, report.queued, sent.sent, outbox
    );
    if let Some(line) = due_later(&report.planned, now) {
        println!("  {line}");
    }
    print_levels(&*store, now).await?;
    print_campaigns(&*store).await?;
    let run = hints::this_command();
    println!(
        "\nLook at the emails:  ls {outbox}/*.eml   (open one in a mail client, or `less` it)\n\
         Why a customer got what they got:  {run} explain cust-0001 --now {SAMPLE_NOW}\n\
         Render one without sending:  {run} preview satisfaction-survey --customer cust-0101 --format text\n\
         Keep going (scheduler, senders, tracking endpoint on {}):  {run} run\n\n{}",
        config.http.bind,
        hints::dashboard(&config, run)
    );
    Ok(())
}

/// The emails queued for a later instant than the cycle's (a trigger's delay, or quiet hours
/// in the customer's timezone), so that "queued 42, wrote 38" does not read as 4 lost.
fn due_later(planned: &[PlannedEmail], now: DateTime<Utc>) -> Option<String> {
    let later: Vec<DateTime<Utc>> = planned
        .iter()
        .filter(|p| !p.held_out)
        .map(|p| p.send_at)
        .filter(|t| *t > now)
        .collect();
    let first = later.iter().min()?;
    let last = later.iter().max()?;
    let when = if first == last {
        format!("at {}", first.format("%Y-%m-%d %H:%M UTC"))
    } else {
        format!(
            "between {} and {}",
            first.format("%Y-%m-%d %H:%M"),
            last.format("%Y-%m-%d %H:%M UTC")
        )
    };
    let n = later.len();
    let (emails, them) = if n == 1 {
        ("email is", "it")
    } else {
        ("emails are", "them")
    };
    Some(format!(
        "{n} queued {emails} due later, {when} (quiet hours in the customer's timezone or a \
         campaign's delay): `run` sends {them} then"
    ))
}

/// Recreating a database that holds real data would lose it: only the demo's own (or none).
async fn refuse_foreign_database(path: &str) -> Result<(), Failure> {
    if !Path::new(path).exists() {
        return Ok(());
    }
    let store = store::connect(&format!("sqlite://{path}"), 1)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    let mark = store.get_state(DEMO_MARK).await.ok().flatten();
    let empty = store
        .counts()
        .await
        .map(|c| c.customers == 0)
        .unwrap_or(true);
    if mark.is_some() || empty {
        Ok(())
    } else {
        Err(Failure::User(anyhow::anyhow!(
            "{path} holds customers that did not come from the demo; move it away or point the demo elsewhere with RAPPORT__DATABASE__URL=sqlite://data/demo.db"
        )))
    }
}

/// Empties the file transport's folder of earlier `.eml` files so the outbox shows this run.
fn clear_outbox(config: &Config) -> Result<String, Failure> {
    let url = config.smtp.url.expose();
    let Some(dir) = url.strip_prefix("file://") else {
        return Ok(config.smtp.url.to_string());
    };
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "eml") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(dir.to_string())
}

async fn print_levels(store: &dyn Store, now: DateTime<Utc>) -> Result<(), Failure> {
    let counts = store.level_counts(now).await?;
    // Per locale too: a sample (or a shop) whose levels all land in one language is a
    // pricing or data problem a marketer should see at once.
    let locales: Vec<&String> = counts.by_locale.keys().collect();
    let per_locale = |i: usize, current: bool| -> String {
        locales
            .iter()
            .map(|l| {
                let (c, t) = &counts.by_locale[*l];
                format!("{l} {}", if current { c[i] } else { t[i] })
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "\n  {:<12} {:>8} {:<20} {:>8} {:<20}",
        "level", "current", "", "target", ""
    );
    for l in Level::ALL {
        let i = (l.rank() - 1) as usize;
        println!(
            "  {:<12} {:>8} {:<20} {:>8} {:<20}",
            l.as_str(),
            counts.current[i],
            format!("({})", per_locale(i, true)),
            counts.target[i],
            format!("({})", per_locale(i, false))
        );
    }
    Ok(())
}

async fn print_campaigns(store: &dyn Store) -> Result<(), Failure> {
    println!(
        "\n  {:<24} {:>6} {:>8} {:>11}",
        "campaign", "sent", "queued", "suppressed"
    );
    for c in store.outbox_counts().await? {
        println!(
            "  {:<24} {:>6} {:>8} {:>11}",
            c.campaign,
            c.sent,
            c.queued + c.sending,
            c.suppressed + c.failed
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn planned(send_at: &str) -> PlannedEmail {
        PlannedEmail {
            customer_id: "c".into(),
            campaign: "post-sale-follow-up".into(),
            current_level: Level::Basic,
            target_level: Level::Reactive,
            send_at: send_at.parse().unwrap(),
            occurrence: "order:1".into(),
            variant: None,
            held_out: false,
        }
    }

    #[test]
    fn the_summary_says_how_many_emails_wait_and_until_when() {
        let now: DateTime<Utc> = SAMPLE_NOW.parse().unwrap();
        let emails = [
            planned(SAMPLE_NOW),
            planned("2026-11-25T20:30:00Z"),
            planned("2026-11-26T07:00:00Z"),
        ];
        assert_eq!(
            due_later(&emails, now).unwrap(),
            "2 queued emails are due later, between 2026-11-25 20:30 and 2026-11-26 07:00 UTC \
             (quiet hours in the customer's timezone or a campaign's delay): `run` sends them then"
        );
        assert_eq!(due_later(&emails[..1], now), None, "nothing waits: no line");
    }
}
