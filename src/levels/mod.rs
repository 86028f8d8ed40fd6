//! Relationship levels (docs/domain.md): where each customer stands today (`current`, from
//! behaviour) and where the business wants them (`target`, from Kotler's strategy matrix).
//!
//! Pure: the store aggregates [`CustomerFacts`] in SQL and builds [`MarginTiers`] from cut
//! points it computes; this module only decides, and says why.

mod assess;
mod tiers;
pub(crate) mod wording;

pub use crate::domain::CustomerFacts;
pub use assess::{Assessment, assess, assess_levels};
pub use tiers::{Breadth, MarginTiers, Tier};

#[cfg(test)]
mod tests;
