//! `rapport predict` on the sample shop (examples/): a sentence a marketer can read, the same
//! numbers as JSON, the same sentence in `explain`, and a plain error for an unknown customer.

use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-25T09:00:00Z";

fn rapport(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "RAPPORT__DATABASE__URL",
            format!("sqlite://{}", db.display()),
        )
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn predict_and_explain_tell_the_sample_shops_rhythm_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    for (what, file) in [
        ("customers", "examples/customers.csv"),
        ("orders", "examples/orders.jsonl"),
        ("events", "examples/events.jsonl"),
    ] {
        ok(rapport(&db, &["import", what, file]));
    }
    let json = ok(rapport(
        &db,
        &["predict", "cust-0001", "--format", "json", "--now", NOW],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let r = &v["rhythm"];
    assert_eq!(r["orders"], 2, "{v}");
    assert!(r["every_days"].as_f64().unwrap() > 1.0, "{v}");
    assert!((0.0..=1.0).contains(&r["p_alive"].as_f64().unwrap()), "{v}");
    assert!(
        r["predicted_margin_12_months"].as_f64().unwrap() > 0.0,
        "{v}"
    );
    assert!(v["best_hour"].as_u64().unwrap() < 24, "{v}");
    let sentence = v["sentence"].as_str().unwrap();
    assert!(sentence.starts_with("orders about every "), "{sentence}");
    assert!(
        sentence.contains("(2 orders); last 4 days ago; next expected in "),
        "{sentence}"
    );
    assert!(
        sentence.contains("% likely still active; predicted margin over the next 12 months "),
        "{sentence}"
    );

    let table = ok(rapport(&db, &["predict", "cust-0001", "--now", NOW]));
    assert_eq!(table.trim(), format!("customer cust-0001: {sentence}"));
    let explain = ok(rapport(&db, &["explain", "cust-0001", "--now", NOW]));
    assert!(
        explain.contains(&format!("rhythm: {sentence}")),
        "{explain}"
    );

    let unknown = rapport(&db, &["predict", "nobody", "--now", NOW]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no customer with id `nobody`"));
}

/// `rapport levels` shows each level's average predicted margin over the next 12 months, over
/// its customers with orders (the seeds' claim that climbing raises value, on the shop's data).
#[test]
fn levels_show_the_average_predicted_value_of_each_level() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    for (what, file) in [
        ("customers", "examples/customers.csv"),
        ("orders", "examples/orders.jsonl"),
    ] {
        ok(rapport(&db, &["import", what, file]));
    }
    ok(rapport(&db, &["plan", "--now", NOW]));
    let json = ok(rapport(&db, &["levels", "--format", "json", "--now", NOW]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let values = &v["predicted_value_12_months"];
    let mut with_orders = 0;
    for level in [
        "basic",
        "reactive",
        "accountable",
        "proactive",
        "partnership",
    ] {
        let n = values[level]["customers"].as_u64().unwrap();
        assert!(n <= v["current"][level].as_u64().unwrap(), "{v}");
        if n > 0 {
            assert!(values[level]["average"].as_f64().unwrap() > 0.0, "{v}");
        }
        with_orders += n;
    }
    // The sample: every customer with an order is counted once.
    assert!(with_orders > 100, "{v}");
    let table = ok(rapport(&db, &["levels", "--now", NOW]));
    assert!(
        table.contains("avg predicted margin, next 12 months") && table.contains(" with orders)"),
        "{table}"
    );
}
