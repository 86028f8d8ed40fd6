//! The page: an HTML document with inline CSS and SVG, no scripts.

use super::charts;
use super::text::{self, esc};
use super::{DashboardData, Lang};
use crate::domain::Level;
use std::fmt::Write;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font-family:"Vazirmatn","DejaVu Sans","Segoe UI",Tahoma,Arial,sans-serif;color:#111827;background:#f8fafc}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 6px}
h3{font-size:15px;margin:14px 0 6px}
p.versus{font-size:13px;font-weight:600;margin:10px 0 0}
p.winner{font-size:13px;margin:10px 0 0;padding:6px 10px;background:#eff6ff;border-radius:6px}
.meta,.note{color:#6b7280;font-size:13px;margin:0 0 12px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px;margin:16px 0}
.row{display:flex;flex-wrap:wrap;gap:16px}
.row>section{flex:1 1 560px}
svg text{font-family:inherit;font-size:13px;fill:#111827}
svg text.small{font-size:11px}
svg text.lvl{font-weight:600}
svg text.inv{fill:#fff}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #f1f5f9;text-align:end;white-space:nowrap}
th:first-child,td:first-child{text-align:start}
th{color:#374151;font-weight:600;background:#f8fafc}
.pill{display:inline-block;padding:2px 8px;border-radius:10px;margin-inline-end:8px;font-size:13px}
.up{background:#dcfce7;color:#166534}.down{background:#fee2e2;color:#991b1b}
ul.steps{margin:8px 0 0;padding-inline-start:18px;font-size:13px}
"#;

/// The whole dashboard page in `lang`.
pub fn page(d: &DashboardData, lang: Lang) -> String {
    let t = text::words(lang);
    let dir = if lang == Lang::Fa { "rtl" } else { "ltr" };
    let when = d.generated_at.fixed_offset();
    let date = crate::render::format_date(lang.code(), &when);
    let time = crate::render::localize_digits(lang.code(), &when.format("%H:%M UTC").to_string());
    let mut h = String::with_capacity(32 * 1024);
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="{}" dir="{dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>rapport · {}</title><style>{STYLE}</style></head><body>"#,
        lang.code(),
        esc(t.title)
    );
    let _ = write!(
        h,
        r#"<header><h1>{}</h1><p class="meta">{} {} · {}</p></header>"#,
        esc(t.title),
        esc(t.generated),
        esc(&date),
        esc(&time)
    );
    h.push_str(r#"<div class="row">"#);
    let _ = write!(
        h,
        r#"<section id="funnel"><h2>{}</h2><p class="note">{}</p>{}</section>"#,
        esc(t.funnel),
        esc(t.funnel_note),
        charts::level_funnel(d, lang)
    );
    let _ = write!(
        h,
        r#"<section id="transitions"><h2>{}</h2><p class="note">{}</p><p><span class="pill up">{} {}</span><span class="pill down">{} {}</span></p>{}"#,
        esc(t.transitions),
        esc(t.transitions_note),
        esc(t.climbs),
        text::int(lang, d.movement.climbs()),
        esc(t.drops),
        text::int(lang, d.movement.drops()),
        charts::transitions(&d.movement, lang)
    );
    let _ = write!(
        h,
        r#"<p class="note">{}</p><ul class="steps">"#,
        esc(t.climb_time)
    );
    for l in &Level::ALL[..4] {
        let next = l.next().expect("not the last level");
        let v = match d.movement.climb_time(*l) {
            Some((n, secs)) => format!(
                "{} {} ({})",
                text::dec1(lang, secs / 86_400.0),
                t.days,
                text::int(lang, n)
            ),
            None => "–".into(),
        };
        let arrow = if lang == Lang::Fa { "←" } else { "→" };
        let _ = write!(
            h,
            "<li>{} {arrow} {}: {}</li>",
            esc(text::level(lang, *l)),
            esc(text::level(lang, next)),
            esc(&v)
        );
    }
    h.push_str("</ul></section></div>");
    value(&mut h, d, lang);
    campaigns(&mut h, d, lang);
    super::experiments::section(&mut h, &d.experiments, lang);
    h.push_str("</body></html>");
    h
}

/// Each level's average predicted margin over the next 12 months (`rapport levels` shows the
/// same numbers).
fn value(h: &mut String, d: &DashboardData, lang: Lang) {
    let t = text::words(lang);
    let _ = write!(
        h,
        r#"<section id="value"><h2>{}</h2><p class="note">{}</p>"#,
        esc(t.value),
        esc(t.value_note)
    );
    if d.value.iter().all(|v| v.n == 0) {
        let _ = write!(h, "<p>{}</p></section>", esc(t.no_value));
        return;
    }
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{} ({})</th></tr></thead><tbody>",
        esc(t.level),
        esc(t.with_orders),
        esc(t.avg_value),
        esc(&d.currency)
    );
    for l in Level::ALL {
        let v = d.value[(l.rank() - 1) as usize];
        let avg = v.average().map_or("–".into(), |a| text::money(lang, a));
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(text::level(lang, l)),
            text::int(lang, v.n),
            esc(&avg)
        );
    }
    h.push_str("</tbody></table></section>");
}

fn campaigns(h: &mut String, d: &DashboardData, lang: Lang) {
    let t = text::words(lang);
    let _ = write!(
        h,
        r#"<section id="campaigns"><h2>{}</h2><p class="note">{}</p>"#,
        esc(t.campaigns),
        esc(t.opened_note)
    );
    if d.campaigns.is_empty() {
        let _ = write!(h, "<p>{}</p></section>", esc(t.no_campaigns));
        return;
    }
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} ({})</th><th>{}</th></tr></thead><tbody>",
        esc(t.campaign),
        esc(t.sent),
        esc(t.delivered),
        esc(t.opened),
        esc(t.clicked),
        esc(t.converted),
        esc(t.nps),
        esc(t.revenue),
        esc(&d.currency),
        esc(t.funnel_col)
    );
    for c in &d.campaigns {
        let pct = |n: u64| {
            if c.sent == 0 {
                String::new()
            } else {
                let pc = if lang == Lang::Fa { "٪" } else { "%" };
                format!(
                    " ({}{pc})",
                    text::dec1(lang, n as f64 * 100.0 / c.sent as f64)
                )
            }
        };
        let nps = c
            .nps
            .map(|v| text::dec1(lang, v))
            .unwrap_or_else(|| "–".into());
        let waiting = match d.waiting.get(&c.campaign) {
            Some(super::Waiting::Schedule) => {
                format!(
                    r#"<br><span class="note">{}</span>"#,
                    esc(t.waiting_schedule)
                )
            }
            Some(super::Waiting::Trigger) => {
                format!(
                    r#"<br><span class="note">{}</span>"#,
                    esc(t.waiting_trigger)
                )
            }
            None => String::new(),
        };
        let _ = write!(
            h,
            "<tr><td>{}{waiting}</td><td>{}</td><td>{}{}</td><td>{}{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.campaign),
            text::int(lang, c.sent),
            text::int(lang, c.delivered),
            pct(c.delivered),
            text::int(lang, c.opened),
            pct(c.opened),
            text::int(lang, c.clicked),
            pct(c.clicked),
            text::int(lang, c.converted),
            nps,
            esc(&crate::render::format_money(
                lang.code(),
                c.revenue,
                &d.currency
            )),
            // A campaign that has sent nothing has no funnel to draw: its note says why.
            if waiting.is_empty() {
                charts::campaign_funnel(c, lang)
            } else {
                String::new()
            }
        );
    }
    h.push_str("</tbody></table></section>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CampaignReport, LevelMovement, Transition};
    use crate::valuation::LevelValue;

    fn value_section(p: &str) -> &str {
        let start = p
            .find(r#"<section id="value">"#)
            .expect("the value section");
        &p[start..start + p[start..].find("</section>").unwrap()]
    }

    #[test]
    fn each_level_shows_its_average_predicted_value_in_both_languages() {
        let en = page(&data(), Lang::En);
        let section = value_section(&en);
        assert!(section.contains("Predicted value per level"), "{section}");
        assert!(
            section.contains("average predicted margin, next 12 months (EUR)"),
            "{section}"
        );
        assert!(
            section.contains("<tr><td>Basic</td><td>10</td><td>52.33</td></tr>"),
            "{section}"
        );
        assert!(
            section.contains("<td>582.60</td>") && section.contains("<td>0</td><td>–</td>"),
            "a level without customers with orders has no average: {section}"
        );
        let fa = page(&data(), Lang::Fa);
        let section = value_section(&fa);
        assert!(section.contains("ارزش پیش‌بینی‌شدهٔ هر سطح"), "{section}");
        assert!(section.contains("<td>۵۲٫۳۳</td>"), "{section}");
    }

    #[test]
    fn without_a_model_the_value_section_says_why_it_is_empty() {
        let mut d = data();
        d.value = Default::default();
        let p = page(&d, Lang::En);
        assert!(
            value_section(&p).contains("No purchase-rhythm model yet"),
            "{}",
            value_section(&p)
        );
    }

    fn data() -> DashboardData {
        let now = "2026-11-25T09:00:00Z".parse().unwrap();
        DashboardData {
            generated_at: now,
            current: [70, 50, 40, 24, 16],
            target: [0, 120, 0, 60, 20],
            movement: LevelMovement {
                since: now,
                until: now,
                transitions: vec![Transition {
                    from: Level::Basic,
                    to: Level::Reactive,
                    count: 1234,
                    avg_seconds_at_from: Some(86_400.0 * 3.5),
                }],
            },
            campaigns: vec![CampaignReport {
                campaign: "<script>alert(1)</script>".into(),
                sent: 10,
                opened: 5,
                nps: Some(33.3),
                revenue: 120.5,
                ..Default::default()
            }],
            waiting: Default::default(),
            value: [
                LevelValue { sum: 523.3, n: 10 },
                LevelValue::default(),
                LevelValue { sum: 1_165.2, n: 2 },
                LevelValue::default(),
                LevelValue { sum: 0.0, n: 0 },
            ],
            currency: "EUR".into(),
            experiments: crate::report::experiment::ExperimentReport {
                currency: "EUR".into(),
                confidence: 0.95,
                campaigns: vec![],
                programme: None,
            },
        }
    }

    #[test]
    fn a_campaign_that_has_not_sent_yet_is_listed_with_what_it_waits_for() {
        let mut d = data();
        d.campaigns.push(CampaignReport {
            campaign: "loyalty-offer".into(),
            ..Default::default()
        });
        d.waiting
            .insert("loyalty-offer".into(), super::super::Waiting::Schedule);
        let p = page(&d, Lang::En);
        let row = p
            .split("<tr>")
            .find(|r| r.contains("loyalty-offer"))
            .expect("a row for the loyalty offer");
        assert!(row.contains("waiting for its next scheduled time"), "{row}");
        assert!(!row.contains("<svg"), "no empty funnel: {row}");
        assert_eq!(
            p.matches("<svg").count(),
            3,
            "the other campaign keeps its chart"
        );
    }

    #[test]
    fn persian_page_is_right_to_left_with_persian_digits() {
        let p = page(&data(), Lang::Fa);
        assert!(p.contains(r#"<html lang="fa" dir="rtl">"#));
        assert!(p.contains("۱٬۲۳۴"), "grouped Persian digits");
        assert!(p.contains("۳٫۵ روز"));
        assert!(p.contains("آذر ۱۴۰۵"), "Jalali date");
        assert!(!p.contains(">1234<"));
    }

    #[test]
    fn english_page_has_the_three_charts_and_no_script() {
        let p = page(&data(), Lang::En);
        assert!(p.contains(r#"<html lang="en" dir="ltr">"#));
        assert_eq!(
            p.matches("<svg").count(),
            3,
            "funnel, transitions, one campaign"
        );
        assert!(
            !p.contains("<script>"),
            "no JavaScript, and names are escaped"
        );
        assert!(p.contains("&lt;script&gt;"));
        assert!(p.contains("1,234"));
    }
}
