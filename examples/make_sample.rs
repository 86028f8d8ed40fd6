//! Writes the sample data in `examples/`: 200 customers of a home & kitchen shop, half
//! writing English and half Persian, with orders and events that put each customer at a
//! chosen level (docs/domain.md "Evidence", default rules) at the demo's "today".
//!
//!     cargo run --example make_sample            # rewrites examples/*.csv|jsonl
//!     cargo run --example make_sample -- DIR     # writes somewhere else
//!
//! Deterministic: the same seed and the same (locked) `rand` give the same files. Before
//! writing, it classifies every customer with the default rules and refuses to write data
//! whose levels differ from the ones intended.

#[path = "common/catalog.rs"]
mod catalog;
#[path = "make_sample/cohorts.rs"]
mod cohorts;
#[path = "make_sample/sample.rs"]
mod sample;

use sample::{Sample, Strategy};
use std::path::PathBuf;

/// The instant the demo runs its cycle at (examples/README.md).
pub const ANCHOR: &str = "2026-11-25T09:00:00Z";
const SEED: u64 = 20261125;
/// The customers of the first cohorts (cust-0001–0200). The cohorts appended after them must
/// not move these customers' margin tiers, so that their targets and the campaigns they get
/// stay as examples/README.md documents them, and their orders and events are numbered
/// after these customers' ones, so that those keep their ids.
const FIRST_CUSTOMERS: usize = 200;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples"));
    let anchor = ANCHOR.parse()?;
    let mut s = Sample::new(SEED, anchor);
    for cohort in cohorts::COHORTS {
        for k in 0..cohort.count {
            s.add_customer(cohort, k);
        }
    }
    s.finish(FIRST_CUSTOMERS);
    s.check_levels()?;
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/rapport.toml");
    s.check_tiers(FIRST_CUSTOMERS, &Strategy::load(&config)?)?;
    s.write(&dir)?;
    s.print_summary(&dir);
    Ok(())
}
