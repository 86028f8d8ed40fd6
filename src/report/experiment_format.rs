//! `rapport report --experiment` as a terminal table: per campaign, one line per arm, then the
//! sentences comparing each arm with the control; the programme against the global hold-out
//! last. JSON is `serde_json` of [`ExperimentReport`].

use super::experiment::{ArmLine, CampaignExperiment, ExperimentReport, MetricComparison};
use crate::levels::wording::{count, money, percent};
use std::io::{self, Write};

pub fn write_experiment_table(out: &mut impl Write, r: &ExperimentReport) -> io::Result<()> {
    if r.campaigns.is_empty() && r.programme.is_none() {
        writeln!(
            out,
            "no experiments: give a campaign `holdout = 0.1` or [[variant]] entries (docs/experiments.md), or set [experiments] global_holdout"
        )?;
    }
    for (i, c) in r.campaigns.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        campaign(out, c, &r.currency)?;
    }
    if let Some(p) = &r.programme {
        if !r.campaigns.is_empty() {
            writeln!(out)?;
        }
        writeln!(
            out,
            "the whole programme: marketing against the global hold-out ({} of customers get no marketing)",
            percent(p.share)
        )?;
        writeln!(
            out,
            "  {:<14} {:>10} {:>10} {:>8} {:>14} {:>8} {:>8}",
            "group",
            "customers",
            "converted",
            "conv",
            format!("rev/cust {}", r.currency),
            "climbed",
            "climb"
        )?;
        for (name, g) in [("marketed", &p.marketed), ("held out", &p.held_out)] {
            let rate = |s: u64| (g.customers > 0).then(|| s as f64 / g.customers as f64);
            writeln!(
                out,
                "  {:<14} {:>10} {:>10} {:>8} {:>14} {:>8} {:>8}",
                name,
                count(g.customers),
                count(g.converted),
                share(rate(g.converted)),
                g.revenue.mean().map_or("-".into(), money),
                count(g.climbed),
                share(rate(g.climbed)),
            )?;
        }
        sentences(out, &p.versus)?;
    }
    Ok(())
}

fn campaign(out: &mut impl Write, c: &CampaignExperiment, currency: &str) -> io::Result<()> {
    let holdout = if c.holdout > 0.0 {
        format!(", hold-out {}", percent(c.holdout))
    } else {
        String::new()
    };
    writeln!(out, "{} (salt {}{holdout})", c.campaign, c.salt)?;
    writeln!(
        out,
        "  {:<14} {:>10} {:>8} {:>8} {:>10} {:>8} {:>14} {:>8} {:>8}",
        "arm",
        "recipients",
        "opened",
        "clicked",
        "converted",
        "conv",
        format!("rev/recip {currency}"),
        "climbed",
        "climb"
    )?;
    for a in &c.arms {
        arm(out, a)?;
    }
    for a in &c.arms {
        if !a.versus.is_empty() {
            let control = if c.control == super::experiment::HOLDOUT {
                "the hold-out"
            } else {
                &c.control
            };
            writeln!(out, "  {} against {control}:", a.arm)?;
            sentences(out, &a.versus)?;
        }
    }
    if let Some(w) = &c.winner {
        if w.variant.is_empty() {
            writeln!(
                out,
                "  auto-winner: decided {} on {}: no variant was significantly better; the split goes on",
                w.decided_at.format("%Y-%m-%d"),
                w.metric
            )?;
        } else {
            writeln!(
                out,
                "  auto-winner: {} since {} (on {}): everyone outside the hold-out gets it",
                w.variant,
                w.decided_at.format("%Y-%m-%d"),
                w.metric
            )?;
        }
    }
    Ok(())
}

fn arm(out: &mut impl Write, a: &ArmLine) -> io::Result<()> {
    let holdout = a.arm == super::experiment::HOLDOUT;
    // A held-out customer got no email: no opens or clicks to show.
    let engaged = |n: u64| if holdout { "-".into() } else { count(n) };
    writeln!(
        out,
        "  {:<14} {:>10} {:>8} {:>8} {:>10} {:>8} {:>14} {:>8} {:>8}",
        a.arm,
        count(a.recipients),
        engaged(a.opened),
        engaged(a.clicked),
        count(a.converted),
        share(a.conversion_rate),
        a.revenue_per_recipient.map_or("-".into(), money),
        count(a.climbed),
        share(a.climb_rate),
    )
}

fn sentences(out: &mut impl Write, versus: &[MetricComparison]) -> io::Result<()> {
    for m in versus {
        writeln!(out, "    {} [{}]", m.sentence, m.comparison.test.name())?;
    }
    Ok(())
}

fn share(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.1} %", r * 100.0))
}
