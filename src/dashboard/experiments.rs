//! The dashboard's experiment section: per campaign with an experiment, what `rapport report
//! --experiment` shows — each arm's recipients, conversion, revenue per recipient and level
//! climbs, the sentences comparing it with the control, the auto-winner's decision — and the
//! programme against the global hold-out. Drawn from the report's own [`ExperimentReport`]:
//! nothing is recomputed here, only worded (Persian sentences reuse its figures).

use super::Lang;
use super::text::{self, esc};
use crate::report::experiment::{
    ArmLine, CampaignExperiment, ExperimentReport, HOLDOUT, MetricComparison,
};
use std::fmt::Write;

pub fn section(h: &mut String, r: &ExperimentReport, lang: Lang) {
    let t = text::words(lang);
    let _ = write!(
        h,
        r#"<section id="experiments"><h2>{}</h2><p class="note">{}</p>"#,
        esc(t.experiments),
        esc(t.experiments_note)
    );
    if r.campaigns.is_empty() && r.programme.is_none() {
        let _ = write!(h, "<p>{}</p>", esc(t.no_experiments));
    }
    for c in &r.campaigns {
        campaign(h, c, &r.currency, lang);
    }
    if let Some(p) = &r.programme {
        let _ = write!(
            h,
            r#"<div class="experiment" id="programme"><h3>{} · {}</h3>"#,
            esc(t.programme),
            part(lang, p.share)
        );
        header(h, lang, t.group, t.customers, t.per_customer, &r.currency);
        for (name, g) in [(t.marketed, &p.marketed), (t.global_holdout, &p.held_out)] {
            let rate = |s: u64| (g.customers > 0).then(|| s as f64 / g.customers as f64);
            let line = Line {
                name,
                n: g.customers,
                engaged: None,
                converted: g.converted,
                conversion: rate(g.converted),
                per_head: g.revenue.mean(),
                climbed: g.climbed,
                climb: rate(g.climbed),
            };
            row(h, lang, &line, &r.currency);
        }
        h.push_str("</tbody></table>");
        sentences(h, lang, &p.versus, t.marketed, t.global_holdout);
        h.push_str("</div>");
    }
    h.push_str("</section>");
}

fn campaign(h: &mut String, c: &CampaignExperiment, currency: &str, lang: Lang) {
    let t = text::words(lang);
    let holdout = if c.holdout > 0.0 {
        format!(", {} {}", t.holdout_share, part(lang, c.holdout))
    } else {
        String::new()
    };
    let _ = write!(
        h,
        r#"<div class="experiment"><h3>{} <span class="note">({} {}{})</span></h3>"#,
        esc(&c.campaign),
        esc(t.experiment_id),
        esc(&c.salt),
        esc(&holdout)
    );
    header(h, lang, t.arm, t.recipients, t.per_recipient, currency);
    for a in &c.arms {
        arm_row(h, a, currency, lang);
    }
    h.push_str("</tbody></table>");
    let control = arm_name(lang, &c.control);
    for a in c.arms.iter().filter(|a| !a.versus.is_empty()) {
        let name = arm_name(lang, &a.arm);
        let _ = write!(
            h,
            r#"<p class="versus">{} {} {}</p>"#,
            esc(name),
            esc(t.against),
            esc(control)
        );
        sentences(h, lang, &a.versus, name, control);
    }
    if let Some(w) = &c.winner {
        let date = crate::render::format_date(lang.code(), &w.decided_at.fixed_offset());
        let metric = text::metric(lang, &w.metric);
        let said = if w.variant.is_empty() {
            format!("{} ({date}): {} {metric}", t.winner, t.winner_none)
        } else {
            format!(
                "{}: {} ({date}): {} {metric}",
                t.winner, w.variant, t.winner_chosen
            )
        };
        let _ = write!(h, r#"<p class="winner">{}</p>"#, esc(&said));
    }
    h.push_str("</div>");
}

fn header(h: &mut String, lang: Lang, first: &str, n: &str, per: &str, currency: &str) {
    let t = text::words(lang);
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} ({})</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(first),
        esc(n),
        esc(t.opened),
        esc(t.clicked),
        esc(t.conversion),
        esc(per),
        esc(currency),
        esc(t.climbed),
        esc(t.climb_rate),
    );
}

/// One line of a table: who, how many, and what they did.
struct Line<'a> {
    name: &'a str,
    n: u64,
    /// Opens and clicks: none for a hold-out (no email) or a programme group (counted per
    /// email, not per customer).
    engaged: Option<(u64, u64)>,
    converted: u64,
    conversion: Option<f64>,
    per_head: Option<f64>,
    climbed: u64,
    climb: Option<f64>,
}

fn arm_row(h: &mut String, a: &ArmLine, currency: &str, lang: Lang) {
    let line = Line {
        name: arm_name(lang, &a.arm),
        n: a.recipients,
        engaged: (a.arm != HOLDOUT).then_some((a.opened, a.clicked)),
        converted: a.converted,
        conversion: a.conversion_rate,
        per_head: a.revenue_per_recipient,
        climbed: a.climbed,
        climb: a.climb_rate,
    };
    row(h, lang, &line, currency);
}

fn row(h: &mut String, lang: Lang, l: &Line, currency: &str) {
    let (opened, clicked) = match l.engaged {
        Some((o, c)) => (text::int(lang, o), text::int(lang, c)),
        None => ("–".into(), "–".into()),
    };
    let money = l.per_head.map_or("–".into(), |x| {
        crate::render::format_money(lang.code(), x, currency)
    });
    let _ = write!(
        h,
        "<tr><td>{}</td><td>{}</td><td>{opened}</td><td>{clicked}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(l.name),
        text::int(lang, l.n),
        text::int(lang, l.converted),
        share(lang, l.conversion),
        esc(&money),
        text::int(lang, l.climbed),
        share(lang, l.climb),
    );
}

fn sentences(h: &mut String, lang: Lang, versus: &[MetricComparison], t: &str, c: &str) {
    h.push_str(r#"<ul class="steps">"#);
    for m in versus {
        let _ = write!(h, "<li>{}</li>", esc(&text::comparison(lang, m, t, c)));
    }
    h.push_str("</ul>");
}

/// The arm's name as the page says it: the hold-out in the page's language, variants as
/// their ids.
fn arm_name(lang: Lang, arm: &str) -> &str {
    if arm == HOLDOUT {
        text::words(lang).holdout
    } else {
        arm
    }
}

fn share(lang: Lang, rate: Option<f64>) -> String {
    let pc = if lang == Lang::Fa { "٪" } else { " %" };
    rate.map_or("–".into(), |r| {
        format!("{}{pc}", text::dec1(lang, r * 100.0))
    })
}

/// A configured share, as written: `20 %`, `2.5 %`.
fn part(lang: Lang, x: f64) -> String {
    let s = share(lang, Some(x));
    s.replace(".0 %", " %").replace("٫۰٪", "٪")
}
