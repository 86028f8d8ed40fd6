//! What to type next, written the way the person ran rapport: `cargo run -- explain …` for
//! someone who started it with `cargo run`, `rapport explain …` once it is installed. And how
//! to open the dashboard, which the shipped configuration keeps closed.

use crate::config::Config;
use std::path::{Component, Path};

/// The command that runs rapport again the way this process was started: `cargo run
/// --release --` for a binary under `target/release/`, `cargo run --` under `target/debug/`,
/// else `rapport` (installed on PATH with `cargo install --path .`).
pub fn command(argv0: &str) -> &'static str {
    let parts: Vec<Component> = Path::new(argv0).components().collect();
    let built_here = |profile: &str| {
        parts
            .windows(2)
            .any(|w| w[0].as_os_str() == "target" && w[1].as_os_str() == profile)
    };
    if built_here("release") {
        "cargo run --release --"
    } else if built_here("debug") {
        "cargo run --"
    } else {
        "rapport"
    }
}

/// [`command`] for this process.
pub fn this_command() -> &'static str {
    command(&std::env::args().next().unwrap_or_default())
}

/// How to open the dashboard. Without `security.api_keys` it answers 401 to everyone, so the
/// hint gives the exact variable to set, with a freshly generated key to copy.
pub fn dashboard(config: &Config, run: &str) -> String {
    let url = format!("{}/dashboard", config.http.public_url.trim_end_matches('/'));
    if config.security.api_keys.is_empty() {
        let key = uuid::Uuid::new_v4().simple();
        format!(
            "The dashboard ({url}) needs an API key, and none is configured. Start with one:\n  \
             RAPPORT__SECURITY__API_KEYS='[\"{key}\"]' {run} run\n\
             then open {url} and log in with any user name and that key as the password."
        )
    } else {
        format!(
            "The dashboard: {url} (log in with any user name and one of security.api_keys as the password)."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_written_the_way_rapport_was_started() {
        assert_eq!(command("target/release/rapport"), "cargo run --release --");
        assert_eq!(
            command("/home/a/rapport/target/debug/rapport"),
            "cargo run --"
        );
        assert_eq!(command("rapport"), "rapport");
        assert_eq!(command("/home/a/.cargo/bin/rapport"), "rapport");
    }

    #[test]
    fn without_api_keys_the_dashboard_hint_gives_the_variable_to_set() {
        let mut config = Config::default();
        config.security.api_keys.clear();
        let hint = dashboard(&config, "cargo run --");
        assert!(hint.contains("RAPPORT__SECURITY__API_KEYS='[\""), "{hint}");
        assert!(hint.contains("\"]' cargo run -- run"), "{hint}");
        assert!(hint.contains("/dashboard"), "{hint}");
    }
}
