//! `rapport forget` and `rapport export` through the built binary, on SQLite and PostgreSQL:
//! the export prints what is held, forget erases it and logs the operator, an unknown
//! customer is a user error (exit 1), and the address imported again is suppressed.

mod scenario;
mod support;

use scenario::cli::{json, ok, rapport, text};
use scenario::write_all;

#[tokio::test]
async fn forget_and_export_from_the_command_line() {
    for db in support::all_backends().await {
        let be = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        write_all(
            &data,
            &[(
                "customers.csv",
                "id,email,name,locale\nc1,jane.cli@example.com,Jane Cli,en\n",
            )],
        );
        let file = data.join("customers.csv").display().to_string();
        ok(dir.path(), &db.url, &["import", "customers", &file]);

        let held = json(dir.path(), &db.url, &["export", "c1"]);
        assert_eq!(
            held["customer"]["email"], "jane.cli@example.com",
            "{be}: {held}"
        );
        assert_eq!(held["customer"]["name"], "Jane Cli", "{be}");

        let out = rapport(dir.path(), &db.url, &["forget", "c1"]);
        assert!(out.status.success(), "{be}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("customer c1 erased"), "{be}");
        let held = json(dir.path(), &db.url, &["export", "c1"]);
        assert_eq!(held["customer"]["email"], "erased@erased.invalid", "{be}");
        assert_eq!(held["customer"]["name"], "", "{be}");
        let by = held["erasures"][0]["erased_by"].as_str().unwrap();
        assert!(by.starts_with("cli:"), "{be}: {by}");

        for args in [["forget", "nobody"], ["export", "nobody"]] {
            let out = rapport(dir.path(), &db.url, &args);
            assert_eq!(out.status.code(), Some(1), "{be}: {args:?}");
            assert!(
                text(&out.stderr).contains("unknown customer `nobody`"),
                "{be}"
            );
        }

        // The shop's nightly export brings her back: stored, but suppressed.
        ok(dir.path(), &db.url, &["import", "customers", &file]);
        let held = json(dir.path(), &db.url, &["export", "c1"]);
        assert_eq!(held["customer"]["email"], "jane.cli@example.com", "{be}");
        let reason = held["suppressions"][0]["reason"].as_str().unwrap_or("");
        assert!(reason.starts_with("erased"), "{be}: {held}");
    }
}
