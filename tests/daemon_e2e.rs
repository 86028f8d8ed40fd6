//! `rapport run` end to end (issue 6): the daemon with a capturing SMTP server and a real HTTP
//! client for the links in the captured emails — the real binary where what is tested is the
//! process (three replicas, `explain`), in-process (`rapport::app`) where it is the engine (a
//! graceful stop, `run --once` between steps). `tests/daemon.rs` checks the binary's printed
//! address, log lines and SIGTERM.

mod support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rapport::app::{App, ManualClock, Once};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::delivery::{arrivals, config_parts, outbox, queue};
use support::process::{DiesWithTest, Running};
use support::smtp_server::{CaptureOptions, CaptureServer};

/// The real clock, whole seconds, a minute back so that deliveries queued at it are due for
/// the daemon (which sends relative to the wall clock).
fn wall_now() -> DateTime<Utc> {
    let t = Utc::now() - TimeDelta::minutes(1);
    Utc.timestamp_opt(t.timestamp(), 0)
        .single()
        .expect("whole second")
}

/// Writes the config and returns the command (dying with the test) with the test's
/// overrides: database, SMTP, HTTP on port 0 (the system picks a free one and the daemon
/// prints it: no race for ports), scheduler ticking every second. Tests that follow links
/// set `RAPPORT__HTTP__PUBLIC_URL` to their own endpoint.
fn rapport(dir: &Path, db_url: &str, smtp_url: &str) -> Command {
    let (text, overrides) = config_parts(db_url, smtp_url, 4);
    let config = dir.join("rapport.toml");
    std::fs::write(&config, text).expect("write config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rapport"));
    cmd.dies_with_test()
        .arg("--config")
        .arg(&config)
        .envs(overrides)
        .env("RAPPORT__HTTP__BIND", "127.0.0.1:0")
        .env("RAPPORT__SCHEDULER__TICK", "* * * * * *")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// `rapport run`, logging to `dir/log`, stdout piped for [`Running::http_address`].
fn spawn_daemon(dir: &Path, db_url: &str, smtp_url: &str, log: &str) -> Running {
    let log = std::fs::File::create(dir.join(log)).expect("log file");
    Running::spawn(
        rapport(dir, db_url, smtp_url)
            .arg("run")
            .stdout(Stdio::piped())
            .stderr(log),
        "rapport run",
    )
}

/// `rapport run --once --now NOW --full?` in-process: one cycle, then everything due sent,
/// recorded at `now`.
async fn run_once(
    db: &support::TestDb,
    cfg: &rapport::config::Config,
    now: DateTime<Utc>,
    full: bool,
) {
    let app = App {
        config: cfg.clone(),
        store: db.store.clone(),
    };
    let once = Once {
        now,
        replay: true,
        full,
    };
    if let Err(e) = rapport::app::run_once(&app, once).await {
        panic!("{}: run --once at {now}: {e:?}", db.backend);
    }
}

/// The `List-Unsubscribe` URL (http…) of a raw message, folded headers unfolded.
fn list_unsubscribe_url(raw: &str) -> Option<String> {
    let unfolded = raw
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", " ");
    let header = unfolded
        .lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("list-unsubscribe:"))?;
    header
        .split('<')
        .filter_map(|part| part.split('>').next())
        .find(|u| u.starts_with("http"))
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_during_sending_loses_nothing() {
    // More than one claim batch (500): a graceful stop finishes the claimed batch, not the rest.
    const EMAILS: usize = 1500;
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions {
            delay: Some(Duration::from_millis(20)),
            ..Default::default()
        });
        let smtp = format!("smtp://127.0.0.1:{}", server.port);
        let mut cfg = support::daemon::config(&db, &smtp);
        cfg.smtp.pool_size = 4;
        let now = support::delivery::t0();
        let queued = queue(&*db.store, EMAILS, now).await;

        let clock = ManualClock::new(now);
        let daemon = support::daemon::start(&db, cfg.clone(), &clock, "replica-a").await;
        support::wait::until(
            &format!("{}: 50 emails at the relay", db.backend),
            Duration::from_secs(120),
            || server.count() >= 50,
        )
        .await;
        // What SIGTERM does.
        tokio::time::timeout(Duration::from_secs(60), daemon.shutdown())
            .await
            .unwrap_or_else(|_| panic!("{}: the daemon did not stop", db.backend));
        // No wait for stragglers: a graceful stop finished what it claimed, and the relay
        // writes each message before it answers 250.

        let rows = outbox(&db).await;
        let count = |s: &str| rows.values().filter(|r| r.status == s).count();
        assert_eq!(
            count("sending"),
            0,
            "{}: a graceful stop finishes (and records) what it claimed",
            db.backend
        );
        assert!(
            count("queued") > 0,
            "{}: the stop landed after everything was sent; the test proves nothing",
            db.backend
        );
        let arrived = arrivals(server.messages().iter().map(|m| m.content.as_str()));
        let sent_ids: Vec<&String> = rows
            .values()
            .filter(|r| r.status == "sent")
            .map(|r| &r.message_id)
            .collect();
        assert_eq!(
            arrived.len(),
            sent_ids.len(),
            "{}: what the relay accepted is what the outbox records as sent",
            db.backend
        );

        // Later, the rest goes out; nothing is lost and, after a graceful stop, nothing
        // arrives twice.
        run_once(&db, &cfg, now + TimeDelta::minutes(6), false).await;
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
            duplicates.is_empty(),
            "{}: sent twice after a graceful stop: {duplicates:?}",
            db.backend
        );
    }
}

