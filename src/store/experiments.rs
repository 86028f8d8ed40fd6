//! What experiments read and write: the outcome of each arm (recipients, human opens and
//! clicks, conversions with their revenue, level climbs), the whole programme against the
//! global hold-out, and the auto-winner's decisions.

use super::Result;
use crate::domain::{Proportion, Sample};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

#[async_trait]
pub trait Experiments {
    /// One row per (campaign, arm) of the campaigns in `q.campaigns`.
    async fn arm_outcomes(&self, q: &OutcomeQuery) -> Result<Vec<ArmOutcome>>;
    /// The whole programme: customers in the global hold-out (`in_holdout` says who) against
    /// everyone else, over orders and level climbs in [q.since, q.until].
    async fn programme_outcomes(
        &self,
        q: &ProgrammeQuery,
        in_holdout: &(dyn for<'a> Fn(&'a str) -> bool + Send + Sync),
    ) -> Result<[GroupOutcome; 2]>;
    /// Every recorded auto-winner decision.
    async fn winners(&self) -> Result<Vec<WinnerRecord>>;
    /// Records a decision unless one exists for (campaign, salt) — two replicas deciding at
    /// once keep the first; returns whether this one was recorded.
    async fn record_winner(&self, w: &WinnerRecord) -> Result<bool>;
}

/// Which deliveries an experiment report or an auto-winner looks at.
#[derive(Debug, Clone)]
pub struct OutcomeQuery {
    pub campaigns: Vec<String>,
    /// Only deliveries whose `send_at` is at or after this (a new experiment on the same
    /// campaign starts a new period).
    pub since: Option<DateTime<Utc>>,
    /// Only deliveries whose `send_at` is at or before this: the email's time has come (and,
    /// for an auto-winner, its outcome window has passed).
    pub until: DateTime<Utc>,
    /// An order within this long after `send_at` converts.
    pub conversion_window: TimeDelta,
    /// A level rise (above the delivery's `current_level`) within this long after `send_at`
    /// is a climb.
    pub climb_window: TimeDelta,
    /// Value of one unit of each currency in the base currency (the base itself is 1);
    /// orders in other currencies are left out of revenue.
    pub rates: Vec<(String, f64)>,
}

/// What one arm did. Every delivery assigned to the arm counts as a recipient, whatever
/// became of it (sent, failed, cancelled by an `unless`, suppressed, held out): the
/// comparison is by assignment, so that nothing that happens after the draw can bias it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ArmOutcome {
    pub campaign: String,
    /// `holdout`, a variant id, or `` (the recipients of a campaign without variants).
    pub arm: String,
    pub recipients: u64,
    /// Recipients with a human open / click (machine-flagged events excluded).
    pub opened: u64,
    pub clicked: u64,
    /// Recipients with at least one order within the conversion window.
    pub converted: u64,
    /// Revenue per recipient within the conversion window, in the base currency: n is the
    /// number of recipients (those without orders add 0).
    pub revenue: Sample,
    /// Recipients whose level rose within the climb window.
    pub climbed: u64,
}

impl ArmOutcome {
    pub fn rate(&self, successes: u64) -> Proportion {
        Proportion {
            successes,
            trials: self.recipients,
        }
    }
}

/// The programme's period and prices.
#[derive(Debug, Clone)]
pub struct ProgrammeQuery {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub rates: Vec<(String, f64)>,
}

/// One group of customers of the programme comparison.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GroupOutcome {
    pub customers: u64,
    /// Customers with at least one order in the period.
    pub converted: u64,
    /// Revenue per customer in the period (n = customers).
    pub revenue: Sample,
    /// Customers whose level rose in the period.
    pub climbed: u64,
}

/// An auto-winner's decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WinnerRecord {
    pub campaign: String,
    pub salt: String,
    pub variant: String,
    pub metric: String,
    pub decided_at: DateTime<Utc>,
    /// The comparisons it rests on (JSON), shown by the report.
    pub detail: serde_json::Value,
}
