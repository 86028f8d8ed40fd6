//! The checks every campaign goes through for one customer, cheapest and most decisive first.

use super::blocked::Blocked;
use super::gates;
use super::occurrence::{self, Due};
use super::{PlanInput, Planned, quiet_hours};
use crate::campaigns::{Arm, Audience, Campaign, Trigger};
use crate::config::PlannerConfig;
use crate::domain::Suppression;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;

/// Due and eligible (`Ok`, with its occurrence), or the first rule that stops it.
/// `words`: spell out why a condition failed (explain), or only whether (the cycle).
pub(super) fn check<'a>(
    input: &PlanInput<'a>,
    campaign: &'a Campaign,
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
    words: bool,
) -> Result<Due<'a>, Blocked<'a>> {
    let due = check_ungated(input, campaign, cfg, now)?;
    gates::check(input, campaign, &due, now, words)?;
    Ok(due)
}

/// Every rule but the segment and `where` conditions.
pub(super) fn check_ungated<'a>(
    input: &PlanInput<'a>,
    campaign: &'a Campaign,
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    if let Some(s) = input.suppressed
        && !may_reconsent(input, campaign, s)
    {
        return Err(Blocked::Suppressed(s));
    }
    consent(input, campaign)?;
    audience(input, campaign)?;
    let due = occurrence::find(input, campaign, now)?;
    gates::unless(input, campaign, &due)?;
    cooldown(input, campaign, now)?;
    if !campaign.is_service() {
        min_gap(input, cfg, now)?;
    }
    // Last: it hashes the customer id, and most campaigns stop earlier.
    if let Some(g) = &campaign.experiment.global
        && g.holds(input.customer_id)
    {
        return Err(Blocked::GlobalHoldout((g.share * 10_000.0).round() as u32));
    }
    Ok(due)
}

/// An address erased before and signed up again under double opt-in gets the confirmation
/// email, its only way to give consent anew; its click lifts the suppression.
fn may_reconsent(input: &PlanInput<'_>, campaign: &Campaign, s: Suppression) -> bool {
    s == Suppression::ErasedBefore
        && input.facts.consent_pending
        && matches!(campaign.trigger, Trigger::Confirmation)
}

/// Marketing waits for the confirmation of double opt-in, and never goes on a topic the
/// customer left. Service emails (the confirmation itself, a complaint follow-up) are not
/// marketing.
fn consent<'a>(input: &PlanInput<'a>, campaign: &Campaign) -> Result<(), Blocked<'a>> {
    if campaign.is_service() {
        return Ok(());
    }
    if input.facts.consent_pending {
        return Err(Blocked::AwaitingConfirmation);
    }
    match campaign.topic {
        Some(t) if input.facts.left_topics.contains(&t) => Err(Blocked::TopicLeft(t)),
        _ => Ok(()),
    }
}

fn audience<'a>(input: &PlanInput<'a>, campaign: &Campaign) -> Result<(), Blocked<'a>> {
    let Audience::Levels {
        climb,
        maintenance,
        any,
    } = &campaign.audience
    else {
        return Ok(());
    };
    let (current, target) = (input.assessment.current, input.assessment.target);
    let climbing = target > current;
    if climb.contains(&current) && climbing
        || maintenance.contains(&current) && !climbing
        || any.contains(&current)
    {
        return Ok(());
    }
    Err(if climb.contains(&current) {
        Blocked::TargetReached { current, target }
    } else if maintenance.contains(&current) {
        Blocked::StillClimbing { current, target }
    } else {
        Blocked::NotForLevel(current)
    })
}

fn cooldown<'a>(
    input: &PlanInput<'a>,
    campaign: &Campaign,
    now: DateTime<Utc>,
) -> Result<(), Blocked<'a>> {
    let Some(cooldown) = campaign.cooldown else {
        return Ok(());
    };
    let last = input
        .deliveries
        .iter()
        .filter(|d| d.campaign == campaign.id && d.reached())
        .map(|d| d.at)
        .max();
    match last {
        Some(at) if now < at + cooldown.chrono() => Err(Blocked::CoolingDown {
            until: at + cooldown.chrono(),
        }),
        _ => Ok(()),
    }
}

/// Marketing emails keep `min_gap` from the last email of any kind — a survey the day after
/// an apology for a complaint would undo the apology; an email queued for later (deferred by
/// quiet hours) counts from when it will be sent. Service emails themselves ignore min_gap.
/// A failed delivery never reached the customer: there is no gap to keep after it.
fn min_gap<'a>(
    input: &PlanInput<'a>,
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> Result<(), Blocked<'a>> {
    let last = input
        .deliveries
        .iter()
        .filter(|d| d.reached())
        .map(|d| d.at)
        .max();
    match last {
        Some(at) if at > now => Err(Blocked::MinGapQueued { at }),
        Some(at) if now - at < cfg.min_gap.chrono() => Err(Blocked::MinGap {
            ago: now - at,
            min_gap: cfg.min_gap,
        }),
        _ => Ok(()),
    }
}

/// Service before marketing, then higher priority, then the smaller id (a stable tie-break).
pub(super) fn outranks(a: &Campaign, b: &Campaign) -> bool {
    rank(a) > rank(b)
}

fn rank(c: &Campaign) -> (bool, i32, Reverse<&str>) {
    (c.is_service(), c.priority, Reverse(c.id.as_str()))
}

/// The index of the campaign to pick among those that are due and eligible.
pub(super) fn winner<T, E>(campaigns: &[Campaign], verdicts: &[Result<T, E>]) -> Option<usize> {
    verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_ok())
        .map(|(i, _)| i)
        .max_by_key(|&i| rank(&campaigns[i]))
}

impl Due<'_> {
    pub(super) fn planned(
        &self,
        campaign: &Campaign,
        input: &PlanInput,
        cfg: &PlannerConfig,
        now: DateTime<Utc>,
    ) -> Planned {
        let arm = campaign.experiment.arm(&campaign.id, input.customer_id);
        Planned {
            campaign: campaign.id.clone(),
            variant: arm.variant_id().map(str::to_string),
            held_out: arm == Arm::HeldOut,
            occurrence: self.key(),
            send_at: quiet_hours::defer(now, input.timezone, &cfg.quiet_hours),
            unless_since: if campaign.unless.is_empty() {
                None
            } else {
                self.anchor(input)
            },
        }
    }
}
