//! The experiments' part of a cycle: the auto-winner decisions recorded so far applied to the
//! campaigns (everyone outside the hold-out gets the winner), and, on a full cycle, new
//! decisions for campaigns whose variants have had enough recipients with a known outcome.
//!
//! A campaign is decided **once**: at the first full cycle where every variant has
//! `decide_after` recipients whose outcome is known, the verdict is recorded whatever it is —
//! a winner, or none (an empty `variant`: the split goes on). Asking again every cycle until
//! something looks significant would be peeking: each look is another chance of a false
//! winner, and the error rate would end far above the configured level.

use crate::campaigns::{Campaign, Goal};
use crate::config::Config;
use crate::experiments::{Decision, Proportion, decide};
use crate::store::{ArmOutcome, OutcomeQuery, Store, StoreError, WinnerRecord};
use chrono::{DateTime, TimeDelta, Utc};
use std::borrow::Cow;

/// How long after the email an open or a click is still counted for the auto-winner: most
/// come within hours; two days catches the weekend reader.
const ENGAGEMENT_WINDOW: TimeDelta = TimeDelta::days(2);

/// The campaigns as this cycle plans them: with the recorded winners, after deciding new ones
/// when `decide` (a full cycle that writes). Borrowed unchanged when no campaign has an
/// auto-winner.
pub async fn prepare<'c>(
    store: &dyn Store,
    cfg: &Config,
    campaigns: &'c [Campaign],
    now: DateTime<Utc>,
    decide_now: bool,
) -> Result<Cow<'c, [Campaign]>, StoreError> {
    if !campaigns.iter().any(|c| c.experiment.auto_winner.is_some()) {
        return Ok(Cow::Borrowed(campaigns));
    }
    let mut campaigns = campaigns.to_vec();
    let mut winners = store.winners().await?;
    if decide_now {
        let open: Vec<&Campaign> = campaigns
            .iter()
            .filter(|c| undecided(c, &winners))
            .collect();
        for c in open {
            if let Some(w) = decide_one(store, cfg, c, now).await? {
                if store.record_winner(&w).await? {
                    tracing::info!(campaign = %w.campaign, winner = %w.variant, metric = %w.metric,
                        "auto-winner decided (an empty winner: none was significantly better)");
                }
                winners = store.winners().await?;
            }
        }
    }
    apply(&mut campaigns, &winners);
    Ok(Cow::Owned(campaigns))
}

/// Sets each campaign's recorded winner (for its current salt).
pub fn apply(campaigns: &mut [Campaign], winners: &[WinnerRecord]) {
    for c in campaigns {
        c.experiment.winner = winners
            .iter()
            .find(|w| w.campaign == c.id && w.salt == c.experiment.salt)
            .map(|w| w.variant.clone())
            // An empty variant: decided that there is no winner.
            .filter(|v| c.experiment.variants.iter().any(|x| &x.id == v));
    }
}

fn undecided(c: &Campaign, winners: &[WinnerRecord]) -> bool {
    c.experiment.auto_winner.is_some()
        && !winners
            .iter()
            .any(|w| w.campaign == c.id && w.salt == c.experiment.salt)
}

/// The outcome window of a goal: recipients more recent than that are not counted yet.
pub fn window(goal: Goal, cfg: &Config) -> TimeDelta {
    match goal {
        Goal::Conversion => cfg.report.conversion_window.chrono(),
        Goal::Climb => cfg.experiments.climb_window.chrono(),
        Goal::Open | Goal::Click => ENGAGEMENT_WINDOW,
    }
}

async fn decide_one(
    store: &dyn Store,
    cfg: &Config,
    c: &Campaign,
    now: DateTime<Utc>,
) -> Result<Option<WinnerRecord>, StoreError> {
    let Some(auto) = c.experiment.auto_winner else {
        return Ok(None);
    };
    let q = OutcomeQuery {
        campaigns: vec![c.id.clone()],
        since: None,
        until: now - window(auto.goal, cfg),
        conversion_window: cfg.report.conversion_window.chrono(),
        climb_window: cfg.experiments.climb_window.chrono(),
        rates: crate::report::rates(cfg),
    };
    let rows = store.arm_outcomes(&q).await?;
    let variants: Vec<(&str, Proportion)> = c
        .experiment
        .variants
        .iter()
        .map(|v| {
            let row = rows.iter().find(|r| r.arm == v.id);
            (
                v.id.as_str(),
                row.map_or_else(Proportion::default, |r| goal_rate(r, auto.goal)),
            )
        })
        .collect();
    Ok(
        match decide(&variants, auto.decide_after, auto.confidence) {
            Decision::Winner {
                variant,
                comparisons,
            } => Some(WinnerRecord {
                campaign: c.id.clone(),
                salt: c.experiment.salt.clone(),
                variant,
                metric: auto.goal.name().to_string(),
                decided_at: now,
                detail: serde_json::to_value(&comparisons).unwrap_or_default(),
            }),
            Decision::NoWinner { reason } => Some(WinnerRecord {
                campaign: c.id.clone(),
                salt: c.experiment.salt.clone(),
                variant: String::new(),
                metric: auto.goal.name().to_string(),
                decided_at: now,
                detail: serde_json::json!({ "reason": reason }),
            }),
            Decision::Wait { .. } => None,
        },
    )
}

/// An arm's successes on the goal out of its recipients.
pub fn goal_rate(r: &ArmOutcome, goal: Goal) -> Proportion {
    r.rate(match goal {
        Goal::Conversion => r.converted,
        Goal::Click => r.clicked,
        Goal::Open => r.opened,
        Goal::Climb => r.climbed,
    })
}
