//! Checks that serde cannot do: level names, trigger combinations, cron syntax, subjects,
//! sender addresses, and that the template exists. Every problem is reported (not only the
//! first) with the byte span it is about.

use super::raw::{RawAudience, RawCampaign};
use super::segments::Segments;
use super::trigger;
use super::{Audience, Campaign, Gate};
use crate::conditions::{Condition, ConditionError};
use crate::domain::{Level, Locale, Topic};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// A problem at a byte range of the file.
pub(super) type Problem = (Range<usize>, String);

pub(super) fn campaign(
    id: &str,
    raw: RawCampaign,
    text: &str,
    template_exists: &dyn Fn(&str) -> bool,
    segments: &Segments,
) -> Result<Campaign, Vec<Problem>> {
    let mut problems = Vec::new();
    if raw.name.get_ref().trim().is_empty() {
        problems.push((
            raw.name.span(),
            "name is empty: give the campaign a name".into(),
        ));
    }
    check_template(&raw.template, template_exists, &mut problems);
    let (subjects, subject_starts) = subjects(&raw.subject, text, &mut problems);
    let audience = audience(raw.audience.get_ref(), raw.audience.span(), &mut problems);
    let gates = gates(raw.audience.get_ref(), text, segments, &mut problems);
    let trigger = trigger::trigger(raw.trigger.get_ref(), raw.trigger.span(), &mut problems);
    let topic = topic(&raw, audience.as_ref(), trigger.as_ref(), &mut problems);
    let unless = trigger::unless(raw.trigger.get_ref(), &mut problems);
    let experiment =
        super::validate_experiment::experiment(id, &raw, text, template_exists, &mut problems);
    let from = raw.from.as_ref().map(|f| address(f, "from", &mut problems));
    if let Some(t) = &raw.transport
        && t.get_ref().trim().is_empty()
    {
        problems.push((
            t.span(),
            "transport is empty: name one of the [[transports]] in rapport.toml".into(),
        ));
    }
    let reply_to = raw
        .reply_to
        .as_ref()
        .map(|r| address(r, "reply_to", &mut problems));
    match (audience, trigger) {
        (Some(audience), Some(trigger)) if problems.is_empty() => Ok(Campaign {
            id: id.to_string(),
            file: std::path::PathBuf::new(),
            name: raw.name.into_inner().trim().to_string(),
            priority: raw.priority,
            template: raw.template.into_inner(),
            subjects,
            subject_positions: subject_starts
                .into_iter()
                .map(|(tag, at)| (tag, super::load::line_col(text, at)))
                .collect(),
            cooldown: raw.cooldown.filter(|c| !c.std().is_zero()),
            topic,
            audience,
            gates,
            trigger,
            unless,
            from,
            reply_to,
            transport: raw.transport.as_ref().map(|t| {
                (
                    t.get_ref().clone(),
                    super::load::line_col(text, t.span().start),
                )
            }),
            experiment,
        }),
        _ => Err(problems),
    }
}

/// `topic`: one of the known topics, on marketing campaigns only. The confirmation email of
/// double opt-in is a service email (it asks for consent; it cannot need it).
fn topic(
    raw: &RawCampaign,
    audience: Option<&Audience>,
    trigger: Option<&super::Trigger>,
    problems: &mut Vec<Problem>,
) -> Option<Topic> {
    let service = matches!(audience, Some(Audience::Service));
    if matches!(trigger, Some(super::Trigger::Confirmation)) && !service {
        problems.push((
            raw.trigger.span(),
            "`on = \"confirmation\"` sends the confirmation of double opt-in: a service email, add `service = true` to [audience]".into(),
        ));
    }
    let written = raw.topic.as_ref()?;
    if service {
        problems.push((
            written.span(),
            "a service email has no topic (customers cannot leave it): remove `topic`".into(),
        ));
        return None;
    }
    match Topic::parse(written.get_ref()) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push((written.span(), e.to_string()));
            None
        }
    }
}

pub(super) fn check_template(
    template: &Spanned<String>,
    exists: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) {
    let name = template.get_ref();
    let safe = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !safe {
        problems.push((
            template.span(),
            format!("template `{name}` is not a template name: use letters, digits, `-` and `_` (the file is templates/LOCALE/NAME.html.hbs)"),
        ));
    } else if !exists(name) {
        problems.push((
            template.span(),
            format!("template `{name}` not found: create templates/en/{name}.html.hbs (and one per locale you write to)"),
        ));
    }
}

/// The subjects by locale tag, and the byte offset in `text` where each one's characters
/// start (after the opening quote); `en` is required.
fn subjects(
    raw: &Spanned<BTreeMap<Spanned<String>, Spanned<String>>>,
    text: &str,
    problems: &mut Vec<Problem>,
) -> (BTreeMap<String, String>, BTreeMap<String, usize>) {
    let (out, starts) = locale_subjects(raw, text, problems);
    if !out.contains_key("en") {
        problems.push((
            raw.span(),
            "no `en` subject: every campaign needs an English subject (the fallback for any locale)".into(),
        ));
    }
    (out, starts)
}

