//! What `rapport report` is made of: the rows its queries return, one family per query, and
//! their merge into one line per campaign (pure, so the store can hand out finished lines).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

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
}

/// Delivery statuses and the delivery-linked events (counted once per delivery).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelRow {
    pub campaign: String,
    pub queued: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
    pub cancelled: u64,
    /// In the campaign's hold-out: planned, never sent.
    pub held_out: u64,
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

/// One campaign's line of the report. Serialises to exactly the keys the JSON report fixes for
/// `report --format json`; the extra figures are for the table and CSV.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CampaignReport {
    pub campaign: String,
    /// Not sent yet: queued, or being sent right now.
    pub queued: u64,
    pub sent: u64,
    pub failed: u64,
    /// Provider `delivered` events.
    pub delivered: u64,
    /// Deliveries opened by a human (machine opens excluded).
    pub opened: u64,
    /// Deliveries opened, machine opens included.
    pub opened_all: u64,
    /// Deliveries with a human click.
    pub clicked: u64,
    pub survey_answers: u64,
    /// Promoters (9–10) minus detractors (0–6), in % of answers; null without answers.
    pub nps: Option<f64>,
    pub unsubscribed: u64,
    pub bounced: u64,
    pub complained: u64,
    /// Customers who ordered within the conversion window after an email of this campaign.
    pub converted: u64,
    /// Those orders' amounts in the base currency.
    pub revenue: f64,
    /// Not sent because the address was suppressed after queueing.
    #[serde(skip)]
    pub suppressed: u64,
    /// Not sent because an `unless` came true after queueing (a survey answered before its
    /// reminder went out).
    #[serde(skip)]
    pub cancelled: u64,
    /// In the campaign's hold-out: planned and counted for its cadence, never sent (the
    /// experiment report compares them with the recipients).
    #[serde(skip)]
    pub held_out: u64,
    /// Mean survey score (0–10); None without answers.
    #[serde(skip)]
    pub survey_average: Option<f64>,
    /// Converted orders in a currency with no rate: not in `revenue`.
    #[serde(skip)]
    pub unpriced_orders: u64,
    /// What `nps` and `survey_average` are computed from, kept so that lines add up: a
    /// total's NPS is of all answers, not a mean of the campaigns' rounded NPS.
    #[serde(skip)]
    pub survey_promoters: u64,
    #[serde(skip)]
    pub survey_detractors: u64,
    #[serde(skip)]
    pub survey_score_sum: u64,
}

impl CampaignReport {
    /// Adds another line's counts to this one and recomputes the survey figures.
    pub fn add(&mut self, c: &CampaignReport) {
        self.queued += c.queued;
        self.sent += c.sent;
        self.failed += c.failed;
        self.delivered += c.delivered;
        self.opened += c.opened;
        self.opened_all += c.opened_all;
        self.clicked += c.clicked;
        self.survey_answers += c.survey_answers;
        self.unsubscribed += c.unsubscribed;
        self.bounced += c.bounced;
        self.complained += c.complained;
        self.converted += c.converted;
        self.revenue += c.revenue;
        self.suppressed += c.suppressed;
        self.cancelled += c.cancelled;
        self.held_out += c.held_out;
        self.unpriced_orders += c.unpriced_orders;
        self.survey_promoters += c.survey_promoters;
        self.survey_detractors += c.survey_detractors;
        self.survey_score_sum += c.survey_score_sum;
        self.set_survey_figures();
    }

    fn set_survey_figures(&mut self) {
        let answers = self.survey_answers;
        self.nps = nps(answers, self.survey_promoters, self.survey_detractors);
        self.survey_average = (answers > 0)
            .then(|| ((self.survey_score_sum as f64 / answers as f64) * 100.0).round() / 100.0);
    }
}

/// Net Promoter Score in % of answers, rounded to one decimal.
pub fn nps(answers: u64, promoters: u64, detractors: u64) -> Option<f64> {
    (answers > 0).then(|| {
        let v = (promoters as f64 - detractors as f64) * 100.0 / answers as f64;
        (v * 10.0).round() / 10.0
    })
}

/// Merges the row families (in any order; funnel rows of one campaign add up) into one line
/// per campaign, ordered by campaign.
pub fn merge(
    funnel: Vec<FunnelRow>,
    surveys: Vec<SurveyRow>,
    conversions: Vec<ConversionRow>,
) -> Vec<CampaignReport> {
    let mut by: BTreeMap<String, CampaignReport> = BTreeMap::new();
    fn line<'a>(by: &'a mut BTreeMap<String, CampaignReport>, c: &str) -> &'a mut CampaignReport {
        by.entry(c.to_string()).or_insert_with(|| CampaignReport {
            campaign: c.to_string(),
            ..Default::default()
        })
    }
    for f in funnel {
        let r = line(&mut by, &f.campaign);
        r.queued += f.queued;
        r.sent += f.sent;
        r.failed += f.failed;
        r.suppressed += f.suppressed;
        r.cancelled += f.cancelled;
        r.held_out += f.held_out;
        r.delivered += f.delivered;
        r.opened += f.opened;
        r.opened_all += f.opened_all;
        r.clicked += f.clicked;
        r.unsubscribed += f.unsubscribed;
        r.bounced += f.bounced;
        r.complained += f.complained;
    }
    for s in surveys {
        let r = line(&mut by, &s.campaign);
        r.survey_answers = s.answers;
        r.survey_promoters = s.promoters;
        r.survey_detractors = s.detractors;
        r.survey_score_sum = s.score_sum;
        r.set_survey_figures();
    }
    for c in conversions {
        let r = line(&mut by, &c.campaign);
        r.converted = c.converted;
        r.revenue = (c.revenue * 100.0).round() / 100.0;
        r.unpriced_orders = c.unpriced;
    }
    by.into_values().collect()
}
