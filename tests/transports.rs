//! Several transports (docs/sending.md): campaigns and service emails take their named
//! transport, a transport that cannot be reached hands its emails to the next and takes
//! them back once it answers again (nothing lost, nothing sent twice), and a recipient
//! domain's limit holds across workers. Real servers (Postfix's `smtp-sink`, aiosmtpd), on
//! SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, Utc};
use rapport::cli::Engine;
use rapport::dispatch::{DispatchReport, Dispatcher};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::delivery::{Queued, arrivals, config_with, dispatcher, outbox, queue_as};
use support::smtp_server::{CaptureOptions, CaptureServer, SmtpSink};
use support::transports::{
    addresses, campaigns_with, explain, invitation_through, marketing, sent_through, transports,
};

/// Runs batches on the wall clock (as the daemon does) until `done`, at most 60 s.
async fn send_until(d: &Dispatcher, what: &str, done: impl Fn() -> bool) -> DispatchReport {
    let started = Instant::now();
    let mut report = DispatchReport::default();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not done after 60 s: {report:?}"
        );
        if d.run_batch(Utc::now(), &mut report).await.expect("batch") == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    d.flush().await.expect("record");
    report
}

#[tokio::test]
async fn failover_to_the_second_transport_when_the_first_is_down_and_back_when_it_recovers() {
    let metrics = rapport::http::metrics::handle();
    let up = |name: &str| {
        let line = format!("rapport_transport_up{{transport=\"{name}\"}} ");
        let text = metrics.render();
        text.lines()
            .find_map(|l| l.strip_prefix(&line).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {line} in /metrics:\n{text}"))
    };
    for db in support::all_backends().await {
        // The first transport's port refuses connections until a server starts on it.
        let mut first = SmtpSink::start(&[]);
        first.stop();
        let second = SmtpSink::start(&[]);
        let toml = format!(
            "\n[sending]\nfailover_after = \"1s\"\n{}",
            transports(&[("primary", &first.url("")), ("backup", &second.url(""))])
        );
        let cfg = config_with(&db.url, "file://unused", 2, &toml, &[]);
        let early = queue_as(
            &*db.store,
            &addresses("early", 20),
            marketing("e"),
            Utc::now(),
        )
        .await;
        let d = dispatcher(&cfg, db.store.clone());
        assert_eq!(d.transport_up("primary"), Some(true));

        let started = Instant::now();
        let report = send_until(&d, "failover", || second.dumped().len() >= 20).await;
        eprintln!(
            "{}: all at the backup after {:?}",
            db.backend,
            started.elapsed()
        );
        assert_eq!(d.transport_up("primary"), Some(false), "{}", db.backend);
        assert_eq!(d.transport_up("backup"), Some(true));
        assert_eq!((up("primary"), up("backup")), ("0".into(), "1".into()));
        // Handed back while the primary could not be reached: counted as failed over, not
        // as throttled (nothing asked us to slow down).
        assert!(report.failed_over > 0, "handed back meanwhile: {report:?}");
        assert_eq!(report.throttled, 0, "{report:?}");
        assert!(
            metrics
                .render()
                .contains("rapport_emails_failed_over_total{transport=\"primary\"}"),
            "{}",
            metrics.render()
        );
        assert_eq!((report.retried, report.failed), (0, 0), "{report:?}");

        // The first relay comes back: a probe notices, and its emails return to it.
        first.restart(&[]);
        send_until(&d, "probe", || d.transport_up("primary") == Some(true)).await;
        let late = queue_as(
            &*db.store,
            &addresses("late", 10),
            marketing("l"),
            Utc::now(),
        )
        .await;
        send_until(&d, "failback", || first.dumped().len() >= 10).await;
        assert_eq!(d.transport_up("primary"), Some(true), "{}", db.backend);
        assert_eq!(up("primary"), "1");
        d.close().await;

        let at_second = arrivals(second.dumped().iter().map(String::as_str));
        let at_first = arrivals(first.dumped().iter().map(String::as_str));
        let once = |q: &HashMap<String, String>| -> HashMap<String, usize> {
            q.values().map(|id| (id.clone(), 1)).collect()
        };
        assert_eq!(
            at_second,
            once(&early),
            "{}: early ones at the backup, once",
            db.backend
        );
        assert_eq!(
            at_first,
            once(&late),
            "{}: late ones back at the primary, once",
            db.backend
        );
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "{row:?}");
        }
        for (email, transport) in sent_through(&db).await {
            let want = if email.starts_with("early") {
                "backup"
            } else {
                "primary"
            };
            assert_eq!(transport.as_deref(), Some(want), "{}: {email}", db.backend);
        }
        // `report --transports` tells the relay that was down from the one that sent.
        let tallies = support::transports::cli_json(
            &db,
            &toml,
            &["report", "--transports", "--format", "json"],
        );
        let by_name = |name: &str| {
            tallies
                .as_array()
                .and_then(|rows| rows.iter().find(|r| r["transport"] == name))
                .unwrap_or_else(|| panic!("{}: no {name} in {tallies}", db.backend))
                .clone()
        };
        let (primary, backup) = (by_name("primary"), by_name("backup"));
        assert_eq!(primary["sent"], 10, "{}: {tallies}", db.backend);
        assert!(primary["failed_over"].as_u64() > Some(0), "{tallies}");
        assert_eq!(
            (
                &backup["sent"],
                &backup["failed_over"],
                &backup["throttled"]
            ),
            (&20.into(), &0.into(), &0.into()),
            "{tallies}"
        );
        // `explain` says which transport sent a customer's emails.
        for (customer, want) in [("e0", "backup"), ("l0", "primary")] {
            let v = explain(&db, &toml, customer);
            assert_eq!(v["sent"][0]["campaign"], support::delivery::CAMPAIGN);
            assert_eq!(v["sent"][0]["transport"], want, "{}: {v}", db.backend);
        }
    }
}

