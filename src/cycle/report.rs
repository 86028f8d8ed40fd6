//! What a cycle tells its caller: the emails it planned, its counts, and where the time went.

use super::decide::Decisions;
use crate::domain::Level;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Instant;

/// One email the cycle queued (or would queue): a line of `rapport plan --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedEmail {
    pub customer_id: String,
    pub campaign: String,
    pub current_level: Level,
    pub target_level: Level,
    pub send_at: DateTime<Utc>,
    pub occurrence: String,
    /// The experiment's variant (`[[variant]]`), when the campaign has variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// In the campaign's hold-out: recorded, never sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held_out: bool,
}

#[derive(Debug, Default)]
pub struct CycleReport {
    pub assessed: u64,
    /// Customers whose plan context (deliveries, recent orders, complaints) was fetched:
    /// those some campaign could be due for.
    pub candidates: u64,
    pub level_changes: u64,
    pub planned: Vec<PlannedEmail>,
    /// Deliveries actually inserted (0 on a dry run).
    pub queued: u64,
    pub seconds: f64,
    /// Where the time went (for the benchmark and `--verbose` logs).
    pub phases: CyclePhases,
}

impl CycleReport {
    /// Counts one chunk's decisions in (what was queued is counted where it is written).
    pub(super) fn add(&mut self, decisions: Decisions) {
        self.assessed += decisions.assessed;
        self.candidates += decisions.candidates;
        self.level_changes += decisions.changes.len() as u64;
        self.planned.extend(decisions.planned);
    }
}

/// Seconds spent per phase of a cycle. The facts arrive from a task running beside the
/// loop, so `facts_wait` is only the time the loop sat waiting for them.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct CyclePhases {
    pub tiers: f64,
    /// Reading (or fitting) the purchase-rhythm model: 0 without a `predicted_need` campaign.
    pub rhythm: f64,
    pub facts_wait: f64,
    pub classify: f64,
    pub plan_context: f64,
    pub plan: f64,
    /// Waiting for writes: a chunk's write runs while the next chunk is planned, so this is
    /// only what the planning did not cover.
    pub write: f64,
    pub product_pairs: f64,
    /// Vacuum and statistics after a cycle that rewrote many rows (PostgreSQL).
    pub statistics: f64,
}

impl std::fmt::Display for CyclePhases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tiers {:.2} s, rhythm model {:.2} s, waiting for facts {:.2} s, classify {:.2} s, plan context {:.2} s, \
             plan {:.2} s, write {:.2} s, product pairs {:.2} s, statistics {:.2} s",
            self.tiers,
            self.rhythm,
            self.facts_wait,
            self.classify,
            self.plan_context,
            self.plan,
            self.write,
            self.product_pairs,
            self.statistics
        )
    }
}

/// Charges the time since the previous lap to one phase.
pub(super) struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    pub fn lap(&mut self, phase: &mut f64) {
        *phase += self.0.elapsed().as_secs_f64();
        self.0 = Instant::now();
    }
}
