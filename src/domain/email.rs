use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid email address (RFC 5321 mailbox as lettre accepts it), with the
/// domain lower-cased so that suppression lists match regardless of how it was typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParseError::new("email address is empty"));
        }
        if s.len() > 254 {
            return Err(ParseError::new(
                "email address is longer than 254 characters",
            ));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ParseError::new(format!(
                "`{}` contains spaces or control characters",
                s.escape_default()
            )));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| ParseError::new(format!("`{s}` is not an email address (no @)")))?;
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(ParseError::new(format!(
                "`{s}` has no valid domain after the @"
            )));
        }
        let normalised = format!("{local}@{}", domain.to_ascii_lowercase());
        // lettre is what sends the mail: an address it refuses is useless to us.
        normalised
            .parse::<lettre::Address>()
            .map_err(|e| ParseError::new(format!("`{s}` is not a valid email address: {e}")))?;
        Ok(EmailAddress(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_addresses_are_accepted_and_domain_lowercased() {
        let e = EmailAddress::parse(" Sara.Ahmadi@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Sara.Ahmadi@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "plainaddress",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@example.com\r\nBcc: x@evil.test",
            "a@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest! {
        #[test]
        fn parser_never_panics_and_accepted_values_reparse(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e.clone());
                prop_assert!(!e.as_str().chars().any(|c| c.is_control()));
            }
        }

        #[test]
        fn simple_addresses_always_parse(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?\\.[a-z]{2,6}") {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            let addr = format!("{local}@{domain}");
            prop_assert!(EmailAddress::parse(&addr).is_ok(), "{} rejected", addr);
        }
    }
}
