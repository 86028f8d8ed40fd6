use super::ScheduleTrigger;
use super::experiment::Experiment;
use crate::conditions::Condition;
use crate::config::Duration;
use crate::domain::{EventKind, Level};
use crate::render::{SubjectSource, TemplateSpec};
use std::collections::BTreeMap;

/// A validated campaign definition.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The file stem: `post-sale-follow-up` for `post-sale-follow-up.toml`.
    pub id: String,
    /// The file the campaign was read from, for messages about it.
    pub file: std::path::PathBuf,
    pub name: String,
    /// Higher wins when several campaigns are due for one customer.
    pub priority: i32,
    /// Template name: `templates/{locale}/{template}.html.hbs` (+ optional `.txt.hbs`).
    pub template: String,
    /// Locale (`en`, `fa`, …) → Handlebars subject; `en` is always present.
    pub subjects: BTreeMap<String, String>,
    /// Locale tag → 1-based line and column in `file` where that subject's text starts, so
    /// that a template error in a subject points into the campaign file.
    pub subject_positions: BTreeMap<String, (usize, usize)>,
    /// Least time between two sends of this campaign to one customer, whatever the occurrence.
    pub cooldown: Option<Duration>,
    /// What the campaign is about: a customer who left this topic does not get it. None for
    /// service emails (and marketing that only leaving everything stops).
    pub topic: Option<crate::domain::Topic>,
    pub audience: Audience,
    /// What the customer must also meet: the segment's condition, then the campaign's own
    /// `where` (both must hold).
    pub gates: Vec<Gate>,
    pub trigger: Trigger,
    /// Activity since the occurrence that makes the email pointless; checked when planning
    /// and again just before sending.
    pub unless: Vec<Unless>,
    /// Overrides `mail.from` / `mail.reply_to`.
    pub from: Option<String>,
    pub reply_to: Option<String>,
    /// `transport = "NAME"` and where it is written (1-based line, column), checked against
    /// the configuration's transports when the engine loads.
    pub transport: Option<(String, (usize, usize))>,
    /// Variants and hold-out (`[[variant]]`, `holdout`, `[experiment]`).
    pub experiment: Experiment,
}

impl Campaign {
    /// Service emails (complaint follow-up) go to every level, ignore `planner.min_gap`, and
    /// win over marketing emails.
    pub fn is_service(&self) -> bool {
        matches!(self.audience, Audience::Service)
    }

    /// The subject for a locale: exact tag (`fa-IR`), then its language (`fa`), then `en`.
    pub fn subject(&self, locale: &str) -> &str {
        let language = locale.split('-').next().unwrap_or(locale);
        self.subjects
            .get(locale)
            .or_else(|| self.subjects.get(language))
            .or_else(|| self.subjects.get("en"))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// What the renderer loads for this campaign and each of its variants (keyed by
    /// [`render_key`]): a variant's template and subjects replace the campaign's, locale by
    /// locale.
    pub fn template_specs(&self) -> Vec<TemplateSpec> {
        let mut specs = vec![self.template_spec()];
        for v in &self.experiment.variants {
            let mut spec = self.template_spec();
            spec.campaign = render_key(&self.id, Some(&v.id));
            if let Some(t) = &v.template {
                spec.template = t.clone();
            }
            for (tag, subject) in &v.subjects {
                spec.subjects.insert(tag.clone(), subject.clone());
                if let Some(&(line, column)) = v.subject_positions.get(tag) {
                    let file = self.file.clone();
                    let source = SubjectSource { file, line, column };
                    spec.subject_sources.insert(tag.clone(), source);
                }
            }
            specs.push(spec);
        }
        specs
    }

    /// What the renderer loads for this campaign: its template, its subjects, and where each
    /// subject is written in the campaign file (so an error in a subject points there).
    pub fn template_spec(&self) -> TemplateSpec {
        TemplateSpec {
            campaign: self.id.clone(),
            template: self.template.clone(),
            subjects: self.subjects.clone(),
            subject_sources: self
                .subject_positions
                .iter()
                .map(|(tag, &(line, column))| {
                    let file = self.file.clone();
                    (tag.clone(), SubjectSource { file, line, column })
                })
                .collect(),
        }
    }
}

/// The renderer's key for a campaign's variant: `loyalty-offer#B` (the campaign id alone
/// without a variant). `#` cannot be in a campaign id (a file stem of letters, digits, `-`
/// and `_`) nor in a variant id.
pub fn render_key(campaign: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{campaign}#{v}"),
        None => campaign.to_string(),
    }
}

