use super::{App, CmdResult, Format};
use crate::domain::Level;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// `rapport levels`: customers per current and target level, and recent movement.
pub async fn run(app: &App, now: DateTime<Utc>, format: Format) -> CmdResult {
    let counts = app.store.level_counts(now).await?;
    let by_level = |arr: &[u64; 5]| -> BTreeMap<&'static str, u64> {
        Level::ALL
            .iter()
            .map(|l| (l.as_str(), arr[(l.rank() - 1) as usize]))
            .collect()
    };
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "current": by_level(&counts.current),
                "target": by_level(&counts.target),
                "climbed_30d": counts.climbed_30d,
                "dropped_30d": counts.dropped_30d,
            });
            println!("{v}");
        }
        Format::Table => {
            println!("{:<12} {:>10} {:>10}", "level", "current", "target");
            for l in Level::ALL {
                let i = (l.rank() - 1) as usize;
                println!(
                    "{:<12} {:>10} {:>10}",
                    l.as_str(),
                    counts.current[i],
                    counts.target[i]
                );
            }
            println!(
                "\nlast 30 days: {} climbed a level, {} dropped",
                counts.climbed_30d, counts.dropped_30d
            );
        }
    }
    Ok(())
}
