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
    let subjects = subjects(&raw.subject, &mut problems);
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
            name: raw.name.into_inner().trim().to_string(),
            priority: raw.priority,
            template: raw.template.into_inner(),
            subjects,
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

fn subjects(
    raw: &Spanned<BTreeMap<Spanned<String>, Spanned<String>>>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (locale, subject) in raw.get_ref() {
        let tag = match Locale::parse(locale.get_ref()) {
            Ok(l) => l.as_str().to_string(),
            Err(e) => {
                problems.push((locale.span(), e.to_string()));
                continue;
            }
        };
        if subject.get_ref().trim().is_empty() {
            problems.push((subject.span(), format!("the `{tag}` subject is empty")));
        } else if let Err(e) = handlebars::Template::compile(subject.get_ref()) {
            let at = e
                .pos()
                .map(|(_, col)| format!(" at character {col}"))
                .unwrap_or_default();
            problems.push((
                subject.span(),
                format!(
                    "the `{tag}` subject is not a valid Handlebars template{at} ({}): check that every `{{{{` has its `}}}}`",
                    e.reason()
                ),
            ));
        }
        out.insert(tag, subject.get_ref().clone());
    }
    if !out.contains_key("en") {
        problems.push((
            raw.span(),
            "no `en` subject: every campaign needs an English subject (the fallback for any locale)".into(),
        ));
    }
    out
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
    let not_for = |key: &str, value: Option<Range<usize>>, problems: &mut Vec<Problem>| {
        if let Some(at) = value {
            problems.push((
                at,
                format!("`{key}` has no meaning for `on = \"{on}\"`: remove it"),
            ));
        }
    };
    match on {
        "order" | "complaint" => {
            not_for(
                "schedule",
                raw.schedule.as_ref().map(Spanned::span),
                problems,
            );
            not_for("window", raw.window.as_ref().map(Spanned::span), problems);
            not_for(
                "occurrence",
                raw.occurrence.as_ref().map(Spanned::span),
                problems,
            );
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
            not_for("delay", raw.delay.as_ref().map(Spanned::span), problems);
            not_for("max_age", raw.max_age.as_ref().map(Spanned::span), problems);
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
        "eligible" => {
            not_for("delay", raw.delay.as_ref().map(Spanned::span), problems);
            not_for("max_age", raw.max_age.as_ref().map(Spanned::span), problems);
            not_for(
                "schedule",
                raw.schedule.as_ref().map(Spanned::span),
                problems,
            );
            not_for("window", raw.window.as_ref().map(Spanned::span), problems);
            not_for(
                "occurrence",
                raw.occurrence.as_ref().map(Spanned::span),
                problems,
            );
            Some(Trigger::Eligible)
        }
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
