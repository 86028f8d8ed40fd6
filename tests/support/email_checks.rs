//! The Rust side of `email_checks.py`: independent checks of built messages with Python's
//! `email` package and dkimpy, shared by the content and the DKIM tests.

use super::process::DiesWithTest;
use super::tools::python3;
use std::path::{Path, PathBuf};

pub fn write_eml(bytes: &[u8]) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".eml").tempfile().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    f
}

fn helper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/email_checks.py")
}

/// Runs `email_checks.py` (with `PYTHONPATH` when given). Exit 3 is the helper naming a
/// missing module: an error, never a verdict.
pub fn python_with(
    args: &[&str],
    python_path: Option<&Path>,
) -> Result<std::process::Output, String> {
    let mut cmd = python3();
    cmd.dies_with_test().arg(helper()).args(args);
    if let Some(path) = python_path {
        cmd.env("PYTHONPATH", path);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if out.status.code() == Some(3) {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(out)
}
