//! Why a campaign was not picked, kept as data until someone asks to read it: the full cycle
//! only needs the pick, `explain` needs the words.

use crate::config::Duration;
use crate::domain::Level;
use crate::levels::wording::{span, std_span};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::borrow::Cow;
use std::fmt;

pub use crate::domain::Suppression;

/// One reason, with its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Blocked<'a> {
    Suppressed(Suppression),
    NotForLevel(Level),
    /// A climb step, but the customer is already at (or above) the target.
    TargetReached {
        current: Level,
        target: Level,
    },
    /// A maintenance campaign, but the customer is still below the target.
    StillClimbing {
        current: Level,
        target: Level,
    },
    NotDue {
        what: Event<'a>,
        age: TimeDelta,
        delay: Duration,
    },
    TooOld {
        what: Event<'a>,
        age: TimeDelta,
        max_age: Duration,
    },
    NoEvent {
        kind: &'a str,
        max_age: Duration,
    },
    AlreadySent(Cow<'a, str>),
    SlotNotDue {
        next: Option<DateTime<Tz>>,
    },
    CoolingDown {
        until: DateTime<Utc>,
    },
    MinGap {
        ago: TimeDelta,
        min_gap: Duration,
    },
    MinGapQueued {
        at: DateTime<Utc>,
    },
    LowerPriority(&'a str),
    /// Activity since the occurrence made it pointless (`unless`).
    Unless {
        what: &'a str,
        after: TimeDelta,
    },
    /// A `where` or a segment does not hold: its label and what it saw.
    Condition {
        label: &'a str,
        detail: String,
    },
    /// A condition reads something only a lookup brings, and it was not looked up (the cycle
    /// looks it up and plans again).
    NeedsLookup,
    /// `on = "level_change"`: the last change went the other way, or there was none.
    NoLevelChange(&'static str),
    /// `on = "lapse"`: the last order is recent enough.
    NotLapsed {
        ago: TimeDelta,
        after: Duration,
    },
    /// `on = "predicted_need"`: no need predicted now, in the rhythm line's words.
    Rhythm(super::need::NotNeeded),
    /// `on = "sent"`: the campaign it follows was never sent to this customer.
    NotFollowing(&'a str),
    /// `on = "lapse"`: the customer never ordered, so there is nothing to lapse from.
    NeverOrdered,
    /// The customer is in the configuration's global hold-out: no marketing at all. The
    /// share in hundredths of a percent (a float is not `Eq`).
    GlobalHoldout(u32),
    /// Double opt-in: the customer has not clicked the confirmation link yet.
    AwaitingConfirmation,
    /// The customer left the campaign's topic on the preference page.
    TopicLeft(crate::domain::Topic),
    /// `on = "confirmation"`: no sign-up of this customer awaits confirmation.
    NotAwaitingConfirmation,
}

/// An order or complaint named in a reason: `order o-17`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Event<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One-off events (the sign-up, a level change) have no id.
        if self.id.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{} {}", self.kind, self.id)
        }
    }
}

impl fmt::Display for Blocked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::Suppressed(s) => write!(f, "{s}"),
            Blocked::NotForLevel(level) => write!(f, "not for level {level}"),
            Blocked::TargetReached { current, target } => {
                write!(f, "target reached: {current} ≥ target {target}")
            }
            Blocked::StillClimbing { current, target } => write!(
                f,
                "maintenance only at the target: {current} < target {target}"
            ),
            Blocked::NotDue { what, age, delay } => write!(
                f,
                "not due: {what} is {} old, delay {}",
                span(*age),
                std_span(delay.std())
            ),
            Blocked::TooOld { what, age, max_age } => write!(
                f,
                "too old: {what} is {} old > max_age {}",
                span(*age),
                std_span(max_age.std())
            ),
            Blocked::NoEvent { kind, max_age } => {
                write!(f, "no {kind} in the last {}", std_span(max_age.std()))
            }
            Blocked::AlreadySent(occurrence) => write!(f, "already sent for {occurrence}"),
            Blocked::SlotNotDue { next: Some(next) } => write!(
                f,
                "not due: next slot {} {}",
                next.format("%a %Y-%m-%d %H:%M"),
                next.timezone().name()
            ),
            Blocked::SlotNotDue { next: None } => {
                write!(f, "not due: the schedule never fires again")
            }
            Blocked::CoolingDown { until } => {
                write!(
                    f,
                    "cooling down until {}",
                    until.format("%Y-%m-%d %H:%M UTC")
                )
            }
            Blocked::MinGap { ago, min_gap } => write!(
                f,
                "min_gap: last email {} ago < {}",
                span(*ago),
                std_span(min_gap.std())
            ),
            Blocked::MinGapQueued { at } => write!(
                f,
                "min_gap: an email is already queued for {}",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            Blocked::LowerPriority(winner) => write!(f, "lower priority than {winner}"),
            Blocked::Unless { what, after } => {
                write!(f, "unless: {what} {} after the occurrence", span(*after))
            }
            Blocked::Condition { label, detail } => write!(f, "{label}: {detail}"),
            Blocked::NeedsLookup => write!(f, "its condition needs data not looked up"),
            Blocked::NoLevelChange(direction) => {
                write!(f, "no level {direction} to answer")
            }
            Blocked::NotLapsed { ago, after } => write!(
                f,
                "not lapsed: last order {} ago < {}",
                span(*ago),
                std_span(after.std())
            ),
            Blocked::Rhythm(why) => write!(f, "{why}"),
            Blocked::NotFollowing(campaign) => write!(f, "{campaign} was never sent"),
            Blocked::NeverOrdered => write!(f, "no order yet: nothing to lapse from"),
            Blocked::AwaitingConfirmation => write!(
                f,
                "awaiting confirmation: no marketing email before the customer clicks the confirmation link (double opt-in)"
            ),
            Blocked::TopicLeft(topic) => {
                write!(
                    f,
                    "the customer left the topic `{topic}` on the preference page"
                )
            }
            Blocked::NotAwaitingConfirmation => write!(f, "no sign-up awaiting confirmation"),
            Blocked::GlobalHoldout(share) => write!(
                f,
                "in the global hold-out ({} of customers get no marketing, to measure the whole programme)",
                crate::levels::wording::percent(f64::from(*share) / 10_000.0)
            ),
        }
    }
}
