//! Experiments: variants of a campaign and hold-out groups, so a marketer can show what the
//! emails change — compared with not sending them — instead of counting orders that would
//! have happened anyway.
//!
//! - [`assign`]: which arm a customer is in (a deterministic hash; nothing stored).

pub mod assign;

/// A share as a percentage for people: 0.1 → `10`, 0.025 → `2.5`.
pub fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}
