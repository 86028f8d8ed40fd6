//! `rapport report`: what each campaign did — the delivery funnel, human opens and clicks,
//! survey answers and NPS, unsubscribes, bounces, complaints, and the orders it converted.
//!
//! SQL aggregates (one pass per figure family, set-based, in `store/sql/*_report_*.sql`);
//! this module only merges the per-campaign rows and derives the ratios.
//!
//! Attribution rules (also in README terms):
//! - an event counts for a campaign when it carries the `delivery_id` of one of its
//!   deliveries (the tracking links and provider webhooks set it);
//! - `opened` counts deliveries with at least one open that was not a machine (privacy proxy,
//!   scanner); `opened_all` counts every delivery with any open;
//! - survey answers: the latest answer per delivery (a customer who clicks 3, then 9, meant 9);
//! - a conversion is an order placed after the email was sent and at most
//!   `report.conversion_window` later; when several emails qualify, the **last one sent before
//!   the order** gets it (last touch, as Customer.io attributes), so an order is never counted
//!   twice and the campaigns' revenues add up;
//! - revenue is in `strategy.base_currency`: order amounts converted with
//!   `strategy.currency_rates` (an order in a currency without a rate is left out of the sum
//!   and counted in `unpriced_orders`, which the table shows).

pub use crate::domain::engagement;
mod format;

pub use crate::domain::report::{ConversionRow, FunnelRow, ReportFilter, ReportRows, SurveyRow};
pub use format::{write_csv, write_table};
pub use crate::domain::{LevelMovement, Transition};

use crate::config::Config;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// The whole report: one line per campaign (by name) and the currency revenue is in.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub campaigns: Vec<CampaignReport>,
    pub currency: String,
}

impl Report {
    /// Every campaign added up: the table's `total` row.
    pub fn total(&self) -> CampaignReport {
        let mut total = CampaignReport {
            campaign: "total".into(),
            ..Default::default()
        };
        for c in &self.campaigns {
            total.add(c);
        }
        total
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

/// What `--campaign`, `--since` and `--locale` select, with the config's window and rates.
pub fn filter(
    cfg: &Config,
    campaign: Option<String>,
    since: Option<DateTime<Utc>>,
    locale: Option<String>,
) -> ReportFilter {
    let base = cfg.strategy.base_currency.as_str().to_string();
    let mut rates: Vec<(String, f64)> = cfg
        .strategy
        .currency_rates
        .iter()
        .filter(|(c, _)| c.as_str() != base)
        .map(|(c, r)| (c.to_ascii_uppercase(), *r))
        .collect();
    rates.push((base, 1.0));
    ReportFilter {
        campaign,
        since,
        locale,
        conversion_window: cfg.report.conversion_window.chrono(),
        rates,
    }
}

/// Runs the report queries and merges them.
pub async fn build(
    store: &dyn Store,
    cfg: &Config,
    f: &ReportFilter,
) -> Result<Report, StoreError> {
    let rows = store.report(f).await?;
    Ok(Report {
        campaigns: merge(rows.funnel, rows.surveys, rows.conversions),
        currency: cfg.strategy.base_currency.as_str().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        assert_eq!(nps(0, 0, 0), None);
        assert_eq!(nps(4, 2, 1), Some(25.0));
        assert_eq!(nps(3, 0, 3), Some(-100.0));
        assert_eq!(nps(3, 1, 0), Some(33.3));
    }

    #[test]
    fn the_total_has_the_nps_and_average_of_all_answers_not_a_mean_of_the_campaigns() {
        let lines = merge(
            vec![],
            vec![
                // NPS 100 from 1 answer, NPS 0 from 3: all 4 answers give 2 - 1 = +25.
                SurveyRow {
                    campaign: "a".into(),
                    answers: 1,
                    score_sum: 10,
                    promoters: 1,
                    detractors: 0,
                },
                SurveyRow {
                    campaign: "b".into(),
                    answers: 3,
                    score_sum: 22,
                    promoters: 1,
                    detractors: 1,
                },
            ],
            vec![],
        );
        let report = Report {
            campaigns: lines,
            currency: "EUR".into(),
        };
        let total = report.total();
        assert_eq!(total.campaign, "total");
        assert_eq!(total.survey_answers, 4);
        assert_eq!(total.nps, Some(25.0));
        assert_eq!(total.survey_average, Some(8.0));
        let none = Report::default().total();
        assert_eq!((none.nps, none.survey_average), (None, None));
    }

    #[test]
    fn merge_joins_the_row_families_by_campaign() {
        let lines = merge(
            vec![FunnelRow {
                campaign: "a".into(),
                sent: 3,
                ..Default::default()
            }],
            vec![SurveyRow {
                campaign: "b".into(),
                answers: 2,
                score_sum: 19,
                promoters: 2,
                detractors: 0,
            }],
            vec![ConversionRow {
                campaign: "a".into(),
                converted: 1,
                revenue: 10.005,
                unpriced: 0,
            }],
        );
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].sent, lines[0].converted), (3, 1));
        assert_eq!(lines[1].nps, Some(100.0));
        assert_eq!(lines[1].survey_average, Some(9.5));
    }
}
