//! The outside tools the tests drive (Postfix's `smtp-sink`, SpamAssassin, OpenSSL, Python 3
//! with aiosmtpd, dkimpy and PyNaCl) and how a missing one fails a test: named as missing,
//! with what to install — never as a wrong verdict such as "signature does not verify".
//! `scripts/test` (the README's test command) installs them all.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::process::Command;

/// Where the install hints send a reader.
pub const INSTALLS_THEM: &str = "scripts/test installs what the tests need";

/// The failure message for a missing program.
pub fn missing_tool(program: &str, install: &str) -> String {
    format!("outside tool `{program}` missing: {install} ({INSTALLS_THEM})")
}

/// The failure message for a missing Python module.
pub fn missing_python_module(module: &str, package: &str) -> String {
    format!("python module `{module}` missing: pip install {package} ({INSTALLS_THEM})")
}

/// `program` as found on `PATH`, or a panic naming it as a missing outside tool.
pub fn require(program: &str, install: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{}", missing_tool(program, install)))
}

/// A `python3` command, or a panic naming Python 3 as missing.
pub fn python3() -> Command {
    Command::new(require("python3", "apt-get install python3"))
}

/// Panics naming the first of `modules` (module, pip package) that `python3` cannot import.
pub fn require_python_modules(modules: &[(&str, &str)]) {
    for (module, package) in modules {
        let ok = python3()
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "{}", missing_python_module(module, package));
    }
}

/// A folder that, put on `PYTHONPATH`, makes `import MODULE` fail as if it were not
/// installed: how tests prove a missing module is reported by name.
pub fn without_python_module(module: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let package = dir.path().join(module);
    std::fs::create_dir(&package).expect("shadow package");
    std::fs::write(
        package.join("__init__.py"),
        format!("raise ImportError(\"No module named '{module}'\")\n"),
    )
    .expect("shadow module");
    dir
}
