//! Experiments (issue 20): did a campaign's variant — or sending it at all, against the
//! hold-out — change what recipients do? Attributing orders to the last email counts orders
//! that would have happened anyway; a randomised comparison does not.
//!
//! Pure and small: the store adds up each group's counts and sums in SQL, and the report and
//! the auto-winner ask here what the difference is, how sure it is, and how to say it.
//!
//! - [`assign`]: which arm a customer is in (a deterministic hash; nothing stored).
//! - [`stats`]: treatment against control — rates with the pooled two-proportion z-test (Wald
//!   interval), revenue per recipient with Welch's t-test; distributions from `statrs`.
//! - [`sentence`]: the plain sentence a marketer reads under each comparison.
//! - [`verdict`]: the auto-winner's decision after `decide_after` recipients per variant,
//!   Bonferroni-adjusted when there are more than two variants.

pub mod assign;
pub mod sentence;
pub mod stats;
mod student;
pub mod verdict;

pub use sentence::{Metric, sentence};
pub use stats::{Comparison, Proportion, Sample, Test, compare_means, compare_proportions};
pub use verdict::{Against, Decision, decide};
