//! `rapport resend --campaign ID --status failed [--since T]`: after the cause of a batch of
//! failures is fixed (a wrong relay password, a sender address the relay refused), puts that
//! campaign's failed deliveries back in the queue, attempts reset, for the senders to pick
//! up. Each delivery is resent at most once in its life, so running the command twice sends
//! nothing twice and a sent email is never touched.

use super::report::Since;
use super::{App, CmdResult, Failure};
use chrono::{DateTime, Utc};
use clap::ValueEnum;

/// Which deliveries to resend: only failed ones (the one status a resend can help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResendStatus {
    Failed,
}

pub async fn run(app: &App, campaign: &str, since: Option<Since>, now: DateTime<Utc>) -> CmdResult {
    let campaigns = super::load_campaigns(&app.config)?;
    if !campaigns.iter().any(|c| c.id == campaign) {
        let known: Vec<&str> = campaigns.iter().map(|c| c.id.as_str()).collect();
        return Err(Failure::User(anyhow::anyhow!(
            "--campaign: no campaign `{campaign}` in {} (there are: {})",
            app.config.paths.campaigns.display(),
            known.join(", ")
        )));
    }
    let since = since.map(|s| s.resolve(now));
    let n = app
        .store
        .requeue_failed(campaign, since, now)
        .await
        .map_err(|e| Failure::Runtime(e.into()))?;
    tracing::info!(campaign, since = ?since, requeued = n, "Failed deliveries put back in the queue.");
    let from = since.map_or(String::new(), |s| {
        format!(" failed since {}", s.to_rfc3339())
    });
    println!(
        "{n} failed deliveries of {campaign}{from} queued again; `rapport run` sends them \
         (each delivery is resent at most once)"
    );
    Ok(())
}
