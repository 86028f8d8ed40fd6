//! Logging: human-readable on a terminal, one JSON object per line with `--log-format json`.
//! `RUST_LOG` sets the filter (default `info`).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// How log lines are written: `--log-format text` (human-readable, coloured on a terminal)
/// or `json` (one object per line, for log collectors). Here rather than in `cli` so that
/// logging depends on nothing above it; the variants carry no doc comments because clap
/// would print them in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Colour only for a person at a terminal: escape codes in a file, a pipe or a journal are
/// noise. `NO_COLOR` set to anything but the empty string turns colour off (no-color.org).
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::use_colour;
    use std::ffi::OsStr;

    #[test]
    fn logs_are_coloured_only_on_a_terminal() {
        assert!(use_colour(true, None));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn no_color_turns_colour_off_unless_empty() {
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(false, Some(OsStr::new(""))));
    }
}
