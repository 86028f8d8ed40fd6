//! Import test helpers: a file in a temporary directory, one import run with given defaults.

use rapport::import::{Entity, ImportOptions, ImportReport, RecordDefaults, import_file};
use rapport::store::Store;

/// Writes `body` to `name` in `dir`; returns its path.
pub fn file(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

/// Imports `path` as `entity`; panics only when the import itself cannot run.
pub async fn import_with(
    store: &dyn Store,
    entity: Entity,
    path: &str,
    defaults: &RecordDefaults,
    skip_invalid: bool,
) -> ImportReport {
    import_file(
        store,
        entity,
        path,
        defaults,
        &ImportOptions {
            skip_invalid,
            progress: false,
            erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
        },
    )
    .await
    .expect("import runs")
}
