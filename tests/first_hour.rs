//! What a newcomer meets in the first hour, driven through the built `rapport` binary in a
//! scratch copy of the project (config, templates, sample data), as a person would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch project folder: the shipped `config/`, `templates/` and `examples/` sample files.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("config"), &dir.path().join("config"));
    copy_tree(&root.join("templates"), &dir.path().join("templates"));
    std::fs::create_dir_all(dir.path().join("examples")).unwrap();
    for f in ["customers.csv", "orders.jsonl", "events.jsonl"] {
        std::fs::copy(
            root.join("examples").join(f),
            dir.path().join("examples").join(f),
        )
        .unwrap();
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target: PathBuf = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `rapport ARGS` in `dir` with stdout and stderr captured (so stderr is not a terminal).
fn rapport(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.current_dir(dir).args(args).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("RAPPORT__") || k == "RAPPORT_CONFIG" {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("run rapport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let dir = project();
    let out = rapport(
        dir.path(),
        &["run", "--once", "--now", "2026-11-25T09:00:00Z"],
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The cycle logs at info, so there is a line to look at.
    assert!(stderr.contains("Cycle done."), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a pipe: {stderr:?}"
    );
}
