//! What customers are predicted to be worth (docs/predictions.md), with the I/O the pure
//! `predict` models leave out: the shop's model kept in `engine_state` and fitted once a day
//! ([`model`]), and the average predicted value of each level ([`per_level`]) that
//! `rapport levels` and the dashboard both show.

pub mod model;
pub mod per_level;

pub use per_level::{LevelValue, value_per_level};