#[tokio::test]
async fn one_click_unsubscribe_stops_the_next_cycle() {
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions::default());
        let smtp = format!("smtp://127.0.0.1:{}", server.port);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let public = format!("http://127.0.0.1:{port}");
        let (text, mut overrides) = config_parts(&db.url, &smtp, 2);
        overrides.push(("RAPPORT__HTTP__PUBLIC_URL".into(), public.clone()));
        let cfg =
            rapport::config::load_str("config/rapport.toml", &text, &overrides).expect("config");
        let now = support::delivery::t0();

        // Two customers, each with a queued email; both reactive, with a satisfaction survey
        // due ten days after their order, i.e. in nine days. c0 unsubscribes, c1 is the
        // control that shows the later cycle does queue for customers like them.
        queue(&*db.store, 2, now).await;
        for c in ["c0", "c1"] {
            support::daemon::order_and_click(
                &*db.store,
                &cfg,
                c,
                now - TimeDelta::days(1),
                now - TimeDelta::days(20),
            )
            .await;
        }
        run_once(&db, &cfg, now, false).await;
        let unsubscriber = support::delivery::address(0);
        let control = support::delivery::address(1);
        let first = server.messages();
        let raw = &first
            .iter()
            .find(|m| m.to == unsubscriber)
            .expect("email to c0")
            .content;
        let url = list_unsubscribe_url(raw).expect("List-Unsubscribe http URL");
        assert!(url.starts_with(&format!("{public}/u/")), "{url}");
        assert!(
            links(raw, port).iter().any(|u| u.contains("/u/")),
            "the HTML carries the unsubscribe link too"
        );

        let state = rapport::http::AppState::from_config(&cfg, db.store.clone()).expect("state");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let http = tokio::spawn(rapport::http::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));
        let client = http_client(reqwest::redirect::Policy::none());
        let page = client.get(&url).send().await.expect("GET unsubscribe");
        assert!(page.status().is_success(), "GET: {}", page.status());
        assert_eq!(
            db.store.suppression(&unsubscriber).await.expect("read"),
            None,
            "{}: GET on the unsubscribe URL changes nothing",
            db.backend
        );
        let post = client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST one-click");
        assert!(post.status().is_success(), "POST: {}", post.status());
        assert!(
            db.store
                .suppression(&unsubscriber)
                .await
                .expect("read")
                .is_some(),
            "{}: suppressed once the POST answered",
            db.backend
        );
        let _ = stop_tx.send(());
        http.await.expect("join").expect("serve");

        // Count per address rather than by position: the capture folder is not in arrival order.
        let sent_to = |addr: &str| server.messages().iter().filter(|m| m.to == addr).count();
        let (control_before, unsub_before) = (sent_to(&control), sent_to(&unsubscriber));
        // A full cycle: the survey became due by time passing, not by new data.
        run_once(&db, &cfg, now + TimeDelta::days(10), true).await;
        // The capture server writes each message after answering; give it a moment to land.
        support::wait::until(
            &format!("{}: the survey to the control customer", db.backend),
            Duration::from_secs(10),
            || sent_to(&control) > control_before,
        )
        .await;
        assert_eq!(
            sent_to(&control),
            control_before + 1,
            "{}: the control customer gets the survey",
            db.backend
        );
        assert_eq!(
            sent_to(&unsubscriber),
            unsub_before,
            "{}: nothing to the address after one-click",
            db.backend
        );
    }
}

