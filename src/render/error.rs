use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong between a template folder and the bytes of a message.
/// Template errors carry the file and line a marketer has to open.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template that does not parse, or a render that failed (a missing variable in
    /// strict mode, a helper given the wrong value).
    #[error("{}: {message}", Location { file, line: *line, column: *column })]
    Template {
        file: PathBuf,
        line: Option<usize>,
        /// 1-based, in characters of the author's line, when known.
        column: Option<usize>,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error(
        "no template is loaded for campaign `{0}`: add it to the campaign list given to Renderer::load"
    )]
    UnknownCampaign(String),
    /// The rendered parts could not be turned into a message (bad address, bad header).
    #[error("cannot build the message: {0}")]
    Message(String),
    #[error("DKIM: {0}")]
    Dkim(String),
}

struct Location<'a> {
    file: &'a PathBuf,
    line: Option<usize>,
    column: Option<usize>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}", self.file.display()),
            (Some(line), None) => write!(f, "{}:{line}", self.file.display()),
            _ => write!(f, "{}", self.file.display()),
        }
    }
}

impl RenderError {
    pub(crate) fn template(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        RenderError::Template {
            file: file.into(),
            line,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn template_at(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        RenderError::Template {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, err: impl fmt::Display) -> Self {
        RenderError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }
}
