//! Several-transports tests' set-up (tests/transports.rs): `[[transports]]` tables, queued
//! batches of customers, campaign folders with a `transport = "…"`, and what the store and
//! `explain` say about which transport sent each email.
#![allow(dead_code)] // each test binary uses its own subset

use super::TestDb;
use super::delivery::{CAMPAIGN, Queued, config_parts};
use sqlx::Row;
use std::collections::HashMap;
use std::path::Path;

/// `[[transports]]` tables for (name, url) pairs, two workers each.
pub fn transports(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(name, url)| {
            format!("\n[[transports]]\nname = \"{name}\"\nurl = \"{url}\"\npool_size = 2\n")
        })
        .collect()
}

pub fn marketing(ids: &str) -> Queued<'_> {
    Queued {
        ids,
        campaign: CAMPAIGN,
        occurrence: "eligible:first",
        service: false,
    }
}

pub fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}-{i}@example.org"))
        .collect()
}

/// `deliveries.transport` by recipient address.
pub async fn sent_through(db: &TestDb) -> HashMap<String, Option<String>> {
    const SQL: &str =
        "SELECT c.email, d.transport FROM deliveries d JOIN customers c ON c.id = d.customer_id";
    let rows = if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        let rows = sqlx::query(SQL).fetch_all(&pool).await.expect("read");
        let out: Vec<(String, Option<String>)> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        pool.close().await;
        out
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
        let rows = sqlx::query(SQL).fetch_all(&pool).await.expect("read");
        let out: Vec<(String, Option<String>)> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        pool.close().await;
        out
    };
    rows.into_iter().collect()
}

/// `rapport explain CUSTOMER --format json` through the binary, with `toml` appended to the
/// shipped configuration.
pub fn explain(db: &TestDb, toml: &str, customer: &str) -> serde_json::Value {
    cli_json(db, toml, &["explain", customer, "--format", "json"])
}

/// `rapport ARGS` (ending in `--format json`) with `toml` added to the configuration: its
/// output as JSON.
pub fn cli_json(db: &TestDb, toml: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut text, overrides) = config_parts(&db.url, "file://unused", 2);
    text.push_str(toml);
    let config = dir.path().join("rapport.toml");
    std::fs::write(&config, text).expect("write config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--config")
        .arg(&config)
        .envs(overrides)
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run rapport");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json output")
}

/// The shipped campaigns in a folder of their own, with `edits` (file name, text) on top.
pub fn campaigns_with(edits: &[(&str, &str)]) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns");
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(&root).expect("shipped campaigns") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    for (name, text) in edits {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

/// partnership-invitation.toml with `transport = "{name}"`.
pub fn invitation_through(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped =
        std::fs::read_to_string(root.join("config/campaigns/partnership-invitation.toml"))
            .expect("shipped");
    shipped.replace(
        "cooldown = \"180d\"\n",
        &format!("cooldown = \"180d\"\ntransport = \"{name}\"\n"),
    )
}
