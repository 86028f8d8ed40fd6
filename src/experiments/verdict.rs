//! The auto-winner: once every variant has had `decide_after` recipients, the variant with the
//! best rate on the decision metric takes the rest of the audience — but only when it is
//! significantly better than **every** other variant. Otherwise the split goes on.
//!
//! With more than two variants the best one is compared with each of the others (k − 1
//! comparisons for k variants), so each comparison is tested at the significance level split
//! evenly among them (Bonferroni): at 95 % with three variants, each needs p < 0.025. That
//! keeps "a winner where there is none" near the configured level, at the price of needing
//! more recipients. The winner is picked by its rate first and then tested, which Bonferroni
//! over k − 1 does not fully price in for k ≥ 3; requiring significance against every other
//! variant (including the runner-up) keeps that small.
//!
//! Pure: the caller counts, decides when to ask, and records the decision. Ask once, when
//! every variant has reached `decide_after`, and keep the answer: asking again every cycle
//! until a winner appears is repeated testing, and each extra look raises the chance of a
//! winner by luck above the configured level.

use super::sentence::p_value;
use super::stats::{Comparison, Proportion, compare_proportions};
use crate::levels::wording::{count, percent};
use serde::Serialize;

/// What the auto-winner concluded, with the reason shown to the marketer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Some variant has not had `decide_after` recipients yet.
    Wait { reason: String },
    /// Enough recipients, but no variant is significantly better than all the others.
    NoWinner { reason: String },
    /// `variant` is significantly better than each other variant; `comparisons` are the winner
    /// against each of them, at the Bonferroni-adjusted confidence.
    Winner {
        variant: String,
        comparisons: Vec<Against>,
    },
}

/// The winner compared with one other variant (winner minus other).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Against {
    pub variant: String,
    pub comparison: Comparison,
}

/// Decides from each variant's outcome on the decision metric, in config order (the first is
/// the control, "A"). `confidence` is the configured level (0.95); ties for the best rate go to
/// the earlier variant, and a tie is never significant, so it means no winner.
pub fn decide(variants: &[(&str, Proportion)], decide_after: u64, confidence: f64) -> Decision {
    if !(confidence > 0.0 && confidence < 1.0) {
        let reason = format!("the confidence level must be between 0 and 1, not {confidence}");
        return Decision::NoWinner { reason };
    }
    if variants.len() < 2 {
        let reason = "an experiment needs at least two variants to pick a winner".to_string();
        return Decision::NoWinner { reason };
    }
    let needed = decide_after.max(1);
    if let Some((name, short)) = variants.iter().min_by_key(|(_, p)| p.trials)
        && short.trials < needed
    {
        let reason = format!(
            "{name} has {} of the {} recipients each variant needs before deciding",
            count(short.trials),
            count(needed)
        );
        return Decision::Wait { reason };
    }

    if let Some((name, _)) = variants.iter().find(|(_, p)| p.successes > p.trials) {
        let reason = format!("{name} counts more successes than recipients");
        return Decision::NoWinner { reason };
    }

    let (best, outcome) = best_rate(variants);
    let comparisons = variants.len() - 1;
    let alpha = (1.0 - confidence) / comparisons as f64;
    let mut against = Vec::with_capacity(comparisons);
    for (name, other) in variants.iter().filter(|(name, _)| *name != best) {
        let Some(c) = compare_proportions(outcome, *other, 1.0 - alpha) else {
            let reason = format!("{best} and {name} cannot be compared");
            return Decision::NoWinner { reason };
        };
        if !c.significant || c.difference <= 0.0 {
            let reason = format!(
                "{best} has the best rate ({} against {} for {name}) but is not significantly \
                 better ({}; needs p < {}{})",
                percent(outcome.rate().unwrap_or(0.0)),
                percent(other.rate().unwrap_or(0.0)),
                p_value(c.p_value),
                round_level(alpha),
                split(confidence, comparisons)
            );
            return Decision::NoWinner { reason };
        }
        against.push(Against {
            variant: name.to_string(),
            comparison: c,
        });
    }
    Decision::Winner {
        variant: best.to_string(),
        comparisons: against,
    }
}

/// The variant with the highest rate, the earliest on a tie; rates compared exactly
/// (successes₁·trials₂ against successes₂·trials₁), not as rounded floats.
fn best_rate<'a>(variants: &[(&'a str, Proportion)]) -> (&'a str, Proportion) {
    let mut best = variants[0];
    for &(name, p) in &variants[1..] {
        let (this, top) = (best.1, p);
        if u128::from(top.successes) * u128::from(this.trials)
            > u128::from(this.successes) * u128::from(top.trials)
        {
            best = (name, p);
        }
    }
    best
}

/// ` (0.05 split over 2 comparisons, Bonferroni)`, or nothing for a single comparison.
fn split(confidence: f64, comparisons: usize) -> String {
    if comparisons < 2 {
        return String::new();
    }
    let level = round_level(1.0 - confidence);
    format!(": {level} split over {comparisons} comparisons, Bonferroni")
}

/// `0.025`, `0.0167`: four decimals at most, trailing zeros dropped.
fn round_level(alpha: f64) -> String {
    let s = format!("{alpha:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
