//! The report as a terminal table and as CSV (JSON is `serde_json` of the lines).

use super::{CampaignReport, Report};
use std::io::{self, Write};

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

/// The table's columns: header and width. The campaign column is left-aligned, the others
/// right-aligned; the revenue header is followed by the report's currency.
const TABLE_COLUMNS: [(&str, usize); 17] = [
    ("campaign", 26),
    ("queued", 7),
    ("sent", 7),
    ("failed", 6),
    ("held out", 8),
    ("delivered", 9),
    ("opened", 7),
    ("(all)", 7),
    ("clicked", 7),
    ("answers", 7),
    ("avg", 5),
    ("nps", 6),
    ("unsub", 6),
    ("bounced", 7),
    ("complnd", 7),
    ("converted", 9),
    ("revenue", 12),
];

/// A fixed-width table; the survey average and unpriced orders appear only here and in CSV.
pub fn write_table(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let mut header = TABLE_COLUMNS.map(|(name, _)| name.to_owned());
    header[16] = format!("{} {}", header[16], r.currency);
    table_line(out, &header)?;
    for c in &r.campaigns {
        table_line(out, &table_cells(c))?;
    }
    let total = r.total();
    if r.campaigns.len() > 1 {
        table_line(out, &table_cells(&total))?;
    }
    if r.campaigns.is_empty() {
        writeln!(out, "(no deliveries match)")?;
    }
    if total.unpriced_orders > 0 {
        writeln!(
            out,
            "\n{} converted orders are in a currency without a rate in strategy.currency_rates and are not in the revenue.",
            total.unpriced_orders
        )?;
    }
    Ok(())
}

/// One campaign's cells, in the order of [`TABLE_COLUMNS`].
fn table_cells(c: &CampaignReport) -> [String; 17] {
    [
        c.campaign.clone(),
        c.queued.to_string(),
        c.sent.to_string(),
        c.failed.to_string(),
        c.held_out.to_string(),
        c.delivered.to_string(),
        c.opened.to_string(),
        c.opened_all.to_string(),
        c.clicked.to_string(),
        c.survey_answers.to_string(),
        opt(c.survey_average),
        opt(c.nps),
        c.unsubscribed.to_string(),
        c.bounced.to_string(),
        c.complained.to_string(),
        c.converted.to_string(),
        format!("{:.2}", c.revenue),
    ]
}

/// One line of the table: each cell padded to its column's width, separated by spaces.
fn table_line(out: &mut impl Write, cells: &[String; 17]) -> io::Result<()> {
    for (i, (cell, (_, width))) in cells.iter().zip(TABLE_COLUMNS).enumerate() {
        if i == 0 {
            write!(out, "{cell:<width$}")?;
        } else {
            write!(out, " {cell:>width$}")?;
        }
    }
    writeln!(out)
}

/// CSV with the JSON keys first, then `suppressed`, `cancelled`, `held_out`,
/// `survey_average`, `unpriced_orders`.
pub fn write_csv(out: impl Write, r: &Report) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "campaign",
        "queued",
        "sent",
        "failed",
        "delivered",
        "opened",
        "opened_all",
        "clicked",
        "survey_answers",
        "nps",
        "unsubscribed",
        "bounced",
        "complained",
        "converted",
        "revenue",
        "suppressed",
        "cancelled",
        "held_out",
        "survey_average",
        "unpriced_orders",
    ])?;
    let n = |v: u64| v.to_string();
    let o = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for c in &r.campaigns {
        w.write_record([
            c.campaign.clone(),
            n(c.queued),
            n(c.sent),
            n(c.failed),
            n(c.delivered),
            n(c.opened),
            n(c.opened_all),
            n(c.clicked),
            n(c.survey_answers),
            o(c.nps),
            n(c.unsubscribed),
            n(c.bounced),
            n(c.complained),
            n(c.converted),
            format!("{:.2}", c.revenue),
            n(c.suppressed),
            n(c.cancelled),
            n(c.held_out),
            o(c.survey_average),
            n(c.unpriced_orders),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{SurveyRow, merge};

    #[test]
    fn the_table_total_row_shows_the_nps_of_all_answers() {
        let survey = |campaign: &str, answers, promoters, detractors| SurveyRow {
            campaign: campaign.into(),
            answers,
            score_sum: answers * 8,
            promoters,
            detractors,
        };
        let r = Report {
            campaigns: merge(
                vec![],
                vec![survey("a", 1, 1, 0), survey("b", 3, 1, 1)],
                vec![],
            ),
            currency: "EUR".into(),
        };
        let mut out = Vec::new();
        write_table(&mut out, &r).unwrap();
        let table = String::from_utf8(out).unwrap();
        let total = table.lines().find(|l| l.starts_with("total")).unwrap();
        let cells: Vec<&str> = total.split_whitespace().collect();
        // campaign, queued … answers, avg, nps: the NPS is the 12th cell.
        assert_eq!((cells[10], cells[11]), ("8.0", "25.0"), "{table}");
    }
}