/// [`subjects`] without the `en` rule: a variant replaces some locales' subjects only.
pub(super) fn locale_subjects(
    raw: &Spanned<BTreeMap<Spanned<String>, Spanned<String>>>,
    text: &str,
    problems: &mut Vec<Problem>,
) -> (BTreeMap<String, String>, BTreeMap<String, usize>) {
    let mut out = BTreeMap::new();
    let mut starts = BTreeMap::new();
    for (locale, subject) in raw.get_ref() {
        let tag = match Locale::parse(locale.get_ref()) {
            Ok(l) => l.as_str().to_string(),
            Err(e) => {
                problems.push((locale.span(), e.to_string()));
                continue;
            }
        };
        let start = content_start(text, subject.span());
        if subject.get_ref().trim().is_empty() {
            problems.push((subject.span(), format!("the `{tag}` subject is empty")));
        } else if let Some(p) = crate::render::syntax_problem(subject.get_ref()) {
            // Points at the tag inside the string when the string is written as it is read
            // (no escapes); otherwise at the string.
            let at = match byte_offset(subject.get_ref(), p.line, p.column) {
                Some(o) if text[start..].starts_with(subject.get_ref().as_str()) => start + o,
                _ => subject.span().start,
            };
            problems.push((at..at, format!("the `{tag}` subject: {}", p.message)));
        }
        starts.insert(tag.clone(), start);
        out.insert(tag, subject.get_ref().clone());
    }
    (out, starts)
}

/// Where a TOML string's characters start: after `"`, `'`, `"""` or `'''` (and the newline
/// a multi-line string may begin with).
fn content_start(text: &str, span: Range<usize>) -> usize {
    let s = &text[span.start.min(text.len())..];
    let quotes = if s.starts_with("\"\"\"") || s.starts_with("'''") {
        3
    } else if s.starts_with(['"', '\'']) {
        1
    } else {
        0
    };
    let mut at = span.start + quotes;
    if quotes == 3 && text[at..].starts_with('\n') {
        at += 1;
    }
    at.min(text.len())
}

/// The byte offset of a 1-based line and column (in characters) of `s`.
fn byte_offset(s: &str, line: usize, column: usize) -> Option<usize> {
    let line_start: usize = s
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = s.get(line_start..)?;
    let within = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map_or(rest.len(), |(i, _)| i);
    Some(line_start + within)
}

fn audience(
    raw: &RawAudience,
    span: Range<usize>,
    problems: &mut Vec<Problem>,
) -> Option<Audience> {
    let climb = levels(&raw.climb, problems);
    let maintenance = levels(&raw.maintenance, problems);
    let any = levels(&raw.levels, problems);
    let service = raw.service.as_ref().is_some_and(|s| *s.get_ref());
    let named = !raw.climb.is_empty() || !raw.maintenance.is_empty() || !raw.levels.is_empty();
    if service {
        if named {
            let at = raw.service.as_ref().map(|s| s.span()).unwrap_or(span);
            problems.push((
                at,
                "a service campaign goes to every level: remove `climb`, `maintenance` and `levels`".into(),
            ));
            return None;
        }
        return Some(Audience::Service);
    }
    if !named {
        problems.push((
            span,
            "the audience names no level: add `climb = [\"basic\"]` (sent while the target is higher), `maintenance = [\"accountable\"]` (sent at the target), `levels = [\"basic\", \"reactive\"]` (whatever the target), or `service = true`".into(),
        ));
        return None;
    }
    Some(Audience::Levels {
        climb: climb?,
        maintenance: maintenance?,
        any: any?,
    })
}

/// The segment's condition, then the campaign's own `where`.
fn gates(
    raw: &RawAudience,
    text: &str,
    segments: &Segments,
    problems: &mut Vec<Problem>,
) -> Vec<Gate> {
    let mut gates = Vec::new();
    if let Some(name) = &raw.segment {
        match segments.get(name.get_ref()) {
            Some(segment) => gates.push(Gate {
                label: format!("segment {}", segment.name),
                condition: segment.condition.clone(),
            }),
            None => problems.push((name.span(), segments.unknown(name.get_ref()))),
        }
    }
    if let Some(condition) = raw
        .condition
        .as_ref()
        .and_then(|source| expression(source, text, problems))
    {
        gates.push(Gate {
            label: "where".into(),
            condition,
        });
    }
    gates
}

/// Compiles a `where` string, its problems pointing into the file where the expression is
/// written as it is read (no escapes), else at the string.
pub(super) fn expression(
    source: &Spanned<String>,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<Condition> {
    match Condition::compile(source.get_ref()) {
        Ok(c) => Some(c),
        Err(errors) => {
            let start = content_start(text, source.span());
            let verbatim = text[start..].starts_with(source.get_ref().as_str());
            for ConditionError { offset, message } in errors {
                let at = if verbatim {
                    start + offset.min(source.get_ref().len())
                } else {
                    source.span().start
                };
                problems.push((at..at, format!("where: {message}")));
            }
            None
        }
    }
}

fn levels(raw: &[Spanned<String>], problems: &mut Vec<Problem>) -> Option<Vec<Level>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut ok = true;
    for name in raw {
        match name.get_ref().parse::<Level>() {
            Ok(level) if !out.contains(&level) => out.push(level),
            Ok(_) => {}
            Err(e) => {
                problems.push((name.span(), e.to_string()));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn address(raw: &Spanned<String>, key: &str, problems: &mut Vec<Problem>) -> String {
    let value = raw.get_ref().trim();
    if let Err(e) = value.parse::<lettre::message::Mailbox>() {
        problems.push((
            raw.span(),
            format!("`{key}` = `{value}` is not an address ({e}); write `Shop <hello@shop.example>` or `hello@shop.example`"),
        ));
    }
    value.to_string()
}
