//! The mailer against real SMTP servers: Postfix's `smtp-sink` and an `aiosmtpd`
//! capture server (tests/support/smtp_server.rs). No mocks.

mod support;

use std::{collections::HashSet, time::Duration};

use rapport::mailer::{
    OutgoingEmail, SendOutcome, Sender, SmtpSettings, SmtpTransport, TlsMode, Transport,
    TransportUrl,
};
use support::smtp_server::{
    CaptureOptions, CaptureServer, SmtpSink, TestCertificate, refused_port,
};

fn email(n: usize, to: &str) -> OutgoingEmail {
    let message_id = format!("<msg-{n}@rapport.test>");
    let raw = format!(
        "From: News <news@rapport.test>\r\nTo: <{to}>\r\nSubject: Hello {n}\r\n\
         Message-ID: {message_id}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello number {n}.\r\n.A line that starts with a dot.\r\n"
    );
    OutgoingEmail {
        delivery_id: format!("delivery-{n}"),
        message_id,
        from: "bounces@rapport.test".to_owned(),
        to: to.to_owned(),
        raw: raw.into_bytes(),
    }
}

fn transport(url: &str) -> Transport {
    Transport::from_url(url).expect("transport from url")
}

fn smtp_transport(settings: SmtpSettings) -> Transport {
    Transport::Smtp(SmtpTransport::new(settings).expect("smtp transport"))
}

fn settings_for(url: &str) -> SmtpSettings {
    match TransportUrl::parse_with_env(url, |_| None).expect("url") {
        TransportUrl::Smtp(settings) => settings,
        other => panic!("not smtp: {other:?}"),
    }
}

