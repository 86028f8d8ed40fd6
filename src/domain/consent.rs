//! Consent: the topics a customer can leave, and one entry of the consent log — who (by
//! customer id only: never the address or the name), what changed, when, where it came from,
//! with the wording shown and, where known, the IP address and user agent.

use super::ParseError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// What a marketing campaign is about, as a customer can leave it on the preference page.
/// A fixed list: each has its words in every page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    Offers,
    Surveys,
    Partnership,
    News,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Offers,
        Topic::Surveys,
        Topic::Partnership,
        Topic::News,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Topic::Offers => "offers",
            Topic::Surveys => "surveys",
            Topic::Partnership => "partnership",
            Topic::News => "news",
        }
    }

    pub fn parse(s: &str) -> Result<Topic, ParseError> {
        Topic::ALL
            .into_iter()
            .find(|t| t.name() == s.trim())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "unknown topic `{s}`: expected offers, surveys, partnership or news"
                ))
            })
    }

    /// The topics in a stored `customers.left_topics` (comma-separated); unknown names are
    /// skipped (a later version may know more topics than this one).
    pub fn list(stored: &str) -> Vec<Topic> {
        stored
            .split(',')
            .filter_map(|s| Topic::parse(s).ok())
            .collect()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentAction {
    /// Consent given (or declared by an import as given before).
    Given,
    /// The confirmation link of double opt-in clicked.
    Confirmed,
    /// A topic, or all marketing, left.
    Withdrawn,
    /// An unconfirmed sign-up forgotten after `consent.unconfirmed_ttl`.
    Expired,
}

impl ConsentAction {
    pub fn name(self) -> &'static str {
        match self {
            ConsentAction::Given => "given",
            ConsentAction::Confirmed => "confirmed",
            ConsentAction::Withdrawn => "withdrawn",
            ConsentAction::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentAction> {
        [
            ConsentAction::Given,
            ConsentAction::Confirmed,
            ConsentAction::Withdrawn,
            ConsentAction::Expired,
        ]
        .into_iter()
        .find(|a| a.name() == s)
    }
}

/// Where a consent change came from: the `source` column.
pub mod source {
    /// `rapport import customers` with a `consent_source` (what the file declared is the
    /// entry's evidence).
    pub const IMPORT: &str = "import";
    /// `POST /api/v1/customers`.
    pub const API: &str = "api";
    /// `POST /subscribe`, the sign-up form.
    pub const SIGNUP_FORM: &str = "signup_form";
    /// The confirmation link of double opt-in.
    pub const CONFIRMATION_LINK: &str = "confirmation_link";
    /// The preference page's form (`/u/{token}`).
    pub const PREFERENCE_PAGE: &str = "preference_page";
    /// A mail client's List-Unsubscribe one-click POST (RFC 8058).
    pub const ONE_CLICK: &str = "one_click";
    /// A spam complaint (provider webhook or API event).
    pub const COMPLAINT: &str = "complaint";
    /// The daemon forgetting an unconfirmed sign-up.
    pub const DAEMON: &str = "daemon";
}

/// Longest evidence, wording version or user agent kept, in characters.
pub const MAX_FIELD: usize = 300;

/// One consent change, as the log stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentEntry {
    pub customer_id: String,
    pub at: DateTime<Utc>,
    pub action: ConsentAction,
    /// None: all marketing.
    pub topic: Option<Topic>,
    pub source: String,
    /// What the source declared (an import's `consent_source`), when it said anything.
    pub evidence: Option<String>,
    /// The version of the consent wording the person was shown.
    pub wording_version: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ConsentEntry {
    /// An entry with nothing known beyond what changed and where from.
    pub fn new(
        customer_id: &str,
        at: DateTime<Utc>,
        action: ConsentAction,
        source: &str,
    ) -> ConsentEntry {
        ConsentEntry {
            customer_id: customer_id.to_string(),
            at,
            action,
            topic: None,
            source: source.to_string(),
            evidence: None,
            wording_version: None,
            ip: None,
            user_agent: None,
        }
    }

    pub fn topic(mut self, topic: Option<Topic>) -> Self {
        self.topic = topic;
        self
    }

    pub fn evidence(mut self, evidence: Option<&str>) -> Self {
        self.evidence = evidence.map(clip);
        self
    }

    pub fn wording(mut self, version: Option<&str>) -> Self {
        self.wording_version = version.map(clip);
        self
    }

    /// The request it came with: IP address and user agent.
    pub fn request(mut self, ip: Option<&str>, user_agent: Option<&str>) -> Self {
        self.ip = ip.map(clip);
        self.user_agent = user_agent.map(clip);
        self
    }

    /// One line of `rapport consent`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}  {:<9}  {:<11}  {}",
            self.at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.action.name(),
            self.topic.map_or("all", Topic::name),
            self.source
        );
        for (label, v) in [
            ("evidence", &self.evidence),
            ("wording", &self.wording_version),
            ("ip", &self.ip),
            ("user agent", &self.user_agent),
        ] {
            if let Some(v) = v {
                line.push_str(&format!("  {label}: {v}"));
            }
        }
        line
    }
}

/// Text kept without control characters and at most [`MAX_FIELD`] characters.
fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_by_name_and_unknown_ones_are_named() {
        assert_eq!(Topic::parse("offers").unwrap(), Topic::Offers);
        assert!(
            Topic::parse("spam")
                .unwrap_err()
                .0
                .contains("unknown topic `spam`")
        );
        assert_eq!(
            Topic::list("offers,,unknown,news"),
            vec![Topic::Offers, Topic::News]
        );
    }

    #[test]
    fn an_entry_line_says_what_changed_and_clips_what_it_was_given() {
        let at = "2026-11-25T09:00:00Z".parse().unwrap();
        let e = ConsentEntry::new("c1", at, ConsentAction::Withdrawn, source::PREFERENCE_PAGE)
            .topic(Some(Topic::Offers))
            .request(Some("192.0.2.1"), Some(&"x\u{7}".repeat(400)));
        assert_eq!(e.user_agent.as_deref().map(str::len), Some(MAX_FIELD));
        assert!(e.line().starts_with(
            "2026-11-25 09:00:00 UTC  withdrawn  offers       preference_page  ip: 192.0.2.1"
        ));
    }
}
