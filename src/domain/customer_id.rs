use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The integrator's own customer id: any non-empty string up to 200 characters without
/// control characters (it appears in URLs, logs and CSV files).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerId(String);

impl CustomerId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParseError::new("customer id is empty"));
        }
        if s.chars().count() > 200 {
            return Err(ParseError::new("customer id is longer than 200 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(ParseError::new("customer id contains control characters"));
        }
        Ok(CustomerId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CustomerId {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CustomerId::parse(&value)
    }
}

impl From<CustomerId> for String {
    fn from(value: CustomerId) -> Self {
        value.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blank_and_control_ids_are_rejected() {
        assert!(CustomerId::parse("  ").is_err());
        assert!(CustomerId::parse("c\n1").is_err());
        assert_eq!(CustomerId::parse(" c-1 ").unwrap().as_str(), "c-1");
    }

    proptest! {
        #[test]
        fn accepted_ids_are_trimmed_and_control_free(s in "\\PC{0,250}") {
            if let Ok(id) = CustomerId::parse(&s) {
                prop_assert_eq!(id.as_str(), s.trim());
                prop_assert!(!id.as_str().is_empty());
            }
        }
    }
}
