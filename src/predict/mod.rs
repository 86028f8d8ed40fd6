//! Predictions (issue 23): each customer's purchase rhythm, the chance they are still a
//! customer, and their value over the next year — learned from the shop's own orders, the
//! customer's history shrunk towards the shop's when they have few orders. docs/predictions.md
//! says which models and why, and how they did on the CDNOW data of the paper.
//!
//! Pure: the store hands in histories, this module fits and scores.
//!
//! - [`bgnbd`]: BG/NBD — when and how often a customer buys, and whether they are still alive.
//! - [`gamma_gamma`]: the value of a customer's next order.
//! - [`fit`]: maximum likelihood for both (argmin's Nelder–Mead).
//! - [`hypergeometric`]: ₂F₁, which BG/NBD's forecast needs.
//! - [`rhythm`]: the shop's models fitted on its order histories, a customer's rhythm in days
//!   and its sentence.
//! - [`parallel`]: work over a slice on every core (the fits' sums, the ranking's scores).
//! - [`best_hour`]: the local hour a customer's opens and clicks cluster around.

pub mod best_hour;
pub mod bgnbd;
pub mod fit;
pub mod gamma_gamma;
mod hypergeometric;
pub mod parallel;
pub mod rhythm;

pub use bgnbd::{BgNbd, History};
pub use fit::FitError;
pub use gamma_gamma::{GammaGamma, Spend};
pub use rhythm::{Model, Need, Rhythm, RhythmLine, sentence};
