//! Finding the occurrence a campaign is due for: which order, which complaint, which
//! schedule slot — or why there is none.

use super::blocked::{Blocked, Event};
use super::{PastDelivery, PlanInput};
use crate::campaigns::{Campaign, Direction, EventTrigger, ScheduleTrigger, Trigger};
use crate::config::Duration;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::borrow::Cow;

/// A due occurrence; its key is only formatted for the campaign that is picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Due<'a> {
    Order(&'a str),
    Complaint(&'a str),
    Slot(String),
    /// `None` the first time; then the date the previous cool-down ended.
    Eligible(Option<NaiveDate>),
    /// A custom event, by seq.
    Event(&'a str),
    Signup(DateTime<Utc>),
    /// A sign-up awaiting its confirmation click (created then).
    Confirmation(DateTime<Utc>),
    /// When the current level was reached.
    LevelChange(DateTime<Utc>),
    /// The last order's time.
    Lapse(DateTime<Utc>),
    /// The occurrence of the delivery followed, and when it was sent.
    Sent(&'a str, DateTime<Utc>),
    /// The last order's time: one predicted need per gap between orders.
    PredictedNeed(DateTime<Utc>),
}

impl Due<'_> {
    pub fn key(&self) -> String {
        match self {
            Due::Order(id) => format!("{ORDER}{id}"),
            Due::Complaint(id) => format!("{COMPLAINT}{id}"),
            Due::Slot(key) => key.clone(),
            Due::Eligible(None) => "eligible:first".to_string(),
            Due::Eligible(Some(date)) => format!("eligible:{date}"),
            Due::Event(id) => format!("{EVENT}{id}"),
            Due::Signup(_) => SIGNUP.to_string(),
            Due::Confirmation(_) => CONFIRMATION.to_string(),
            Due::LevelChange(at) => format!("{LEVEL_CHANGE}{}", at.format("%Y-%m-%dT%H:%M:%SZ")),
            Due::Lapse(at) => format!("{LAPSE}{}", at.date_naive()),
            Due::Sent(occurrence, _) => format!("{SENT}{occurrence}"),
            Due::PredictedNeed(at) => {
                format!("{PREDICTED_NEED}{}", at.format("%Y-%m-%dT%H:%M:%SZ"))
            }
        }
    }

    /// The occurrence's kind, as conditions see it (`occurrence.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Due::Order(_) => "order",
            Due::Complaint(_) => "complaint",
            Due::Slot(_) => "schedule",
            Due::Eligible(_) => "eligible",
            Due::Event(_) => "event",
            Due::Signup(_) => "signup",
            Due::Confirmation(_) => "confirmation",
            Due::LevelChange(_) => "level_change",
            Due::Lapse(_) => "lapse",
            Due::Sent(..) => "sent",
            Due::PredictedNeed(_) => "predicted_need",
        }
    }

    /// When the occurrence happened: activity after it counts for `unless`. None for
    /// occurrences that are dates rather than events (slots, eligibility, lapses). A
    /// predicted need dates from the last order: an order since makes it pointless.
    pub fn anchor(&self, input: &PlanInput) -> Option<DateTime<Utc>> {
        match self {
            Due::Order(id) => input
                .recent_orders
                .iter()
                .find(|o| o.id == *id)
                .map(|o| o.occurred_at),
            Due::Complaint(id) => input
                .recent_complaints
                .iter()
                .find(|c| c.event_id == *id)
                .map(|c| c.occurred_at),
            Due::Event(id) => input
                .recent_events
                .iter()
                .find(|e| e.id == *id)
                .map(|e| e.occurred_at),
            Due::Signup(at)
            | Due::Confirmation(at)
            | Due::LevelChange(at)
            | Due::Sent(_, at)
            | Due::PredictedNeed(at) => Some(*at),
            Due::Slot(_) | Due::Eligible(_) | Due::Lapse(_) => None,
        }
    }
}

const ORDER: &str = "order:";
const COMPLAINT: &str = "complaint:";
const EVENT: &str = "event:";
const SIGNUP: &str = "signup";
const CONFIRMATION: &str = "confirmation";
const LEVEL_CHANGE: &str = "level_change:";
const LAPSE: &str = "lapse:";
const SENT: &str = "sent:";
const PREDICTED_NEED: &str = "predicted_need:";

