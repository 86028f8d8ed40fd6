//! The rules a campaign adds beyond level and trigger: `unless` (activity since the
//! occurrence) and its segment and `where` conditions, evaluated over the customer's
//! [`ConditionContext`].

use super::blocked::Blocked;
use super::occurrence::Due;
use super::{PlanInput, rules};
use crate::campaigns::{Campaign, Unless};
use crate::conditions::Needs;
use crate::config::PlannerConfig;
use crate::domain::condition_context::{
    CustomerView, EngagementView, LevelView, OccurrenceView, OrdersView, ReferralsView, SurveyView,
    nps_group,
};
use crate::domain::{ConditionContext, EventKind};
use chrono::{DateTime, TimeDelta, Utc};

/// `unless`: the first listed kind with activity after the occurrence's time. The facts keep
/// the latest time of each kind (human events only), custom events come with the context.
pub(super) fn unless<'a>(
    input: &PlanInput<'a>,
    campaign: &'a Campaign,
    due: &Due<'a>,
) -> Result<(), Blocked<'a>> {
    if campaign.unless.is_empty() {
        return Ok(());
    }
    let Some(anchor) = due.anchor(input) else {
        return Ok(());
    };
    for u in &campaign.unless {
        if let Some(at) = latest(input, u).filter(|&at| at > anchor) {
            return Err(Blocked::Unless {
                what: u.name(),
                after: at - anchor,
            });
        }
    }
    Ok(())
}

/// The latest activity of one `unless` kind the planner knows of.
fn latest(input: &PlanInput, u: &Unless) -> Option<DateTime<Utc>> {
    let f = input.facts;
    match u {
        Unless::Order => f.last_order_at,
        Unless::Event(kind) => match kind {
            EventKind::EmailClick => f.last_click_at,
            EventKind::Reply => f.last_reply_at,
            EventKind::SupportContact => f.last_support_contact_at,
            EventKind::Complaint => f.last_complaint_at,
            EventKind::ComplaintResolved => f.last_complaint_resolved_at,
            EventKind::SurveyResponse => f.last_survey_response_at,
            EventKind::PartnershipAccepted => f.partnership_accepted_at,
            EventKind::Custom(name) => input
                .recent_events
                .iter()
                .filter(|e| &e.kind == name)
                .map(|e| e.occurred_at)
                .max(),
            _ => None,
        },
    }
}

/// The segment and `where` conditions, in that order; `words`: build the reason a marketer
/// reads (explain), not only the verdict (the full cycle).
pub(super) fn check<'a>(
    input: &PlanInput<'a>,
    campaign: &'a Campaign,
    due: &Due<'a>,
    now: DateTime<Utc>,
    words: bool,
) -> Result<(), Blocked<'a>> {
    if campaign.gates.is_empty() {
        return Ok(());
    }
    let ctx = with_occurrence(condition_context(input, now), input, due);
    if input.extras.is_none() && campaign.gates.iter().any(|g| g.condition.needs().any()) {
        // A part that reads only the facts may already fail: no lookup needed to say no.
        if let Some(gate) = campaign
            .gates
            .iter()
            .find(|g| g.condition.false_without_lookup(&ctx))
        {
            let detail = if words {
                gate.condition.explain(&ctx).detail
            } else {
                String::new()
            };
            return Err(Blocked::Condition {
                label: &gate.label,
                detail,
            });
        }
        return Err(Blocked::NeedsLookup);
    }
    for gate in &campaign.gates {
        if words {
            let verdict = gate.condition.explain(&ctx);
            if !verdict.holds {
                return Err(Blocked::Condition {
                    label: &gate.label,
                    detail: verdict.detail,
                });
            }
        } else if !gate.condition.holds(&ctx) {
            return Err(Blocked::Condition {
                label: &gate.label,
                detail: String::new(),
            });
        }
    }
    Ok(())
}

/// What the conditions of the campaigns otherwise due for this customer need looked up, if
/// anything: the cycle then looks it up and plans again with [`PlanInput::extras`].
pub fn needs_lookup(
    input: &PlanInput,
    campaigns: &[Campaign],
    cfg: &PlannerConfig,
    now: DateTime<Utc>,
) -> Option<Needs> {
    let mut needs = Needs::default();
    for c in campaigns {
        let wanted = c
            .gates
            .iter()
            .fold(Needs::default(), |n, g| n.union(g.condition.needs()));
        if !wanted.any() {
            continue;
        }
        let Ok(due) = rules::check_ungated(input, c, cfg, now) else {
            continue;
        };
        // Spared when a part reading only the facts already fails.
        let ctx = with_occurrence(condition_context(input, now), input, &due);
        if !c
            .gates
            .iter()
            .any(|g| g.condition.false_without_lookup(&ctx))
        {
            needs = needs.union(wanted);
        }
    }
    needs.any().then_some(needs)
}

fn days(now: DateTime<Utc>, at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|t| (now - t).num_days())
}

/// The customer as conditions see them, without an occurrence (segments have none).
pub fn condition_context(input: &PlanInput, now: DateTime<Utc>) -> ConditionContext {
    let f = input.facts;
    let extras = input.extras;
    let month_ago = now - TimeDelta::days(30);
    let score = extras.and_then(|x| x.last_survey).and_then(|(_, s)| s);
    ConditionContext {
        customer: CustomerView {
            id: input.customer_id.to_string(),
            locale: input.locale.to_string(),
            language: input
                .locale
                .split('-')
                .next()
                .unwrap_or_default()
                .to_string(),
            timezone: input.timezone.name().to_string(),
            created_at: f.created_at,
            days_since_signup: days(now, f.created_at),
            attributes: extras.map(|x| x.attributes.clone()).unwrap_or_default(),
        },
        level: LevelView {
            current: input.assessment.current,
            target: input.assessment.target,
            previous: f.previous_level,
            days_at_level: days(now, f.level_since),
        },
        orders: OrdersView {
            count: f.orders_in_window,
            margin: f.margin_in_window,
            days_since_first: days(now, f.first_order_at),
            days_since_last: days(now, f.last_order_at),
        },
        occurrence: OccurrenceView::default(),
        engagement: EngagementView {
            days_since_open: days(now, extras.and_then(|x| x.last_open_at)),
            days_since_click: days(now, f.last_click_at),
            emails_30d: input
                .deliveries
                .iter()
                .filter(|d| d.reached() && d.at >= month_ago && d.at <= now)
                .count() as u32,
        },
        survey: SurveyView {
            last_score: score,
            days_since_answer: days(now, f.last_survey_response_at),
            nps_group: score.map(nps_group),
        },
        referrals: ReferralsView {
            count: f.referrals_in_window,
        },
    }
}

/// Adds the occurrence: its kind and key, the triggering order's lines, the custom event's data.
fn with_occurrence(mut ctx: ConditionContext, input: &PlanInput, due: &Due) -> ConditionContext {
    ctx.occurrence.kind = due.kind().to_string();
    ctx.occurrence.id = due.key();
    match due {
        Due::Order(id) => {
            if let Some(items) = input.extras.and_then(|x| x.order_items.get(*id)) {
                ctx.occurrence.items = items.clone();
            }
        }
        Due::Event(id) => {
            if let Some(e) = input.recent_events.iter().find(|e| e.id == *id) {
                ctx.occurrence.data = e.data.clone();
            }
        }
        _ => {}
    }
    ctx
}
