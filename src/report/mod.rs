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
pub mod experiment;
mod experiment_build;
mod experiment_format;
#[cfg(test)]
mod experiment_tests;
mod format;
mod transports;

pub use crate::domain::report::{
    CampaignReport, ConversionRow, FunnelRow, ReportFilter, SurveyRow, merge, nps,
};
pub use crate::domain::{LevelMovement, Transition};
pub use experiment_build::{CONFIDENCE, ExperimentFilter, build as build_experiments};
pub use experiment_format::write_experiment_table;
pub use format::{write_csv, write_table};
pub use transports::{write_transports_csv, write_transports_table};

use crate::config::Config;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

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

/// What `--campaign`, `--since` and `--locale` select, with the config's window and rates.
pub fn filter(
    cfg: &Config,
    campaign: Option<String>,
    since: Option<DateTime<Utc>>,
    locale: Option<String>,
) -> ReportFilter {
    ReportFilter {
        campaign,
        since,
        locale,
        conversion_window: cfg.report.conversion_window.chrono(),
        rates: rates(cfg),
    }
}

/// Value of one unit of each configured currency in the base currency (the base itself 1).
pub fn rates(cfg: &Config) -> Vec<(String, f64)> {
    let base = cfg.strategy.base_currency.as_str().to_string();
    let mut rates: Vec<(String, f64)> = cfg
        .strategy
        .currency_rates
        .iter()
        .filter(|(c, _)| c.as_str() != base)
        .map(|(c, r)| (c.to_ascii_uppercase(), *r))
        .collect();
    rates.push((base, 1.0));
    rates
}

/// Runs the report queries and merges them.
pub async fn build(
    store: &dyn Store,
    cfg: &Config,
    f: &ReportFilter,
) -> Result<Report, StoreError> {
    Ok(Report {
        campaigns: store.report(f).await?,
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
