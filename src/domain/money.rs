use super::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISO 4217 currency code, three upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let b = s.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(ParseError::new(format!(
                "`{input}` is not a currency code like EUR, USD or IRR"
            )));
        }
        Ok(Currency([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl TryFrom<String> for Currency {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money. Amounts are analysed (sums, ranks), never used for accounting, so a
/// finite `f64` is precise enough and keeps SQL aggregates cheap on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Money {
    pub amount: f64,
    pub currency: Currency,
}

impl Money {
    /// Parses an amount such as `49.90` or `1250000`; rejects NaN, infinities and values
    /// beyond 10^15 (a typo, not an order).
    pub fn parse_amount(input: &str) -> Result<f64, ParseError> {
        let s = input.trim();
        let v: f64 = s
            .parse()
            .map_err(|_| ParseError::new(format!("`{input}` is not a number")))?;
        Self::check_amount(v)
    }

    pub fn check_amount(v: f64) -> Result<f64, ParseError> {
        if !v.is_finite() || v.abs() > 1e15 {
            return Err(ParseError::new(format!("{v} is not a plausible amount")));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currency_codes_are_uppercased() {
        assert_eq!(Currency::parse("eur").unwrap().as_str(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("€").is_err());
    }

    #[test]
    fn amounts_must_be_finite_numbers() {
        assert_eq!(Money::parse_amount("49.90").unwrap(), 49.9);
        assert!(Money::parse_amount("NaN").is_err());
        assert!(Money::parse_amount("inf").is_err());
        assert!(Money::parse_amount("12,5").is_err());
    }

    proptest! {
        #[test]
        fn amount_parser_never_panics(s in "\\PC{0,30}") {
            if let Ok(v) = Money::parse_amount(&s) { prop_assert!(v.is_finite()); }
        }
        #[test]
        fn currency_parser_never_panics(s in "\\PC{0,6}") {
            if let Ok(c) = Currency::parse(&s) { prop_assert_eq!(c.as_str().len(), 3); }
        }
    }
}
