//! Campaigns: one TOML file per campaign in `config/campaigns/` (the id is the file stem),
//! parsed into [`Campaign`] values the planner evaluates. The format is documented in the
//! shipped files themselves and in the README.
//!
//! Apart from reading those files in [`load_dir`], everything here is pure.

mod definition;
mod experiment;
mod load;
mod raw;
mod schedule;
mod segments;
mod trigger;
mod validate;
mod validate_experiment;

pub use definition::{
    Audience, Campaign, Direction, EventTrigger, Gate, Trigger, Unless, campaign_of_key, render_key,
};
pub use experiment::{Arm, AutoWinner, Experiment, GlobalHoldout, Goal, Variant};
pub use load::{CampaignError, load_all, load_dir, load_dir_with, parse, parse_with};
pub use schedule::{ScheduleTrigger, Slot, SlotPeriod};
pub use segments::{Segment, Segments};

#[cfg(test)]
mod experiment_tests;
#[cfg(test)]
mod tests;