pub(super) fn find<'a>(
    input: &PlanInput<'a>,
    campaign: &'a Campaign,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let sent = Sent {
        campaign: &campaign.id,
        deliveries: input.deliveries,
    };
    match &campaign.trigger {
        Trigger::Order(timing) => {
            let orders = input
                .recent_orders
                .iter()
                .map(|o| (o.id.as_str(), o.occurred_at));
            newest_due("order", ORDER, orders, &sent, timing, now).map(Due::Order)
        }
        Trigger::Complaint(timing) => {
            let complaints = input
                .recent_complaints
                .iter()
                .map(|c| (c.event_id.as_str(), c.occurred_at));
            newest_due("complaint", COMPLAINT, complaints, &sent, timing, now).map(Due::Complaint)
        }
        Trigger::Schedule(schedule) => slot(schedule, input, &sent, now),
        Trigger::Eligible => eligible(campaign, &sent, now),
        Trigger::Event { kind, timing } => {
            let events = input
                .recent_events
                .iter()
                .filter(|e| e.kind == kind.name())
                .map(|e| (e.id.as_str(), e.occurred_at));
            newest_due(kind.name(), EVENT, events, &sent, timing, now).map(Due::Event)
        }
        Trigger::Signup(timing) => {
            let at = input.facts.created_at;
            once("sign-up", at, SIGNUP, &sent, timing, now).map(Due::Signup)
        }
        Trigger::Confirmation => {
            if !input.facts.consent_pending {
                return Err(Blocked::NotAwaitingConfirmation);
            }
            if sent.all().any(|d| d.occurrence == CONFIRMATION) {
                return Err(Blocked::AlreadySent(Cow::Borrowed(CONFIRMATION)));
            }
            Ok(Due::Confirmation(input.facts.created_at.unwrap_or(now)))
        }
        Trigger::LevelChange { direction, timing } => {
            level_change(input, *direction, &sent, timing, now)
        }
        Trigger::Lapse { after, max_age } => lapse(input, &sent, *after, *max_age, now),
        Trigger::Sent {
            campaign: followed,
            timing,
        } => follow_up(input, followed, &sent, timing, now),
        Trigger::PredictedNeed { lead, min_alive } => {
            let due = Due::PredictedNeed(super::need::due(input, *lead, *min_alive, now)?);
            let key = due.key();
            if sent.all().any(|d| d.occurrence == key) {
                return Err(Blocked::AlreadySent(Cow::Owned(key)));
            }
            Ok(due)
        }
    }
}

/// A one-off event at `at` (sign-up, a level change): due once its delay has passed, within
/// `max_age`, unless its occurrence `key` was sent.
fn once<'a>(
    kind: &'a str,
    at: Option<DateTime<Utc>>,
    key: &str,
    sent: &Sent<'a>,
    timing: &EventTrigger,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Blocked<'a>> {
    let Some(at) = at else {
        return Err(Blocked::NoEvent {
            kind,
            max_age: timing.max_age,
        });
    };
    if sent.all().any(|d| d.occurrence == key) {
        return Err(Blocked::AlreadySent(Cow::Owned(key.to_string())));
    }
    let age = now - at;
    let what = Event { kind, id: "" };
    if age < timing.delay.chrono() {
        Err(Blocked::NotDue {
            what,
            age: age.max(TimeDelta::zero()),
            delay: timing.delay,
        })
    } else if age > timing.max_age.chrono() {
        Err(Blocked::TooOld {
            what,
            age,
            max_age: timing.max_age,
        })
    } else {
        Ok(at)
    }
}

fn level_change<'a>(
    input: &PlanInput<'a>,
    direction: Direction,
    sent: &Sent<'a>,
    timing: &EventTrigger,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let current = input.assessment.current;
    let (word, went) = match direction {
        Direction::Drop => (
            "drop",
            input.facts.previous_level.is_some_and(|p| current < p),
        ),
        Direction::Climb => (
            "climb",
            input.facts.previous_level.is_some_and(|p| current > p),
        ),
    };
    let Some(at) = input.facts.level_since.filter(|_| went) else {
        return Err(Blocked::NoLevelChange(word));
    };
    let key = Due::LevelChange(at).key();
    let kind = if word == "drop" {
        "level drop"
    } else {
        "level climb"
    };
    once(kind, Some(at), &key, sent, timing, now).map(Due::LevelChange)
}

fn lapse<'a>(
    input: &PlanInput<'a>,
    sent: &Sent<'a>,
    after: Duration,
    max_age: Option<Duration>,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let Some(last) = input.facts.last_order_at else {
        return Err(Blocked::NeverOrdered);
    };
    let ago = now - last;
    if ago < after.chrono() {
        return Err(Blocked::NotLapsed { ago, after });
    }
    // How long the customer has been lapsed, against `max_age`.
    if let Some(max_age) = max_age.filter(|m| ago - after.chrono() > m.chrono()) {
        return Err(Blocked::TooOld {
            what: Event {
                kind: "lapse",
                id: "",
            },
            age: ago - after.chrono(),
            max_age,
        });
    }
    let due = Due::Lapse(last);
    let key = due.key();
    if sent.all().any(|d| d.occurrence == key) {
        return Err(Blocked::AlreadySent(Cow::Owned(key)));
    }
    Ok(due)
}

/// The newest email of the followed campaign that was sent, once `delay` has passed.
fn follow_up<'a>(
    input: &PlanInput<'a>,
    followed: &'a str,
    sent: &Sent<'a>,
    timing: &EventTrigger,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let firsts = input
        .deliveries
        .iter()
        .filter(|d| d.campaign == followed && d.sent);
    if firsts.clone().next().is_none() {
        return Err(Blocked::NotFollowing(followed));
    }
    let emails = firsts.map(|d| (d.occurrence.as_str(), d.at));
    let occurrence = newest_due("email", SENT, emails, sent, timing, now)?;
    let at = input
        .deliveries
        .iter()
        .filter(|d| d.campaign == followed && d.sent && d.occurrence == occurrence)
        .map(|d| d.at)
        .max()
        .unwrap_or(now);
    Ok(Due::Sent(occurrence, at))
}

