//! Checks of `holdout`, `[experiment]` and `[[variant]]`, each problem at its place in the
//! file.

use super::experiment::{AutoWinner, Experiment, Goal, Variant};
use super::raw::{RawCampaign, RawExperiment, RawVariant};
use super::validate::{Problem, check_template, locale_subjects};
use toml::Spanned;

/// What a marketer can call a variant; `holdout` names the hold-out in reports.
const RESERVED: &str = "holdout";
const DEFAULT_DECIDE_AFTER: u64 = 1000;
const DEFAULT_CONFIDENCE: f64 = 0.95;

pub(super) fn experiment(
    id: &str,
    raw: &RawCampaign,
    text: &str,
    template_exists: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) -> Experiment {
    let holdout = match &raw.holdout {
        Some(h) if !(0.0..1.0).contains(h.get_ref()) => {
            problems.push((
                h.span(),
                format!(
                    "holdout = {} is not a share: write a number from 0 to below 1 (0.1 holds out 10 % of the customers the campaign is due for)",
                    h.get_ref()
                ),
            ));
            0.0
        }
        Some(h) => *h.get_ref(),
        None => 0.0,
    };
    let variants = variants(&raw.variant, text, template_exists, problems);
    let settings = raw.experiment.as_ref();
    if let Some(s) = settings
        && holdout == 0.0
        && raw.variant.is_empty()
    {
        problems.push((
            s.span(),
            "[experiment] without anything to compare: add `holdout = 0.1` or two `[[variant]]` entries".into(),
        ));
    }
    let salt = match settings.and_then(|s| s.get_ref().salt.as_ref()) {
        Some(s) if s.get_ref().trim().is_empty() => {
            problems.push((s.span(), "salt is empty: leave it out to use the campaign id, or write any text (changing it re-draws who is in which arm)".into()));
            id.to_string()
        }
        Some(s) => s.get_ref().clone(),
        None => id.to_string(),
    };
    let auto_winner = settings.and_then(|s| auto_winner(s, variants.len(), problems));
    Experiment {
        salt,
        holdout,
        variants,
        auto_winner,
        winner: None,
        global: None,
    }
}

fn variants(
    raw: &[Spanned<RawVariant>],
    text: &str,
    template_exists: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) -> Vec<Variant> {
    if raw.len() == 1 {
        problems.push((
            raw[0].span(),
            "a single [[variant]] compares nothing: add a second one (the campaign as written can be one with no subject or template of its own)".into(),
        ));
    }
    let mut out: Vec<Variant> = Vec::with_capacity(raw.len());
    for v in raw {
        let v = v.get_ref();
        let vid = v.id.get_ref().trim();
        let well_formed = !vid.is_empty()
            && vid.len() <= 32
            && vid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !well_formed {
            problems.push((
                v.id.span(),
                format!("variant id `{vid}`: use up to 32 letters, digits, `-` and `_` (A, B, short-subject)"),
            ));
        } else if vid.eq_ignore_ascii_case(RESERVED) {
            problems.push((
                v.id.span(),
                "`holdout` names the hold-out in reports: give the variant another id".into(),
            ));
        } else if out.iter().any(|o| o.id == vid) {
            problems.push((v.id.span(), format!("variant `{vid}` is defined twice")));
        }
        let weight = match &v.weight {
            Some(w) if !(1..=1000).contains(w.get_ref()) => {
                problems.push((
                    w.span(),
                    format!("weight = {}: write a whole number from 1 to 1000 (variants share the customers in proportion to their weights)", w.get_ref()),
                ));
                1
            }
            Some(w) => *w.get_ref() as u32,
            None => 1,
        };
        if let Some(t) = &v.template {
            check_template(t, template_exists, problems);
        }
        let (subjects, starts) = match &v.subject {
            Some(s) => locale_subjects(s, text, problems),
            None => Default::default(),
        };
        out.push(Variant {
            id: vid.to_string(),
            weight,
            subjects,
            subject_positions: starts
                .into_iter()
                .map(|(tag, at)| (tag, super::load::line_col(text, at)))
                .collect(),
            template: v.template.as_ref().map(|t| t.get_ref().clone()),
        });
    }
    let same = out.len() >= 2
        && out
            .iter()
            .all(|v| v.subjects.is_empty() && v.template.is_none());
    if same {
        problems.push((
            raw[0].span(),
            "the variants are all the campaign as written: give at least one a `subject` or a `template` of its own".into(),
        ));
    }
    out
}

fn auto_winner(
    raw: &Spanned<RawExperiment>,
    variants: usize,
    problems: &mut Vec<Problem>,
) -> Option<AutoWinner> {
    let s = raw.get_ref();
    let on = s.auto_winner.as_ref().is_some_and(|a| *a.get_ref());
    if !on {
        let stray = [
            s.decide_after.as_ref().map(|d| d.span()),
            s.metric.as_ref().map(|m| m.span()),
            s.confidence.as_ref().map(|c| c.span()),
        ];
        if let Some(at) = stray.into_iter().flatten().next() {
            problems.push((at, "decide_after, metric and confidence tune the auto-winner: add `auto_winner = true` or remove them".into()));
        }
        return None;
    }
    if variants < 2 {
        let at = s.auto_winner.as_ref().map_or(raw.span(), |a| a.span());
        problems.push((
            at,
            "auto_winner picks among variants: add at least two [[variant]] entries".into(),
        ));
    }
    let decide_after = match &s.decide_after {
        Some(d) if *d.get_ref() < 1 => {
            problems.push((d.span(), "decide_after must be at least 1 recipient per variant (a few hundred or more, or nothing can be significant)".into()));
            DEFAULT_DECIDE_AFTER
        }
        Some(d) => *d.get_ref() as u64,
        None => DEFAULT_DECIDE_AFTER,
    };
    let goal = match &s.metric {
        Some(m) => Goal::parse(m.get_ref()).unwrap_or_else(|| {
            problems.push((
                m.span(),
                format!(
                    "metric `{}`: use one of {}",
                    m.get_ref(),
                    Goal::NAMES.join(", ")
                ),
            ));
            Goal::Conversion
        }),
        None => Goal::Conversion,
    };
    let confidence = match &s.confidence {
        Some(c) if !(0.5..1.0).contains(c.get_ref()) => {
            problems.push((
                c.span(),
                format!(
                    "confidence = {}: write a level such as 0.95 (between 0.5 and 1)",
                    c.get_ref()
                ),
            ));
            DEFAULT_CONFIDENCE
        }
        Some(c) => *c.get_ref(),
        None => DEFAULT_CONFIDENCE,
    };
    Some(AutoWinner {
        decide_after,
        goal,
        confidence,
    })
}