/// Every `http://127.0.0.1:{port}/…` link in a raw message, quoted-printable undone.
fn links(raw: &str, port: u16) -> Vec<String> {
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
        .replace("&amp;", "&");
    let prefix = format!("http://127.0.0.1:{port}/");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(&prefix) {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| c == '"' || c == '<' || c == '>' || c == '\'' || c.is_whitespace())
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[tokio::test]
async fn a_survey_answer_from_a_sent_email_makes_the_customer_accountable() {
    for db in support::all_backends().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = CaptureServer::start(CaptureOptions::default());
        let smtp = format!("smtp://127.0.0.1:{}", server.port);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let public = format!("http://127.0.0.1:{port}");
        let (text, mut overrides) = config_parts(&db.url, &smtp, 2);
        overrides.push(("RAPPORT__HTTP__PUBLIC_URL".into(), public.clone()));
        let cfg =
            rapport::config::load_str("config/rapport.toml", &text, &overrides).expect("config");
        let now = support::delivery::t0();

        // A reactive customer: an order 12 days ago (the survey is due 10 days after it),
        // a click 20 days ago.
        support::daemon::survey_due(&*db.store, &cfg, "c1", now).await;

        let explain = |at: DateTime<Utc>| {
            let out = rapport(dir.path(), &db.url, &smtp)
                .env("RAPPORT__HTTP__PUBLIC_URL", &public)
                .args([
                    "explain",
                    "c1",
                    "--format",
                    "json",
                    "--now",
                    &at.to_rfc3339(),
                ])
                .stderr(Stdio::piped())
                .stdout(Stdio::piped())
                .output()
                .expect("explain");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("explain json");
            v["current_level"].as_str().unwrap_or_default().to_string()
        };
        assert_eq!(explain(now), "reactive", "{}: starts reactive", db.backend);

        // Plan + send: the satisfaction survey reaches the capture server.
        run_once(&db, &cfg, now, false).await;
        let messages = server.messages();
        assert_eq!(messages.len(), 1, "{}: one email", db.backend);
        let found = links(&messages[0].content, port);
        let pick = |p: &str| found.iter().find(|u| u.contains(p)).cloned();
        let pixel = pick("/t/o/").unwrap_or_else(|| panic!("pixel in {found:?}"));
        assert!(pick("/t/c/").is_some(), "a tracked click link in {found:?}");
        assert!(pick("/u/").is_some(), "an unsubscribe link in {found:?}");

        // The endpoint in-process, as `rapport run` would serve it.
        let state = rapport::http::AppState::from_config(&cfg, db.store.clone()).expect("state");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let http = tokio::spawn(rapport::http::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));
        let client = http_client(reqwest::redirect::Policy::none());
        let r = client.get(&pixel).send().await.expect("pixel");
        assert!(r.status().is_success(), "pixel: {}", r.status());
        // Links are click-tracked: the survey link is where a tracked click redirects.
        let mut clicks: Vec<&String> = found.iter().filter(|u| u.contains("/t/c/")).collect();
        clicks.dedup();
        let mut targets = Vec::new();
        for c in clicks {
            let r = client.get(c.as_str()).send().await.expect("click");
            assert!(r.status().is_redirection(), "click {c}: {}", r.status());
            if let Some(l) = r.headers().get("location") {
                targets.push(l.to_str().expect("location").to_string());
            }
        }
        let survey = targets
            .iter()
            .find(|u| u.contains("/s/"))
            .map(|u| format!("{}?score=9", u.split('?').next().unwrap_or(u)))
            .unwrap_or_else(|| panic!("survey link among {targets:?}"));
        assert!(
            survey.starts_with(&public),
            "survey link on the public URL: {survey}"
        );
        assert!(r.status().is_success(), "pixel: {}", r.status());
        let r = client.get(&survey).send().await.expect("survey");
        assert!(r.status().is_success(), "survey: {}", r.status());
        let _ = stop_tx.send(());
        http.await.expect("join").expect("serve");

        let later = now + TimeDelta::minutes(5);
        run_once(&db, &cfg, later, false).await;
        assert_eq!(
            explain(later),
            "accountable",
            "{}: a survey answer makes the customer accountable",
            db.backend
        );
        let kinds: Vec<String> = event_kinds(&db).await;
        assert!(
            kinds.iter().any(|k| k == "email_open") && kinds.iter().any(|k| k == "survey_response"),
            "{}: events {kinds:?}",
            db.backend
        );
    }
}

