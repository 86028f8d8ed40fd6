//! Rows the report queries return, one family per query.

use chrono::{DateTime, TimeDelta, Utc};

/// What the report looks at.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// Only this campaign.
    pub campaign: Option<String>,
    /// Only deliveries queued at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only customers with this locale.
    pub locale: Option<String>,
    /// An order this long after the email (inclusive) is a conversion.
    pub conversion_window: TimeDelta,
    /// Value of one unit of each currency in the base currency (the base itself is 1).
    pub rates: Vec<(String, f64)>,
}

impl ReportFilter {
    /// Everything, with no currency but `base` priced.
    pub fn all(conversion_window: TimeDelta, base: &str) -> Self {
        ReportFilter {
            campaign: None,
            since: None,
            locale: None,
            conversion_window,
            rates: vec![(base.to_string(), 1.0)],
        }
    }

    /// The rates as a JSON object, for SQLite's `json_each`.
    pub fn rates_json(&self) -> String {
        let m: serde_json::Map<String, serde_json::Value> = self
            .rates
            .iter()
            .map(|(c, r)| (c.clone(), serde_json::json!(r)))
            .collect();
        serde_json::Value::Object(m).to_string()
    }
}

/// Delivery statuses and the delivery-linked events (counted once per delivery).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelRow {
    pub campaign: String,
    pub queued: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
    pub delivered: u64,
    pub opened: u64,
    pub opened_all: u64,
    pub clicked: u64,
    pub unsubscribed: u64,
    pub bounced: u64,
    pub complained: u64,
}

/// Survey answers (latest per delivery).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyRow {
    pub campaign: String,
    pub answers: u64,
    pub score_sum: u64,
    pub promoters: u64,
    pub detractors: u64,
}

/// Conversions (last touch within the window).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversionRow {
    pub campaign: String,
    pub converted: u64,
    pub revenue: f64,
    pub unpriced: u64,
}

/// The three row families of one report query, for `report::merge`.
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    pub funnel: Vec<FunnelRow>,
    pub surveys: Vec<SurveyRow>,
    pub conversions: Vec<ConversionRow>,
}