#[tokio::test]
async fn hundred_emails_through_four_senders_arrive_exactly_once() {
    let sink = SmtpSink::start(&[]);
    let transport = transport(&sink.url(""));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let mut sender = transport.sender();
        workers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for n in (worker..100).step_by(4) {
                outcomes.push(
                    sender
                        .send(&email(n, &format!("customer-{n}@example.org")))
                        .await,
                );
            }
            sender.close().await;
            outcomes
        }));
    }
    for worker in workers {
        for outcome in worker.await.expect("worker") {
            assert_eq!(outcome, SendOutcome::Sent);
        }
    }
    let dumped = sink.dumped();
    assert_eq!(dumped.len(), 100, "one transaction per email");
    let ids: HashSet<String> = dumped
        .iter()
        .filter_map(|d| {
            d.lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(ids.len(), 100, "every Message-ID exactly once");
    assert!(
        dumped
            .iter()
            .all(|d| d.contains("\n.A line that starts with a dot.")),
        "dot-stuffing round-trips"
    );
}

#[tokio::test]
async fn hard_bounce_5_1_1_is_failed_and_marks_suppression() {
    let sink = SmtpSink::start(&[
        "-f",
        "RCPT",
        "-B",
        "550 5.1.1 <gone@example.org>: Recipient address rejected",
    ]);
    let mut sender = transport(&sink.url("")).sender();
    let outcome = sender.send(&email(1, "gone@example.org")).await;
    match &outcome {
        SendOutcome::Failed {
            code,
            enhanced,
            hard_bounce,
            reason,
        } => {
            assert_eq!(*code, Some(550));
            assert_eq!(enhanced.as_deref(), Some("5.1.1"));
            assert!(*hard_bounce);
            assert!(reason.contains("Recipient address rejected"), "{reason}");
        }
        other => panic!("expected a hard bounce, got {other:?}"),
    }
}

#[tokio::test]
async fn mailbox_full_4_2_2_is_retried() {
    let sink = SmtpSink::start(&[
        "-r",
        "RCPT",
        "-b",
        "452 4.2.2 <full@example.org>: Mailbox full",
    ]);
    let mut sender = transport(&sink.url("")).sender();
    let outcome = sender.send(&email(1, "full@example.org")).await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert_eq!(
        (outcome.code(), outcome.enhanced()),
        (Some(452), Some("4.2.2"))
    );
}

#[tokio::test]
async fn mailbox_full_5_2_2_is_retried_although_it_is_5xx() {
    let sink = SmtpSink::start(&["-f", "RCPT", "-B", "552 5.2.2 Mailbox full"]);
    let mut sender = transport(&sink.url("")).sender();
    assert!(sender.send(&email(1, "full@example.org")).await.is_retry());
}

#[tokio::test]
async fn service_closing_421_at_data_is_retried_and_the_next_send_reconnects() {
    let mut sink = SmtpSink::start(&["-Q", "DATA"]);
    let mut sender = transport(&sink.url("")).sender();
    let outcome = sender.send(&email(1, "a@example.org")).await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert_eq!(outcome.code(), Some(421));

    sink.restart(&[]);
    assert_eq!(
        sender.send(&email(1, "a@example.org")).await,
        SendOutcome::Sent
    );
    let dumped = sink.dumped();
    assert_eq!(dumped.len(), 1, "{dumped:#?}");
}

#[tokio::test]
async fn disconnect_without_reply_after_the_body_is_retried_and_the_next_send_reconnects() {
    let mut sink = SmtpSink::start(&["-q", "."]);
    let mut sender = transport(&sink.url("")).sender();
    let outcome = sender.send(&email(1, "a@example.org")).await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert_eq!(outcome.code(), None, "no reply, network error");

    sink.restart(&[]);
    assert_eq!(
        sender.send(&email(2, "b@example.org")).await,
        SendOutcome::Sent
    );
}

#[tokio::test]
async fn server_down_is_a_retry_without_panic() {
    let (_reserved, port) = refused_port(); // bound, never listening: refused
    let mut sender = transport(&format!("smtp://127.0.0.1:{port}")).sender();
    for n in 0..3 {
        let outcome = sender.send(&email(n, "a@example.org")).await;
        assert!(outcome.is_retry(), "{outcome:?}");
        assert!(outcome.to_string().contains("connect"), "{outcome}");
    }
}

#[tokio::test]
async fn server_restarted_between_sends_is_reconnected_transparently() {
    let mut sink = SmtpSink::start(&[]);
    let mut sender = transport(&sink.url("")).sender();
    assert!(sender.send(&email(1, "a@example.org")).await.is_sent());
    // The server goes away while the connection sits idle, then comes back.
    sink.restart(&[]);
    assert!(sender.send(&email(2, "b@example.org")).await.is_sent());
    assert_eq!(sink.dumped().len(), 2);
}

#[tokio::test]
async fn server_that_drops_idle_clients_costs_no_retry() {
    // smtp-sink -t 1: a client silent for a second is disconnected.
    let sink = SmtpSink::start(&["-t", "1"]);
    let mut sender = transport(&sink.url("")).sender();
    assert!(sender.send(&email(1, "a@example.org")).await.is_sent());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(sender.send(&email(2, "b@example.org")).await.is_sent());
}

#[tokio::test]
async fn rejected_recipients_keep_the_connection_for_the_next_email() {
    let server = CaptureServer::start(CaptureOptions::default());
    let mut sender = transport(&format!("smtp://127.0.0.1:{}", server.port)).sender();
    let outcomes = [
        sender.send(&email(1, "ok-1@example.org")).await,
        sender.send(&email(2, "bounce-2@example.org")).await,
        sender.send(&email(3, "full-3@example.org")).await,
        sender.send(&email(4, "ok-4@example.org")).await,
    ];
    sender.close().await;
    assert!(outcomes[0].is_sent());
    assert!(outcomes[1].is_hard_bounce(), "{:?}", outcomes[1]);
    assert!(outcomes[2].is_retry(), "{:?}", outcomes[2]);
    assert!(outcomes[3].is_sent());
    let captured = server.messages();
    let to: HashSet<_> = captured.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, HashSet::from(["ok-1@example.org", "ok-4@example.org"]));
    let connections: HashSet<_> = captured.iter().map(|m| m.peer_port).collect();
    assert_eq!(
        connections.len(),
        1,
        "RSET, not a reconnect, after each rejection"
    );
}