#[tokio::test]
async fn a_transport_that_never_greets_times_out_and_its_emails_go_to_the_next() {
    for db in support::all_backends().await {
        // Accepts connections and never says a word (a relay behind a black hole).
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = silent.local_addr().expect("address").port();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((conn, _)) = silent.accept().await {
                open.push(conn);
            }
        });
        let backup = SmtpSink::start(&[]);
        let toml = format!(
            "\n[sending]\nfailover_after = \"1s\"\n{}timeout = \"1s\"\n{}",
            transports(&[("silent", &format!("smtp://127.0.0.1:{port}"))]),
            transports(&[("backup", &backup.url(""))]),
        );
        let cfg = config_with(&db.url, "file://unused", 2, &toml, &[]);
        let queued = queue_as(&*db.store, &addresses("t", 10), marketing("t"), Utc::now()).await;
        let d = dispatcher(&cfg, db.store.clone());
        let report = send_until(&d, "timeout failover", || backup.dumped().len() >= 10).await;
        d.close().await;
        held.abort();
        assert_eq!(d.transport_up("silent"), Some(false), "{}", db.backend);
        assert_eq!((report.retried, report.failed), (0, 0), "{report:?}");
        let want: HashMap<String, usize> = queued.values().map(|id| (id.clone(), 1)).collect();
        assert_eq!(arrivals(backup.dumped().iter().map(String::as_str)), want);
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "{row:?}");
        }
    }
}

async fn drain(d: &Dispatcher, now: DateTime<Utc>) -> DispatchReport {
    let report = d.drain(now).await.expect("drain");
    d.close().await;
    report
}

#[tokio::test]
async fn a_campaign_sends_through_its_named_transport() {
    for db in support::all_backends().await {
        let (tx, bulk) = (SmtpSink::start(&[]), SmtpSink::start(&[]));
        let plain = invitation_through("x").replace("transport = \"x\"\n", "");
        let folder = campaigns_with(&[
            ("partnership-invitation.toml", &invitation_through("bulk")),
            ("invitation-plain.toml", &plain),
        ]);
        let toml = transports(&[("tx", &tx.url("")), ("bulk", &bulk.url(""))]);
        let campaigns = folder.path().display().to_string();
        let cfg = config_with(
            &db.url,
            "file://unused",
            2,
            &toml,
            &[("RAPPORT__PATHS__CAMPAIGNS", &campaigns)],
        );
        let now = Utc::now();
        let named = queue_as(&*db.store, &addresses("named", 6), marketing("n"), now).await;
        let other = Queued {
            campaign: "invitation-plain",
            ..marketing("p")
        };
        let unnamed = queue_as(&*db.store, &addresses("plain", 4), other, now).await;
        let d = dispatcher(&cfg, db.store.clone());
        let report = drain(&d, now).await;
        assert_eq!(report.sent, 10, "{}: {report:?}", db.backend);

        let once = |q: &HashMap<String, String>| -> HashMap<String, usize> {
            q.values().map(|id| (id.clone(), 1)).collect()
        };
        assert_eq!(
            arrivals(bulk.dumped().iter().map(String::as_str)),
            once(&named)
        );
        assert_eq!(
            arrivals(tx.dumped().iter().map(String::as_str)),
            once(&unnamed),
            "{}: without `transport`, marketing takes the first transport",
            db.backend
        );
    }
}

