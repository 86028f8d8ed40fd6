//! docs/conditions.md is what marketers read: its fields, examples and messages are checked
//! against the code.

use super::{compile, only_error};
use crate::conditions::fields;

/// The cells of the markdown table rows between `from` and the next `## ` heading, with `\|`
/// read as `|` and the backticks around a cell that is one code span dropped.
fn doc_table(from: &str) -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/conditions.md"))
        .expect("docs/conditions.md");
    let section = doc.split(from).nth(1).expect(from);
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| you"))
        .filter(|l| !l.starts_with("| what"))
        .map(|l| {
            l.replace("\\|", "\u{0}")
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .filter(|c| !c.is_empty())
                .map(
                    |c| match c.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
                        Some(inner) if !inner.contains('`') => inner.to_string(),
                        _ => c,
                    },
                )
                .collect()
        })
        .collect()
}

#[test]
fn docs_name_every_field() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/conditions.md"))
        .expect("docs/conditions.md");
    for f in fields() {
        let path = format!("`{}.{}`", f.root, f.field);
        assert!(
            doc.contains(&path),
            "docs/conditions.md does not name {path}"
        );
    }
}

#[test]
fn docs_examples_compile() {
    let rows = doc_table("## Examples");
    assert!(rows.len() >= 10, "{rows:?}");
    for row in rows {
        compile(&row[1]);
    }
}

#[test]
fn docs_check_messages_are_what_check_says() {
    let rows = doc_table("the column pointing at the mistake in the condition:");
    assert!(rows.len() >= 5, "{rows:?}");
    for row in rows {
        let e = only_error(&row[0]);
        assert_eq!(e.message, row[1], "{}", row[0]);
    }
}
