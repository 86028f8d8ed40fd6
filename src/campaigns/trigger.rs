//! The `[trigger]` table: when a campaign is due, and what activity since makes it pointless
//! (`unless`). Every key that has no meaning for the chosen `on` is reported, so a marketer
//! never believes a key is doing something it is not.

use super::raw::RawTrigger;
use super::schedule::{ScheduleTrigger, SlotPeriod, parse_cron};
use super::validate::Problem;
use super::{Direction, EventTrigger, Trigger, Unless};
use crate::config::Duration;
use crate::domain::EventKind;
use std::ops::Range;
use toml::Spanned;

/// How long a schedule slot stays due when the file does not say.
const DEFAULT_WINDOW_SECS: u64 = 12 * 3600;
/// How long after signing up a welcome may still go, when the file does not say.
const DEFAULT_SIGNUP_MAX_AGE_SECS: u64 = 30 * 86_400;
/// How long after the first email a follow-up may still go, when the file does not say.
const DEFAULT_SENT_MAX_AGE_SECS: u64 = 30 * 86_400;

const TRIGGERS: &str = "\"order\", \"complaint\", \"event\", \"signup\", \"confirmation\", \"level_change\", \"lapse\", \"sent\", \"predicted_need\", \"schedule\" or \"eligible\"";
/// The least chance of still being a customer for `on = "predicted_need"`, when the file does
/// not say.
pub const DEFAULT_MIN_ALIVE: f64 = 0.5;

/// The kinds `unless` accepts: those whose latest time the facts keep (so planning can check
/// them without a lookup), and custom events.
const UNLESS_KINDS: &str = "order, email_click, reply, support_contact, complaint, complaint_resolved, survey_response, partnership_accepted, custom:NAME";

