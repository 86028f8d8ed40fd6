//! Level movement over a period: who moved from which level to which, and how long
//! customers stayed at a level before climbing out of it.

use crate::domain::Level;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Moves from one level to another within the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub from: Level,
    pub to: Level,
    pub count: u64,
    /// Mean time (seconds) between reaching `from` (the customer's previous level change, or
    /// sign-up when there was none) and this move.
    pub avg_seconds_at_from: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelMovement {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Every (from, to) pair with at least one move, ordered by from then to.
    pub transitions: Vec<Transition>,
}

impl LevelMovement {
    pub fn empty(since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        LevelMovement {
            since,
            until,
            transitions: Vec::new(),
        }
    }

    /// `matrix[from-1][to-1]`: how many moved.
    pub fn matrix(&self) -> [[u64; 5]; 5] {
        let mut m = [[0; 5]; 5];
        for t in &self.transitions {
            m[(t.from.rank() - 1) as usize][(t.to.rank() - 1) as usize] += t.count;
        }
        m
    }

    pub fn climbs(&self) -> u64 {
        self.transitions
            .iter()
            .filter(|t| t.to > t.from)
            .map(|t| t.count)
            .sum()
    }

    pub fn drops(&self) -> u64 {
        self.transitions
            .iter()
            .filter(|t| t.to < t.from)
            .map(|t| t.count)
            .sum()
    }

    /// Mean time to climb from `level` to the next one (moves that skipped a level are
    /// not a one-step climb and are left out); None when nobody made that step.
    pub fn climb_time(&self, level: Level) -> Option<(u64, f64)> {
        let next = level.next()?;
        self.transitions
            .iter()
            .find(|t| t.from == level && t.to == next)
            .and_then(|t| Some((t.count, t.avg_seconds_at_from?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;

    #[test]
    fn climbs_drops_and_step_times_come_from_the_transitions() {
        let t = |from, to, count, avg| Transition {
            from,
            to,
            count,
            avg_seconds_at_from: Some(avg),
        };
        let m = LevelMovement {
            since: Utc::now(),
            until: Utc::now(),
            transitions: vec![
                t(Basic, Reactive, 4, 86_400.0),
                t(Basic, Accountable, 1, 10.0),
                t(Accountable, Reactive, 2, 5.0),
            ],
        };
        assert_eq!((m.climbs(), m.drops()), (5, 2));
        assert_eq!(m.matrix()[0][1], 4);
        assert_eq!(m.climb_time(Basic), Some((4, 86_400.0)));
        assert_eq!(m.climb_time(Reactive), None);
        assert_eq!(m.climb_time(Partnership), None);
    }
}
