//! Two-group comparisons: a treatment against a control, as a difference with a confidence
//! interval and a two-sided p-value.
//!
//! - Rates ([`compare_proportions`]): the p-value comes from the **pooled two-proportion
//!   z-test** (the textbook test, and statsmodels' `proportions_ztest`): under "no difference"
//!   both groups share one rate, so the pooled rate gives the standard error. The confidence
//!   interval of the difference uses the **unpooled (Wald) standard error**, because it
//!   describes the difference actually seen rather than the no-difference hypothesis. The two
//!   can disagree at the very edge of significance; `significant` follows the p-value.
//! - Amounts per recipient ([`compare_means`], revenue): **Welch's unequal-variance t-test**
//!   with Welch–Satterthwaite degrees of freedom and a t-based interval — revenue per recipient
//!   is mostly zeros with a long tail, and the groups' spreads differ, so the pooled-variance
//!   t-test's assumption does not hold. With thousands of recipients the t-test is robust to
//!   the skew (central limit theorem).
//!
//! The distributions (normal and Student's t, their CDFs and quantiles) come from `statrs`
//! (see `student.rs` for how its t quantile is used at many degrees of freedom).
//! Inputs are the sums SQL adds up ([`Proportion`], [`Sample`]), never the raw rows.

use super::student::Student;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

// What SQL adds up lives in `domain` (the store returns it too); re-exported from here.
pub use crate::domain::{Proportion, Sample};

/// Treatment minus control, with its confidence interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Treatment minus control: a rate difference (0.018 = 1.8 pp) or an amount.
    pub difference: f64,
    /// The confidence interval's bounds, `low ≤ difference ≤ high`.
    pub low: f64,
    pub high: f64,
    /// Two-sided: the chance of a difference at least this large if there were none.
    pub p_value: f64,
    /// The interval's level (0.95) — and the test's: significant when p < 1 − confidence.
    pub confidence: f64,
    pub significant: bool,
    pub test: Test,
}

/// Which test produced a [`Comparison`]; the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Pooled two-proportion z-test; Wald (unpooled) interval.
    TwoProportionZ,
    /// Welch's unequal-variance t-test; Welch–Satterthwaite degrees of freedom.
    WelchT,
}

impl Test {
    /// The test's name as the report prints it.
    pub fn name(self) -> &'static str {
        match self {
            Test::TwoProportionZ => "two-proportion z-test",
            Test::WelchT => "Welch's t-test",
        }
    }
}

/// Compares two rates (see the module doc for the test and the interval).
///
/// `None` when a group has no trials, counts more successes than trials, or `confidence` is
/// not strictly between 0 and 1. When both groups' rates are 0 (or both 1) nothing varies:
/// the difference is 0, p = 1, the interval [0, 0]. The interval is clipped to [−1, 1].
pub fn compare_proportions(
    treatment: Proportion,
    control: Proportion,
    confidence: f64,
) -> Option<Comparison> {
    let valid = |p: Proportion| p.successes <= p.trials;
    if !valid(treatment) || !valid(control) || !is_level(confidence) {
        return None;
    }
    let (p1, p2) = (treatment.rate()?, control.rate()?);
    let (n1, n2) = (treatment.trials as f64, control.trials as f64);
    let difference = p1 - p2;

    let pooled = (treatment.successes + control.successes) as f64 / (n1 + n2);
    let null_se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let standard = Normal::standard();
    let p_value = if null_se > 0.0 {
        2.0 * standard.cdf(-(difference / null_se).abs())
    } else {
        1.0 // both rates 0 or both 1: no difference is possible
    };

    let wald_se = (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
    let half_width = standard.inverse_cdf(1.0 - (1.0 - confidence) / 2.0) * wald_se;
    let low = (difference - half_width).max(-1.0);
    let high = (difference + half_width).min(1.0);
    Some(comparison(
        difference,
        (low, high),
        p_value,
        confidence,
        Test::TwoProportionZ,
    ))
}

/// Compares two mean amounts per recipient with Welch's t-test (see the module doc).
///
/// `None` when a group has fewer than 2 values, a sum is not finite (or too large to square),
/// or `confidence` is not strictly between 0 and 1. When neither group varies (every recipient the same amount), the
/// difference is certain: the interval is the difference itself and p is 0 when the means
/// differ, 1 when they are equal (as scipy reports it; equal up to the rounding of the sums).
pub fn compare_means(treatment: Sample, control: Sample, confidence: f64) -> Option<Comparison> {
    if !is_level(confidence) {
        return None;
    }
    let (v1, v2) = (treatment.variance()?, control.variance()?);
    let (m1, m2) = (treatment.mean()?, control.mean()?);
    let (a, b) = (v1 / treatment.n as f64, v2 / control.n as f64);
    let se = (a + b).sqrt();
    if !se.is_finite() {
        return None;
    }
    if se == 0.0 {
        // Sums of identical amounts still round differently per group: a difference below
        // that rounding (n·ε of the larger mean) is none.
        let noise = (treatment.n + control.n) as f64 * f64::EPSILON * m1.abs().max(m2.abs());
        let difference = if (m1 - m2).abs() <= noise {
            0.0
        } else {
            m1 - m2
        };
        let p_value = if difference == 0.0 { 1.0 } else { 0.0 };
        let point = (difference, difference);
        return Some(comparison(
            difference,
            point,
            p_value,
            confidence,
            Test::WelchT,
        ));
    }

    let difference = m1 - m2;
    let df = (a + b).powi(2) / (a * a / (treatment.n - 1) as f64 + b * b / (control.n - 1) as f64);
    let t = Student::new(df)?;
    let p_value = t.two_sided_p(difference / se);
    let half_width = t.critical(confidence) * se;
    let interval = (difference - half_width, difference + half_width);
    Some(comparison(
        difference,
        interval,
        p_value,
        confidence,
        Test::WelchT,
    ))
}

fn is_level(confidence: f64) -> bool {
    confidence > 0.0 && confidence < 1.0
}

fn comparison(
    difference: f64,
    (low, high): (f64, f64),
    p_value: f64,
    confidence: f64,
    test: Test,
) -> Comparison {
    let p_value = p_value.clamp(0.0, 1.0);
    Comparison {
        difference,
        low: low.min(difference),
        high: high.max(difference),
        p_value,
        confidence,
        significant: p_value < 1.0 - confidence,
        test,
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
