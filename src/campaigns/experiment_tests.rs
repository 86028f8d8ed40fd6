//! `holdout`, `[experiment]` and `[[variant]]` in campaign files: what loads, and each
//! mistake at its line.

use super::*;
use std::path::Path;

const BASE: &str = r#"name = "Offer"
priority = 10
template = "offer"

[subject]
en = "An offer"

[audience]
climb = ["accountable"]

[trigger]
on = "order"
max_age = "30d"
"#;

fn parse_text(text: &str) -> Result<Campaign, Vec<CampaignError>> {
    parse(Path::new("config/campaigns/offer.toml"), text, &|t| {
        t != "missing"
    })
}

fn with(extra_top: &str, extra_tables: &str) -> String {
    format!("{extra_top}\n{BASE}\n{extra_tables}")
}

fn errors(text: &str) -> Vec<String> {
    parse_text(text)
        .expect_err("should not load")
        .iter()
        .map(ToString::to_string)
        .collect()
}

const TWO_VARIANTS: &str = r#"
[[variant]]
id = "A"

[[variant]]
id = "B"
weight = 3
template = "offer-short"

[variant.subject]
fa = "پیشنهاد"
"#;

#[test]
fn a_campaign_with_a_holdout_and_two_variants_loads() {
    let c = parse_text(&with("holdout = 0.1", TWO_VARIANTS)).unwrap();
    let e = &c.experiment;
    assert_eq!(e.holdout, 0.1);
    assert_eq!(e.salt, "offer", "the salt defaults to the campaign id");
    assert_eq!(e.variants.len(), 2);
    assert_eq!((e.variants[0].weight, e.variants[1].weight), (1, 3));
    assert_eq!(e.variants[1].template.as_deref(), Some("offer-short"));
    assert!(e.auto_winner.is_none());
    // Variant B: its own template, its Persian subject, the campaign's English one.
    let specs = c.template_specs();
    assert_eq!(specs.len(), 3);
    let b = specs.iter().find(|s| s.campaign == "offer#B").unwrap();
    assert_eq!(b.template, "offer-short");
    assert_eq!(b.subjects["en"], "An offer");
    assert_eq!(b.subjects["fa"], "پیشنهاد");
    assert_eq!(campaign_of_key("offer#B"), "offer");
}

#[test]
fn a_campaign_without_an_experiment_renders_once_and_draws_nobody() {
    let c = parse_text(BASE).unwrap();
    assert!(!c.experiment.is_running());
    assert_eq!(c.template_specs().len(), 1);
    assert_eq!(c.experiment.arm("offer", "c-1"), Arm::Plain);
}

#[test]
fn auto_winner_settings_load_with_their_defaults() {
    let text = with(
        "",
        &format!(
            "[experiment]\nsalt = \"dec\"\nauto_winner = true\nmetric = \"click\"\n{TWO_VARIANTS}"
        ),
    );
    let c = parse_text(&text).unwrap();
    let a = c.experiment.auto_winner.unwrap();
    assert_eq!(a.goal, Goal::Click);
    assert_eq!(a.decide_after, 1000);
    assert_eq!(a.confidence, 0.95);
    assert_eq!(c.experiment.salt, "dec");
}

#[test]
fn a_holdout_outside_zero_to_one_is_an_error_at_its_line() {
    let e = errors(&with("holdout = 1.5", ""));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("config/campaigns/offer.toml:1:11: holdout = 1.5 is not a share"),
        "{}",
        e[0]
    );
}

#[test]
fn a_single_variant_is_no_experiment() {
    let e = errors(&with(
        "",
        "[[variant]]\nid = \"A\"\nsubject = { en = \"x\" }\n",
    ));
    assert!(
        e[0].contains("a single [[variant]] compares nothing"),
        "{e:?}"
    );
}

#[test]
fn variant_ids_must_be_distinct_well_formed_and_not_holdout() {
    let text = with(
        "",
        "[[variant]]\nid = \"A\"\n[[variant]]\nid = \"A\"\ntemplate = \"b\"\n[[variant]]\nid = \"holdout\"\ntemplate = \"c\"\n[[variant]]\nid = \"no spaces\"\ntemplate = \"d\"\n",
    );
    let e = errors(&text).join("\n");
    assert!(e.contains("variant `A` is defined twice"), "{e}");
    assert!(e.contains("`holdout` names the hold-out"), "{e}");
    assert!(e.contains("variant id `no spaces`"), "{e}");
}

#[test]
fn variants_that_are_all_the_campaign_as_written_are_an_error() {
    let e = errors(&with(
        "",
        "[[variant]]\nid = \"A\"\n[[variant]]\nid = \"B\"\n",
    ));
    assert!(
        e[0].contains("the variants are all the campaign as written"),
        "{e:?}"
    );
}

#[test]
fn a_variant_template_that_does_not_exist_is_an_error_at_its_line() {
    let e = errors(&with(
        "",
        "[[variant]]\nid = \"A\"\n[[variant]]\nid = \"B\"\ntemplate = \"missing\"\n",
    ));
    assert!(
        e[0].contains(":20:12: template `missing` not found"),
        "{e:?}"
    );
}

#[test]
fn auto_winner_needs_variants_and_its_settings_need_auto_winner() {
    let e = errors(&with("holdout = 0.1", "[experiment]\nauto_winner = true\n"));
    assert!(e[0].contains("auto_winner picks among variants"), "{e:?}");
    let e = errors(&with(
        "holdout = 0.1",
        &format!("[experiment]\ndecide_after = 500\n{TWO_VARIANTS}"),
    ));
    assert!(
        e[0].contains("add `auto_winner = true` or remove them"),
        "{e:?}"
    );
    let e = errors(&with(
        "",
        &format!(
            "[experiment]\nauto_winner = true\nmetric = \"revenue\"\nconfidence = 1.2\n{TWO_VARIANTS}"
        ),
    ));
    let e = e.join("\n");
    assert!(
        e.contains("metric `revenue`: use one of conversion, click, open, climb"),
        "{e}"
    );
    assert!(e.contains("confidence = 1.2"), "{e}");
}

#[test]
fn an_experiment_table_with_nothing_to_compare_is_an_error() {
    let e = errors(&with("", "[experiment]\nsalt = \"x\"\n"));
    assert!(
        e[0].contains("[experiment] without anything to compare"),
        "{e:?}"
    );
}
