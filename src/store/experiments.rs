//! What experiments read and write: the outcome of each arm (recipients, human opens and
//! clicks, conversions with their revenue, level climbs), the whole programme against the
//! global hold-out, and the auto-winner's decisions.

use super::Result;
use super::columns::{Columns, located};
use super::dialect::Dialect;
use crate::domain::{Proportion, Sample};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::Executor;

#[async_trait]
pub trait Experiments {
    /// One row per (campaign, arm) of the campaigns in `q.campaigns`.
    async fn arm_outcomes(&self, q: &OutcomeQuery) -> Result<Vec<ArmOutcome>>;
    /// The whole programme: customers in the global hold-out (`in_holdout` says who) against
    /// everyone else, over orders and level climbs in [q.since, q.until]. (`for<'a>` spelled
    /// out: `async_trait` would otherwise give the `&str` one of the method's own lifetimes,
    /// and the closure could not be called on an id read from a row.)
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

/// One row of the arm statements (`sql/*_experiment_arms.sql`): campaign, arm, recipients,
/// opened, clicked, converted, revenue sum and sum of squares, climbed.
pub(crate) fn arm_outcome(r: &impl Columns) -> Result<ArmOutcome> {
    let recipients = r.count(2)?;
    Ok(ArmOutcome {
        campaign: r.text(0)?,
        arm: r.text(1)?,
        recipients,
        opened: r.count(3)?,
        clicked: r.count(4)?,
        converted: r.count(5)?,
        revenue: Sample {
            n: recipients,
            sum: r.float(6)?,
            sum_squares: r.float(7)?,
        },
        climbed: r.count(8)?,
    })
}

/// Every recorded decision, oldest first.
pub(crate) async fn winners<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
) -> Result<Vec<WinnerRecord>> {
    let rows = sqlx::query::<DB>(
        "SELECT campaign, salt, variant, metric, decided_at, detail FROM experiment_winners \
         ORDER BY decided_at, campaign, salt",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            located(
                r,
                "experiment_winners",
                &[
                    "campaign",
                    "salt",
                    "variant",
                    "metric",
                    "decided_at",
                    "detail",
                ],
                |r| {
                    Ok(WinnerRecord {
                        campaign: r.text(0)?,
                        salt: r.text(1)?,
                        variant: r.text(2)?,
                        metric: r.text(3)?,
                        decided_at: r.time(4)?,
                        detail: r.json(5)?,
                    })
                },
            )
        })
        .collect()
}

/// Inserts a decision unless (campaign, salt) has one: the primary key settles a race
/// between replicas, and the loser learns it from the row count.
pub(crate) async fn record_winner<'c, DB: Dialect>(
    db: impl Executor<'c, Database = DB>,
    w: &WinnerRecord,
) -> Result<bool> {
    let done = sqlx::query::<DB>(
        "INSERT INTO experiment_winners (campaign, salt, variant, metric, decided_at, detail) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (campaign, salt) DO NOTHING",
    )
    .bind(DB::text(&w.campaign))
    .bind(DB::text(&w.salt))
    .bind(DB::text(&w.variant))
    .bind(DB::text(&w.metric))
    .bind(DB::time(w.decided_at))
    .bind(DB::json(&w.detail))
    .execute(db)
    .await?;
    Ok(DB::rows_affected(&done) == 1)
}
