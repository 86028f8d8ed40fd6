//! Reading `templates/` once at start: per locale, one flat template per campaign (layout and
//! partials pasted in, CSS inlined) in an HTML and a text Handlebars registry, and every
//! error collected with its file and line.
//!
//! Layout of the folder (per language; `en` is required and the fallback of the others):
//! ```text
//! templates/en/style.css               inlined into every HTML email of the locale
//! templates/en/layout.html.hbs         the document; the campaign goes at {{> @partial-block}}
//! templates/en/layout.txt.hbs          optional: the same for text parts
//! templates/en/partials/NAME.html.hbs  {{> NAME}} (and NAME.txt.hbs in text templates)
//! templates/en/TEMPLATE.html.hbs       one per campaign template; TEMPLATE.txt.hbs optional
//! ```

use super::TemplateSpec;
use super::compose::{self, Composed, Source};
use super::diagnose;
use super::error::RenderError;
use super::helpers;
use super::inline::{self, LineMap};
use handlebars::Handlebars;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Where a registered template came from, to turn Handlebars errors into `file:line:col`.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub composed: Composed,
    /// From the CSS-inlined source back to the composed one (HTML only).
    pub inlined: Option<LineMap>,
    /// Where the text starts inside a larger file (a subject in its campaign's TOML file):
    /// 1-based line and column of its first character.
    pub offset: Option<(usize, usize)>,
}

/// A position in a file a person edits.
pub(crate) struct Located {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Origin {
    fn new(composed: Composed, inlined: Option<LineMap>) -> Origin {
        Origin {
            composed,
            inlined,
            offset: None,
        }
    }

    /// The author's file, line and — when `needle` is on that line — column of an error the
    /// library reported at `line` of the registered source.
    pub fn locate(&self, line: Option<usize>, needle: Option<&str>) -> Located {
        let Some(l) = line else {
            return Located {
                file: self.composed.first_file().to_path_buf(),
                line: self.offset.map(|(l, _)| l),
                column: None,
            };
        };
        let l = self.inlined.as_ref().map_or(l, |m| m.original(l));
        let (file, line) = self.composed.locate(l);
        let column =
            needle.and_then(|n| diagnose::column_of(self.composed.source_line(file, line)?, n));
        match self.offset {
            Some((first_line, first_column)) => Located {
                file: file.to_path_buf(),
                line: Some(first_line + line - 1),
                column: column.map(|c| if line == 1 { first_column + c - 1 } else { c }),
            },
            None => Located {
                file: file.to_path_buf(),
                line: Some(line),
                column,
            },
        }
    }
}

/// The registered names of one campaign's parts in one locale.
#[derive(Debug, Clone)]
pub(crate) struct CampaignParts {
    pub html: String,
    pub text: Option<String>,
    pub subject: String,
}

/// Everything one language renders with.
pub(crate) struct LocaleSet {
    pub lang: String,
    /// `rtl` or `ltr`, for `{{dir}}`.
    pub dir: &'static str,
    pub html: Handlebars<'static>,
    pub text: Handlebars<'static>,
    pub origins: HashMap<String, Origin>,
    pub campaigns: HashMap<String, CampaignParts>,
}

fn registry(escape: bool) -> Handlebars<'static> {
    let mut r = Handlebars::new();
    r.set_strict_mode(true);
    if !escape {
        r.register_escape_fn(handlebars::no_escape);
    }
    helpers::register(&mut r);
    r
}

/// Reads a template and checks its syntax on the untouched text, so that a syntax error
/// carries the author's own line.
fn read(path: &Path, errors: &mut Vec<RenderError>) -> Option<Source> {
    let text = match fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            errors.push(RenderError::io(path, e));
            return None;
        }
    };
    if let Some(p) = diagnose::syntax_problem(&text) {
        errors.push(RenderError::template_at(
            path,
            Some(p.line),
            Some(p.column),
            p.message,
        ));
        return None;
    }
    Some(Source {
        file: path.to_path_buf(),
        text,
    })
}

/// The first of `lang/rel`, `en/rel` that exists.
fn find(dir: &Path, lang: &str, rel: &str) -> Option<PathBuf> {
    [lang, "en"]
        .iter()
        .map(|l| dir.join(l).join(rel))
        .find(|p| p.is_file())
}

/// Partials by name, the locale's own overriding `en`'s.
fn partials(
    dir: &Path,
    lang: &str,
    suffix: &str,
    errors: &mut Vec<RenderError>,
) -> HashMap<String, Source> {
    let mut found = HashMap::new();
    for l in ["en", lang] {
        let Ok(entries) = fs::read_dir(dir.join(l).join("partials")) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(stem) = name.strip_suffix(suffix)
                && let Some(src) = read(&path, errors)
            {
                found.insert(stem.to_string(), src);
            }
        }
    }
    found
}

fn register(
    set: &mut LocaleSet,
    html: bool,
    name: &str,
    source: &str,
    origin: Origin,
    errors: &mut Vec<RenderError>,
) {
    let reg = if html { &mut set.html } else { &mut set.text };
    match reg.register_template_string(name, source) {
        Ok(()) => {
            set.origins.insert(name.to_string(), origin);
        }
        Err(e) => {
            let at = origin.locate(e.pos().map(|(l, _)| l), None);
            errors.push(RenderError::template(
                at.file,
                at.line,
                e.reason().to_string(),
            ));
        }
    }
}

