use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A BCP 47 language tag (`en`, `fa`, `en-GB`), normalised to lower-case language and
/// upper-case region. Templates are chosen by [`Locale::language`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);

impl Locale {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().replace('_', "-");
        let mut parts = s.split('-');
        let lang = parts.next().unwrap_or("");
        if !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ParseError::new(format!(
                "`{input}` is not a language tag like `en` or `fa`"
            )));
        }
        let mut out = lang.to_ascii_lowercase();
        for sub in parts {
            if sub.is_empty() || sub.len() > 8 || !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ParseError::new(format!(
                    "`{input}` is not a valid BCP 47 language tag"
                )));
            }
            out.push('-');
            if sub.len() == 2 {
                out.push_str(&sub.to_ascii_uppercase());
            } else {
                out.push_str(&sub.to_ascii_lowercase());
            }
        }
        Ok(Locale(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag (`fa` for `fa-IR`).
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// Whether text in this locale is written right to left.
    pub fn is_rtl(&self) -> bool {
        matches!(self.language(), "fa" | "ar" | "he" | "ur" | "ps" | "ckb")
    }
}

impl TryFrom<String> for Locale {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Locale::parse(&value)
    }
}

impl From<Locale> for String {
    fn from(value: Locale) -> Self {
        value.0
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tags_are_normalised() {
        assert_eq!(Locale::parse("FA_ir").unwrap().as_str(), "fa-IR");
        assert_eq!(Locale::parse("fa-IR").unwrap().language(), "fa");
        assert!(Locale::parse("fa").unwrap().is_rtl());
        assert!(!Locale::parse("en").unwrap().is_rtl());
        assert!(Locale::parse("english").is_err());
        assert!(Locale::parse("").is_err());
        assert!(Locale::parse("en-").is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(s in "\\PC{0,20}") {
            if let Ok(l) = Locale::parse(&s) {
                prop_assert_eq!(Locale::parse(l.as_str()).unwrap(), l);
            }
        }
    }
}
