//! `rapport run` as operators start it: the HTTP endpoint answers, SIGTERM stops it cleanly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
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

#[test]
fn the_daemon_serves_the_endpoint_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
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
        .env("RAPPORT__HTTP__BIND", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let health = loop {
        if let Some(r) = get(port, "/healthz") {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the endpoint never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let pixel = get(port, "/t/o/not-a-token").unwrap();
    assert!(
        pixel.starts_with("HTTP/1.1 200") && pixel.contains("image/gif"),
        "{pixel}"
    );
    let metrics = get(port, "/metrics").unwrap();
    assert!(metrics.contains("rapport_"), "{metrics}");
    // SAFETY: plain kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}
