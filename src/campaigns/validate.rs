//! Checks that serde cannot do: level names, trigger combinations, cron syntax, subjects,
//! sender addresses, and that the template exists. Every problem is reported (not only the
//! first) with the byte span it is about.

use super::raw::{RawAudience, RawCampaign, RawTrigger};
use super::schedule::{ScheduleTrigger, SlotPeriod, parse_cron};
use super::{Audience, Campaign, EventTrigger, Trigger};
use crate::config::Duration;
use crate::domain::{Level, Locale};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// A problem at a byte range of the file.
pub(super) type Problem = (Range<usize>, String);

/// How long a schedule slot stays due when the file does not say.
const DEFAULT_WINDOW_SECS: u64 = 12 * 3600;

pub(super) fn campaign(
    id: &str,
    raw: RawCampaign,
    text: &str,
    template_exists: &dyn Fn(&str) -> bool,
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
    let trigger = trigger(raw.trigger.get_ref(), raw.trigger.span(), &mut problems);
    let from = raw.from.as_ref().map(|f| address(f, "from", &mut problems));
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
            audience,
            trigger,
            from,
            reply_to,
        }),
        _ => Err(problems),
    }
}

fn check_template(
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
/// start (after the opening quote).
fn subjects(
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
    if !out.contains_key("en") {
        problems.push((
            raw.span(),
            "no `en` subject: every campaign needs an English subject (the fallback for any locale)".into(),
        ));
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
    let service = raw.service.as_ref().is_some_and(|s| *s.get_ref());
    if service {
        if !raw.climb.is_empty() || !raw.maintenance.is_empty() {
            let at = raw.service.as_ref().map(|s| s.span()).unwrap_or(span);
            problems.push((
                at,
                "a service campaign goes to every level: remove `climb` and `maintenance`".into(),
            ));
            return None;
        }
        return Some(Audience::Service);
    }
    if raw.climb.is_empty() && raw.maintenance.is_empty() {
        problems.push((
            span,
            "the audience names no level: add `climb = [\"basic\"]` (sent while the target is higher), `maintenance = [\"accountable\"]` (sent at the target), or `service = true`".into(),
        ));
        return None;
    }
    Some(Audience::Levels {
        climb: climb?,
        maintenance: maintenance?,
    })
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

fn trigger(raw: &RawTrigger, span: Range<usize>, problems: &mut Vec<Problem>) -> Option<Trigger> {
    let on = raw.on.get_ref().as_str();
    let meaningless: &[&str] = match on {
        "order" | "complaint" => &["schedule", "window", "occurrence"],
        "schedule" => &["delay", "max_age"],
        "eligible" => &["delay", "max_age", "schedule", "window", "occurrence"],
        _ => &[],
    };
    for (key, written) in raw.optional_keys() {
        if let Some(at) = written.filter(|_| meaningless.contains(&key)) {
            problems.push((
                at,
                format!("`{key}` has no meaning for `on = \"{on}\"`: remove it"),
            ));
        }
    }
    match on {
        "order" | "complaint" => {
            let delay = raw
                .delay
                .as_ref()
                .map(|d| *d.get_ref())
                .unwrap_or(Duration::from_secs(0));
            let Some(max_age) = raw.max_age.as_ref().map(|m| *m.get_ref()) else {
                problems.push((
                    span,
                    format!("add `max_age` (e.g. `max_age = \"30d\"`): without it, importing old history would send this for every past {on}"),
                ));
                return None;
            };
            if max_age < delay {
                let at = raw.max_age.as_ref().map(Spanned::span).unwrap_or(span);
                problems.push((at, format!("`max_age` ({max_age}) is shorter than `delay` ({delay}): it could never be sent")));
                return None;
            }
            let timing = EventTrigger { delay, max_age };
            Some(if on == "order" {
                Trigger::Order(timing)
            } else {
                Trigger::Complaint(timing)
            })
        }
        "schedule" => {
            let Some(expr) = &raw.schedule else {
                problems.push((span, "add `schedule`, a cron expression with seconds in the customer's local time, e.g. `schedule = \"0 0 10 * * Sat\"`".into()));
                return None;
            };
            let cron = parse_cron(expr.get_ref())
                .map_err(|e| problems.push((expr.span(), e)))
                .ok()?;
            let period = match &raw.occurrence {
                None => SlotPeriod::Slot,
                Some(p) => match SlotPeriod::parse(p.get_ref()) {
                    Some(period) => period,
                    None => {
                        problems.push((
                            p.span(),
                            format!(
                                "unknown occurrence `{}`: expected one of {}",
                                p.get_ref(),
                                SlotPeriod::NAMES
                            ),
                        ));
                        return None;
                    }
                },
            };
            let window = raw
                .window
                .as_ref()
                .map(|w| *w.get_ref())
                .unwrap_or(Duration::from_secs(DEFAULT_WINDOW_SECS));
            if window.std().is_zero() {
                let at = raw.window.as_ref().map(Spanned::span).unwrap_or(span);
                problems.push((
                    at,
                    "`window` must be longer than 0: it is how long a slot stays due".into(),
                ));
                return None;
            }
            Some(Trigger::Schedule(Box::new(ScheduleTrigger {
                cron,
                window,
                period,
            })))
        }
        "eligible" => Some(Trigger::Eligible),
        other => {
            problems.push((
                raw.on.span(),
                format!("unknown trigger `on = \"{other}\"`: expected \"order\", \"complaint\", \"schedule\" or \"eligible\""),
            ));
            None
        }
    }
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
