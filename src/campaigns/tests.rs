//! The campaign file format: the shipped files, and each kind of mistake pointing at its line.

use super::*;
use crate::config::Duration;
use crate::domain::Level;
use std::path::Path;

const VALID: &str = r#"name = "Spring sale"
priority = 10
template = "spring-sale"
cooldown = "30d"

[subject]
en = "Spring is here, {{customer.name}}"
fa = "بهار آمد، {{customer.name}}"

[audience]
climb = ["reactive"]
maintenance = ["accountable"]

[trigger]
on = "order"
delay = "2d"
max_age = "20d"
"#;

fn any_template(_: &str) -> bool {
    true
}

fn parse_text(text: &str) -> Result<Campaign, Vec<CampaignError>> {
    parse(
        Path::new("config/campaigns/spring-sale.toml"),
        text,
        &any_template,
    )
}

/// The single error of `text`, rendered as the marketer sees it.
fn error(text: &str) -> String {
    let errors = parse_text(text).expect_err("should not load");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors[0].to_string()
}

fn shipped_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns")
}

#[test]
fn a_valid_file_loads_with_its_id_from_the_file_name() {
    let c = parse_text(VALID).unwrap();
    assert_eq!(c.id, "spring-sale");
    assert_eq!(c.name, "Spring sale");
    assert_eq!(c.priority, 10);
    assert_eq!(c.cooldown, Some(Duration::from_days(30)));
    assert_eq!(
        c.audience,
        Audience::Levels {
            climb: vec![Level::Reactive],
            maintenance: vec![Level::Accountable],
            any: vec![],
        }
    );
    assert!(matches!(c.trigger, Trigger::Order(t) if t.delay == Duration::from_days(2)));
    assert_eq!(c.subject("fa-IR"), "بهار آمد، {{customer.name}}");
    assert_eq!(c.subject("de"), "Spring is here, {{customer.name}}");
    assert!(!c.is_service());
}

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    let text = VALID.replace("priority = 10", "priority = = 10");
    let e = error(&text);
    assert!(e.starts_with("config/campaigns/spring-sale.toml:2:"), "{e}");
}

#[test]
fn an_unknown_key_is_an_error_on_its_line() {
    let text = VALID.replace("max_age = \"20d\"", "max_age = \"20d\"\nmax_agee = \"20d\"");
    let e = error(&text);
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:18:1:"),
        "{e}"
    );
    assert!(e.contains("max_agee"), "{e}");
}

#[test]
fn an_unknown_level_points_at_the_level_and_lists_the_valid_ones() {
    let text = VALID.replace("climb = [\"reactive\"]", "climb = [\"reactive\", \"gold\"]");
    let e = error(&text);
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:11:22:"),
        "{e}"
    );
    assert!(
        e.contains("unknown level `gold`") && e.contains("partnership"),
        "{e}"
    );
}

#[test]
fn a_five_field_crontab_schedule_asks_for_a_seconds_field() {
    let text = VALID.replace(
        "on = \"order\"\ndelay = \"2d\"\nmax_age = \"20d\"",
        "on = \"schedule\"\nschedule = \"0 10 * * 6\"",
    );
    let e = error(&text);
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:16:12:"),
        "{e}"
    );
    assert!(e.contains("add a seconds field"), "{e}");
}

#[test]
fn a_bad_cron_expression_is_an_error_on_its_line() {
    let text = VALID.replace(
        "on = \"order\"\ndelay = \"2d\"\nmax_age = \"20d\"",
        "on = \"schedule\"\nschedule = \"0 0 10 * * Caturday\"",
    );
    let e = error(&text);
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:16:"),
        "{e}"
    );
    assert!(e.contains("not a cron schedule"), "{e}");
}

#[test]
fn a_missing_template_is_an_error_on_the_template_line() {
    let errors = parse(Path::new("c/spring-sale.toml"), VALID, &|name| {
        name != "spring-sale"
    })
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    let e = errors[0].to_string();
    assert!(e.starts_with("c/spring-sale.toml:3:12:"), "{e}");
    assert!(e.contains("templates/en/spring-sale.html.hbs"), "{e}");
}

#[test]
fn a_bad_duration_names_its_line_and_the_accepted_units() {
    let e = error(&VALID.replace("delay = \"2d\"", "delay = \"3x\""));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:16:"),
        "{e}"
    );
    assert!(
        e.contains("`3x` is not a duration") && e.contains("3d"),
        "{e}"
    );
    let e = error(&VALID.replace("cooldown = \"30d\"", "cooldown = \"30 dayz\""));
    assert!(e.starts_with("config/campaigns/spring-sale.toml:4:"), "{e}");
}

#[test]
fn an_order_trigger_without_max_age_is_refused_so_old_history_never_sends() {
    let e = error(&VALID.replace("max_age = \"20d\"\n", ""));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:14:"),
        "{e}"
    );
    assert!(e.contains("add `max_age`"), "{e}");
}