#[tokio::test]
async fn message_bytes_arrive_unchanged() {
    let server = CaptureServer::start(CaptureOptions::default());
    let mut sender = transport(&format!("smtp://127.0.0.1:{}", server.port)).sender();
    let mut mail = email(7, "ok@example.org");
    mail.raw = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <m7@rapport.test>\r\n\r\nسلام — 8-bit body\r\n..two dots\r\n"
        .as_bytes()
        .to_vec();
    assert!(sender.send(&mail).await.is_sent());
    let captured = server.messages();
    assert_eq!(captured.len(), 1);
    let raw = String::from_utf8(mail.raw).expect("utf-8");
    assert!(
        captured[0].content.ends_with(&format!("\r\n{raw}")),
        "byte for byte, no line added, dots unstuffed: {:?}",
        captured[0].content
    );
}

#[tokio::test]
async fn starttls_required_encrypts_and_authenticates() {
    let cert = TestCertificate::for_localhost();
    let server = CaptureServer::start(CaptureOptions {
        starttls: Some(&cert),
        auth: Some("rapport:p@ss word"),
        ..Default::default()
    });
    let mut settings = settings_for(&format!(
        "smtp://rapport:p%40ss%20word@127.0.0.1:{}?tls=starttls",
        server.port
    ));
    settings.root_certificates_pem.push(cert.ca_pem.clone());
    let mut sender = smtp_transport(settings).sender();
    assert_eq!(
        sender.send(&email(1, "ok@example.org")).await,
        SendOutcome::Sent
    );
    let captured = server.messages();
    assert_eq!(captured.len(), 1);
    assert!(captured[0].tls && captured[0].authenticated, "{captured:?}");
}

#[tokio::test]
async fn opportunistic_starttls_is_used_when_offered() {
    let cert = TestCertificate::for_localhost();
    let server = CaptureServer::start(CaptureOptions {
        starttls: Some(&cert),
        ..Default::default()
    });
    let mut settings = settings_for(&format!("smtp://127.0.0.1:{}", server.port));
    settings.root_certificates_pem.push(cert.ca_pem.clone());
    let mut sender = smtp_transport(settings).sender();
    assert!(sender.send(&email(1, "ok@example.org")).await.is_sent());
    assert!(server.messages()[0].tls);
}

