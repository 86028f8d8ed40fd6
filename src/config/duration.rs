use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A span of time written the way a marketer would: `3d`, `90 days`, `12h`, `30m`.
/// Parsed with `humantime`; `3x` is an error naming the accepted units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub fn parse(input: &str) -> Result<Self, String> {
        humantime::parse_duration(input.trim())
            .map(Duration)
            .map_err(|e| {
                format!(
                    "`{input}` is not a duration ({e}); write e.g. `30m`, `12h`, `3d` or `90 days`"
                )
            })
    }

    pub fn from_secs(secs: u64) -> Self {
        Duration(std::time::Duration::from_secs(secs))
    }

    pub fn from_days(days: u64) -> Self {
        Self::from_secs(days * 86_400)
    }

    pub fn std(self) -> std::time::Duration {
        self.0
    }

    /// As a chrono duration for arithmetic on timestamps; saturates instead of panicking.
    pub fn chrono(self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.0).unwrap_or(chrono::TimeDelta::MAX)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketer_durations_parse() {
        assert_eq!(Duration::parse("3d").unwrap(), Duration::from_days(3));
        assert_eq!(Duration::parse("90 days").unwrap(), Duration::from_days(90));
        assert_eq!(Duration::parse("12h").unwrap(), Duration::from_secs(43_200));
    }

    #[test]
    fn unknown_unit_is_an_error_that_shows_examples() {
        let e = Duration::parse("3x").unwrap_err();
        assert!(e.contains("`3x`") && e.contains("3d"), "{e}");
    }
}
