//! The test harness's own promise (issue 16): a process a test starts — a `rapport run`
//! daemon, an SMTP capture server — stops when the test stops, whether it passes, fails
//! (a panic unwinding through its guard) or is killed outright (the parent-death signal).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::process::Running;
use support::smtp_server::{CaptureOptions, CaptureServer};

/// Set for the copy of this test binary that plays the test being killed.
const KILLED_TEST: &str = "RAPPORT_HARNESS_KILLED_TEST";

/// True once `pid` is gone (or a zombie waiting for a reaper that is not us).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses: "PID (comm) S …".
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn gone_within(pid: u32, within: Duration) -> bool {
    support::wait::within_blocking(within, || is_gone(pid))
}

/// `rapport run` on SQLite and the file transport, HTTP on port 0.
fn daemon(dir: &std::path::Path) -> Running {
    let mut daemon = Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("run")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env(
                "RAPPORT__DATABASE__URL",
                format!("sqlite://{}/r.db", dir.display()),
            )
            .env(
                "RAPPORT__SMTP__URL",
                format!("file://{}/outbox", dir.display()),
            )
            .env("RAPPORT__HTTP__BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
        "rapport run",
    );
    daemon
        .http_address(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    daemon
}

#[test]
fn a_failing_test_stops_the_daemon_it_started() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pid = None;
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let d = daemon(dir.path());
        pid = Some(d.id());
        panic!("a failed assertion");
    }));
    assert!(failed.is_err());
    let pid = pid.expect("the daemon started");
    assert!(
        gone_within(pid, Duration::from_secs(5)),
        "rapport run ({pid}) outlived the test that failed"
    );
}

/// Plays the test that gets killed: starts a daemon and a capture server, prints their
/// pids, then waits to be killed. Does nothing unless run by the test below.
#[test]
fn killed_test_stand_in() {
    if std::env::var_os(KILLED_TEST).is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = daemon(dir.path());
    let server = CaptureServer::start(CaptureOptions::default());
    println!("PIDS {} {}", d.id(), server.pid());
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_test_killed_with_sigkill_takes_its_daemon_and_smtp_server_with_it() {
    let mut stand_in = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "killed_test_stand_in", "--nocapture"])
        .env(KILLED_TEST, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the stand-in");
    let stdout = stand_in.stdout.take().expect("stdout");
    let pids: Vec<u32> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("PIDS ")
                .map(|p| p.split(' ').filter_map(|n| n.parse().ok()).collect())
        })
        .unwrap_or_else(|| {
            let _ = stand_in.kill();
            panic!("the stand-in test printed no pids")
        });
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(pids.iter().all(|p| !is_gone(*p)), "both running: {pids:?}");
    // SIGKILL: no unwinding, no destructor runs; only the kernel can stop the children.
    stand_in.kill().expect("SIGKILL the stand-in");
    stand_in.wait().expect("reap");
    for pid in pids {
        assert!(
            gone_within(pid, Duration::from_secs(5)),
            "{pid} outlived the test process that started it"
        );
    }
}
