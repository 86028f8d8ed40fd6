use super::raw::RawCampaign;
use super::segments::Segments;
use super::{Campaign, Trigger, validate};
use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A problem in a campaign file, written for the marketer who edits it:
/// `config/campaigns/loyalty-offer.toml:14:12: … ` (or `path: message` without a position).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CampaignError {
    pub path: String,
    /// 1-based; `None` when the problem is the file as a whole (unreadable, badly named).
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl CampaignError {
    pub(super) fn whole(path: &str, message: impl Into<String>) -> Self {
        CampaignError {
            path: path.to_string(),
            position: None,
            message: message.into(),
        }
    }

    pub(super) fn at(
        path: &str,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        CampaignError {
            path: path.to_string(),
            position: Some(line_col(text, span.start)),
            message: message.into(),
        }
    }

    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }
}

/// Loads every `*.toml` in `dir` (sorted by file name; other files are ignored), without
/// segments. All problems of all files are reported together, so a marketer fixes them in
/// one pass.
pub fn load_dir(
    dir: &Path,
    template_exists: &dyn Fn(&str) -> bool,
) -> Result<Vec<Campaign>, Vec<CampaignError>> {
    load_dir_with(dir, &Segments::default(), template_exists)
}

/// The segments of `segments_dir` and the campaigns of `campaigns_dir`, which may use them.
pub fn load_all(
    campaigns_dir: &Path,
    segments_dir: &Path,
    template_exists: &dyn Fn(&str) -> bool,
) -> Result<(Vec<Campaign>, Segments), Vec<CampaignError>> {
    let segments = Segments::load_dir(segments_dir)?;
    let campaigns = load_dir_with(campaigns_dir, &segments, template_exists)?;
    Ok((campaigns, segments))
}

/// [`load_dir`] with the segments campaigns may name.
pub fn load_dir_with(
    dir: &Path,
    segments: &Segments,
    template_exists: &dyn Fn(&str) -> bool,
) -> Result<Vec<Campaign>, Vec<CampaignError>> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![CampaignError::whole(
            &shown,
            format!("cannot read the campaign folder: {e}"),
        )]
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    let mut campaigns = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_with(&path, &text, segments, template_exists) {
                Ok(c) => campaigns.push(c),
                Err(mut e) => errors.append(&mut e),
            },
            Err(e) => errors.push(CampaignError::whole(&shown, format!("cannot read: {e}"))),
        }
    }
    errors.extend(unknown_followed(&campaigns));
    if errors.is_empty() {
        Ok(campaigns)
    } else {
        Err(errors)
    }
}

/// A follow-up (`on = "sent"`) must follow another campaign of the same folder.
fn unknown_followed(campaigns: &[Campaign]) -> Vec<CampaignError> {
    let mut errors = Vec::new();
    for c in campaigns {
        let Trigger::Sent { campaign, .. } = &c.trigger else {
            continue;
        };
        let shown = c.file.display().to_string();
        if campaign == &c.id {
            errors.push(CampaignError::whole(
                &shown,
                format!("`campaign = \"{campaign}\"` is this campaign itself: a follow-up follows another campaign"),
            ));
        } else if !campaigns.iter().any(|o| &o.id == campaign) {
            let known: Vec<&str> = campaigns.iter().map(|o| o.id.as_str()).collect();
            errors.push(CampaignError::whole(
                &shown,
                format!(
                    "`campaign = \"{campaign}\"` names no campaign: expected one of {}",
                    known.join(", ")
                ),
            ));
        }
    }
    errors
}

/// Parses one campaign file; its id is the file stem of `path`, which also names it in errors.
pub fn parse(
    path: &Path,
    text: &str,
    template_exists: &dyn Fn(&str) -> bool,
) -> Result<Campaign, Vec<CampaignError>> {
    parse_with(path, text, &Segments::default(), template_exists)
}

/// A file's id: its stem, lower-case letters, digits, `-` and `_`.
pub(super) fn file_id(path: &Path) -> Result<String, CampaignError> {
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(CampaignError::whole(
            &path.display().to_string(),
            format!(
                "`{id}` is not an id: name the file with lower-case letters, digits and `-`, e.g. `spring-sale.toml`"
            ),
        ));
    }
    Ok(id.to_string())
}

/// [`parse`] with the segments the campaign may name.
pub fn parse_with(
    path: &Path,
    text: &str,
    segments: &Segments,
    template_exists: &dyn Fn(&str) -> bool,
) -> Result<Campaign, Vec<CampaignError>> {
    let shown = path.display().to_string();
    let id = file_id(path).map_err(|e| vec![e])?;
    let id = id.as_str();
    let raw: RawCampaign = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![CampaignError::at(&shown, text, span, e.message().trim())]
    })?;
    validate::campaign(id, raw, text, template_exists, segments)
        .map(|c| Campaign {
            file: path.to_path_buf(),
            ..c
        })
        .map_err(|problems| {
            problems
                .into_iter()
                .map(|(span, msg)| CampaignError::at(&shown, text, span, msg))
                .collect()
        })
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