pub(crate) fn load_locale(
    dir: &Path,
    lang: &str,
    specs: &[TemplateSpec],
    errors: &mut Vec<RenderError>,
) -> LocaleSet {
    let mut set = LocaleSet {
        lang: lang.to_string(),
        dir: match crate::domain::Locale::parse(lang) {
            Ok(l) if l.is_rtl() => "rtl",
            _ => "ltr",
        },
        html: registry(true),
        text: registry(false),
        origins: HashMap::new(),
        campaigns: HashMap::new(),
    };
    let css = find(dir, lang, "style.css")
        .map(|p| fs::read_to_string(&p).map_err(|e| RenderError::io(&p, e)))
        .transpose()
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        })
        .unwrap_or_default();
    let html_partials = partials(dir, lang, ".html.hbs", errors);
    let text_partials = partials(dir, lang, ".txt.hbs", errors);
    let Some(html_layout) = find(dir, lang, "layout.html.hbs").and_then(|p| read(&p, errors))
    else {
        errors.push(RenderError::io(
            dir.join("en/layout.html.hbs"),
            "missing: every locale needs a layout",
        ));
        return set;
    };
    let text_layout = find(dir, lang, "layout.txt.hbs").and_then(|p| read(&p, errors));

    for spec in specs {
        let html_file = dir.join(lang).join(format!("{}.html.hbs", spec.template));
        if !html_file.is_file() {
            // Other locales fall back to `en` for the campaign as a whole (see Renderer).
            if lang == "en" {
                let msg = format!(
                    "missing: campaign `{}` uses template `{}`",
                    spec.campaign, spec.template
                );
                errors.push(RenderError::io(&html_file, msg));
            }
            continue;
        }
        let Some(content) = read(&html_file, errors) else {
            continue;
        };
        let html_name = format!("{lang}/{}.html", spec.campaign);
        let composed =
            match compose::compose(Some(&html_layout), &content, &html_partials, ".html.hbs") {
                Ok(c) => c,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
        match inline::document(&composed.text, &css) {
            Ok(i) => {
                let origin = Origin::new(composed, Some(i.lines));
                register(&mut set, true, &html_name, &i.source, origin, errors);
            }
            Err(e) => {
                errors.push(RenderError::template(
                    &html_file,
                    None,
                    format!("CSS inlining failed: {e}"),
                ));
                continue;
            }
        }

        let text_file = html_file.with_file_name(format!("{}.txt.hbs", spec.template));
        let text_name = format!("{lang}/{}.txt", spec.campaign);
        let text = text_file
            .is_file()
            .then(|| read(&text_file, errors))
            .flatten();
        let text = text.and_then(|t| {
            compose::compose(text_layout.as_ref(), &t, &text_partials, ".txt.hbs")
                .map_err(|e| errors.push(e))
                .ok()
        });
        let text_name = text.map(|composed| {
            let source = composed.text.clone();
            let origin = Origin::new(composed, None);
            register(&mut set, false, &text_name, &source, origin, errors);
            text_name
        });

        let subject_name = format!("{lang}/{}.subject", spec.campaign);
        let key = if spec.subjects.contains_key(lang) {
            lang
        } else {
            "en"
        };
        // The campaign's TOML file and the subject's place in it, when the spec knows them.
        let (subject_file, offset) = match spec.subject_sources.get(key) {
            Some(at) => (at.file.clone(), Some((at.line, at.column))),
            None => (
                PathBuf::from(format!("campaign `{}` subject ({key})", spec.campaign)),
                None,
            ),
        };
        match spec.subjects.get(key) {
            Some(s) => match diagnose::syntax_problem(s) {
                None => {
                    let origin = Origin {
                        offset,
                        ..Origin::new(Composed::single(&subject_file, s), None)
                    };
                    register(&mut set, false, &subject_name, s, origin, errors);
                }
                Some(p) => {
                    let origin = Origin {
                        offset,
                        ..Origin::new(Composed::single(&subject_file, s), None)
                    };
                    let at = origin.locate(Some(p.line), None);
                    let column = offset.map_or(p.column, |(_, c)| {
                        if p.line == 1 {
                            c + p.column - 1
                        } else {
                            p.column
                        }
                    });
                    errors.push(RenderError::template_at(
                        at.file,
                        at.line,
                        Some(column),
                        format!("the `{key}` subject: {}", p.message),
                    ));
                }
            },
            None => errors.push(RenderError::template(
                subject_file,
                None,
                "no subject: add one for `en` at least",
            )),
        }
        set.campaigns.insert(
            spec.campaign.clone(),
            CampaignParts {
                html: html_name,
                text: text_name,
                subject: subject_name,
            },
        );
    }
    set
}

/// The language folders under `dir` (`en`, `fa`, …).
pub(crate) fn languages(dir: &Path) -> Result<Vec<String>, RenderError> {
    let entries = fs::read_dir(dir).map_err(|e| RenderError::io(dir, e))?;
    let mut langs: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| (2..=3).contains(&n.len()) && n.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    langs.sort();
    Ok(langs)
}
