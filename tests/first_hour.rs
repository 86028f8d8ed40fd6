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

#[test]
fn demo_with_a_broken_campaign_fails_before_touching_the_last_demo() {
    let dir = project();
    let first = rapport(dir.path(), &["demo"], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let db = std::fs::read(dir.path().join("data/rapport.db")).unwrap();
    let emails = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .count();
    assert!(emails > 0);

    std::fs::write(
        dir.path().join("config/campaigns/broken.toml"),
        "name = \"Broken\"\npriority = 1\ntemplate = \"nowhere\"\n[subject]\nen = \"Hi\"\n\
         [audience]\nclimb = [\"basic\"]\n[trigger]\non = \"eligible\"\n",
    )
    .unwrap();
    let second = rapport(dir.path(), &["demo"], &[]);
    assert_eq!(second.status.code(), Some(1));
    let err = text(&second.stderr);
    assert!(err.contains("config/campaigns/broken.toml:3:"), "{err}");
    assert!(
        !text(&second.stdout).contains("fresh database"),
        "it started anyway"
    );
    assert_eq!(
        std::fs::read(dir.path().join("data/rapport.db")).unwrap(),
        db,
        "the last demo's database was touched"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count(),
        emails,
        "the last demo's emails were deleted"
    );
}

#[test]
fn demo_says_which_emails_wait_how_to_run_the_next_commands_and_open_the_dashboard() {
    let dir = project();
    let out = rapport(dir.path(), &["demo"], &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The sample has customers in quiet hours at the demo's instant: some emails wait.
    assert!(stdout.contains("queued emails are due later"), "{stdout}");
    // Built by cargo (target/debug): the hints are commands that work without an install.
    assert!(
        stdout.contains("cargo run -- explain cust-0001"),
        "{stdout}"
    );
    assert!(!stdout.contains(" rapport explain"), "{stdout}");
    assert!(
        stdout.contains("RAPPORT__SECURITY__API_KEYS='[\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://127.0.0.1:8080/dashboard"),
        "{stdout}"
    );
}

#[test]
fn preview_of_a_complaint_follow_up_for_a_customer_without_one_names_customers_who_have_one() {
    let dir = project();
    assert!(rapport(dir.path(), &["demo"], &[]).status.success());
    // cust-0001 is a basic customer: no complaint (a complaint would make them reactive).
    let args = ["preview", "complaint-follow-up", "--customer", "cust-0001"];
    let out = rapport(dir.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let hint = "cust-0001 has no complaint to follow up; pick one who has, e.g. cargo run -- preview complaint-follow-up --customer ";
    assert!(err.contains(hint), "{err}");
    assert!(!err.contains("strict mode"), "{err}");
    // The customer it suggests does render.
    let suggested = err[err.find(hint).unwrap() + hint.len()..]
        .split_whitespace()
        .next()
        .unwrap();
    let args = ["preview", "complaint-follow-up", "--customer", suggested];
    let out = rapport(dir.path(), &args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn preview_of_a_custom_event_or_follow_up_campaign_renders_what_it_is_about() {
    let dir = project();
    assert!(rapport(dir.path(), &["demo"], &[]).status.success());
    // cust-0209 abandoned a cart (a custom event whose data lists the lines).
    let args = [
        "preview",
        "abandoned-cart",
        "--customer",
        "cust-0209",
        "--format",
        "text",
    ];
    let out = rapport(dir.path(), &args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cart = text(&out.stdout);
    assert!(cart.contains("Cast-iron teapot"), "{cart}");
    // The survey reminder speaks of the order the survey was (or would be) about.
    let args = [
        "preview",
        "survey-reminder",
        "--customer",
        "cust-0217",
        "--format",
        "text",
    ];
    let out = rapport(dir.path(), &args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("ord-10406"),
        "{}",
        text(&out.stdout)
    );
}
