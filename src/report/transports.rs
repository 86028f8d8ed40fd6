//! `rapport report --transports`: what each transport did, as a table or CSV (JSON is the
//! rows serialised). Throttled and failed-over emails were put back without spending an
//! attempt and are counted again when they go out, so the columns are events, not emails.

use crate::store::TransportTally;
use std::io::{self, Write};

const HEADER: [&str; 5] = ["transport", "sent", "failed", "throttled", "failed over"];

pub fn write_transports_table(out: &mut dyn Write, rows: &[TransportTally]) -> io::Result<()> {
    let width = rows
        .iter()
        .map(|r| r.transport.len())
        .chain([HEADER[0].len()])
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "{:<width$}  {:>8}  {:>8}  {:>9}  {:>11}",
        HEADER[0], HEADER[1], HEADER[2], HEADER[3], HEADER[4]
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<width$}  {:>8}  {:>8}  {:>9}  {:>11}",
            r.transport, r.sent, r.failed, r.throttled, r.failed_over
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "(nothing sent through any transport in this period)")?;
    }
    Ok(())
}

pub fn write_transports_csv(out: &mut dyn Write, rows: &[TransportTally]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["transport", "sent", "failed", "throttled", "failed_over"])?;
    for r in rows {
        w.write_record([
            r.transport.clone(),
            r.sent.to_string(),
            r.failed.to_string(),
            r.throttled.to_string(),
            r.failed_over.to_string(),
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_table_has_a_line_per_transport_with_each_count() {
        let rows = vec![
            TransportTally {
                transport: "backup".into(),
                sent: 20,
                ..Default::default()
            },
            TransportTally {
                transport: "primary".into(),
                sent: 10,
                failed: 1,
                throttled: 3,
                failed_over: 4,
                ..Default::default()
            },
        ];
        let mut out = Vec::new();
        write_transports_table(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines[0],
            ["transport", "sent", "failed", "throttled", "failed", "over"]
        );
        assert_eq!(lines[1], ["backup", "20", "0", "0", "0"]);
        assert_eq!(lines[2], ["primary", "10", "1", "3", "4"]);
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(
            json[1],
            serde_json::json!({"transport": "primary", "sent": 10, "failed": 1, "throttled": 3, "failed_over": 4})
        );
    }
}