#[tokio::test]
async fn service_emails_use_the_service_transport() {
    for db in support::all_backends().await {
        let (bulk, tx) = (SmtpSink::start(&[]), SmtpSink::start(&[]));
        let toml = format!(
            "\n[sending]\nmarketing = \"bulk\"\nservice = \"tx\"\n{}",
            transports(&[("bulk", &bulk.url("")), ("tx", &tx.url(""))])
        );
        let cfg = config_with(&db.url, "file://unused", 2, &toml, &[]);
        let now = Utc::now();
        let offers = queue_as(&*db.store, &addresses("offer", 5), marketing("o"), now).await;
        let confirmation = Queued {
            ids: "s",
            campaign: "confirm-subscription",
            occurrence: "confirmation",
            service: true,
        };
        let service = queue_as(&*db.store, &addresses("signup", 5), confirmation, now).await;
        let d = dispatcher(&cfg, db.store.clone());
        let report = drain(&d, now).await;
        assert_eq!(report.sent, 10, "{}: {report:?}", db.backend);

        let once = |q: &HashMap<String, String>| -> HashMap<String, usize> {
            q.values().map(|id| (id.clone(), 1)).collect()
        };
        assert_eq!(
            arrivals(tx.dumped().iter().map(String::as_str)),
            once(&service)
        );
        assert_eq!(
            arrivals(bulk.dumped().iter().map(String::as_str)),
            once(&offers)
        );
        for (email, transport) in sent_through(&db).await {
            let want = if email.starts_with("signup") {
                "tx"
            } else {
                "bulk"
            };
            assert_eq!(transport.as_deref(), Some(want), "{}: {email}", db.backend);
        }
    }
}

#[tokio::test]
async fn domain_limit_holds() {
    const RATE: f64 = 10.0;
    for db in support::all_backends().await {
        let server = CaptureServer::start(CaptureOptions::default());
        let url = format!("smtp://127.0.0.1:{}", server.port);
        let toml = "\n[[domain_limits]]\ndomain = \"gmail.com\"\nrate = 10\n";
        let cfg = config_with(&db.url, &url, 4, toml, &[]);
        let now = Utc::now();
        let gmail: Vec<String> = (0..30).map(|i| format!("g{i}@gmail.com")).collect();
        queue_as(&*db.store, &gmail, marketing("g"), now).await;
        queue_as(&*db.store, &addresses("other", 30), marketing("x"), now).await;
        let d = dispatcher(&cfg, db.store.clone());
        let report = drain(&d, now).await;
        assert_eq!(report.sent, 60, "{}: {report:?}", db.backend);
        assert_eq!(
            (report.retried, report.throttled),
            (0, 0),
            "waits, not retries"
        );

        let mut times: Vec<f64> = server
            .messages()
            .iter()
            .filter(|m| m.to.ends_with("@gmail.com"))
            .map(|m| m.received_at)
            .collect();
        times.sort_by(f64::total_cmp);
        assert_eq!(times.len(), 30);
        let rate = (times.len() - 1) as f64 / (times[times.len() - 1] - times[0]);
        eprintln!("{}: gmail.com received at {rate:.3} emails/s", db.backend);
        assert!(
            (RATE * 0.9..=RATE * 1.1).contains(&rate),
            "{}: gmail.com got {rate:.2} emails/s, limit {RATE}",
            db.backend
        );
        // No second of arrivals ever held more than the limit (plus one at its edge).
        for (i, t) in times.iter().enumerate() {
            let within = times[i..].iter().take_while(|u| **u < t + 1.0).count();
            assert!(
                within <= RATE as usize + 1,
                "{}: {within} in 1 s",
                db.backend
            );
        }
        for row in outbox(&db).await.values() {
            assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "{row:?}");
        }
    }
}

/// The message `Engine::load` refuses `cfg` with.
fn refused(cfg: &rapport::config::Config) -> String {
    match Engine::load(cfg) {
        Ok(_) => panic!("the configuration was accepted"),
        Err(e) => format!("{e:?}"),
    }
}

#[tokio::test]
async fn unknown_transport_names_are_config_errors_with_their_place() {
    let db = support::sqlite().await;
    let folder = campaigns_with(&[("partnership-invitation.toml", &invitation_through("nope"))]);
    let campaigns = folder.path().display().to_string();
    let toml = transports(&[("tx", "smtp://127.0.0.1:25"), ("bulk", "file://outbox")]);
    let cfg = config_with(
        &db.url,
        "file://unused",
        2,
        &toml,
        &[("RAPPORT__PATHS__CAMPAIGNS", &campaigns)],
    );
    let e = refused(&cfg);
    let file = folder.path().join("partnership-invitation.toml");
    let want = format!(
        "{}:11:13: transport = \"nope\" names no transport: the transports are \"tx\", \"bulk\"",
        file.display()
    );
    assert!(e.contains(&want), "{e}\nwanted {want}");

    let sending = format!("{toml}\n[sending]\nmarketing = \"bluk\"\n");
    let cfg = config_with(&db.url, "file://unused", 2, &sending, &[]);
    let e = refused(&cfg);
    assert!(
        e.contains("[sending] marketing = \"bluk\" names no transport"),
        "{e}"
    );

    // A user without a password reads the transport's own variable.
    let secret = transports(&[("eu-relay", "smtp://me@127.0.0.1:25")]);
    let cfg = config_with(&db.url, "file://unused", 2, &secret, &[]);
    let e = refused(&cfg);
    assert!(
        e.contains("[[transports]] \"eu-relay\"")
            && e.contains("RAPPORT_TRANSPORT_EU_RELAY_PASSWORD"),
        "{e}"
    );
}
