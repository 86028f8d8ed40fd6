use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An IANA timezone (`Asia/Tehran`). Schedules and quiet hours are evaluated in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(pub chrono_tz::Tz);

impl Timezone {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        input.trim().parse::<chrono_tz::Tz>().map(Timezone).map_err(|_| {
            ParseError::new(format!(
                "unknown timezone `{input}`: use an IANA name such as Asia/Tehran or Europe/Berlin"
            ))
        })
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl TryFrom<String> for Timezone {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Timezone::parse(&value)
    }
}

impl From<Timezone> for String {
    fn from(value: Timezone) -> Self {
        value.0.name().to_string()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iana_names_parse_and_others_do_not() {
        assert_eq!(
            Timezone::parse("Asia/Tehran").unwrap().name(),
            "Asia/Tehran"
        );
        assert!(Timezone::parse("Mars/Olympus").is_err());
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,40}") {
            let _ = Timezone::parse(&s);
        }
    }
}