/// This customer's deliveries of one campaign.
struct Sent<'a> {
    campaign: &'a str,
    deliveries: &'a [PastDelivery],
}

impl<'a> Sent<'a> {
    fn all(&self) -> impl Iterator<Item = &'a PastDelivery> + '_ {
        self.deliveries
            .iter()
            .filter(|d| d.campaign == self.campaign)
    }

    fn has(&self, prefix: &str, id: &str) -> bool {
        self.all()
            .any(|d| d.occurrence.strip_prefix(prefix) == Some(id))
    }

    fn latest(&self) -> Option<&'a PastDelivery> {
        self.all().max_by_key(|d| d.at)
    }
}

/// The newest event whose delay has passed, that is within `max_age`, was never sent, and is
/// not older than an event already sent (a follow-up for a newer order covers older ones, so
/// a burst of orders does not become a burst of emails). Otherwise the most useful reason:
/// something that will become due, then what was sent, then what is too old.
fn newest_due<'a>(
    kind: &'a str,
    prefix: &str,
    events: impl Iterator<Item = (&'a str, DateTime<Utc>)> + Clone,
    sent: &Sent<'_>,
    timing: &EventTrigger,
    now: DateTime<Utc>,
) -> Result<&'a str, Blocked<'a>> {
    let newest_sent = events
        .clone()
        .filter(|(id, _)| sent.has(prefix, id))
        .max_by_key(|(_, at)| *at);
    let covered_until = newest_sent.map(|(_, at)| at);
    let (mut due, mut waiting, mut too_old) = (None, None, None);
    let newer = |slot: &Option<(&'a str, DateTime<Utc>)>, at| slot.is_none_or(|(_, b)| at > b);
    for (id, at) in events {
        if covered_until.is_some_and(|c| at <= c) {
            continue;
        }
        let age = now - at;
        let slot = if age > timing.max_age.chrono() {
            &mut too_old
        } else if age < timing.delay.chrono() {
            &mut waiting
        } else {
            &mut due
        };
        if newer(slot, at) {
            *slot = Some((id, at));
        }
    }
    let event = |id| Event { kind, id };
    let age = |at: DateTime<Utc>| (now - at).max(TimeDelta::zero());
    if let Some((id, _)) = due {
        Ok(id)
    } else if let Some((id, at)) = waiting {
        Err(Blocked::NotDue {
            what: event(id),
            age: age(at),
            delay: timing.delay,
        })
    } else if let Some((id, _)) = newest_sent {
        Err(Blocked::AlreadySent(Cow::Owned(format!("{prefix}{id}"))))
    } else if let Some((id, at)) = too_old {
        Err(Blocked::TooOld {
            what: event(id),
            age: age(at),
            max_age: timing.max_age,
        })
    } else {
        Err(Blocked::NoEvent {
            kind,
            max_age: timing.max_age,
        })
    }
}

fn slot<'a>(
    schedule: &ScheduleTrigger,
    input: &PlanInput<'a>,
    sent: &Sent<'a>,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let Some(slot) = schedule.due_slot(input.timezone, now) else {
        return Err(Blocked::SlotNotDue {
            next: schedule.next_slot(input.timezone, now),
        });
    };
    if sent.all().any(|d| d.occurrence == slot.occurrence) {
        return Err(Blocked::AlreadySent(Cow::Owned(slot.occurrence)));
    }
    Ok(Due::Slot(slot.occurrence))
}

/// `eligible:first`, then one key per cool-down period: the date the last one ended. Without
/// a cool-down the campaign goes to a customer once (one attempt: a failed `eligible:first`
/// is taken like any failed occurrence).
///
/// A failed last delivery holds back nothing (see [`PastDelivery::failed`]): the period it
/// was for is tried again, keyed by today's date. Not by the date its cool-down would have
/// ended: a retry sent today would then leave the next period's key (today plus the
/// cool-down) the same date as its own, taken for good. A retry that fails too waits for
/// the next day's key.
fn eligible<'a>(
    campaign: &Campaign,
    sent: &Sent<'a>,
    now: DateTime<Utc>,
) -> Result<Due<'a>, Blocked<'a>> {
    let Some(last) = sent.latest() else {
        return Ok(Due::Eligible(None));
    };
    let Some(cooldown) = campaign.cooldown else {
        return Err(Blocked::AlreadySent(Cow::Borrowed(&last.occurrence)));
    };
    let period = if last.reached() {
        last.at + cooldown.chrono()
    } else {
        now
    };
    let due = Due::Eligible(Some(period.date_naive()));
    let key = due.key();
    if sent.all().any(|d| d.occurrence == key) {
        return Err(Blocked::AlreadySent(Cow::Owned(key)));
    }
    Ok(due)
}
