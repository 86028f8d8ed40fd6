//! The sample shop in `examples/` as the demo assesses it with the shipped configuration:
//! its English and Persian halves must both reach every level, or the demo teaches a
//! marketer that the strategy follows the language (issue 17: rial prices converted at a
//! rate ~17× too high once put all partnership targets on Persian customers).

use sqlx::Row;
use std::collections::BTreeMap;

/// Runs `rapport demo` into a temporary database and returns (level kind, level) → locale →
/// customers, for the current and the target level.
fn demo_levels_per_locale() -> BTreeMap<(&'static str, i64), BTreeMap<String, i64>> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("demo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "RAPPORT__DATABASE__URL",
            format!("sqlite://{}", db.display()),
        )
        .env(
            "RAPPORT__SMTP__URL",
            format!("file://{}", dir.path().join("outbox").display()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The summary itself shows the spread, so a newcomer sees it without SQL.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("partnership")
                && l.contains("(en ")
                && l.contains(", fa ")),
        "the demo's level summary shows each level per locale:\n{stdout}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let mut levels: BTreeMap<(&'static str, i64), BTreeMap<String, i64>> = BTreeMap::new();
        for (kind, sql) in [
            (
                "current",
                "SELECT c.locale, l.current_level, COUNT(*) FROM customers c \
                 JOIN customer_levels l ON l.customer_id = c.id GROUP BY 1, 2",
            ),
            (
                "target",
                "SELECT c.locale, l.target_level, COUNT(*) FROM customers c \
                 JOIN customer_levels l ON l.customer_id = c.id GROUP BY 1, 2",
            ),
        ] {
            for r in sqlx::query(sql).fetch_all(&pool).await.unwrap() {
                levels
                    .entry((kind, r.get(1)))
                    .or_default()
                    .insert(r.get(0), r.get(2));
            }
        }
        pool.close().await;
        levels
    })
}

#[test]
fn no_locale_takes_a_whole_level_of_the_demo_current_or_target() {
    let levels = demo_levels_per_locale();
    let locales = ["en", "fa"];
    for ((kind, level), per_locale) in &levels {
        let total: i64 = per_locale.values().sum();
        for locale in locales {
            let n = per_locale.get(locale).copied().unwrap_or(0);
            // A single key account may sit alone at a level; two or more are a segment.
            assert!(
                total < 2 || n > 0,
                "{kind} level {level}: all {total} customers are outside `{locale}` ({per_locale:?}); \
                 check the sample's prices against [strategy.currency_rates]"
            );
            // Not a whole level, and not nearly one either: each half has at least a
            // quarter of any level of eight or more (the sample alternates the two locales).
            assert!(
                total < 8 || n * 4 >= total,
                "{kind} level {level}: only {n} of {total} customers are `{locale}` ({per_locale:?})"
            );
        }
    }
    // The strategy does put someone on the top rung, so the check above had something to see.
    assert!(
        levels.contains_key(&("target", 5)),
        "no partnership targets: {levels:?}"
    );
}
