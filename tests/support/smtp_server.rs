//! Real SMTP servers for the mailer tests: Postfix's `smtp-sink` (fast, with fault
//! injection) and a small `aiosmtpd` server that captures every message to a folder and
//! answers per recipient (bounce-…, full-…), with optional STARTTLS, implicit TLS and AUTH.
//!
//! Missing tools fail the test with what to install; nothing is skipped silently.
#![allow(dead_code)] // each test binary uses its own subset

use std::{
    io::{BufRead, BufReader},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use tempfile::TempDir;

/// A free loopback port. Another process could take it before the server binds it;
/// on a test machine that race is rare, and the readiness check would catch it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

fn wait_until_listening(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {port}: {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} did not listen on port {port} within 10 s");
}

pub fn smtp_sink_path() -> PathBuf {
    [
        "/usr/sbin/smtp-sink",
        "/usr/lib/postfix/sbin/smtp-sink",
        "/usr/libexec/postfix/smtp-sink",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect(
        "smtp-sink not found: install Postfix (`apt-get install postfix`); \
             CI installs it in .ci/run",
    )
}

pub fn smtp_source_path() -> PathBuf {
    let sink = smtp_sink_path();
    sink.with_file_name("smtp-source")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Postfix's `smtp-sink` on a loopback port, killed on drop.
pub struct SmtpSink {
    child: Option<Child>,
    pub port: u16,
    dump: TempDir,
}

impl SmtpSink {
    /// Starts `smtp-sink` with extra options (`-f RCPT`, `-Q DATA`, …); every accepted
    /// transaction is dumped to a file so that tests can count what arrived.
    pub fn start(options: &[&str]) -> Self {
        let dump = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let child = spawn_sink(port, dump.path(), options);
        SmtpSink {
            child: Some(child),
            port,
            dump,
        }
    }

    /// Stops the server: connections drop, new ones are refused.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Replaces the server on the same port with one started with other options,
    /// keeping what was dumped so far.
    pub fn restart(&mut self, options: &[&str]) {
        self.stop();
        self.child = Some(spawn_sink(self.port, self.dump.path(), options));
    }

    /// `smtp://127.0.0.1:PORT` plus query options.
    pub fn url(&self, query: &str) -> String {
        if query.is_empty() {
            format!("smtp://127.0.0.1:{}", self.port)
        } else {
            format!("smtp://127.0.0.1:{}?{query}", self.port)
        }
    }

    /// Every transaction dumped so far, as text (smtp-sink's own headers first).
    pub fn dumped(&self) -> Vec<String> {
        read_folder(self.dump.path())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_sink(port: u16, dump: &Path, options: &[&str]) -> Child {
    let mut command = Command::new(smtp_sink_path());
    if running_as_root() {
        // smtp-sink refuses to run as root without dropping privileges; the dump
        // folder must then be writable by that user.
        command.args(["-u", "nobody"]);
        let _ = Command::new("chmod").arg("0777").arg(dump).status();
    }
    let template = format!("{}/%H%M%S.", dump.display());
    command
        .args(["-d", &template])
        .args(options)
        .arg(format!("127.0.0.1:{port}"))
        .arg("64")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut child = command.spawn().expect("spawn smtp-sink");
    wait_until_listening(port, &mut child, "smtp-sink");
    child
}

fn read_folder(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read dump folder")
        .map(|e| e.expect("dir entry").path())
        // Skip temporary files, and the empty files smtp-sink leaves for transactions
        // that were aborted before the message content.
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                && p.metadata().is_ok_and(|m| m.len() > 0)
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read dump")).into_owned())
        .collect()
}

const CAPTURE_SERVER: &str = r#"
import argparse, asyncio, os, ssl, sys, uuid
from aiosmtpd.smtp import SMTP, AuthResult

p = argparse.ArgumentParser()
p.add_argument('--dir', required=True)
p.add_argument('--cert')
p.add_argument('--key')
p.add_argument('--implicit', action='store_true')
p.add_argument('--auth')
p.add_argument('--delay', type=float, default=0.0)
a = p.parse_args()

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split('@')[0]
        if local.startswith('bounce'):
            return '550 5.1.1 <%s>: Recipient address rejected: User unknown' % address
        if local.startswith('full'):
            return '452 4.2.2 <%s>: Mailbox full' % address
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 Ok'

    async def handle_DATA(self, server, session, envelope):
        if a.delay:
            await asyncio.sleep(a.delay)
        name = uuid.uuid4().hex
        tls = server.transport.get_extra_info('ssl_object') is not None
        head = 'X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Peer-Port: %d\r\nX-TLS: %s\r\nX-Auth: %s\r\n' % (
            envelope.mail_from, ','.join(envelope.rcpt_tos), session.peer[1], tls, session.authenticated)
        tmp = os.path.join(a.dir, '.' + name)
        with open(tmp, 'wb') as f:
            f.write(head.encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(a.dir, name + '.eml'))
        return '250 2.0.0 Ok: queued as ' + name

def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = a.auth.partition(':')
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    # handled=False: let aiosmtpd send the 535 itself (True would mean "already answered").
    return AuthResult(success=ok, handled=False)

ctx = None
if a.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

def factory():
    return SMTP(Handler(), hostname='capture', enable_SMTPUTF8=True,
                tls_context=None if a.implicit else ctx,
                require_starttls=bool(ctx) and not a.implicit,
                authenticator=authenticator if a.auth else None,
                auth_required=bool(a.auth),
                auth_require_tls=not a.implicit)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, '127.0.0.1', 0, ssl=ctx if a.implicit else None)
    print('PORT %d' % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

/// How the capturing server should behave.
#[derive(Default)]
pub struct CaptureOptions<'a> {
    /// Offer (and require) STARTTLS with this certificate.
    pub starttls: Option<&'a TestCertificate>,
    /// Speak TLS from the first byte with this certificate.
    pub implicit_tls: Option<&'a TestCertificate>,
    /// Require AUTH with `user:password`.
    pub auth: Option<&'a str>,
    /// Wait this long before answering each message's final `.` (a slow relay).
    pub delay: Option<Duration>,
}

/// An `aiosmtpd` server that writes each accepted message to a folder, with its envelope.
/// Recipients starting with `bounce` get `550 5.1.1`, `full` get `452 4.2.2`.
pub struct CaptureServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

/// One captured message.
#[derive(Debug)]
pub struct Captured {
    pub to: String,
    pub peer_port: u16,
    pub tls: bool,
    pub authenticated: bool,
    pub content: String,
}

impl CaptureServer {
    pub fn start(options: CaptureOptions<'_>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut command = Command::new("python3");
        command
            .args(["-W", "ignore", "-c", CAPTURE_SERVER, "--dir"])
            .arg(dir.path());
        if let Some(cert) = options.starttls.or(options.implicit_tls) {
            command
                .arg("--cert")
                .arg(&cert.leaf)
                .arg("--key")
                .arg(&cert.key);
        }
        if options.implicit_tls.is_some() {
            command.arg("--implicit");
        }
        if let Some(auth) = options.auth {
            command.args(["--auth", auth]);
        }
        if let Some(delay) = options.delay {
            command.arg("--delay").arg(delay.as_secs_f64().to_string());
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn python3 (needed for the aiosmtpd capture server)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read port");
        let port = match line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
        {
            Some(port) => port,
            None => {
                let _ = child.kill();
                panic!(
                    "aiosmtpd capture server did not start (got {line:?}): \
                     install it with `pip install aiosmtpd`; CI installs it in .ci/run"
                );
            }
        };
        CaptureServer { child, port, dir }
    }

    /// How many messages were accepted so far (cheap: no file is read).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    pub fn messages(&self) -> Vec<Captured> {
        read_folder(self.dir.path())
            .into_iter()
            .map(|text| {
                let header = |name: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                Captured {
                    to: header("X-Envelope-To:"),
                    peer_port: header("X-Peer-Port:").parse().unwrap_or(0),
                    tls: header("X-TLS:") == "True",
                    authenticated: header("X-Auth:") == "True",
                    content: text,
                }
            })
            .collect()
    }
}

impl Drop for CaptureServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throw-away CA and a certificate for 127.0.0.1 signed by it (made with `openssl`).
pub struct TestCertificate {
    _dir: TempDir,
    pub ca_pem: Vec<u8>,
    pub leaf: PathBuf,
    pub key: PathBuf,
}

impl TestCertificate {
    pub fn for_localhost() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let status = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run openssl (needed to make test certificates)");
            assert!(status.success(), "openssl {args:?} failed");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=rapport test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]);
        std::fs::write(
            path("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        TestCertificate {
            ca_pem: std::fs::read(path("ca.pem")).expect("read CA"),
            leaf: path("leaf.pem"),
            key: path("leaf.key"),
            _dir: dir,
        }
    }
}
