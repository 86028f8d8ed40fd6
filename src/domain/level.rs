use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Kotler's five levels of customer relationship, ordered: a customer climbs one step at a
/// time from `Basic` to `Partnership` (docs/domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Basic = 1,
    Reactive = 2,
    Accountable = 3,
    Proactive = 4,
    Partnership = 5,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Basic,
        Level::Reactive,
        Level::Accountable,
        Level::Proactive,
        Level::Partnership,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Basic => "basic",
            Level::Reactive => "reactive",
            Level::Accountable => "accountable",
            Level::Proactive => "proactive",
            Level::Partnership => "partnership",
        }
    }

    /// The number stored in the database (1–5), so that SQL can compare levels.
    pub fn rank(self) -> i16 {
        self as i16
    }

    pub fn from_rank(rank: i64) -> Option<Level> {
        Level::ALL
            .get(usize::try_from(rank).ok()?.checked_sub(1)?)
            .copied()
    }

    /// The next step of the climb, if any.
    pub fn next(self) -> Option<Level> {
        Level::from_rank(i64::from(self.rank()) + 1)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == wanted)
            .ok_or_else(|| {
                ParseError::new(format!(
                    "unknown level `{s}`: expected one of basic, reactive, accountable, proactive, partnership"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_from_basic_to_partnership() {
        assert!(Level::Basic < Level::Reactive);
        assert!(Level::Proactive < Level::Partnership);
        assert_eq!(Level::Accountable.next(), Some(Level::Proactive));
        assert_eq!(Level::Partnership.next(), None);
    }

    #[test]
    fn level_names_round_trip_and_unknown_names_are_rejected() {
        for l in Level::ALL {
            assert_eq!(l.as_str().parse::<Level>().unwrap(), l);
            assert_eq!(Level::from_rank(l.rank().into()), Some(l));
        }
        assert!("gold".parse::<Level>().is_err());
        assert_eq!(Level::from_rank(0), None);
        assert_eq!(Level::from_rank(6), None);
    }
}
