//! Named segments: `config/segments/NAME.toml`, each a name, a description and a `where`
//! condition. Campaigns use them (`[audience] segment = "NAME"`), and `rapport segment`
//! counts and samples who is in one.

use super::load::CampaignError;
use super::validate;
use crate::conditions::Condition;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct Segment {
    /// The file stem: `vip` for `vip.toml`; what campaigns name.
    pub name: String,
    /// The `name` written in the file, for people.
    pub title: String,
    pub description: String,
    pub condition: Condition,
    pub file: PathBuf,
}

/// Every segment, by name.
#[derive(Debug, Clone, Default)]
pub struct Segments(BTreeMap<String, Segment>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(rename = "where")]
    condition: Spanned<String>,
}

impl Segments {
    pub fn get(&self, name: &str) -> Option<&Segment> {
        self.0.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Segment> {
        self.0.values()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a segment name that is not defined.
    pub fn unknown(&self, name: &str) -> String {
        let known: Vec<&str> = self.0.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!(
                "unknown segment `{name}`: there are no segments (create config/segments/{name}.toml with `name` and `where`)"
            )
        } else {
            format!(
                "unknown segment `{name}`: expected one of {} (config/segments/*.toml)",
                known.join(", ")
            )
        }
    }

    /// Loads every `*.toml` of `dir`; a missing folder is no segments. All problems of all
    /// files are reported together.
    pub fn load_dir(dir: &Path) -> Result<Segments, Vec<CampaignError>> {
        let mut segments = Segments::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(segments);
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        let mut errors = Vec::new();
        for path in paths {
            match parse(&path) {
                Ok(s) => {
                    segments.0.insert(s.name.clone(), s);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(segments)
        } else {
            Err(errors)
        }
    }
}

fn parse(path: &Path) -> Result<Segment, Vec<CampaignError>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![CampaignError::whole(&shown, format!("cannot read: {e}"))])?;
    let name = super::load::file_id(path).map_err(|e| vec![e])?;
    let raw: RawSegment = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![CampaignError::at(&shown, &text, span, e.message().trim())]
    })?;
    let mut problems = Vec::new();
    if raw.name.get_ref().trim().is_empty() {
        problems.push((
            raw.name.span(),
            "name is empty: give the segment a name".to_string(),
        ));
    }
    let condition = validate::expression(&raw.condition, &text, &mut problems);
    match condition {
        Some(condition) if problems.is_empty() => Ok(Segment {
            name,
            title: raw.name.into_inner().trim().to_string(),
            description: raw.description.trim().to_string(),
            condition,
            file: path.to_path_buf(),
        }),
        _ => Err(problems
            .into_iter()
            .map(|(span, msg)| CampaignError::at(&shown, &text, span, msg))
            .collect()),
    }
}
