//! Reading `templates/` once at start: one HTML and one text Handlebars registry per locale,
//! CSS inlined into the HTML sources, every syntax error collected with its file and line.
//!
//! Layout of the folder (per language, `en` required, others fall back to it):
//! ```text
//! templates/en/style.css               inlined into every HTML template of the locale
//! templates/en/layout.html.hbs         the document; content goes at {{> @partial-block}}
//! templates/en/layout.txt.hbs          optional: the same for text parts
//! templates/en/partials/NAME.html.hbs  {{> NAME}} (and NAME.txt.hbs for text)
//! templates/en/TEMPLATE.html.hbs       one per campaign template; TEMPLATE.txt.hbs optional
//! ```

use super::TemplateSpec;
use super::error::RenderError;
use super::helpers;
use super::inline::{self, LineMap};
use handlebars::{Handlebars, Template};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Where a registered template came from, to turn Handlebars errors into `file:line`.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub file: PathBuf,
    pub lines: Option<LineMap>,
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
    pub html_origins: HashMap<String, Origin>,
    pub text_origins: HashMap<String, Origin>,
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

fn read(path: &Path, errors: &mut Vec<RenderError>) -> Option<String> {
    match fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(RenderError::io(path, e));
            None
        }
    }
}

/// The first of `lang/rel`, `en/rel` that exists.
fn find(dir: &Path, lang: &str, rel: &str) -> Option<PathBuf> {
    [lang, "en"]
        .iter()
        .map(|l| dir.join(l).join(rel))
        .find(|p| p.is_file())
}

/// Parse the untouched source first so that syntax errors carry the author's own line.
fn syntax_ok(src: &str, file: &Path, errors: &mut Vec<RenderError>) -> bool {
    match Template::compile(src) {
        Ok(_) => true,
        Err(e) => {
            let line = e.pos().map(|(l, _)| l);
            errors.push(RenderError::template(file, line, e.reason().to_string()));
            false
        }
    }
}

