//! From a campaign and a customer to the bytes of an email: Handlebars templates per locale
//! (loaded once, CSS inlined at load), tracking links, the MIME message and its DKIM signature.
//! Pure apart from reading the template folder and the DKIM key at start.

mod compose;
mod context;
mod diagnose;
mod dkim;
mod error;
mod escape;
mod helpers;
mod inline;
mod links;
mod load;
mod locale_format;
mod message;
mod renderer;
mod rewrite;

pub use context::{CustomerView, EmailContext, LevelView, Suggestion};
pub use diagnose::{SyntaxProblem, syntax_problem};
pub use dkim::DkimSigner;
pub use error::RenderError;
pub use escape::escape_html;
pub use links::{Links, Tracking};
pub use locale_format::{date as format_date, level_name, localize_digits, money as format_money};
pub use message::{
    MAX_SUBJECT_CHARS, MessageMeta, build_message, clean_display_name, clean_subject, parse_mailbox,
};
pub use renderer::{DeliveryMeta, RenderedEmail, Renderer};

use std::collections::BTreeMap;

/// What the renderer needs to know about a campaign (built from the campaign files).
#[derive(Debug, Clone)]
pub struct TemplateSpec {
    pub campaign: String,
    /// The file stem under `templates/{lang}/`: `post-sale-follow-up` →
    /// `post-sale-follow-up.html.hbs` (+ optional `.txt.hbs`).
    pub template: String,
    /// Subject per language (`en` always present), a Handlebars string.
    pub subjects: BTreeMap<String, String>,
    /// Where each subject is written (its campaign file, line and column), so that an error
    /// in a subject points there; empty when the subjects were not read from a file.
    pub subject_sources: BTreeMap<String, SubjectSource>,
}

/// The place of a subject in its campaign file: 1-based line and column of its first
/// character (after the opening quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSource {
    pub file: std::path::PathBuf,
    pub line: usize,
    pub column: usize,
}
