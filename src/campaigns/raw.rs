//! The file format as serde sees it. Positions are kept (`Spanned`) wherever a check happens
//! after parsing, so that those errors also point at `file:line:col`.

use crate::config::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCampaign {
    pub name: Spanned<String>,
    pub priority: i32,
    pub template: Spanned<String>,
    pub cooldown: Option<Duration>,
    /// What the campaign is about, as customers can leave it (`offers`, `surveys`,
    /// `partnership`, `news`); service emails have none.
    pub topic: Option<Spanned<String>>,
    pub subject: Spanned<BTreeMap<Spanned<String>, Spanned<String>>>,
    pub audience: Spanned<RawAudience>,
    pub trigger: Spanned<RawTrigger>,
    pub from: Option<Spanned<String>>,
    pub reply_to: Option<Spanned<String>>,
    /// The `[[transports]]` entry this campaign's emails leave through; unset: `[sending]`'s
    /// `marketing` or `service` default.
    pub transport: Option<Spanned<String>>,
    /// Share of eligible customers planned but never sent, to measure the campaign against
    /// not sending it.
    pub holdout: Option<Spanned<f64>>,
    pub experiment: Option<Spanned<RawExperiment>>,
    #[serde(default)]
    pub variant: Vec<Spanned<RawVariant>>,
}

/// `[experiment]`: how the arms are drawn and whether a winner is picked automatically.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExperiment {
    pub salt: Option<Spanned<String>>,
    pub auto_winner: Option<Spanned<bool>>,
    pub decide_after: Option<Spanned<i64>>,
    pub metric: Option<Spanned<String>>,
    pub confidence: Option<Spanned<f64>>,
}

/// One `[[variant]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    pub id: Spanned<String>,
    pub weight: Option<Spanned<i64>>,
    pub subject: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub template: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudience {
    #[serde(default)]
    pub climb: Vec<Spanned<String>>,
    #[serde(default)]
    pub maintenance: Vec<Spanned<String>>,
    #[serde(default)]
    pub service: Option<Spanned<bool>>,
    /// Levels the campaign goes to whatever the target (a welcome, a win-back).
    #[serde(default)]
    pub levels: Vec<Spanned<String>>,
    /// A condition (CEL) the customer must meet.
    #[serde(rename = "where")]
    pub condition: Option<Spanned<String>>,
    /// A named segment (`config/segments/NAME.toml`) the customer must be in.
    pub segment: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrigger {
    pub on: Spanned<String>,
    pub delay: Option<Spanned<Duration>>,
    pub max_age: Option<Spanned<Duration>>,
    pub schedule: Option<Spanned<String>>,
    pub window: Option<Spanned<Duration>>,
    pub occurrence: Option<Spanned<String>>,
    /// `on = "event"`: the custom event, `custom:NAME`.
    pub kind: Option<Spanned<String>>,
    /// `on = "level_change"`: `drop` or `climb`.
    pub direction: Option<Spanned<String>>,
    /// `on = "lapse"`: time since the last order.
    pub after: Option<Spanned<Duration>>,
    /// `on = "sent"`: the campaign this one follows.
    pub campaign: Option<Spanned<String>>,
    /// `on = "schedule"`: `"best"` sends at the customer's best hour inside the window.
    pub send_time: Option<Spanned<String>>,
    /// `on = "predicted_need"`: how long before the predicted next order.
    pub lead: Option<Spanned<Duration>>,
    /// `on = "predicted_need"`: the least chance that the customer is still active.
    pub min_alive: Option<Spanned<f64>>,
    /// Activity since the occurrence that makes it pointless (`order`, `survey_response`, …).
    pub unless: Option<Spanned<Vec<Spanned<String>>>>,
}

impl RawTrigger {
    /// The optional keys and where each is written (`None` when absent), in the order their
    /// problems are reported.
    pub fn optional_keys(&self) -> [(&'static str, Option<Range<usize>>); 13] {
        [
            ("delay", self.delay.as_ref().map(Spanned::span)),
            ("max_age", self.max_age.as_ref().map(Spanned::span)),
            ("schedule", self.schedule.as_ref().map(Spanned::span)),
            ("window", self.window.as_ref().map(Spanned::span)),
            ("occurrence", self.occurrence.as_ref().map(Spanned::span)),
            ("send_time", self.send_time.as_ref().map(Spanned::span)),
            ("kind", self.kind.as_ref().map(Spanned::span)),
            ("direction", self.direction.as_ref().map(Spanned::span)),
            ("after", self.after.as_ref().map(Spanned::span)),
            ("campaign", self.campaign.as_ref().map(Spanned::span)),
            ("lead", self.lead.as_ref().map(Spanned::span)),
            ("min_alive", self.min_alive.as_ref().map(Spanned::span)),
            ("unless", self.unless.as_ref().map(Spanned::span)),
        ]
    }
}
