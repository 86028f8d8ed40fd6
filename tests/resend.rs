//! `rapport resend --campaign ID --status failed [--since T]` (docs/sending.md): after the
//! cause of failures is fixed, each failed delivery is sent once more — never a sent one, and
//! a second run of the command sends nothing twice. The command runs as the binary, the
//! emails go to real servers (aiosmtpd, then smtp-sink), on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::process::Command;
use support::delivery::{
    CAMPAIGN, address, arrivals, config_parts, config_with, dispatcher, outbox, queue_to, t0,
};
use support::smtp_server::{CaptureOptions, CaptureServer, SmtpSink};

/// `rapport resend …` against the test database; its stdout.
fn resend(db_url: &str, args: &[&str], now: DateTime<Utc>) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, overrides) = config_parts(db_url, "file://outbox", 1);
    let config = dir.path().join("rapport.toml");
    std::fs::write(&config, text).expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--config")
        .arg(&config)
        .arg("resend")
        .args(args)
        .args(["--now", &now.to_rfc3339()])
        .envs(overrides)
        .current_dir(dir.path())
        .output()
        .expect("run rapport resend");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `rapport resend --campaign CAMPAIGN --status failed [--since SINCE]` succeeds and
/// reports `n` deliveries queued again.
fn assert_requeued(db: &support::TestDb, since: Option<&str>, now: DateTime<Utc>, n: usize) {
    let mut args = vec!["--campaign", CAMPAIGN, "--status", "failed"];
    args.extend(since.iter().flat_map(|s| ["--since", s]));
    let (ok, out) = resend(&db.url, &args, now);
    assert!(ok, "{}: {out}", db.backend);
    assert!(
        out.starts_with(&format!("{n} failed deliveries")),
        "{}: expected {n}: {out}",
        db.backend
    );
}

#[tokio::test]
async fn resend_sends_each_failed_delivery_once_and_never_a_sent_one() {
    for db in support::all_backends().await {
        // Six ordinary recipients and four whose mailbox is full; one attempt only, so the
        // four fail at once (the "broken configuration").
        let mut addresses: Vec<String> = (0..6).map(address).collect();
        addresses.extend((0..4).map(|i| format!("full-{i}@example.org")));
        let now = t0();
        let queued = queue_to(&*db.store, &addresses, now).await;
        let first = CaptureServer::start(CaptureOptions::default());
        let cfg = config_with(
            &db.url,
            &format!("smtp://127.0.0.1:{}", first.port),
            2,
            "",
            &[("RAPPORT__SMTP__MAX_ATTEMPTS", "1")],
        );
        let d = dispatcher(&cfg, db.store.clone());
        let report = d.drain(now).await.expect("drain");
        d.close().await;
        assert_eq!((report.sent, report.failed), (6, 4), "{}", db.backend);

        // Fixed: another relay that takes everything.
        let sink = SmtpSink::start(&[]);
        let later = now + TimeDelta::hours(1);
        assert_requeued(&db, Some("1d"), later, 4);
        let rows = outbox(&db).await;
        for a in &addresses[6..] {
            assert_eq!((rows[a].status.as_str(), rows[a].attempts), ("queued", 0));
        }
        // A second resend before the senders ran: nothing more to queue.
        assert_requeued(&db, None, later, 0);

        let cfg = config_with(&db.url, &sink.url(""), 2, "", &[]);
        let d = dispatcher(&cfg, db.store.clone());
        let report = d.drain(later).await.expect("drain");
        assert_eq!(report.sent, 4, "{}: {report:?}", db.backend);
        // And after they were sent: still nothing to resend, nothing sent again.
        assert_requeued(&db, None, later, 0);
        assert_eq!(d.drain(later).await.expect("drain").sent, 0);
        d.close().await;

        let want: HashMap<String, usize> = addresses[6..]
            .iter()
            .map(|a| (queued[a].clone(), 1))
            .collect();
        let dumped = sink.dumped();
        assert_eq!(
            arrivals(dumped.iter().map(String::as_str)),
            want,
            "{}: each failed delivery once, no sent one",
            db.backend
        );
        assert!(outbox(&db).await.values().all(|r| r.status == "sent"));
    }
}

#[tokio::test]
async fn resend_since_leaves_older_failures_and_a_resent_failure_is_not_resent_again() {
    for db in support::all_backends().await {
        let addresses: Vec<String> = (0..3).map(|i| format!("full-{i}@example.org")).collect();
        let now = t0();
        queue_to(&*db.store, &addresses, now).await;
        let server = CaptureServer::start(CaptureOptions::default());
        let url = format!("smtp://127.0.0.1:{}", server.port);
        let cfg = config_with(
            &db.url,
            &url,
            1,
            "",
            &[("RAPPORT__SMTP__MAX_ATTEMPTS", "1")],
        );
        let d = dispatcher(&cfg, db.store.clone());
        assert_eq!(d.drain(now).await.expect("drain").failed, 3);

        // Failed at `now`: a --since after it finds nothing.
        assert_requeued(&db, Some("1h"), now + TimeDelta::hours(2), 0);

        // Resent, failing again (the mailboxes are still full): not resent a second time.
        assert_requeued(&db, None, now, 3);
        assert_eq!(d.drain(now).await.expect("drain").failed, 3);
        d.close().await;
        assert_requeued(&db, None, now, 0);

        let (ok, out) = resend(
            &db.url,
            &["--campaign", "no-such", "--status", "failed"],
            now,
        );
        assert!(!ok && out.contains("no campaign `no-such`"), "{out}");
    }
}
