//! `on = "predicted_need"`: due `lead` before the customer's predicted next order — their
//! last order plus the interval the shop's purchase-rhythm model expects of them — while they
//! are probably still a customer. docs/predictions.md says how the rhythm is learned.

use super::PlanInput;
use super::blocked::Blocked;
use crate::config::Duration;
use crate::predict::{Need, RhythmLine};
use chrono::{DateTime, TimeDelta, Utc};

/// How long after the expected date the campaign stays due: a cycle missed on the day still
/// sends it, a date long past does not (the next order sets a new one).
const GRACE: TimeDelta = TimeDelta::days(1);

/// The occurrence: the last order's time (one per gap between orders), or why not.
pub(super) fn due<'a>(
    input: &PlanInput<'a>,
    lead: Duration,
    min_alive: f64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Blocked<'a>> {
    let f = input.facts;
    let (Some(first), Some(last)) = (f.first_order_at, f.last_order_at) else {
        return Err(Blocked::Rhythm(NotNeeded::NoOrders));
    };
    if f.orders < 2 {
        return Err(Blocked::Rhythm(NotNeeded::OneOrder));
    }
    let Some(model) = input.purchases else {
        return Err(Blocked::Rhythm(NotNeeded::NoModel));
    };
    let need = Need::of(model, f.orders, first, last, now);
    let line = need.line(now);
    if need.p_alive < min_alive {
        return Err(Blocked::Rhythm(NotNeeded::ProbablyGone {
            line,
            min_alive_percent: (min_alive * 100.0).round() as u32,
        }));
    }
    let from = need.next_expected_at - lead.chrono();
    if now < from {
        return Err(Blocked::Rhythm(NotNeeded::NotYet {
            line,
            lead,
            due_in_days: ((from - now).num_hours() as f64 / 24.0).ceil() as i64,
        }));
    }
    if now >= need.next_expected_at + GRACE {
        return Err(Blocked::Rhythm(NotNeeded::Passed { line }));
    }
    Ok(last)
}

/// Why a predicted-need campaign is not due, in the words of the rhythm line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NotNeeded {
    NoOrders,
    OneOrder,
    /// No customer of the shop has bought twice, so no rhythm was learned.
    NoModel,
    ProbablyGone {
        line: RhythmLine,
        min_alive_percent: u32,
    },
    NotYet {
        line: RhythmLine,
        lead: Duration,
        due_in_days: i64,
    },
    Passed {
        line: RhythmLine,
    },
}

impl std::fmt::Display for NotNeeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::levels::wording::std_span;
        match self {
            NotNeeded::NoOrders => write!(f, "no order yet: no purchase rhythm"),
            NotNeeded::OneOrder => write!(
                f,
                "1 order: a purchase rhythm needs at least 2 before a need is predicted"
            ),
            NotNeeded::NoModel => write!(
                f,
                "no purchase rhythm learned: no customer of the shop has bought twice"
            ),
            NotNeeded::ProbablyGone {
                line,
                min_alive_percent,
            } => write!(
                f,
                "probably no longer a customer: {line} (below min_alive {min_alive_percent} %)"
            ),
            NotNeeded::NotYet {
                line,
                lead,
                due_in_days,
            } => write!(
                f,
                "not due: {line}; due {} before, in {due_in_days} day{}",
                std_span(lead.std()),
                if *due_in_days == 1 { "" } else { "s" }
            ),
            NotNeeded::Passed { line } => write!(
                f,
                "not due: {line}; the expected date has passed (the next order sets a new one)"
            ),
        }
    }
}
