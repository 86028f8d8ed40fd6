use super::{App, CmdResult, Format};
use crate::cycle::{self, CycleOptions};
use crate::store::Scope;
use chrono::{DateTime, Utc};

/// `rapport plan [--dry-run] [--now T] [--full]`
pub async fn run(
    app: &App,
    now: DateTime<Utc>,
    dry_run: bool,
    full: bool,
    format: Format,
) -> CmdResult {
    let campaigns = app.campaigns()?;
    let scope = if full {
        Scope::All
    } else {
        cycle::incremental_scope(&*app.store).await?
    };
    let opts = CycleOptions {
        scope,
        now,
        dry_run,
    };
    let report = cycle::run(&*app.store, &app.config, &campaigns, &opts).await?;
    match format {
        Format::Json => {
            for p in &report.planned {
                println!("{}", serde_json::to_string(p).unwrap_or_default());
            }
        }
        Format::Table => {
            for p in &report.planned {
                let arm = match (&p.variant, p.held_out) {
                    (_, true) => "  (held out)".to_string(),
                    (Some(v), false) => format!("  (variant {v})"),
                    (None, false) => String::new(),
                };
                println!(
                    "{:<14} {:<24} {:>11} → {:<11} {}  {}{arm}",
                    p.customer_id,
                    p.campaign,
                    p.current_level.as_str(),
                    p.target_level.as_str(),
                    p.send_at.format("%Y-%m-%d %H:%M UTC"),
                    p.occurrence
                );
            }
            let verb = if dry_run { "would queue" } else { "queued" };
            let n = if dry_run {
                report.planned.len() as u64
            } else {
                report.queued
            };
            eprintln!(
                "assessed {} customers in {:.2} s: {} level changes, {verb} {n} emails",
                report.assessed, report.seconds, report.level_changes
            );
        }
    }
    Ok(())
}
