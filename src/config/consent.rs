//! `[consent]`: double opt-in, and the wording version the consent log records.

use super::Duration;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentConfig {
    /// A customer created through the API (without `consent_source`) or the sign-up form
    /// gets a confirmation email and no marketing until they click its link.
    pub double_opt_in: bool,
    /// An unconfirmed sign-up older than this is deleted by the daemon.
    pub unconfirmed_ttl: Duration,
    /// The version of the consent wording the sign-up form and the API show (a date or a
    /// number you change with the wording); logged with each consent given. A form may send
    /// its own (`consent_wording`).
    pub wording_version: Option<String>,
}

impl Default for ConsentConfig {
    fn default() -> Self {
        ConsentConfig {
            double_opt_in: false,
            unconfirmed_ttl: Duration::from_days(7),
            wording_version: None,
        }
    }
}
