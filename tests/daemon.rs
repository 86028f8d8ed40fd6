//! `rapport run` as operators start it: the HTTP endpoint answers, SIGTERM stops it cleanly.

mod support;

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

#[test]
fn the_daemon_serves_the_endpoint_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
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
            .stderr(Stdio::null()),
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
    assert!(status.success(), "{status:?}");
}