/// The campaign id of a renderer key.
pub fn campaign_of_key(key: &str) -> &str {
    key.split('#').next().unwrap_or(key)
}

/// Who a campaign is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Marketing: `climb` levels get it only while the target is above the current level;
    /// `maintenance` levels only once the customer is at (or above) the target; `any`
    /// levels whatever the target (a welcome, a win-back).
    Levels {
        climb: Vec<Level>,
        maintenance: Vec<Level>,
        any: Vec<Level>,
    },
    /// Any level, any target (complaint follow-up).
    Service,
}

/// When a campaign is due, and what one occurrence of it is.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// `delay` after each order; occurrence `order:{id}`.
    Order(EventTrigger),
    /// `delay` after each `complaint` event; occurrence `complaint:{event id}`.
    Complaint(EventTrigger),
    /// A cron schedule in the customer's timezone; occurrence from the slot.
    Schedule(Box<ScheduleTrigger>),
    /// As soon as the audience rule holds; occurrence `eligible:first`, then
    /// `eligible:{date the cool-down ended}` — so a repeat is possible only after the cool-down.
    Eligible,
    /// `delay` after each custom event of one kind (`custom:NAME`); occurrence `event:{seq}`.
    Event {
        kind: EventKind,
        timing: EventTrigger,
    },
    /// `delay` after the customer was created; occurrence `signup` (once ever).
    Signup(EventTrigger),
    /// A sign-up under double opt-in awaits its confirmation click: the confirmation email;
    /// occurrence `confirmation` (once ever).
    Confirmation,
    /// `delay` after the current level was reached by a drop or a climb; occurrence
    /// `level_change:{when}`.
    LevelChange {
        direction: Direction,
        timing: EventTrigger,
    },
    /// No order for `after`; occurrence `lapse:{date of the last order}` (once per lapse).
    /// With `max_age`, a lapse older than that is left alone: deploying the campaign does
    /// not mail everyone who stopped ordering years ago.
    Lapse {
        after: Duration,
        max_age: Option<Duration>,
    },
    /// `delay` after a delivery of another campaign was sent; occurrence
    /// `sent:{that delivery's occurrence}`.
    Sent {
        campaign: String,
        timing: EventTrigger,
    },
    /// `lead` before the customer's predicted next order (their last order plus their
    /// expected interval, docs/predictions.md), until a day after it; only with at least two
    /// orders and while the chance they are still a customer is at least `min_alive`.
    /// Occurrence `predicted_need:{time of the last order}`: one per gap between orders,
    /// whatever a daily refit of the model does to the expected date.
    PredictedNeed { lead: Duration, min_alive: f64 },
}

impl Trigger {
    /// The `on = "…"` word.
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Order(_) => "order",
            Trigger::Complaint(_) => "complaint",
            Trigger::Schedule(_) => "schedule",
            Trigger::Eligible => "eligible",
            Trigger::Event { .. } => "event",
            Trigger::Signup(_) => "signup",
            Trigger::Confirmation => "confirmation",
            Trigger::LevelChange { .. } => "level_change",
            Trigger::Lapse { .. } => "lapse",
            Trigger::Sent { .. } => "sent",
            Trigger::PredictedNeed { .. } => "predicted_need",
        }
    }
}

/// Which way a level change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Drop,
    Climb,
}

/// A condition a customer must meet, and what `explain` calls it (`where`, `segment vip`).
#[derive(Debug, Clone)]
pub struct Gate {
    pub label: String,
    pub condition: Condition,
}

/// Activity that cancels an occurrence when it happened after the occurrence's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unless {
    Order,
    Event(EventKind),
}

impl Unless {
    pub fn name(&self) -> &str {
        match self {
            Unless::Order => "order",
            Unless::Event(kind) => kind.name(),
        }
    }
}

/// Timing of an event-driven trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTrigger {
    pub delay: Duration,
    /// Older events never trigger: importing years of history sends nothing for them.
    pub max_age: Duration,
}
