//! Runs the experiment report's queries: the arms of every campaign with an experiment (or
//! the one asked for), the recorded auto-winner decisions, and the programme when a global
//! hold-out is configured.

use super::experiment::{self, ExperimentReport};
use crate::campaigns::Campaign;
use crate::config::Config;
use crate::store::{OutcomeQuery, ProgrammeQuery, Store, StoreError};
use chrono::{DateTime, Utc};

/// The confidence of the report's intervals and tests.
pub const CONFIDENCE: f64 = 0.95;

/// What `rapport report --experiment` looks at.
#[derive(Debug, Clone)]
pub struct ExperimentFilter {
    /// Only this campaign.
    pub campaign: Option<String>,
    /// Only deliveries whose send time is at or after this (a new experiment's period); the
    /// programme's period starts here too (default: `climb_window` before `now`).
    pub since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

pub async fn build(
    store: &dyn Store,
    cfg: &Config,
    campaigns: &[Campaign],
    f: &ExperimentFilter,
) -> Result<ExperimentReport, StoreError> {
    let chosen: Vec<&Campaign> = campaigns
        .iter()
        .filter(|c| c.experiment.is_running())
        .filter(|c| f.campaign.as_ref().is_none_or(|id| &c.id == id))
        .collect();
    let q = OutcomeQuery {
        campaigns: chosen.iter().map(|c| c.id.clone()).collect(),
        since: f.since,
        until: f.now,
        conversion_window: cfg.report.conversion_window.chrono(),
        climb_window: cfg.experiments.climb_window.chrono(),
        rates: super::rates(cfg),
    };
    let rows = if q.campaigns.is_empty() {
        Vec::new()
    } else {
        store.arm_outcomes(&q).await?
    };
    let winners = store.winners().await?;
    let sections = chosen
        .iter()
        .map(|c| {
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| r.campaign == c.id)
                .cloned()
                .collect();
            let winner = winners
                .iter()
                .find(|w| w.campaign == c.id && w.salt == c.experiment.salt)
                .cloned();
            experiment::campaign_report(c, &mine, winner, CONFIDENCE)
        })
        .collect();
    let share = cfg.experiments.global_holdout.0;
    let programme = if share > 0.0 && f.campaign.is_none() {
        let global = crate::campaigns::GlobalHoldout {
            share,
            salt: cfg.experiments.global_salt.clone(),
        };
        let pq = ProgrammeQuery {
            since: f
                .since
                .unwrap_or(f.now - cfg.experiments.climb_window.chrono()),
            until: f.now,
            rates: super::rates(cfg),
        };
        let [marketed, held_out] = store
            .programme_outcomes(&pq, &|id: &str| global.holds(id))
            .await?;
        Some(experiment::programme(share, marketed, held_out, CONFIDENCE))
    } else {
        None
    };
    Ok(ExperimentReport {
        currency: cfg.strategy.base_currency.as_str().to_string(),
        confidence: CONFIDENCE,
        campaigns: sections,
        programme,
    })
}
