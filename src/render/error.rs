use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong between a template folder and the bytes of a message.
/// Template errors carry the file and line a marketer has to open.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template that does not parse, or a render that failed (a missing variable in
    /// strict mode, a helper given the wrong value).
    #[error("{}: {message}", Location { file, line: *line })]
    Template {
        file: PathBuf,
        line: Option<usize>,
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
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
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