/// The kinds of every stored event.
async fn event_kinds(db: &support::TestDb) -> Vec<String> {
    let rows: Vec<(i64, Option<String>)> = if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
        let r = sqlx::query_as("SELECT kind, custom_kind FROM events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("events");
        pool.close().await;
        r
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("postgres");
        let r = sqlx::query_as("SELECT kind::int8, custom_kind FROM events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("events");
        pool.close().await;
        r
    };
    rows.into_iter()
        .filter_map(|(code, custom)| {
            let code = i16::try_from(code).ok()?;
            rapport::domain::EventKind::from_code(code, custom.as_deref())
                .map(|k| k.name().to_string())
        })
        .collect()
}

/// A reqwest client (plain http is all it speaks here; rustls still wants a provider).
fn http_client(redirect: reqwest::redirect::Policy) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(redirect)
        .build()
        .expect("http client")
}

#[tokio::test]
async fn three_daemons_on_one_postgres_send_3000_emails_once_each() {
    const EMAILS: usize = 3000;
    let Some(db) = support::postgres().await else {
        eprintln!("skipped: three replicas need PostgreSQL (set RAPPORT_TEST_DATABASE_URL)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = CaptureServer::start(CaptureOptions::default());
    let smtp = format!("smtp://127.0.0.1:{}", server.port);
    let queued = queue(&*db.store, EMAILS, wall_now()).await;

    // Each replica binds port 0: three daemons never race for a free port.
    let mut daemons: Vec<Running> = (0..3)
        .map(|i| {
            // Each replica its own folder: they must not read a config another is writing.
            let own = dir.path().join(format!("replica-{i}"));
            std::fs::create_dir_all(&own).expect("replica folder");
            spawn_daemon(&own, &db.url, &smtp, "daemon.log")
        })
        .collect();
    support::wait::until_blocking(
        &format!("{EMAILS} emails at the relay"),
        Duration::from_secs(240),
        || {
            for (i, d) in daemons.iter_mut().enumerate() {
                if let Some(status) = d.ended() {
                    let log =
                        std::fs::read_to_string(dir.path().join(format!("replica-{i}/daemon.log")))
                            .unwrap_or_default();
                    panic!("replica {i} ended ({status}):\n{log}");
                }
            }
            server.count() >= EMAILS
        },
    );
    // No fixed wait for duplicates: a graceful stop finishes every send in flight, and the
    // relay writes each message before it answers, so once the replicas have exited all
    // they sent is in the capture folder.
    for d in &daemons {
        d.terminate();
    }
    for (i, d) in daemons.iter_mut().enumerate() {
        let status = d.wait_exit(Duration::from_secs(60));
        let log = std::fs::read_to_string(dir.path().join(format!("replica-{i}/daemon.log")))
            .unwrap_or_default();
        assert!(status.success(), "replica {i}: {status}\n{log}");
    }

    let captured = server.messages();
    let got = arrivals(captured.iter().map(|m| m.content.as_str()));
    let missing = queued.values().filter(|id| !got.contains_key(*id)).count();
    let duplicates: Vec<(&String, &usize)> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(missing, 0, "lost {missing} of {EMAILS}");
    assert!(duplicates.is_empty(), "sent twice: {duplicates:?}");
    let peers: std::collections::HashSet<u16> = captured.iter().map(|m| m.peer_port).collect();
    assert!(
        peers.len() > 3,
        "the relay saw several connections: {peers:?}"
    );
    let rows = outbox(&db).await;
    assert!(rows.values().all(|r| r.status == "sent" && r.attempts == 1));
    let senders = (0..3)
        .filter(|i| {
            std::fs::read_to_string(dir.path().join(format!("replica-{i}/daemon.log")))
                .unwrap_or_default()
                .contains("Batch sent.")
        })
        .count();
    assert!(
        senders >= 2,
        "the replicas shared the outbox: {senders} sent"
    );
}
