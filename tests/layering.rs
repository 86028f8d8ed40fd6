//! The module layering of `src/` (docs/architecture.md): arrows point down only. A module may
//! use modules of lower layers, never one of its own layer or above, so there are no cycles
//! and a change to a high layer (a CLI command, an HTTP handler) never forces one below.
//!
//! Checked against the source text: every `crate::<module>` path outside comments, including
//! the names inside `use crate::{…}` groups.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. Keep in step with the module table in docs/architecture.md.
const LAYERS: &[&[&str]] = &[
    // Parsed values, records and pure folds every layer shares.
    &["domain"],
    // Leaves with no engine knowledge: configuration, signed tokens, SMTP/file transports, logs.
    &[
        "config",
        "tracking",
        "mailer",
        "telemetry",
        "metric_names",
        "conditions",
        "privacy",
    ],
    // The only place SQL lives.
    &["store"],
    // Pure decisions and parsers.
    &["levels", "providers", "render"],
    // Statistics of experiments and the draw of their arms (wording from levels); the
    // purchase-rhythm and value models.
    &["experiments", "predict"],
    &["campaigns", "notify"],
    // Figures over the store, read against the campaigns' files (an experiment's arms); the
    // kept purchase-rhythm model and the predicted value per level.
    &["report", "valuation"],
    &["planner", "ingest", "dashboard"],
    // Files into records, through ingest.
    &["import"],
    // The three engines of the daemon.
    &["cycle", "dispatch", "http"],
    // The daemon wired together.
    &["app"],
    // Argument parsing and output.
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/store/sqlite/outbox.rs` → `store`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The modules a source text names through `crate::`: `crate::a::…`, and each top-level name
/// of a `crate::{a::…, b, c::{…}}` group. Line comments are left out.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        // `$crate::` (macros) names this crate too; a longer identifier ending in `crate`
        // (e.g. `other_crate::`) does not.
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut name = String::new();
            let mut at_top_name = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        at_top_name = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && at_top_name {
                    if c.is_alphanumeric() || c == '_' {
                        name.push(c);
                    } else if !name.is_empty() {
                        found.insert(std::mem::take(&mut name));
                        at_top_name = false;
                    }
                }
            }
            if !name.is_empty() {
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut unknown = BTreeSet::new();
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            unknown.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_paths(&text) {
            if used == module || used == "self" || used == "super" {
                continue;
            }
            match layer_of(&used) {
                Some(l) if l < own => {}
                Some(_) => upward
                    .entry(format!("{module} -> {used}"))
                    .or_default()
                    .push(file.strip_prefix(&src).unwrap().display().to_string()),
                // Items of lib.rs itself (none today) would land here.
                None => {
                    unknown.insert(used);
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "modules missing from the LAYERS table of tests/layering.rs: {unknown:?}"
    );
    assert!(
        upward.is_empty(),
        "imports of a module on the same or a higher layer:\n{}",
        upward
            .iter()
            .map(|(edge, files)| format!("  {edge}   ({})", files.join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn crate_paths_reads_single_paths_and_groups() {
    let text = "use crate::store::{Store, Outbox};\n\
                use crate::{domain::Level, config::{Config, X}, tracking};\n\
                // crate::cli is only mentioned in a comment\n\
                let x = crate::render::render(); let y = other_crate::z;";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(
        found,
        ["config", "domain", "render", "store", "tracking"].map(String::from)
    );
}
