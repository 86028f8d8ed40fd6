use super::{App, CmdResult, Format};
use crate::domain::Level;
use crate::valuation::LevelValue;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

const DAY: f64 = 86_400.0;

/// `rapport levels`: customers per current and target level, and level movement since `since`
/// (transitions from → to, climbs vs drops, mean time to climb each step).
pub async fn run(app: &App, now: DateTime<Utc>, format: Format, since: DateTime<Utc>) -> CmdResult {
    let counts = app.store.level_counts(now).await?;
    let movement = app.store.level_movement(since..now).await?;
    let values = value_per_level(app, now).await?;
    let by_level = |arr: &[u64; 5]| -> BTreeMap<&'static str, u64> {
        Level::ALL
            .iter()
            .map(|l| (l.as_str(), arr[(l.rank() - 1) as usize]))
            .collect()
    };
    match format {
        Format::Json => {
            let climb_days: BTreeMap<String, Option<f64>> = Level::ALL[..4]
                .iter()
                .map(|l| {
                    let step = format!(
                        "{}->{}",
                        l.as_str(),
                        l.next().expect("not the last").as_str()
                    );
                    (step, movement.climb_time(*l).map(|(_, s)| round2(s / DAY)))
                })
                .collect();
            let transitions: Vec<_> = movement
                .transitions
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "from": t.from,
                        "to": t.to,
                        "count": t.count,
                        "avg_days_at_from": t.avg_seconds_at_from.map(|s| round2(s / DAY)),
                    })
                })
                .collect();
            let v = serde_json::json!({
                "current": by_level(&counts.current),
                "target": by_level(&counts.target),
                "predicted_value_12_months": Level::ALL.iter().map(|l| {
                    let v = values[(l.rank() - 1) as usize];
                    (l.as_str(), serde_json::json!({
                        "average": v.average().map(round2),
                        "customers": v.n,
                    }))
                }).collect::<BTreeMap<_, _>>(),
                "climbed_30d": counts.climbed_30d,
                "dropped_30d": counts.dropped_30d,
                "movement": {
                    "since": since,
                    "until": now,
                    "climbed": movement.climbs(),
                    "dropped": movement.drops(),
                    "transitions": transitions,
                    "climb_days": climb_days,
                },
            });
            println!("{v}");
        }
        Format::Table => {
            println!(
                "{:<12} {:>10} {:>10}   avg predicted margin, next 12 months",
                "level", "current", "target"
            );
            for l in Level::ALL {
                let i = (l.rank() - 1) as usize;
                let value = match values[i].average() {
                    Some(v) => format!("{} ({} with orders)", money(v), values[i].n),
                    None => "-".into(),
                };
                println!(
                    "{:<12} {:>10} {:>10}   {value}",
                    l.as_str(),
                    counts.current[i],
                    counts.target[i]
                );
            }
            println!(
                "\nsince {}: {} climbed a level, {} dropped",
                since.format("%Y-%m-%d %H:%M UTC"),
                movement.climbs(),
                movement.drops()
            );
            let m = movement.matrix();
            print!("{:<12}", "from \\ to");
            for l in Level::ALL {
                print!(" {:>11}", l.as_str());
            }
            println!();
            for from in Level::ALL {
                print!("{:<12}", from.as_str());
                for to in Level::ALL {
                    let n = m[(from.rank() - 1) as usize][(to.rank() - 1) as usize];
                    if from == to {
                        print!(" {:>11}", "·");
                    } else {
                        print!(" {n:>11}");
                    }
                }
                println!();
            }
            println!("\naverage time at a level before climbing to the next:");
            for l in &Level::ALL[..4] {
                let next = l.next().expect("not the last");
                match movement.climb_time(*l) {
                    Some((n, secs)) => println!(
                        "  {:<12} -> {:<12} {:>8.1} days ({n} customers)",
                        l.as_str(),
                        next.as_str(),
                        secs / DAY
                    ),
                    None => println!("  {:<12} -> {:<12} {:>8}", l.as_str(), next.as_str(), "-"),
                }
            }
        }
    }
    Ok(())
}

/// Each level's average predicted value (the cycle's kept model, fitted now when it is a
/// day old), computed as the dashboard computes it.
async fn value_per_level(
    app: &App,
    now: DateTime<Utc>,
) -> Result<[LevelValue; 5], crate::store::StoreError> {
    match crate::valuation::model::model(&*app.store, now, false).await? {
        Some(model) => {
            crate::valuation::value_per_level(&*app.store, &model, &app.config.strategy, now).await
        }
        None => Ok([LevelValue::default(); 5]),
    }
}

fn money(x: f64) -> String {
    crate::levels::wording::money(x)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
