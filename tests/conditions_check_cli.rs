//! `rapport check` on issue 19's campaign and segment files, through the built binary: a bad
//! `where` (an unknown field, a syntax error) in a campaign or a segment, an unknown segment,
//! an unknown trigger key and one without meaning for the trigger are each reported as
//! `file:line:col: message`, pointing at what is wrong. `check` opens no database: these run
//! once, not per backend.

mod scenario;
mod support;

use scenario::cli::{rapport, text};
use scenario::{ALL_LEVELS, campaign, write_all};
use std::path::Path;

/// 1-based line and column where `needle` starts in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {text}"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// The stderr line about `file`, as `(line, col, message)`.
fn problem(stderr: &str, file: &Path) -> (usize, usize, String) {
    let prefix = format!("{}:", file.display());
    let line = stderr
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no problem reported for {}:\n{stderr}", file.display()));
    let mut parts = line.splitn(3, ':');
    let (l, c, message) = (parts.next(), parts.next(), parts.next());
    let number = |s: Option<&str>| -> usize {
        s.and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("not file:line:col: message: {line}"))
    };
    (
        number(l),
        number(c),
        message.unwrap_or_default().trim().to_string(),
    )
}

/// `rapport check` over one campaigns folder (no database is opened); returns stderr.
fn check_fails(dir: &Path) -> String {
    let unused = format!("sqlite://{}/unused.db", dir.display());
    let out = rapport(dir, &unused, &["check"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

#[test]
fn check_reports_a_bad_where_at_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let campaigns = dir.path().join("campaigns");
    let trigger = "on = \"eligible\"";
    let unknown_field = campaign(
        "partnership-invitation",
        10,
        &format!("{ALL_LEVELS}\nwhere = \"orders.count_365d >= 2\""),
        trigger,
    );
    let syntax = campaign(
        "partnership-invitation",
        10,
        &format!("{ALL_LEVELS}\nwhere = \"orders.count >= \""),
        trigger,
    );
    let files = [
        ("unknown-field.toml", unknown_field.as_str()),
        ("syntax.toml", syntax.as_str()),
    ];
    write_all(&campaigns, &files);
    let stderr = check_fails(dir.path());

    // The expression's problems point into it: its line, a column inside the string.
    for (file, text, needle) in [
        ("unknown-field.toml", &unknown_field, "orders.count_365d"),
        ("syntax.toml", &syntax, ""),
    ] {
        let (line, col, message) = problem(&stderr, &campaigns.join(file));
        let (where_line, where_col) = position(text, "where = \"");
        let expr_start = where_col + "where = \"".len();
        let expr_len = text.lines().nth(where_line - 1).unwrap().len() - (expr_start - 1) - 1;
        assert_eq!(line, where_line, "{file}: {stderr}");
        assert!(
            (expr_start..=expr_start + expr_len).contains(&col),
            "{file}: column {col} is not within the expression (columns {expr_start}..{}): {stderr}",
            expr_start + expr_len
        );
        assert!(message.starts_with("where: "), "{file}: {message}");
        assert!(message.contains(needle), "{file}: {message}");
    }
}

#[test]
fn check_reports_an_unknown_segment_and_trigger_key_at_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let campaigns = dir.path().join("campaigns");
    let segment = campaign(
        "partnership-invitation",
        10,
        &format!("{ALL_LEVELS}\nsegment = \"vips\""),
        "on = \"eligible\"",
    );
    let key = campaign(
        "partnership-invitation",
        10,
        ALL_LEVELS,
        "on = \"order\"\nmax_age = \"30d\"\nafter_days = 3",
    );
    let kind = campaign(
        "partnership-invitation",
        10,
        ALL_LEVELS,
        "on = \"lapse\"\nafter = \"120d\"\nunless = [\"order\"]",
    );
    write_all(
        &campaigns,
        &[
            ("segment.toml", segment.as_str()),
            ("trigger-key.toml", key.as_str()),
            ("meaningless.toml", kind.as_str()),
        ],
    );
    // A segment folder with another segment: the message lists what there is.
    write_all(
        &dir.path().join("segments"),
        &[(
            "vip.toml",
            "name = \"VIP\"\nwhere = \"orders.count >= 5\"\n",
        )],
    );
    let stderr = check_fails(dir.path());

    let (line, col, message) = problem(&stderr, &campaigns.join("segment.toml"));
    assert_eq!(
        (line, col),
        position(&segment, "\"vips\""),
        "segment.toml: {stderr}"
    );
    assert!(
        message.starts_with("unknown segment `vips`") && message.contains("vip"),
        "{message}"
    );

    // A key the trigger table does not have at all (serde), and one it has that means
    // nothing for this `on`.
    let (line, col, message) = problem(&stderr, &campaigns.join("trigger-key.toml"));
    assert_eq!(
        (line, col),
        position(&key, "after_days"),
        "trigger-key.toml: {stderr}"
    );
    assert!(message.contains("unknown field `after_days`"), "{message}");
    let (line, col, message) = problem(&stderr, &campaigns.join("meaningless.toml"));
    assert_eq!(
        (line, col),
        position(&kind, "[\"order\"]"),
        "meaningless.toml: {stderr}"
    );
    assert!(
        message.contains("`unless` has no meaning for `on = \"lapse\"`"),
        "{message}"
    );
}

#[test]
fn check_reports_a_bad_where_in_a_segment_file_at_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let segments = dir.path().join("segments");
    let text =
        "name = \"Buyers\"\ndescription = \"Two orders or more\"\nwhere = \"orders.cuont >= 2\"\n";
    write_all(&segments, &[("buyers.toml", text)]);
    write_all(
        &dir.path().join("campaigns"),
        &[(
            "fine.toml",
            &campaign(
                "partnership-invitation",
                10,
                ALL_LEVELS,
                "on = \"eligible\"",
            ),
        )],
    );
    let stderr = check_fails(dir.path());
    let (line, col, message) = problem(&stderr, &segments.join("buyers.toml"));
    assert_eq!(line, 3, "{stderr}");
    assert!((10..=27).contains(&col), "column {col}: {stderr}");
    assert!(message.starts_with("where: "), "{message}");
    assert!(message.contains("orders.cuont"), "{message}");
}
