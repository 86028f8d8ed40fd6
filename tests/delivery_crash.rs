//! Crash safety (docs/architecture.md, "The outbox and its guarantees"): the real `rapport` binary is killed with SIGKILL in
//! the middle of sending, then started again. Every email must arrive; an email may arrive
//! twice only if it was in flight (claimed, not yet recorded) when the process died; and a
//! live lease is not taken over by the next process.
//!
//! Time is driven with `run --once --now`: the dispatcher claims and leases relative to
//! `--now`, so a restart "six minutes later" sees the dead process's 5-minute leases expired
//! without the test waiting for them.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::delivery::{arrivals, config_parts, outbox, queue, t0};
use support::process::Running;
use support::smtp_server::{CaptureOptions, CaptureServer};

// Four claim batches of 500: `drain` claims one batch ahead of the one it sends, so at the
// kill (600 emails at the relay) two batches are leased and the fourth is still queued.
const EMAILS: usize = 2000;

/// `rapport run --once --now NOW` with the test's database and SMTP server.
fn spawn_once(dir: &Path, db_url: &str, smtp_url: &str, now: DateTime<Utc>, log: &str) -> Running {
    let (text, overrides) = config_parts(db_url, smtp_url, 8);
    let config = dir.join("rapport.toml");
    std::fs::write(&config, text).expect("write config");
    let log = std::fs::File::create(dir.join(log)).expect("log file");
    Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--config")
            .arg(&config)
            .args(["run", "--once", "--now", &now.to_rfc3339()])
            .envs(overrides)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log),
        "rapport run --once",
    )
}

fn wait_ok(mut run: Running, dir: &Path, log: &str) {
    let status = run.child().wait().expect("wait for rapport");
    let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
    assert!(status.success(), "rapport failed ({status}):\n{text}");
}

#[tokio::test]
async fn sigkill_mid_run_loses_nothing_and_resends_at_most_what_was_in_flight() {
    for db in support::all_backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        // A slow relay (20 ms per message, 8 connections): the run takes seconds, so the
        // kill lands while emails are being sent.
        let server = CaptureServer::start(CaptureOptions {
            delay: Some(Duration::from_millis(20)),
            ..Default::default()
        });
        let smtp = format!("smtp://127.0.0.1:{}", server.port);
        let now = t0();
        let queued = queue(&*db.store, EMAILS, now).await;

        let mut first = spawn_once(dir.path(), &db.url, &smtp, now, "first.log");
        // Past the first claim batch (500) so that some results are recorded, well before
        // the last batch is claimed (the second is being sent, the third claimed ahead).
        support::wait::until_blocking(
            &format!("{}: 600 emails at the relay", db.backend),
            Duration::from_secs(120),
            || {
                assert!(
                    first.ended().is_none(),
                    "{}: rapport ended before it could be killed",
                    db.backend
                );
                server.count() >= 600
            },
        );
        first.kill(); // SIGKILL, then reap
        // Messages the relay was still holding in its delay land now; they were in flight.
        std::thread::sleep(Duration::from_millis(300));

        let rows = outbox(&db).await;
        let in_flight: HashSet<String> = rows
            .values()
            .filter(|r| r.status == "sending")
            .map(|r| r.message_id.clone())
            .collect();
        let status_count = |s: &str| rows.values().filter(|r| r.status == s).count();
        assert!(
            !in_flight.is_empty() && status_count("sent") > 0 && status_count("queued") > 0,
            "{}: killed mid-run: {} sent, {} in flight, {} queued",
            db.backend,
            status_count("sent"),
            in_flight.len(),
            status_count("queued"),
        );
        let before_restart = arrivals(server.messages().iter().map(|m| m.content.as_str()));

        // A minute later the dead process's leases are still live: the next process sends
        // everything else but must not touch them.
        let second = spawn_once(
            dir.path(),
            &db.url,
            &smtp,
            now + TimeDelta::minutes(1),
            "second.log",
        );
        wait_ok(second, dir.path(), "second.log");
        let rows = outbox(&db).await;
        let still: HashSet<String> = rows
            .values()
            .filter(|r| r.status == "sending")
            .map(|r| r.message_id.clone())
            .collect();
        assert_eq!(still, in_flight, "{}: a live lease was taken", db.backend);
        let after_second = arrivals(server.messages().iter().map(|m| m.content.as_str()));
        for id in &in_flight {
            assert_eq!(
                after_second.get(id),
                before_restart.get(id),
                "{}: {id} was leased by the dead process but sent again",
                db.backend
            );
        }

        // Six minutes later the leases have expired: the in-flight emails are sent again.
        let third = spawn_once(
            dir.path(),
            &db.url,
            &smtp,
            now + TimeDelta::minutes(6),
            "third.log",
        );
        wait_ok(third, dir.path(), "third.log");

        let rows = outbox(&db).await;
        assert!(
            rows.values().all(|r| r.status == "sent"),
            "{}: every delivery sent in the end",
            db.backend
        );
        let got = arrivals(server.messages().iter().map(|m| m.content.as_str()));
        let missing: Vec<&String> = queued
            .values()
            .filter(|id| !got.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "{}: lost {missing:?}", db.backend);
        let duplicates: HashMap<&String, usize> = got
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, n)| (id, *n))
            .collect();
        assert!(
            duplicates.keys().all(|id| in_flight.contains(*id))
                && duplicates.values().all(|n| *n == 2),
            "{}: only in-flight emails may arrive twice, and only once more: {duplicates:?}",
            db.backend
        );
        assert!(duplicates.len() <= in_flight.len());
        eprintln!(
            "{}: killed with {} in flight; {} of them arrived twice",
            db.backend,
            in_flight.len(),
            duplicates.len()
        );
    }
}

