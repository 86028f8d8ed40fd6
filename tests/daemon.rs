//! The daemon: in-process through `rapport::app::Application` on a manual clock (a customer
//! imported, one scheduler tick plans their email, the sender delivers it, the endpoint
//! answers, a stop gives the scheduler lease back), and `rapport run` as operators start it
//! (the HTTP endpoint answers, SIGTERM stops it cleanly).

mod support;

use chrono::TimeDelta;
use rapport::app::{ManualClock, SCHEDULER_LEASE};
use rapport::store::LeaseRequest;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::process::Running;

fn get(address: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(address).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // Whatever arrived before the server closed (or the read timed out) is the answer.
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    (!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned())
}

/// The one stdout line (`listening on http://ADDR`, the address bound for `http.bind` port 0),
/// the log lines, the endpoint, and SIGTERM's clean exit.
#[test]
fn the_daemon_serves_the_endpoint_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
    let mut daemon = Running::spawn(
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("run")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env(
                "RAPPORT__DATABASE__URL",
                format!("sqlite://{}/r.db", dir.path().display()),
            )
            .env(
                "RAPPORT__SMTP__URL",
                format!("file://{}/outbox", dir.path().display()),
            )
            .env("RAPPORT__HTTP__BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(log),
        "rapport run",
    );
    // Ready when it prints the address it bound: no polling, no race for a port.
    let address = daemon
        .http_address(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}"));
    let health = get(address, "/healthz").expect("an answer from /healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let pixel = get(address, "/t/o/not-a-token").unwrap();
    assert!(
        pixel.starts_with("HTTP/1.1 200") && pixel.contains("image/gif"),
        "{pixel}"
    );
    let metrics = get(address, "/metrics").unwrap();
    assert!(metrics.contains("rapport_"), "{metrics}");
    daemon.terminate();
    let status = daemon.wait_exit(Duration::from_secs(40));
    let log = std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    assert!(status.success(), "{status:?}:\n{log}");
    assert!(
        address.ip().is_loopback() && address.port() != 0,
        "{address}"
    );
    assert!(
        log.contains("Listening.") && log.contains(&address.to_string()),
        "the log names the address too:\n{log}"
    );
    for line in ["Running.", "Stopping:", "Stopped."] {
        assert!(log.contains(line), "{line:?} in the log:\n{log}");
    }
}

/// [`get`] from async code.
async fn get_async(address: SocketAddr, path: &str) -> Option<String> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || get(address, &path))
        .await
        .expect("the request thread")
}

/// The `/t/o/…` open-pixel path in a raw message (quoted-printable undone).
fn pixel_path(raw: &str) -> Option<String> {
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find("/t/o/")?;
    let tail = &text[start..];
    let end = tail
        .find(|c: char| c == '"' || c == '<' || c == '>' || c == '\'' || c.is_whitespace())
        .unwrap_or(tail.len());
    Some(tail[..end].to_string())
}

fn emails_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_a_tick_plans_the_sender_delivers_the_endpoint_answers_and_stop_releases_the_lease()
 {
    for db in support::all_backends().await {
        let outbox = tempfile::tempdir().unwrap();
        let cfg = support::daemon::config(&db, &format!("file://{}", outbox.path().display()));
        let t0 = support::delivery::t0();
        support::daemon::survey_due(&*db.store, &cfg, "c1", t0).await;
        let clock = ManualClock::new(t0);
        let daemon = support::daemon::start(&db, cfg, &clock, "replica-a").await;

        // The first tick runs at start, at the clock's time, holding the lease.
        support::daemon::ticked(&daemon, 1).await;
        let later = t0 + TimeDelta::minutes(1);
        assert!(
            !db.store
                .try_lease(LeaseRequest {
                    name: SCHEDULER_LEASE,
                    owner: "replica-b",
                    now: later,
                    until: later
                })
                .await
                .unwrap(),
            "{}: the running daemon holds the scheduler lease",
            db.backend
        );
        support::wait::until(
            &format!("{}: the survey in the outbox folder", db.backend),
            Duration::from_secs(30),
            || emails_in(outbox.path()).len() == 1,
        )
        .await;
        let email = emails_in(outbox.path()).remove(0);
        assert!(email.contains("c1@example.org"), "{email}");
        let dbr = &db;
        support::wait::until_async(
            &format!("{}: the delivery recorded as sent", db.backend),
            Duration::from_secs(30),
            move || async move {
                let rows = support::delivery::outbox(dbr).await;
                rows.values().all(|r| r.status == "sent") && rows.len() == 1
            },
        )
        .await;

        let address = daemon.address();
        let health = get_async(address, "/healthz")
            .await
            .expect("an answer from /healthz");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        let pixel = pixel_path(&email).expect("an open pixel in the email");
        let open = get_async(address, &pixel)
            .await
            .expect("an answer from the pixel");
        assert!(
            open.starts_with("HTTP/1.1 200") && open.contains("image/gif"),
            "{open}"
        );

        daemon.shutdown().await;
        assert!(
            db.store
                .try_lease(LeaseRequest {
                    name: SCHEDULER_LEASE,
                    owner: "replica-b",
                    now: t0,
                    until: later
                })
                .await
                .unwrap(),
            "{}: a stopped daemon gave the scheduler lease back",
            db.backend
        );
    }
}

/// SIGHUP's reload, in-process: campaigns that do not validate are refused and the running
/// ones stay; once fixed, the reload takes.
#[tokio::test]
async fn in_process_a_reload_keeps_the_campaigns_in_use_when_the_new_ones_do_not_validate() {
    let db = support::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let campaigns = dir.path().join("campaigns");
    std::fs::create_dir(&campaigns).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns");
    for entry in std::fs::read_dir(shipped).unwrap().flatten() {
        std::fs::copy(entry.path(), campaigns.join(entry.file_name())).unwrap();
    }
    let mut cfg = support::daemon::config(&db, &format!("file://{}", dir.path().display()));
    cfg.paths.campaigns = campaigns.clone();
    let clock = ManualClock::new(support::delivery::t0());
    let daemon = support::daemon::start(&db, cfg, &clock, "replica-a").await;
    daemon.reload().expect("the shipped campaigns reload");

    std::fs::write(
        campaigns.join("broken.toml"),
        "name = \"Broken\"\npriority =\n",
    )
    .unwrap();
    match daemon.reload() {
        Err(rapport::app::Failure::User(e)) => {
            assert!(format!("{e:#}").contains("broken.toml"), "{e:#}")
        }
        other => panic!("a broken campaign is a user error: {other:?}"),
    }
    let health = get_async(daemon.address(), "/healthz")
        .await
        .expect("an answer");
    assert!(
        health.starts_with("HTTP/1.1 200"),
        "still serving: {health}"
    );

    std::fs::remove_file(campaigns.join("broken.toml")).unwrap();
    daemon.reload().expect("fixed, the reload takes");
    daemon.shutdown().await;
}