pub(super) fn trigger(
    raw: &RawTrigger,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<Trigger> {
    let on = raw.on.get_ref().as_str();
    let allowed: &[&str] = match on {
        "order" | "complaint" | "signup" => &["delay", "max_age", "unless"],
        "event" => &["kind", "delay", "max_age", "unless"],
        "level_change" => &["direction", "delay", "max_age", "unless"],
        "lapse" => &["after", "max_age"],
        "sent" => &["campaign", "delay", "max_age", "unless"],
        "predicted_need" => &["lead", "min_alive", "unless"],
        "schedule" => &["schedule", "window", "occurrence", "send_time"],
        "eligible" | "confirmation" => &[],
        other => {
            problems.push((
                raw.on.span(),
                format!("unknown trigger `on = \"{other}\"`: expected {TRIGGERS}"),
            ));
            return None;
        }
    };
    for (key, written) in raw.optional_keys() {
        if let Some(at) = written.filter(|_| !allowed.contains(&key)) {
            problems.push((
                at,
                format!("`{key}` has no meaning for `on = \"{on}\"`: remove it"),
            ));
        }
    }
    match on {
        "order" => timing(raw, span, "order", None, problems).map(Trigger::Order),
        "complaint" => timing(raw, span, "complaint", None, problems).map(Trigger::Complaint),
        "signup" => timing(
            raw,
            span,
            "sign-up",
            Some(DEFAULT_SIGNUP_MAX_AGE_SECS),
            problems,
        )
        .map(Trigger::Signup),
        "event" => {
            let kind = custom_kind(raw, span.clone(), problems);
            let timing = timing(raw, span, "event", None, problems);
            Some(Trigger::Event {
                kind: kind?,
                timing: timing?,
            })
        }
        "level_change" => {
            let direction = direction(raw, span.clone(), problems);
            let timing = timing(raw, span, "level change", None, problems);
            Some(Trigger::LevelChange {
                direction: direction?,
                timing: timing?,
            })
        }
        "lapse" => lapse(raw, span, problems),
        "sent" => {
            let Some(campaign) = &raw.campaign else {
                problems.push((span, "add `campaign`, the id of the campaign this one follows, e.g. `campaign = \"satisfaction-survey\"`".into()));
                return None;
            };
            let timing = timing(
                raw,
                span,
                "email",
                Some(DEFAULT_SENT_MAX_AGE_SECS),
                problems,
            )?;
            Some(Trigger::Sent {
                campaign: campaign.get_ref().trim().to_string(),
                timing,
            })
        }
        "schedule" => schedule(raw, span, problems),
        "predicted_need" => predicted_need(raw, span, problems),
        "confirmation" => Some(Trigger::Confirmation),
        _ => Some(Trigger::Eligible),
    }
}

/// `delay` (default 0) and `max_age` (required unless a default is given).
fn timing(
    raw: &RawTrigger,
    span: Range<usize>,
    what: &str,
    default_max_age: Option<u64>,
    problems: &mut Vec<Problem>,
) -> Option<EventTrigger> {
    let delay = raw
        .delay
        .as_ref()
        .map(|d| *d.get_ref())
        .unwrap_or(Duration::from_secs(0));
    let max_age = match (raw.max_age.as_ref(), default_max_age) {
        (Some(m), _) => *m.get_ref(),
        (None, Some(secs)) => Duration::from_secs(secs).max(delay),
        (None, None) => {
            problems.push((
                span,
                format!("add `max_age` (e.g. `max_age = \"30d\"`): without it, importing old history would send this for every past {what}"),
            ));
            return None;
        }
    };
    if max_age < delay {
        let at = raw.max_age.as_ref().map(Spanned::span).unwrap_or(span);
        problems.push((
            at,
            format!(
                "`max_age` ({max_age}) is shorter than `delay` ({delay}): it could never be sent"
            ),
        ));
        return None;
    }
    Some(EventTrigger { delay, max_age })
}

fn custom_kind(
    raw: &RawTrigger,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<EventKind> {
    let Some(kind) = &raw.kind else {
        problems.push((span, "add `kind`, the custom event that triggers this campaign, e.g. `kind = \"custom:cart_abandoned\"`".into()));
        return None;
    };
    match EventKind::parse(kind.get_ref()) {
        Ok(k @ EventKind::Custom(_)) => Some(k),
        Ok(k) => {
            problems.push((kind.span(), format!("`kind = \"{k}\"` is a built-in event: `on = \"event\"` takes custom events (`custom:NAME`); orders and complaints have their own triggers")));
            None
        }
        Err(e) => {
            problems.push((kind.span(), e.to_string()));
            None
        }
    }
}

fn direction(
    raw: &RawTrigger,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<Direction> {
    let Some(d) = &raw.direction else {
        problems.push((
            span,
            "add `direction = \"drop\"` (a win-back) or `direction = \"climb\"` (a congratulation)"
                .into(),
        ));
        return None;
    };
    match d.get_ref().as_str() {
        "drop" => Some(Direction::Drop),
        "climb" => Some(Direction::Climb),
        other => {
            problems.push((
                d.span(),
                format!("unknown direction `{other}`: expected \"drop\" or \"climb\""),
            ));
            None
        }
    }
}

fn lapse(raw: &RawTrigger, span: Range<usize>, problems: &mut Vec<Problem>) -> Option<Trigger> {
    let Some(after) = &raw.after else {
        problems.push((
            span,
            "add `after`, the time without an order that counts as lapsed, e.g. `after = \"120d\"`"
                .into(),
        ));
        return None;
    };
    if after.get_ref().std().is_zero() {
        problems.push((after.span(), "`after` must be longer than 0".into()));
        return None;
    }
    Some(Trigger::Lapse {
        after: *after.get_ref(),
        max_age: raw.max_age.as_ref().map(|m| *m.get_ref()),
    })
}

fn predicted_need(
    raw: &RawTrigger,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<Trigger> {
    let Some(lead) = &raw.lead else {
        problems.push((span, "add `lead`, how long before the customer's predicted next order the campaign is due, e.g. `lead = \"3d\"`".into()));
        return None;
    };
    let min_alive = match &raw.min_alive {
        None => DEFAULT_MIN_ALIVE,
        Some(m) if (0.0..=1.0).contains(m.get_ref()) => *m.get_ref(),
        Some(m) => {
            problems.push((
                m.span(),
                format!(
                    "`min_alive = {}` is not a probability: write a share between 0 and 1, e.g. `min_alive = 0.5`",
                    m.get_ref()
                ),
            ));
            return None;
        }
    };
    Some(Trigger::PredictedNeed {
        lead: *lead.get_ref(),
        min_alive,
    })
}

fn schedule(raw: &RawTrigger, span: Range<usize>, problems: &mut Vec<Problem>) -> Option<Trigger> {
    let Some(expr) = &raw.schedule else {
        problems.push((span, "add `schedule`, a cron expression with seconds in the customer's local time, e.g. `schedule = \"0 0 10 * * Sat\"`".into()));
        return None;
    };
    let cron = parse_cron(expr.get_ref())
        .map_err(|e| problems.push((expr.span(), e)))
        .ok()?;
    let period = match &raw.occurrence {
        None => SlotPeriod::Slot,
        Some(p) => match SlotPeriod::parse(p.get_ref()) {
            Some(period) => period,
            None => {
                problems.push((
                    p.span(),
                    format!(
                        "unknown occurrence `{}`: expected one of {}",
                        p.get_ref(),
                        SlotPeriod::NAMES
                    ),
                ));
                return None;
            }
        },
    };
    let window = raw
        .window
        .as_ref()
        .map(|w| *w.get_ref())
        .unwrap_or(Duration::from_secs(DEFAULT_WINDOW_SECS));
    if window.std().is_zero() {
        let at = raw.window.as_ref().map(Spanned::span).unwrap_or(span);
        problems.push((
            at,
            "`window` must be longer than 0: it is how long a slot stays due".into(),
        ));
        return None;
    }
    let best_hour = match &raw.send_time {
        None => false,
        Some(s) if s.get_ref() == "best" => true,
        Some(s) => {
            problems.push((
                s.span(),
                format!(
                    "unknown send_time `{}`: expected \"best\" (the customer's best hour inside the window), or leave it out to send as soon as the slot is due",
                    s.get_ref()
                ),
            ));
            return None;
        }
    };
    Some(Trigger::Schedule(Box::new(ScheduleTrigger {
        cron,
        window,
        period,
        best_hour,
    })))
}

/// The `unless` list: `order` or an event kind the planner can see.
pub(super) fn unless(raw: &RawTrigger, problems: &mut Vec<Problem>) -> Vec<Unless> {
    let Some(list) = &raw.unless else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in list.get_ref() {
        let name = item.get_ref().trim();
        let parsed = if name == "order" {
            Ok(Unless::Order)
        } else {
            match EventKind::parse(name) {
                Ok(
                    k @ (EventKind::EmailClick
                    | EventKind::Reply
                    | EventKind::SupportContact
                    | EventKind::Complaint
                    | EventKind::ComplaintResolved
                    | EventKind::SurveyResponse
                    | EventKind::PartnershipAccepted
                    | EventKind::Custom(_)),
                ) => Ok(Unless::Event(k)),
                _ => Err(format!(
                    "`{name}` cannot be an `unless`: expected one of {UNLESS_KINDS}"
                )),
            }
        };
        match parsed {
            Ok(u) if !out.contains(&u) => out.push(u),
            Ok(_) => {}
            Err(message) => problems.push((item.span(), message)),
        }
    }
    out
}