/// The crash guarantee (docs/architecture.md, "The outbox and its guarantees"): each result is written within milliseconds of SMTP's answer (group
/// commit), so a SIGKILL re-sends at most the emails on the wire (one per connection) plus
/// the results gathered and not yet written — never a claimed batch (500 before). Killed
/// three times at full speed, then run to the end; the capture server counts what arrived.
#[tokio::test]
async fn each_sigkill_mid_send_resends_at_most_a_pool_and_a_group_of_emails() {
    const KILLS: usize = 3;
    const POOL: usize = 8;
    let limits = rapport::dispatch::RecordLimits::DEFAULT;
    let bound = POOL + limits.max_results + limits.queue;
    for db in support::all_backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        // No delay: the relay answers as fast as it can, so results pile up quickly.
        let server = CaptureServer::start(CaptureOptions::default());
        let smtp = format!("smtp://127.0.0.1:{}", server.port);
        let mut now = t0();
        let queued = queue(&*db.store, EMAILS, now).await;
        let mut resent_per_kill = Vec::new();
        for k in 0..KILLS {
            let log = format!("run-{k}.log");
            let mut child = spawn_once(dir.path(), &db.url, &smtp, now, &log);
            let target = server.count() + 250;
            support::wait::until_blocking(
                &format!("{}: {target} emails at the relay", db.backend),
                Duration::from_secs(120),
                || {
                    assert!(
                        child.ended().is_none(),
                        "{}: run {k} ended before it could be killed",
                        db.backend
                    );
                    server.count() >= target
                },
            );
            child.kill();
            std::thread::sleep(Duration::from_millis(300));
            // What this kill makes us send again: emails that arrived while their rows are
            // still leased by the dead process.
            let got = arrivals(server.messages().iter().map(|m| m.content.as_str()));
            let resent = outbox(&db)
                .await
                .values()
                .filter(|r| r.status == "sending" && got.contains_key(&r.message_id))
                .count();
            resent_per_kill.push(resent);
            // The next run comes after the dead process's leases expired.
            now += TimeDelta::minutes(6);
        }
        let last = spawn_once(dir.path(), &db.url, &smtp, now, "last.log");
        wait_ok(last, dir.path(), "last.log");

        let rows = outbox(&db).await;
        assert!(
            rows.values().all(|r| r.status == "sent"),
            "{}: every delivery sent in the end",
            db.backend
        );
        let got = arrivals(server.messages().iter().map(|m| m.content.as_str()));
        assert!(
            queued.values().all(|id| got.contains_key(id)),
            "{}: every email arrived",
            db.backend
        );
        let duplicates: usize = got.values().map(|n| n - 1).sum();
        eprintln!(
            "{}: {KILLS} kills at full speed re-sent {resent_per_kill:?} (bound {bound} each); {duplicates} duplicates arrived",
            db.backend
        );
        assert!(
            resent_per_kill.iter().all(|n| *n <= bound),
            "{}: a kill re-sent more than a pool and a group: {resent_per_kill:?} > {bound}",
            db.backend
        );
        assert!(
            duplicates <= resent_per_kill.iter().sum::<usize>(),
            "{}: {duplicates} duplicates arrived, more than the kills left leased ({resent_per_kill:?})",
            db.backend
        );
    }
}