#[tokio::test]
async fn wrong_password_is_a_retry_not_a_failed_email() {
    let cert = TestCertificate::for_localhost();
    let server = CaptureServer::start(CaptureOptions {
        starttls: Some(&cert),
        auth: Some("rapport:right"),
        ..Default::default()
    });
    let mut settings = settings_for(&format!(
        "smtp://rapport:wrong@127.0.0.1:{}?tls=starttls",
        server.port
    ));
    settings.root_certificates_pem.push(cert.ca_pem.clone());
    let outcome = smtp_transport(settings)
        .sender()
        .send(&email(1, "ok@example.org"))
        .await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert_eq!(outcome.code(), Some(535), "{outcome}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_a_retry() {
    let cert = TestCertificate::for_localhost();
    let server = CaptureServer::start(CaptureOptions {
        starttls: Some(&cert),
        ..Default::default()
    });
    // No extra trust anchor: the test CA is unknown to the Web PKI roots.
    let mut sender = transport(&format!("smtp://127.0.0.1:{}?tls=starttls", server.port)).sender();
    let outcome = sender.send(&email(1, "ok@example.org")).await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn smtps_uses_implicit_tls() {
    let cert = TestCertificate::for_localhost();
    let server = CaptureServer::start(CaptureOptions {
        implicit_tls: Some(&cert),
        auth: Some("rapport:secret"),
        ..Default::default()
    });
    let mut settings = settings_for(&format!("smtps://rapport:secret@127.0.0.1:{}", server.port));
    assert_eq!(settings.tls, TlsMode::Implicit);
    settings.root_certificates_pem.push(cert.ca_pem.clone());
    let mut sender = smtp_transport(settings).sender();
    for n in 0..3 {
        assert_eq!(
            sender.send(&email(n, "ok@example.org")).await,
            SendOutcome::Sent
        );
    }
    sender.close().await;
    let captured = server.messages();
    assert_eq!(captured.len(), 3);
    assert!(
        captured.iter().all(|m| m.tls && m.authenticated),
        "{captured:?}"
    );
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_a_retry() {
    let sink = SmtpSink::start(&[]); // smtp-sink never offers STARTTLS
    let mut sender = transport(&sink.url("tls=starttls")).sender();
    let outcome = sender.send(&email(1, "a@example.org")).await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert!(outcome.to_string().contains("STARTTLS"), "{outcome}");
    assert!(sink.dumped().is_empty());
}

#[tokio::test]
async fn password_is_never_sent_in_clear_text_unless_tls_none_is_explicit() {
    let sink = SmtpSink::start(&[]); // offers AUTH PLAIN LOGIN, no STARTTLS
    let mut refused = transport(&format!("smtp://u:pw@127.0.0.1:{}", sink.port)).sender();
    let outcome = refused.send(&email(1, "a@example.org")).await;
    assert!(
        outcome.is_retry() && outcome.to_string().contains("clear text"),
        "{outcome}"
    );

    let mut allowed = transport(&format!("smtp://u:pw@127.0.0.1:{}?tls=none", sink.port)).sender();
    assert!(allowed.send(&email(2, "a@example.org")).await.is_sent());
}

#[tokio::test]
async fn file_transport_writes_parseable_eml_files_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("outbox");
    let transport = transport(&format!("file://{}", outbox.display()));
    let mut a = transport.sender();
    let mut b = transport.sender();
    let (ra, rb) = tokio::join!(
        async {
            let mut all = Vec::new();
            for n in (0..20).step_by(2) {
                all.push(a.send(&email(n, "x@example.org")).await);
            }
            all
        },
        async {
            let mut all = Vec::new();
            for n in (1..20).step_by(2) {
                all.push(b.send(&email(n, "y@example.org")).await);
            }
            all
        }
    );
    assert!(ra.iter().chain(&rb).all(SendOutcome::is_sent));
    let names: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 20, "no temporary files left: {names:?}");
    assert!(names.iter().all(|n| n.ends_with(".eml")));
    // Python's email package is the reference parser here.
    let parsed = support::tools::python3()
        .args([
            "-c",
            "import email, email.policy, glob, sys\n\
             for p in sorted(glob.glob(sys.argv[1] + '/*.eml')):\n\
             \x20   m = email.message_from_binary_file(open(p, 'rb'), policy=email.policy.default)\n\
             \x20   assert not m.defects, (p, m.defects)\n\
             \x20   print(m['Message-ID'], m.get_content().splitlines()[0])\n",
        ])
        .arg(&outbox)
        .output()
        .expect("python3");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let lines = String::from_utf8_lossy(&parsed.stdout).into_owned();
    assert_eq!(lines.lines().count(), 20);
    assert!(
        lines.contains("<msg-13@rapport.test> Hello number 13."),
        "{lines}"
    );
}

#[tokio::test]
async fn stub_transport_from_url_records_without_network() {
    let transport = transport("stub://");
    let Transport::Stub(stub) = &transport else {
        panic!("stub")
    };
    let mut sender: Sender = transport.sender();
    assert!(sender.send(&email(1, "a@example.org")).await.is_sent());
    assert_eq!(stub.messages().len(), 1);
}

#[test]
fn a_missing_aiosmtpd_fails_the_capture_server_by_name() {
    let hidden = support::tools::without_python_module("aiosmtpd");
    let failure = std::panic::catch_unwind(|| {
        CaptureServer::start(CaptureOptions {
            python_path: Some(hidden.path()),
            ..Default::default()
        })
    })
    .err()
    .expect("no capture server without aiosmtpd");
    let message = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("python module `aiosmtpd` missing: pip install aiosmtpd"),
        "{message}"
    );
}
