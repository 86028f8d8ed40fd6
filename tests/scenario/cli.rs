//! Running the built `rapport` binary for the issue 19 command-line tests.

use super::root;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `rapport ARGS` from the project root with this test's folders, database and a
/// file:// outbox.
pub fn rapport(dir: &Path, db_url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.current_dir(root()).args(args).env_remove("NO_COLOR");
    for (k, _) in std::env::vars() {
        if k.starts_with("RAPPORT__") || k == "RAPPORT_CONFIG" {
            cmd.env_remove(k);
        }
    }
    let outbox = format!("file://{}", dir.join("outbox").display());
    let templates = root().join("templates").display().to_string();
    let campaigns = dir.join("campaigns").display().to_string();
    let segments = dir.join("segments").display().to_string();
    for (k, v) in [
        ("RAPPORT__DATABASE__URL", db_url),
        ("RAPPORT__SMTP__URL", outbox.as_str()),
        ("RAPPORT__PATHS__CAMPAIGNS", campaigns.as_str()),
        ("RAPPORT__PATHS__SEGMENTS", segments.as_str()),
        ("RAPPORT__PATHS__TEMPLATES", templates.as_str()),
    ] {
        cmd.env(k, v);
    }
    cmd.output().expect("run rapport")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command that must succeed and print one JSON value.
pub fn json(dir: &Path, db_url: &str, args: &[&str]) -> Value {
    let out = rapport(dir, db_url, args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{args:?}:\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

pub fn ok(dir: &Path, db_url: &str, args: &[&str]) {
    let out = rapport(dir, db_url, args);
    assert!(
        out.status.success(),
        "{args:?}:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
