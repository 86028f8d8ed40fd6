//! What an experiment's arm adds up, as SQL can add it: successes out of trials (a rate),
//! and count, sum and sum of squares of an amount per recipient (revenue). The store returns
//! these; `experiments` compares them.

use serde::Serialize;

/// Successes out of trials (converted recipients out of recipients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Proportion {
    pub successes: u64,
    pub trials: u64,
}

impl Proportion {
    /// The share of trials that succeeded; `None` without trials.
    pub fn rate(&self) -> Option<f64> {
        (self.trials > 0).then(|| self.successes as f64 / self.trials as f64)
    }
}

/// A per-recipient amount (revenue) summarised: n, sum, sum of squares — what SQL can add up.
/// Recipients without an amount count with 0 (they are in `n`, not in the sums).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Sample {
    pub n: u64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl Sample {
    /// The mean amount; `None` when empty or when the sums are not finite.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0 && self.sum.is_finite()).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (divided by n − 1); `None` below two values or for non-finite sums.
    ///
    /// From the sums it is `(Σx² − (Σx)²/n) / (n − 1)`, which cancels badly when every value
    /// is (nearly) the same: a remainder below the rounding error of adding up `Σx²` (n·ε·Σx²)
    /// is noise and counts as 0, and it is never negative.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 || !self.sum.is_finite() || !self.sum_squares.is_finite() {
            return None;
        }
        let n = self.n as f64;
        let spread = self.sum_squares - self.sum * self.sum / n;
        let noise = n * f64::EPSILON * self.sum_squares.abs();
        Some(if spread <= noise {
            0.0
        } else {
            spread / (n - 1.0)
        })
    }
}
