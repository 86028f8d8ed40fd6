//! What a newcomer meets in the first hour, driven through the built `rapport` binary in a
//! scratch copy of the project (config, templates, sample data), as a person would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch project folder: the shipped `config/`, `templates/` and `examples/` sample files.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("config"), &dir.path().join("config"));
    copy_tree(&root.join("templates"), &dir.path().join("templates"));
    std::fs::create_dir_all(dir.path().join("examples")).unwrap();
    for f in ["customers.csv", "orders.jsonl", "events.jsonl"] {
        std::fs::copy(
            root.join("examples").join(f),
            dir.path().join("examples").join(f),
        )
        .unwrap();
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target: PathBuf = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `rapport ARGS` in `dir` with stdout and stderr captured (so stderr is not a terminal).
fn rapport(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.current_dir(dir).args(args).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("RAPPORT__") || k == "RAPPORT_CONFIG" {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("run rapport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let dir = project();
    let out = rapport(
        dir.path(),
        &["run", "--once", "--now", "2026-11-25T09:00:00Z"],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The cycle logs at info, so there is a line to look at.
    assert!(stderr.contains("Cycle done."), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a pipe: {stderr:?}"
    );
}

/// Adds a campaign of our own (`first-hour`) with its English template, so that the tests
/// do not depend on the wording of the shipped ones. The `en` subject is on line 5, its text
/// from column 7; `fa` on line 6.
fn add_campaign(dir: &Path, template: &str, subject_en: &str, subject_fa: &str) {
    std::fs::write(
        dir.join("config/campaigns/first-hour.toml"),
        format!(
            "name = \"First hour\"\npriority = 10\ntemplate = \"first-hour\"\n[subject]\nen = \"{subject_en}\"\nfa = \"{subject_fa}\"\n\
             [audience]\nclimb = [\"basic\"]\n[trigger]\non = \"eligible\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("templates/en/first-hour.html.hbs"), template).unwrap();
}

/// `rapport check`'s error output (it must fail).
fn check_fails(dir: &Path) -> String {
    let out = rapport(dir, &["check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn check_names_a_mistyped_variable_with_its_line_column_and_the_likely_fix() {
    let dir = project();
    add_campaign(
        dir.path(),
        "<p>Hello</p>\n<p>Dear {{customer.firstname}},</p>\n",
        "Hi",
        "سلام",
    );
    let err = check_fails(dir.path());
    assert!(
        err.contains("templates/en/first-hour.html.hbs:2:9: unknown variable customer.firstname; did you mean customer.first_name?"),
        "{err}"
    );
    assert!(
        !err.contains("strict mode") && !err.contains("Some("),
        "{err}"
    );
}

#[test]
fn check_reports_an_unclosed_if_at_its_opening_tag_in_plain_words() {
    let dir = project();
    add_campaign(
        dir.path(),
        "<p>Hello</p>\n  {{#if customer.name}}\n<p>Dear {{customer.name}},</p>\n\n\n",
        "Hi",
        "سلام",
    );
    let err = check_fails(dir.path());
    assert!(
        err.contains("templates/en/first-hour.html.hbs:2:3: `{{#if customer.name}}` is never closed: add `{{/if}}` where the block ends"),
        "{err}"
    );
    assert!(
        !err.contains("html_expression"),
        "parser token names leak: {err}"
    );
}

#[test]
fn check_points_a_subject_error_at_its_campaign_file_line_and_column() {
    let dir = project();
    add_campaign(dir.path(), "<p>Hello</p>\n", "Hi {{customer.nam}}", "سلام");
    let err = check_fails(dir.path());
    assert!(
        err.contains("config/campaigns/first-hour.toml:5:10: the `en` subject: unknown variable customer.nam; did you mean customer.name?"),
        "{err}"
    );
}

#[test]
fn check_reports_an_unclosed_block_in_a_subject_at_its_tag_in_the_campaign_file() {
    let dir = project();
    add_campaign(
        dir.path(),
        "<p>Hello</p>\n",
        "Hi {{#if customer.name}}there",
        "سلام",
    );
    let err = check_fails(dir.path());
    assert!(
        err.contains("config/campaigns/first-hour.toml:5:10: the `en` subject: `{{#if customer.name}}` is never closed"),
        "{err}"
    );
}
