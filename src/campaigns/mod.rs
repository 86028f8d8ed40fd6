//! Campaigns: one TOML file per campaign in `config/campaigns/` (the id is the file stem),
//! parsed into [`Campaign`] values the planner evaluates. The format is documented in the
//! shipped files themselves and in the README.
//!
//! Apart from reading those files in [`load_dir`], everything here is pure.

mod definition;
mod load;
mod raw;
mod schedule;
mod validate;

pub use definition::{Audience, Campaign, EventTrigger, Trigger};
pub use load::{CampaignError, load_dir, parse};
pub use schedule::{ScheduleTrigger, Slot, SlotPeriod};

#[cfg(test)]
mod tests;
