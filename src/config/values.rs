use chrono::NaiveTime;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A URL that may carry a password (`postgres://u:pw@h/db`, `smtp://u:pw@h`). Debug and
/// Display show it with the password replaced, so it can be logged.
#[derive(Clone)]
pub struct SecretUrl(SecretString);

impl SecretUrl {
    pub fn new(url: &str) -> Self {
        SecretUrl(SecretString::from(url.to_string()))
    }

    /// The full URL, password included: only for handing to a client library.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn redacted(&self) -> String {
        redact_password(self.expose())
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_string()
            }
        }
        None => url.to_string(),
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if !s.contains("://") {
            return Err(serde::de::Error::custom(format!(
                "`{}` is not a URL (expected scheme://…)",
                redact_password(&s)
            )));
        }
        Ok(SecretUrl::new(&s))
    }
}

/// Local-time window in which no email is sent, e.g. `21:00-08:00` (may wrap midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn parse(input: &str) -> Result<Self, String> {
        let err = || format!("`{input}` is not a time window like `21:00-08:00`");
        let (a, b) = input.trim().split_once('-').ok_or_else(err)?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| err())?;
        let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| err())?;
        Ok(QuietHours { start, end })
    }

    /// An empty window (start == end) means no quiet hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start == self.end {
            false
        } else if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        QuietHours::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `strategy.rank_by`: the value customers are ranked into margin tiers by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// Margin within `strategy.margin_window`: what the customer was worth.
    #[default]
    Margin,
    /// Predicted margin over the next 12 months (BG/NBD × Gamma-Gamma): what the customer is
    /// expected to be worth, so a regular outranks a one-off big spender who has left.
    PredictedValue,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        let u = SecretUrl::new("postgres://app:hunter2@db:5432/rapport");
        assert_eq!(u.redacted(), "postgres://app:***@db:5432/rapport");
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(
            SecretUrl::new("sqlite://data/r.db").redacted(),
            "sqlite://data/r.db"
        );
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = QuietHours::parse("21:00-08:00").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(t(22, 0)) && q.contains(t(7, 59)) && q.contains(t(21, 0)));
        assert!(!q.contains(t(8, 0)) && !q.contains(t(12, 0)));
        assert!(QuietHours::parse("9pm").is_err());
    }
}
