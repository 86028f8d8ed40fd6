//! When the assess + plan cycle runs: cron expressions from config (an incremental tick,
//! every minute by default, and a daily full reassessment), and on PostgreSQL only on the
//! replica holding the scheduler lease, so each tick runs once cluster-wide.

use crate::config::SchedulerConfig;
use chrono::{DateTime, Utc};
use std::str::FromStr;

/// What a tick should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickKind {
    Incremental,
    Full,
}

pub struct Schedule {
    tick: cron::Schedule,
    full: cron::Schedule,
}

impl Schedule {
    pub fn from_config(cfg: &SchedulerConfig) -> Result<Schedule, String> {
        let parse = |key: &str, expr: &str| {
            cron::Schedule::from_str(expr).map_err(|e| {
                let fields = expr.split_whitespace().count();
                let hint = if fields == 5 {
                    " (add a seconds field first: `0 …`)"
                } else {
                    ""
                };
                format!("scheduler.{key}: `{expr}` is not a cron expression{hint}: {e}")
            })
        };
        Ok(Schedule {
            tick: parse("tick", &cfg.tick)?,
            full: parse("full_cycle", &cfg.full_cycle)?,
        })
    }

    /// The next tick after `now`; a full cycle wins when both fire at the same instant.
    pub fn next(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, TickKind)> {
        let tick = self.tick.after(&now).next();
        let full = self.full.after(&now).next();
        match (tick, full) {
            (Some(t), Some(f)) if f <= t => Some((f, TickKind::Full)),
            (Some(t), _) => Some((t, TickKind::Incremental)),
            (None, Some(f)) => Some((f, TickKind::Full)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_cycle_wins_when_both_fire_together() {
        let cfg = SchedulerConfig {
            tick: "0 * * * * *".into(),
            full_cycle: "0 30 3 * * *".into(),
            ..Default::default()
        };
        let s = Schedule::from_config(&cfg).unwrap();
        let now: DateTime<Utc> = "2026-11-25T03:29:30Z".parse().unwrap();
        assert_eq!(
            s.next(now),
            Some(("2026-11-25T03:30:00Z".parse().unwrap(), TickKind::Full))
        );
        let now: DateTime<Utc> = "2026-11-25T03:30:00Z".parse().unwrap();
        assert_eq!(
            s.next(now),
            Some((
                "2026-11-25T03:31:00Z".parse().unwrap(),
                TickKind::Incremental
            ))
        );
    }

    #[test]
    fn five_field_crontab_gets_a_hint() {
        let cfg = SchedulerConfig {
            tick: "* * * * *".into(),
            ..Default::default()
        };
        let e = Schedule::from_config(&cfg).err().unwrap();
        assert!(e.contains("add a seconds field"), "{e}");
    }
}