#[test]
fn an_english_subject_is_required() {
    let e = error(&VALID.replace("en = \"Spring is here, {{customer.name}}\"\n", ""));
    assert!(e.contains("no `en` subject"), "{e}");
    assert!(e.starts_with("config/campaigns/spring-sale.toml:6:"), "{e}");
}

#[test]
fn a_subject_that_is_not_valid_handlebars_is_refused() {
    let e = error(&VALID.replace("{{customer.name}}\"\nfa", "{{customer.name}\"\nfa"));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:7:23: the `en` subject: `{{customer.name}` has no closing `}}`"),
        "{e}"
    );
}

#[test]
fn an_unknown_trigger_kind_lists_the_valid_ones() {
    let e = error(&VALID.replace("on = \"order\"", "on = \"survey_response\""));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:15:6:"),
        "{e}"
    );
    assert!(e.contains("\"eligible\""), "{e}");
}

#[test]
fn a_bad_sender_address_is_refused() {
    let text = VALID.replace(
        "cooldown = \"30d\"",
        "cooldown = \"30d\"\nfrom = \"not an address\"",
    );
    let e = error(&text);
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:5:8:"),
        "{e}"
    );
}

#[test]
fn a_service_campaign_may_not_name_levels() {
    let text = VALID.replace("maintenance = [\"accountable\"]", "service = true");
    let e = error(&text);
    assert!(e.contains("remove `climb`"), "{e}");
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = VALID
        .replace("\"reactive\"]", "\"gold\"]")
        .replace("template = \"spring-sale\"", "template = \"../etc/passwd\"");
    let errors = parse_text(&text).unwrap_err();
    let lines: Vec<_> = errors.iter().filter_map(CampaignError::line).collect();
    assert_eq!(lines, [3, 11], "{errors:#?}");
}

#[test]
fn a_badly_named_file_is_refused() {
    let e = parse(Path::new("c/Spring Sale.toml"), VALID, &any_template).unwrap_err();
    assert!(
        e[0].to_string().starts_with("c/Spring Sale.toml: "),
        "{}",
        e[0]
    );
}

#[test]
fn a_folder_reports_the_problems_of_every_file_and_ignores_other_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), VALID).unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        VALID.replace("delay = \"2d\"", "delay = \"2x\""),
    )
    .unwrap();
    std::fs::write(dir.path().join("c.toml"), "name = ").unwrap();
    std::fs::write(dir.path().join("notes.md"), "not a campaign").unwrap();
    let errors = load_dir(dir.path(), &any_template).unwrap_err();
    let files: Vec<String> = errors
        .iter()
        .map(|e| {
            Path::new(&e.path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(files, ["b.toml", "c.toml"], "{errors:#?}");
    std::fs::remove_file(dir.path().join("b.toml")).unwrap();
    std::fs::remove_file(dir.path().join("c.toml")).unwrap();
    assert_eq!(load_dir(dir.path(), &any_template).unwrap().len(), 1);
    assert!(load_dir(&dir.path().join("missing"), &any_template).is_err());
}

/// The shipped campaigns against the table of what each is for.
#[path = "shipped_tests.rs"]
mod shipped;

#[test]
fn an_unknown_topic_is_an_error_on_its_line_listing_the_topics() {
    let e = error(&VALID.replace(
        "cooldown = \"30d\"",
        "cooldown = \"30d\"\ntopic = \"deals\"",
    ));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:5:9:"),
        "{e}"
    );
    assert!(
        e.contains("unknown topic `deals`: expected offers, surveys, partnership or news"),
        "{e}"
    );
    let c = parse_text(&VALID.replace("cooldown = \"30d\"", "topic = \"offers\"")).unwrap();
    assert_eq!(c.topic, Some(crate::domain::Topic::Offers));
}

#[test]
fn a_service_email_has_no_topic_and_the_confirmation_is_a_service_email() {
    let service = VALID
        .replace("climb = [\"reactive\"]\n", "")
        .replace("maintenance = [\"accountable\"]", "service = true");
    let e = error(&service.replace("cooldown = \"30d\"", "topic = \"news\""));
    assert!(e.contains("a service email has no topic"), "{e}");
    let confirmation = "on = \"confirmation\"";
    let trigger = "on = \"order\"\ndelay = \"2d\"\nmax_age = \"20d\"";
    let e = error(&VALID.replace(trigger, confirmation));
    assert!(e.contains("add `service = true`"), "{e}");
    assert!(parse_text(&service.replace(trigger, confirmation)).is_ok());
}

#[test]
fn a_transport_is_kept_with_its_place_and_an_empty_one_is_an_error() {
    let with = VALID.replace(
        "cooldown = \"30d\"\n",
        "cooldown = \"30d\"\ntransport = \"bulk\"\n",
    );
    let c = parse_text(&with).unwrap();
    assert_eq!(c.transport, Some(("bulk".to_string(), (5, 13))));
    assert_eq!(parse_text(VALID).unwrap().transport, None);
    let e = error(&with.replace("\"bulk\"", "\" \""));
    assert!(
        e.starts_with("config/campaigns/spring-sale.toml:5:13: transport is empty"),
        "{e}"
    );
}