/// Partials by name, the locale's own overriding `en`'s.
fn partials(dir: &Path, lang: &str, suffix: &str) -> Vec<(String, PathBuf)> {
    let mut found: HashMap<String, PathBuf> = HashMap::new();
    for l in ["en", lang] {
        let Ok(entries) = fs::read_dir(dir.join(l).join("partials")) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(stem) = name.strip_suffix(suffix) {
                found.insert(stem.to_string(), path);
            }
        }
    }
    let mut v: Vec<_> = found.into_iter().collect();
    v.sort();
    v
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
        html_origins: HashMap::new(),
        text_origins: HashMap::new(),
        campaigns: HashMap::new(),
    };
    let css = match find(dir, lang, "style.css") {
        Some(p) => read(&p, errors).unwrap_or_default(),
        None => String::new(),
    };

    // HTML: partials and the layout, inlined.
    let mut html_partials = partials(dir, lang, ".html.hbs");
    if let Some(layout) = find(dir, lang, "layout.html.hbs") {
        html_partials.push(("layout".into(), layout));
    } else {
        errors.push(RenderError::io(
            dir.join("en/layout.html.hbs"),
            "missing: every locale needs a layout",
        ));
    }
    for (name, file) in html_partials {
        let Some(src) = read(&file, errors) else {
            continue;
        };
        if !syntax_ok(&src, &file, errors) {
            continue;
        }
        let inlined = if name == "layout" {
            inline::document(&src, &css)
        } else {
            inline::fragment(&src, &css)
        };
        match inlined {
            Ok(i) => register_partial(
                &mut set.html,
                &mut set.html_origins,
                &name,
                &i.source,
                file,
                Some(i.lines),
                errors,
            ),
            Err(e) => errors.push(RenderError::template(
                file,
                None,
                format!("CSS inlining failed: {e}"),
            )),
        }
    }
    // Text: partials and the optional layout, as written.
    let mut text_partials = partials(dir, lang, ".txt.hbs");
    let text_layout = find(dir, lang, "layout.txt.hbs");
    if let Some(layout) = &text_layout {
        text_partials.push(("layout".into(), layout.clone()));
    }
    for (name, file) in text_partials {
        let Some(src) = read(&file, errors) else {
            continue;
        };
        if syntax_ok(&src, &file, errors) {
            // A file's final newline would add a blank line wherever the partial is used.
            let src = if name == "layout" {
                src.as_str()
            } else {
                src.trim_end_matches(['\r', '\n'])
            };
            register_partial(
                &mut set.text,
                &mut set.text_origins,
                &name,
                src,
                file,
                None,
                errors,
            );
        }
    }

    for spec in specs {
        let html_file = dir.join(lang).join(format!("{}.html.hbs", spec.template));
        if !html_file.is_file() {
            // This locale falls back to `en` for the campaign as a whole (see Renderer).
            if lang == "en" {
                errors.push(RenderError::io(
                    &html_file,
                    format!(
                        "missing: campaign `{}` uses template `{}`",
                        spec.campaign, spec.template
                    ),
                ));
            }
            continue;
        }
        let Some(src) = read(&html_file, errors) else {
            continue;
        };
        if !syntax_ok(&src, &html_file, errors) {
            continue;
        }
        let html_name = format!("{lang}/{}.html", spec.campaign);
        match inline::fragment(&src, &css) {
            // Wrapped on the first line so that line numbers stay the author's.
            Ok(i) => register(
                &mut set.html,
                &mut set.html_origins,
                &html_name,
                &format!("{{{{#> layout}}}}{}{{{{/layout}}}}", i.source),
                html_file.clone(),
                Some(i.lines),
                errors,
            ),
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
        let text_src = text_file
            .is_file()
            .then(|| read(&text_file, errors))
            .flatten()
            .filter(|src| syntax_ok(src, &text_file, errors));
        let text_name = text_src.map(|src| {
            let src = if text_layout.is_some() {
                let content = src.trim_end_matches(['\r', '\n']);
                format!("{{{{#> layout}}}}{content}{{{{/layout}}}}")
            } else {
                src
            };
            register(
                &mut set.text,
                &mut set.text_origins,
                &text_name,
                &src,
                text_file.clone(),
                None,
                errors,
            );
            text_name
        });
        let subject_src = spec.subjects.get(lang).or_else(|| spec.subjects.get("en"));
        let subject_name = format!("{lang}/{}.subject", spec.campaign);
        let subject_file = PathBuf::from(format!("campaign `{}` subject ({lang})", spec.campaign));
        match subject_src {
            Some(s) if syntax_ok(s, &subject_file, errors) => register(
                &mut set.text,
                &mut set.text_origins,
                &subject_name,
                s,
                subject_file,
                None,
                errors,
            ),
            Some(_) => {}
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

fn register(
    reg: &mut Handlebars<'static>,
    origins: &mut HashMap<String, Origin>,
    name: &str,
    src: &str,
    file: PathBuf,
    lines: Option<LineMap>,
    errors: &mut Vec<RenderError>,
) {
    match reg.register_template_string(name, src) {
        Ok(()) => {
            origins.insert(name.to_string(), Origin { file, lines });
        }
        Err(e) => errors.push(RenderError::template(
            file,
            e.pos().map(|(l, _)| l),
            e.reason().to_string(),
        )),
    }
}

fn register_partial(
    reg: &mut Handlebars<'static>,
    origins: &mut HashMap<String, Origin>,
    name: &str,
    src: &str,
    file: PathBuf,
    lines: Option<LineMap>,
    errors: &mut Vec<RenderError>,
) {
    match reg.register_partial(name, src) {
        Ok(()) => {
            origins.insert(name.to_string(), Origin { file, lines });
        }
        Err(e) => errors.push(RenderError::template(
            file,
            e.pos().map(|(l, _)| l),
            e.reason().to_string(),
        )),
    }
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
