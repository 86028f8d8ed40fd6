//! `rapport report --experiment`: per campaign with an experiment, what each arm did and how
//! it compares with the control — the hold-out when there is one (did sending change
//! anything?), else the first variant — and the whole programme against the global hold-out.
//!
//! Pure: the store adds up each arm ([`ArmOutcome`]); this module turns the sums into rates,
//! comparisons (`crate::experiments`) and sentences.

use crate::campaigns::Campaign;
use crate::experiments::{
    Comparison, Metric, Proportion, compare_means, compare_proportions, sentence,
};
use crate::store::{ArmOutcome, GroupOutcome, WinnerRecord};
use serde::Serialize;

/// The arm name a hold-out has in the store's rows and the report.
pub const HOLDOUT: &str = "holdout";

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentReport {
    pub currency: String,
    pub confidence: f64,
    pub campaigns: Vec<CampaignExperiment>,
    /// The whole programme against the global hold-out, when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programme: Option<ProgrammeReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignExperiment {
    pub campaign: String,
    pub salt: String,
    pub holdout: f64,
    /// The arm every other is compared with.
    pub control: String,
    pub arms: Vec<ArmLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<WinnerRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArmLine {
    /// `holdout`, a variant id, or `campaign` (the recipients of a campaign without variants).
    pub arm: String,
    pub recipients: u64,
    pub opened: u64,
    pub clicked: u64,
    pub converted: u64,
    pub climbed: u64,
    pub conversion_rate: Option<f64>,
    pub climb_rate: Option<f64>,
    pub revenue: f64,
    pub revenue_per_recipient: Option<f64>,
    /// Against the control (empty for the control itself).
    pub versus: Vec<MetricComparison>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricComparison {
    pub metric: Metric,
    pub comparison: Comparison,
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeReport {
    pub share: f64,
    pub marketed: GroupOutcome,
    pub held_out: GroupOutcome,
    pub versus: Vec<MetricComparison>,
}

/// Name of the arm of a campaign without variants.
const RECIPIENTS: &str = "campaign";

/// Builds one campaign's section from the store's rows for it (any order).
pub fn campaign_report(
    c: &Campaign,
    rows: &[ArmOutcome],
    winner: Option<WinnerRecord>,
    confidence: f64,
) -> CampaignExperiment {
    let e = &c.experiment;
    let mut order: Vec<String> = Vec::new();
    if e.holdout > 0.0 || rows.iter().any(|r| r.arm == HOLDOUT) {
        order.push(HOLDOUT.into());
    }
    if e.variants.is_empty() {
        order.push(String::new());
    }
    order.extend(e.variants.iter().map(|v| v.id.clone()));
    // Arms no longer in the file (a removed variant) still show: their recipients exist.
    for r in rows {
        if !order.contains(&r.arm) {
            order.push(r.arm.clone());
        }
    }
    let find = |arm: &str| {
        rows.iter()
            .find(|r| r.arm == arm)
            .cloned()
            .unwrap_or_else(|| ArmOutcome {
                campaign: c.id.clone(),
                arm: arm.to_string(),
                ..Default::default()
            })
    };
    let control = order[0].clone();
    let control_row = find(&control);
    let arms = order
        .iter()
        .map(|arm| {
            let row = find(arm);
            let versus = if *arm == control {
                Vec::new()
            } else {
                compare(
                    &row,
                    &control_row,
                    arm == HOLDOUT || control == HOLDOUT,
                    confidence,
                )
            };
            line(&row, versus)
        })
        .collect();
    CampaignExperiment {
        campaign: c.id.clone(),
        salt: e.salt.clone(),
        holdout: e.holdout,
        control: label(&control).to_string(),
        arms,
        winner,
    }
}

/// What an arm is called in tables and sentences.
pub fn label(arm: &str) -> &str {
    match arm {
        "" => RECIPIENTS,
        a => a,
    }
}

fn line(r: &ArmOutcome, versus: Vec<MetricComparison>) -> ArmLine {
    let p = |s| r.rate(s).rate();
    ArmLine {
        arm: label(&r.arm).to_string(),
        recipients: r.recipients,
        opened: r.opened,
        clicked: r.clicked,
        converted: r.converted,
        climbed: r.climbed,
        conversion_rate: p(r.converted),
        climb_rate: p(r.climbed),
        revenue: (r.revenue.sum * 100.0).round() / 100.0,
        revenue_per_recipient: r.revenue.mean(),
        versus,
    }
}

/// The treatment against the control on every metric that means something for the pair: a
/// hold-out has no opens or clicks, so those compare variants only.
fn compare(
    t: &ArmOutcome,
    c: &ArmOutcome,
    against_holdout: bool,
    confidence: f64,
) -> Vec<MetricComparison> {
    let (tn, cn) = (label(&t.arm), control_name(&c.arm));
    let mut out = Vec::new();
    let mut rate = |metric, ts, cs| {
        let (tp, cp) = (t.rate(ts), c.rate(cs));
        if let Some(comparison) = compare_proportions(tp, cp, confidence) {
            out.push(MetricComparison {
                metric,
                sentence: sentence(metric, tn, &cn, &comparison),
                comparison,
            });
        }
    };
    rate(Metric::Conversion, t.converted, c.converted);
    rate(Metric::Climb, t.climbed, c.climbed);
    if !against_holdout {
        rate(Metric::Open, t.opened, c.opened);
        rate(Metric::Click, t.clicked, c.clicked);
    }
    if let Some(comparison) = compare_means(t.revenue, c.revenue, confidence) {
        out.push(MetricComparison {
            metric: Metric::Revenue,
            sentence: sentence(Metric::Revenue, tn, &cn, &comparison),
            comparison,
        });
    }
    out
}

fn control_name(arm: &str) -> String {
    match arm {
        HOLDOUT => "the hold-out".into(),
        a => label(a).to_string(),
    }
}

/// The programme: customers who may get marketing against the global hold-out.
pub fn programme(
    share: f64,
    marketed: GroupOutcome,
    held_out: GroupOutcome,
    confidence: f64,
) -> ProgrammeReport {
    let mut versus = Vec::new();
    let (t, c) = (&marketed, &held_out);
    let p = |s, n| Proportion {
        successes: s,
        trials: n,
    };
    for (metric, ts, cs) in [
        (Metric::Conversion, t.converted, c.converted),
        (Metric::Climb, t.climbed, c.climbed),
    ] {
        if let Some(comparison) =
            compare_proportions(p(ts, t.customers), p(cs, c.customers), confidence)
        {
            versus.push(MetricComparison {
                metric,
                sentence: sentence(metric, "marketing", "the global hold-out", &comparison),
                comparison,
            });
        }
    }
    if let Some(comparison) = compare_means(t.revenue, c.revenue, confidence) {
        versus.push(MetricComparison {
            metric: Metric::Revenue,
            sentence: sentence(
                Metric::Revenue,
                "marketing",
                "the global hold-out",
                &comparison,
            ),
            comparison,
        });
    }
    ProgrammeReport {
        share,
        marketed,
        held_out,
        versus,
    }
}
