//! `rapport report`: per-campaign figures as a table, JSON or CSV.

use super::{App, CmdResult, Failure};
use crate::domain::Locale;
use crate::report;
use chrono::{DateTime, Utc};
use clap::ValueEnum;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

/// `--since`: an instant (RFC 3339) or a span back from now (`30d`, `12h`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Since {
    At(DateTime<Utc>),
    Ago(crate::config::Duration),
}

impl Since {
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Since::At(t) => t,
            Since::Ago(d) => now - d.chrono(),
        }
    }
}

pub fn parse_since(s: &str) -> Result<Since, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Since::At(t.with_timezone(&Utc)));
    }
    crate::config::Duration::parse(s).map(Since::Ago).map_err(|_| {
        format!("`{s}` is neither an RFC 3339 timestamp (2026-11-01T00:00:00Z) nor a duration (30d, 12h)")
    })
}

pub struct Args {
    pub campaign: Option<String>,
    pub experiment: bool,
    pub transports: bool,
    pub since: Option<Since>,
    pub locale: Option<String>,
    pub format: ReportFormat,
    pub now: DateTime<Utc>,
}

pub async fn run(app: &App, a: Args) -> CmdResult {
    if a.experiment {
        return experiments(app, a).await;
    }
    if a.transports {
        return transports(app, a).await;
    }
    let locale = match &a.locale {
        Some(l) => Some(
            Locale::parse(l)
                .map_err(|e| Failure::User(anyhow::anyhow!("--locale: {e}")))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let f = report::filter(
        &app.config,
        a.campaign.clone(),
        a.since.map(|s| s.resolve(a.now)),
        locale,
    );
    let r = report::build(&*app.store, &app.config, &f).await?;
    if let Some(c) = &a.campaign
        && r.campaigns.is_empty()
        && let Ok(known) = app.campaigns()
        && !known.iter().any(|k| &k.id == c)
    {
        let ids: Vec<&str> = known.iter().map(|k| k.id.as_str()).collect();
        return Err(Failure::User(anyhow::anyhow!(
            "--campaign: no campaign `{c}` (and no deliveries under that name); campaigns: {}",
            ids.join(", ")
        )));
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    let io = |e: std::io::Error| Failure::Runtime(e.into());
    match a.format {
        ReportFormat::Json => {
            serde_json::to_writer(&mut out, &r.campaigns)
                .map_err(|e| Failure::Runtime(e.into()))?;
            writeln!(out).map_err(io)?;
        }
        ReportFormat::Csv => {
            report::write_csv(&mut out, &r).map_err(|e| Failure::Runtime(e.into()))?
        }
        ReportFormat::Table => report::write_table(&mut out, &r).map_err(io)?,
    }
    Ok(())
}

/// `rapport report --transports`: each transport's sent, failed, throttled and failed-over
/// emails, for `--campaign` or all, from `--since`'s UTC day on.
async fn transports(app: &App, a: Args) -> CmdResult {
    let since = a.since.map(|s| s.resolve(a.now));
    let rows = app
        .store
        .transport_tallies(a.campaign.as_deref(), since)
        .await?;
    let out = std::io::stdout();
    let mut out = out.lock();
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match a.format {
            ReportFormat::Json => {
                serde_json::to_writer(&mut *out, &rows)?;
                writeln!(out)
            }
            ReportFormat::Csv => report::write_transports_csv(out, &rows),
            ReportFormat::Table => report::write_transports_table(out, &rows),
        }
    };
    write(&mut out).map_err(|e| Failure::Runtime(e.into()))
}

/// `rapport report --experiment`: every campaign with an experiment (or `--campaign`), and
/// the programme against the global hold-out.
async fn experiments(app: &App, a: Args) -> CmdResult {
    let campaigns = app.campaigns()?;
    if let Some(c) = &a.campaign {
        match campaigns.iter().find(|k| &k.id == c) {
            None => {
                let ids: Vec<&str> = campaigns.iter().map(|k| k.id.as_str()).collect();
                return Err(Failure::User(anyhow::anyhow!(
                    "--campaign: no campaign `{c}`; campaigns: {}",
                    ids.join(", ")
                )));
            }
            Some(k) if !k.experiment.is_running() => {
                return Err(Failure::User(anyhow::anyhow!(
                    "--campaign: `{c}` runs no experiment: give it `holdout = 0.1` or [[variant]] entries (docs/experiments.md)"
                )));
            }
            Some(_) => {}
        }
    }
    let f = report::ExperimentFilter {
        campaign: a.campaign.clone(),
        since: a.since.map(|s| s.resolve(a.now)),
        now: a.now,
    };
    let r = report::build_experiments(&*app.store, &app.config, &campaigns, &f).await?;
    let out = std::io::stdout();
    let mut out = out.lock();
    let io = |e: std::io::Error| Failure::Runtime(e.into());
    match a.format {
        ReportFormat::Json => {
            serde_json::to_writer(&mut out, &r).map_err(|e| Failure::Runtime(e.into()))?;
            writeln!(out).map_err(io)?;
        }
        ReportFormat::Csv => {
            return Err(Failure::User(anyhow::anyhow!(
                "--experiment: use --format table or json (the comparisons do not fit CSV rows)"
            )));
        }
        ReportFormat::Table => report::write_experiment_table(&mut out, &r).map_err(io)?,
    }
    Ok(())
}
