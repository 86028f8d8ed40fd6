//! Reading rows out of CSV (header row) and JSONL files, each with the line it started on.

use serde_json::{Map, Value};
use std::io::BufRead;

/// One input row, or the reason it could not even be read as a row.
pub enum SourceRow {
    Row {
        line: u64,
        fields: Map<String, Value>,
    },
    Unreadable {
        line: u64,
        problem: String,
    },
}

pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// By extension; `-` (stdin) is JSONL.
    pub fn for_path(path: &str) -> Result<Format, String> {
        let lower = path.to_ascii_lowercase();
        if path == "-" || lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            Ok(Format::Jsonl)
        } else if lower.ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Err(format!(
                "{path}: unknown file type: use .csv, .jsonl, or - for JSONL on stdin"
            ))
        }
    }
}

/// Iterates the rows of a CSV file whose first row names the fields. Columns outside
/// `known` are a file-level error (a typo in a header would otherwise drop a whole column).
pub fn csv_rows(
    reader: Box<dyn BufRead>,
    known: &[&str],
) -> Result<Box<dyn Iterator<Item = SourceRow>>, String> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| format!("1: cannot read the header row: {e}"))?
        .clone();
    if let Some(bad) = headers.iter().find(|h| !known.contains(h)) {
        return Err(format!(
            "1: unknown column `{bad}` (expected {})",
            known.join(", ")
        ));
    }
    // A column named twice would silently keep one of the two values of every row.
    for (i, h) in headers.iter().enumerate() {
        if headers.iter().take(i).any(|earlier| earlier == h) {
            return Err(format!("1: column `{h}` appears twice in the header"));
        }
    }
    let names: Vec<String> = headers.iter().map(str::to_string).collect();
    Ok(Box::new(csv.into_records().map(move |rec| match rec {
        Ok(rec) => {
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let fields = names
                .iter()
                .zip(rec.iter())
                .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                .collect();
            SourceRow::Row { line, fields }
        }
        Err(e) => SourceRow::Unreadable {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            problem: format!("malformed CSV: {e}"),
        },
    })))
}

/// Iterates JSONL: one JSON object per line; blank lines are skipped.
pub fn jsonl_rows(reader: Box<dyn BufRead>) -> Box<dyn Iterator<Item = SourceRow>> {
    Box::new(reader.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i as u64 + 1;
        let text = match line {
            Ok(t) => t,
            Err(e) => {
                return Some(SourceRow::Unreadable {
                    line: line_no,
                    problem: format!("cannot read: {e}"),
                });
            }
        };
        // A UTF-8 byte-order mark (Windows editors write one) is not part of the first row,
        // as the CSV reader already treats it.
        let text = if i == 0 {
            text.strip_prefix('\u{feff}')
                .map(str::to_string)
                .unwrap_or(text)
        } else {
            text
        };
        if text.trim().is_empty() {
            return None;
        }
        Some(match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(fields)) => SourceRow::Row {
                line: line_no,
                fields,
            },
            Ok(_) => SourceRow::Unreadable {
                line: line_no,
                problem: "expected a JSON object".into(),
            },
            Err(e) => SourceRow::Unreadable {
                line: line_no,
                problem: format!("malformed JSON: {e}"),
            },
        })
    }))
}
